"""The bundled SOPs, second edition (issue 16): new playbooks, journeys, placeholders, wording,
compliance checks where the work happens, and a team choosing its set."""

from __future__ import annotations

import json
import re
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from soptui.playbooks.library import Library, Source, bundled_root, bundled_source, load_library
from soptui.playbooks.models import Playbook
from soptui.playbooks.roster import ROLE_PLACEHOLDERS
from soptui.playbooks.snippets import placeholders
from soptui.playbooks.workdays import WorkCalendar
from soptui.schedule import step_due
from tests.conftest import REPO
from tests.helpers import SHANGHAI

NEW = {
    "recruitment": "weekly",
    "newcomer-journey": "sequence",
    "campaign-countdown": "sequence",
    "annual-calendar": "sequence",
    "koc-program": "monthly",
    "evening-sweep": "daily",
}
STARTER = {
    "morning-round",
    "daily-data",
    "weekly-data-review",
    "content-calendar",
    "complaint-escalation",
    "negative-publicity",
    "spam-flood",
}
FREE_PLACEHOLDERS = {
    # Asked for when the operator copies the snippet (docs/playbooks.md lists them).
    "name",  # the member addressed
    "names",  # members thanked
    "topic",  # today's question or topic
    "time",  # a time or deadline
    "title",  # the event or date's name (an instance's title)
    "date",  # the date of a marketing date
    "link",  # a live room or page link
    "signup-link",
    "survey-link",
    "reward",
    "benefit",
    "perk",
    "highlights",
    "issue",  # what a negative story is about
    "kind",  # what kind of spam
    "event",
    "content",
    "notice",
    "goal-status",
    "top-issues",
    "changes",
}
BANNED_ZH = ["事件手册", "开启事件", "审计", "日终数据记录", "例行", "你们说，我们做"]


@pytest.fixture(params=["zh", "en"])
def library(request: pytest.FixtureRequest, zh: Library, en: Library) -> Library:
    return zh if request.param == "zh" else en


def test_every_new_playbook_exists_in_both_languages_and_validates(zh: Library, en: Library) -> None:
    for lib in (zh, en):
        assert lib.errors == []
        for playbook_id, cadence in NEW.items():
            assert lib.get(playbook_id) is not None, playbook_id
            assert lib.get(playbook_id).cadence == cadence  # type: ignore[union-attr]
    assert "event-recap" not in zh.entries  # replaced by campaign-countdown's T+3 recap
    assert zh.get("newcomer-journey").auto_start == "daily"  # type: ignore[union-attr]
    for path in (bundled_root(), bundled_root() / "en"):  # roster files stay out of the bundled set
        assert not (path / "groups.toml").exists() and not (path / "people.toml").exists()


def journey_shape(playbook: Playbook) -> object:
    return [
        (
            s.id,
            s.offset,
            s.at,
            s.working_days,
            playbook.is_per_group(s),
            tuple(s.group_tags),
            [sorted(placeholders(sn.text)) for sn in s.snippets],
        )
        for s in playbook.steps
    ] + [
        playbook.working_days,
        playbook.auto_start,
        playbook.per_group,
        sorted(set(playbook.tags) & {"starter"}),
    ]


def test_parity_extends_to_offsets_groups_and_placeholders(zh: Library, en: Library) -> None:
    assert sorted(zh.entries) == sorted(en.entries)
    for playbook_id, entry in zh.entries.items():
        assert journey_shape(entry.playbook) == journey_shape(en.entries[playbook_id].playbook), playbook_id


def test_every_placeholder_is_filled_by_an_earlier_input_or_is_free(library: Library) -> None:
    for entry in library:
        playbook = entry.playbook
        for index, step in enumerate(playbook.steps):
            earlier = {s.id for s in playbook.steps[:index] if s.input is not None}
            for snippet in step.snippets:
                for name in placeholders(snippet.text):
                    if name in FREE_PLACEHOLDERS or name in ROLE_PLACEHOLDERS:  # asked, or from people.toml
                        continue
                    assert name in earlier, (playbook.id, step.id, name)
                    source = playbook.step(name)
                    assert source is not None and not playbook.is_per_group(source), (playbook.id, name)


def test_conditions_never_read_a_per_group_step(library: Library) -> None:
    """A per-group step's value is per group: a team-wide `when` must read an ordinary step."""
    for entry in library:
        for step in entry.playbook.steps:
            if step.condition is not None:
                source = entry.playbook.step(step.condition.step)
                assert source is not None and not entry.playbook.is_per_group(source), step.id


@pytest.mark.parametrize(
    "anchor", [date(2026, 6, 18), date(2026, 10, 1), date(2026, 2, 17), date(2027, 1, 1)]
)
def test_sequence_offsets_are_ordered_and_due_days_computable(library: Library, anchor: date) -> None:
    sequences = [e.playbook for e in library if e.playbook.is_sequence]
    assert {p.id for p in sequences} == {"newcomer-journey", "campaign-countdown", "annual-calendar"}
    for playbook in sequences:
        offsets = [s.offset for s in playbook.steps]
        assert all(o is not None for o in offsets), playbook.id
        assert offsets == sorted(offsets), playbook.id  # type: ignore[type-var]
        dues = [step_due(playbook, s, anchor, time(20), SHANGHAI, WorkCalendar()) for s in playbook.steps]
        assert dues == sorted(dues), (playbook.id, anchor)
        assert all(abs(d.date() - anchor) <= timedelta(days=40) for d in dues)
    countdown = library.get("campaign-countdown")
    assert countdown.steps[0].offset == timedelta(days=-14)  # type: ignore[union-attr]
    assert timedelta(hours=-1) in [s.offset for s in countdown.steps]  # type: ignore[union-attr]
    assert max(s.offset for s in countdown.steps) == timedelta(days=3)  # type: ignore[union-attr, type-var]
    assert library.get("annual-calendar").steps[0].offset == timedelta(days=-30)  # type: ignore[union-attr]
    newcomer = library.get("newcomer-journey")
    assert sorted({s.offset.days for s in newcomer.steps}) == [0, 1, 3, 7]  # type: ignore[union-attr]


def test_annual_calendar_says_how_to_start_a_date(library: Library) -> None:
    description = library.get("annual-calendar").description  # type: ignore[union-attr]
    assert "soptui start annual-calendar --anchor 2026-06-18 --title 618" in description


def text_of(playbook: Playbook) -> str:
    parts = [playbook.title, playbook.summary or "", playbook.description or ""]
    for s in playbook.steps:
        parts += [s.title, s.details or "", *s.checklist, *(sn.label + sn.text for sn in s.snippets)]
        if s.input:
            parts += [s.input.label or "", *(s.input.choices or [])]
    return "\n".join(parts)


def test_chinese_wording_rules(zh: Library) -> None:
    for entry in zh:
        text = text_of(entry.playbook)
        for word in BANNED_ZH:
            assert word not in text, (entry.playbook.id, word)
    assert zh.get("daily-data").title == "每日数据日报"  # type: ignore[union-attr]
    assert "社群巡检" in text_of(zh.get("morning-round"))  # type: ignore[arg-type]
    assert "建议反馈公示" in text_of(zh.get("satisfaction-survey"))  # type: ignore[arg-type]
    assert "启动预案" in text_of(zh.get("morning-round"))  # type: ignore[arg-type]
    assert "应急预案" in text_of(zh.get("negative-publicity"))  # type: ignore[arg-type]


def test_english_wording(en: Library) -> None:
    assert "turnout" in text_of(en.get("campaign-countdown"))  # type: ignore[arg-type]
    assert "admin console" in text_of(en.get("daily-data"))  # type: ignore[arg-type]
    assert "regular members" in text_of(en.get("member-tiering")).lower()  # type: ignore[arg-type]
    assert "ordinary" not in text_of(en.get("member-tiering"))  # type: ignore[arg-type]


# (playbook, step): words that must appear in that step (details, checklist), per language.
COMPLIANCE = {
    "zh": {
        ("member-tiering", "update-profiles"): ["个人信息保护法", "同意"],
        ("newcomer-journey", "perk"): ["个人信息保护法", "同意"],
        ("complaint-escalation", "record-complaint"): ["个人信息保护法", "截图"],
        ("morning-round", "check-content"): ["极限词", "诱导分享"],
        ("content-calendar", "pre-review-compliance"): ["广告法", "极限词", "诱导分享"],
        ("campaign-countdown", "compliance-check"): ["广告法", "诱导分享", "个人信息保护法"],
        ("campaign-countdown", "plan-fixed"): ["5 万元", "反不正当竞争法"],
        ("event-planning", "budget-resources"): ["5 万元", "反不正当竞争法"],
        ("annual-calendar", "warm-up-plan"): ["5 万元", "诱导分享"],
        ("recruitment", "referral-rules"): ["诱导分享"],
        ("koc-program", "points-rules"): ["转发"],
        ("community-audit", "check-group-owners"): ["互联网群组信息服务管理规定"],
        ("community-audit", "check-contacts"): ["soptui people", "backup"],
        ("negative-publicity", "assess-impact"): ["微博", "小红书", "抖音", "黑猫投诉", "大众点评"],
    },
    "en": {
        ("member-tiering", "update-profiles"): ["Personal Information Protection Law", "agreed"],
        ("newcomer-journey", "perk"): ["Personal Information Protection Law", "consent"],
        ("complaint-escalation", "record-complaint"): ["Personal Information Protection Law", "Screenshots"],
        ("morning-round", "check-content"): ["superlatives", "inducement to share"],
        ("content-calendar", "pre-review-compliance"): [
            "Advertising Law",
            "superlatives",
            "inducement to share",
        ],
        ("campaign-countdown", "compliance-check"): [
            "Advertising Law",
            "inducement to share",
            "Personal Information Protection Law",
        ],
        ("campaign-countdown", "plan-fixed"): ["¥50,000", "Anti-Unfair Competition Law"],
        ("event-planning", "budget-resources"): ["¥50,000", "Anti-Unfair Competition Law"],
        ("annual-calendar", "warm-up-plan"): ["¥50,000", "inducement to share"],
        ("recruitment", "referral-rules"): ["inducement to share"],
        ("koc-program", "points-rules"): ["forwarding"],
        ("community-audit", "check-group-owners"): ["Provisions on Internet Group Information Services"],
        ("community-audit", "check-contacts"): ["soptui people", "backup"],
        ("negative-publicity", "assess-impact"): ["Weibo", "Xiaohongshu", "Douyin", "Heimao", "Dianping"],
    },
}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_compliance_checks_sit_where_the_work_happens(language: str, zh: Library, en: Library) -> None:
    lib = zh if language == "zh" else en
    for (playbook_id, step_id), words in COMPLIANCE[language].items():
        step = lib.get(playbook_id).step(step_id)  # type: ignore[union-attr]
        assert step is not None, (playbook_id, step_id)
        text = "\n".join([step.details or "", *step.checklist])
        for word in words:
            assert word in text, (language, playbook_id, step_id, word)


def test_the_fixes_to_existing_steps(library: Library) -> None:
    morning = library.get("morning-round")
    assert morning.is_per_group(morning.step("welcome-newcomers"))  # type: ignore[union-attr, arg-type]
    assert morning.is_per_group(morning.step("moderation-sweep"))  # type: ignore[union-attr, arg-type]
    assert morning.step("escalate-negative").when == "found-negative"  # type: ignore[union-attr]
    assert "30" in (morning.description or "")  # type: ignore[union-attr]
    tiering = library.get("member-tiering")
    assert {s.input.metric for s in tiering.steps if s.input} >= {  # type: ignore[union-attr]
        "tier.core",
        "tier.active",
        "tier.regular",
        "tier.silent",
    }
    assert "30" in (tiering.description or "") and "8" in (tiering.description or "")  # type: ignore[union-attr]
    data = library.get("daily-data")
    assert data.due.time == time(10, 0)  # type: ignore[union-attr]
    assert {"members.left", "members.net", "response.first-minutes"} <= set(library.metrics())
    peak = data.step("peak-time").input  # type: ignore[union-attr]
    assert peak is not None and all(re.search(r"\d", c) for c in peak.choices or [])
    publicity = library.get("negative-publicity")
    gate = publicity.step("approve-statement")  # type: ignore[union-attr]
    assert gate.input.type == "yes-no" and gate.input.required  # type: ignore[union-attr]
    assert publicity.step("public-response").when == "approve-statement"  # type: ignore[union-attr]
    assert len(publicity.step("monitor").checklist) >= 3  # type: ignore[union-attr]
    review, calendar = library.get("weekly-data-review"), library.get("content-calendar")
    assert review.due.weekday == calendar.due.weekday and review.due.time < calendar.due.time  # type: ignore[union-attr, operator]
    survey = library.get("satisfaction-survey")
    assert survey.due.day >= 8 and survey.step("remind-survey") is not None  # type: ignore[union-attr, operator]
    for playbook_id in ("complaint-escalation", "spam-flood"):
        for step in library.get(playbook_id).steps:  # type: ignore[union-attr]
            for snippet in step.snippets:
                assert not {"admin", "agent"} & set(placeholders(snippet.text)), playbook_id
    assert {g.metric for g in library.goals} <= set(library.metrics())


def test_the_starter_tag_marks_a_small_teams_set(library: Library) -> None:
    assert {e.playbook.id for e in library if "starter" in e.playbook.tags} == STARTER


@pytest.mark.parametrize("language", ["zh", "en"])
def test_enabled_and_disabled_choose_the_bundled_playbooks(language: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    starter = load_library([bundled_source(language, enabled=["starter"])])
    assert set(starter.entries) == STARTER and starter.errors == []
    assert "recruitment" in starter.hidden
    # the sample goals keep only those whose metric a shown playbook records, without errors
    assert {g.metric for g in starter.goals} <= set(starter.metrics()) and starter.goals
    picked = load_library(
        [bundled_source(language, enabled=["starter", "recruitment"], disabled=["spam-flood"])]
    )
    assert set(picked.entries) == (STARTER - {"spam-flood"}) | {"recruitment"}
    # other directories are never filtered: a team's own playbook with a hidden id still shows
    team = tmp_path / "team"
    team.mkdir()
    (team / "koc.toml").write_text(
        (REPO / "playbooks" / "koc-program.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with_team = load_library([bundled_source(language, enabled=["starter"]), Source(team, "team")])
    assert "koc-program" in with_team.entries and with_team.origins["koc-program"] == "team"
    unknown = load_library([bundled_source(language, disabled=["no-such-thing"])])
    assert [p.severity for p in unknown.problems] == ["warning"] and "no-such-thing" in str(
        unknown.problems[0]
    )
    assert len(load_library([bundled_source(language)]).entries) == 19


def test_config_accepts_enabled_and_disabled(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from soptui.config import load_settings

    path = tmp_path / "config.toml"
    path.write_text('enabled = ["starter", "recruitment"]\ndisabled = ["spam-flood"]\n', encoding="utf-8")
    settings, problems = load_settings(path)
    assert (
        problems == []
        and settings.enabled == ["starter", "recruitment"]
        and settings.disabled == ["spam-flood"]
    )


def test_docs_list_every_bundled_playbook_in_both_languages(zh: Library, en: Library) -> None:
    doc = (REPO / "docs" / "playbooks.md").read_text(encoding="utf-8")
    for lib in (zh, en):
        for entry in lib:
            lines = [line for line in doc.splitlines() if f"`{entry.playbook.id}`" in line]
            assert any(entry.playbook.title in line for line in lines), (
                entry.playbook.id,
                entry.playbook.title,
            )
    for name in FREE_PLACEHOLDERS:
        assert f"{{{name}}}" in doc, name


def test_the_config_chooses_the_bundled_set_in_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_env: Path
) -> None:
    """`enabled` in config.toml narrows what `soptui list` (and so the app) shows."""
    from soptui.cli import main

    config = isolated_env / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        'enabled = ["starter"]\ndisabled = ["spam-flood"]\n', encoding="utf-8"
    )
    assert main(["--language", "en", "list", "--json"]) == 0
    shown = {row["id"] for row in json.loads(capsys.readouterr().out)["playbooks"]}
    assert "morning-round" in shown and "daily-data" in shown
    assert "koc-program" not in shown and "spam-flood" not in shown


def test_the_roster_fills_role_placeholders(tmp_path: Path) -> None:
    """{lead} in the negative-publicity snippet names the team's 社群经理 from people.toml."""
    from soptui.playbooks.roster import load_roster

    people = tmp_path / "people.toml"
    people.write_text(
        '[[people]]\nid = "alice"\nname = "Alice"\nroles = ["社群经理"]\ncontact = "138 0000 0000"\n'
        '[[people]]\nid = "bob"\nname = "Bob"\nroles = ["客服", "管理员"]\n',
        encoding="utf-8",
    )
    roster, problems = load_roster(None, people)
    assert not problems
    assert roster.placeholders() == {
        "lead": "Alice（138 0000 0000）",
        "manager": "Alice（138 0000 0000）",
        "admin": "Bob",
        "agent": "Bob",
    }
    for language in ("zh", "en"):
        playbook = load_library([bundled_source(language)]).get("negative-publicity")
        assert playbook is not None
        [snippet] = playbook.step("notify-owner").snippets  # type: ignore[union-attr]
        assert "lead" in placeholders(snippet.text) and "assess-impact" in placeholders(snippet.text)


def test_the_sample_roster_validates() -> None:
    """The sample groups.toml and people.toml (playbooks/examples/) load without a problem;
    the library never reads them by itself (a bundled roster would invent groups for a team)."""
    from soptui.playbooks.roster import load_roster

    examples = bundled_root() / "examples"
    roster, problems = load_roster(examples / "groups.toml", examples / "people.toml")
    assert problems == []
    assert [g.id for g in roster.active()] == ["sh-vip", "sh-1", "new-2026-11"]
    assert roster.placeholders()["admin"] == "李博（企业微信 libo）"
    assert not load_library([bundled_source("zh")]).roster.groups
