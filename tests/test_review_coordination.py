"""The review's team-coordination sections (issue 17), from a known history checked by hand.

Team zone Asia/Shanghai (UTC+8). The review is of W48 (Mon 11-23 to Sun 11-29), as of Monday
11-30 10:00. Two operators record the morning round's "new members" metric (sum):

- W47 Sun 11-22: alice records 5; on Mon 11-23 10:00 she corrects it to 6 (listed in W48: it
  was recorded then; it moves W48's *previous*, 6, not W48's figure).
- Mon 11-23: bob records 12; on Tue 11-24 10:00 he corrects it to 21 ("counted twice").
- Tue 11-24: alice records 30; on Wed 11-25 09:00 she retracts it (the day counts nothing).
- Wed 11-25: bob records 7, corrects it to 70 and undoes that correction (7 stands, unlisted).
- Thu 11-26: bob records 4; alice (the lead) corrects it to 5 on Mon 11-30 09:00: after the
  range, so not listed in W48, but W48's figure uses it (a correction may come later).
- Fri 11-27: bob records 9, alice corrects it to 90, bob undoes his completion: neither the
  value nor its correction counts, and the correction is not listed.

So W48: 21 + 7 + 5 = 33, marked amended; per day [21, —, 7, 5, —, —, —]; previous 6.

Hand-overs: bob on Fri 11-27 18:00 (in W48); alice on Mon 11-30 08:00 (W49, not listed).

Action items (team sync, alice records them):
- W47 Mon 11-16: 清理群成员 @bob due 11-20 (done on 11-30: after the range, so overdue at its
  end); 更新FAQ @chen due 11-19 (dropped by chen on Mon 11-23: closed in W48).
- W48 Mon 11-23: 更新群公告 @bob due 11-25 (done 11-24); 整理反馈 @chen due 11-27 (moved on
  11-26 to 12-02: not overdue); 发周报 @alice due 11-28 (open: overdue); 准备活动 @bob due
  12-05 (open, not due yet).

Per owner in W48: alice opened 1, closed 0, overdue [发周报]; bob opened 2, closed 1, overdue
[清理群成员]; chen opened 1, closed 1, overdue none.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from soptui.coordination import Coordinator
from soptui.i18n import activate
from soptui.playbooks.library import Library
from soptui.recorder import Recorder
from soptui.review import build_review, week_range
from soptui.review.model import Review
from soptui.review.render import render_csv, render_json, render_markdown, render_text
from soptui.tui.app import make_app
from soptui.tui.screens.review import ReviewScreen
from soptui.tui.services import Services
from tests.helpers import DAILY, REVIEW_JSON_KEYS, SHANGHAI, Clock, library_from, recorder_for
from tests.test_coordination import PEOPLE, SYNC

HANDOVER = "晚班：3群有人刷屏，已禁言 [b]明早[/b]复查"


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def library(tmp_path: Path) -> Library:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "people.toml").write_text(PEOPLE, encoding="utf-8")
    return library_from(tmp_path, morning=DAILY, sync=SYNC)


@pytest.fixture
def history(tmp_path: Path, library: Library) -> tuple[Recorder, Clock]:
    clock = Clock(local(16, 9))
    alice = recorder_for(tmp_path, library, "alice", clock)
    bob = recorder_for(tmp_path, library, "bob", clock, journal=alice.journal)
    chen = recorder_for(tmp_path, library, "chen", clock, journal=alice.journal)

    def at(day: int, hour: int, minute: int = 0) -> None:
        clock.now = local(day, hour, minute)

    def record(who: Recorder, day: int, value: int) -> str:
        at(day, 9)
        run = who.routine_run("morning").run_id
        who.complete(run, "new-members", str(value))
        return run

    def item(what: str) -> str:
        return next(i.id for i in Coordinator(alice).action_items() if i.what == what)

    # Action items of W47 and W48.
    at(16, 10, 30)
    alice.complete(alice.routine_run("sync").run_id, "assign", "清理群成员 @bob 11-20; 更新FAQ @chen 11-19")
    at(23, 10, 30)
    alice.complete(
        alice.routine_run("sync").run_id,
        "assign",
        "更新群公告 @bob 11-25; 整理反馈 @chen 11-27; 发周报 @alice 11-28; 准备活动 @bob 12-05",
    )
    at(23, 11)
    Coordinator(chen).close_action(item("更新FAQ"), "dropped")
    at(24, 15)
    Coordinator(bob).close_action(item("更新群公告"), "done")
    at(26, 15)
    Coordinator(chen).close_action(item("整理反馈"), "moved", date(2026, 12, 2))

    # Values and their corrections.
    sunday = record(alice, 22, 5)
    at(23, 10)
    Coordinator(alice).amend(sunday, "new-members", "miscounted", "6")
    monday = record(bob, 23, 12)
    at(24, 10)
    Coordinator(bob).amend(monday, "new-members", "counted twice", "21")
    tuesday = record(alice, 24, 30)
    at(25, 9)
    Coordinator(alice).amend(tuesday, "new-members", "wrong day's count", retract=True)
    wednesday = record(bob, 25, 7)
    at(25, 12)
    Coordinator(bob).amend(wednesday, "new-members", "typo", "70")
    bob.undo(wednesday)
    thursday = record(bob, 26, 4)
    friday = record(bob, 27, 9)
    at(27, 10)
    Coordinator(alice).amend(friday, "new-members", "typo", "90")
    at(27, 11)
    bob.undo(friday)  # his completion: alice's correction of it no longer stands

    # Hand-overs.
    at(27, 18)
    Coordinator(bob).hand_over(HANDOVER)
    at(30, 8)
    Coordinator(alice).hand_over("W49: not in W48's review")

    # After the range: a late correction and a late closing.
    at(30, 9)
    Coordinator(alice).amend(thursday, "new-members", "one more joined", "5")
    Coordinator(bob).close_action(item("清理群成员"), "done")
    at(30, 10)
    return alice, clock


@pytest.fixture
def review(history: tuple[Recorder, Clock]) -> Review:
    return build_review(history[0].ledger, week_range("2026-W48"))


def test_amended_values_count_as_corrected_and_mark_the_metric(review: Review) -> None:
    [metric] = review.metrics
    assert metric.value == 33  # 21 (corrected) + 7 (its correction undone) + 5 (corrected later)
    assert metric.per_period == [21, None, 7, 5, None, None, None]  # Tuesday's was retracted
    assert metric.previous == 6  # W47's 5, corrected
    assert metric.amended


def test_json_lists_hand_overs_amendments_and_follow_ups(review: Review) -> None:
    data = json.loads(render_json(review))
    assert list(data) == REVIEW_JSON_KEYS
    assert data["metrics"][0]["amended"] is True and data["metrics"][0]["value"] == 33
    assert data["handovers"] == [
        {"at": "2026-11-27T18:00:00+08:00", "operator": "bob", "login": "bob", "text": HANDOVER}
    ]
    where = {
        "playbook": "morning",
        "step": "new-members",
        "group": None,
        "playbook_title": "Morning round",
        "step_title": "Count new members",
    }
    fields = ("at", "login", *where, "old", "new", "retracted", "reason")
    assert [{k: a[k] for k in fields} for a in data["amendments"]] == [
        {"at": "2026-11-23T10:00:00+08:00", "login": "alice", **where, "old": 5, "new": 6,
         "retracted": False, "reason": "miscounted"},
        {"at": "2026-11-24T10:00:00+08:00", "login": "bob", **where, "old": 12, "new": 21,
         "retracted": False, "reason": "counted twice"},
        {"at": "2026-11-25T09:00:00+08:00", "login": "alice", **where, "old": 30, "new": None,
         "retracted": True, "reason": "wrong day's count"},
    ]  # fmt: skip
    assert [a["run"] for a in data["amendments"]] == [
        "morning@2026-11-22",
        "morning@2026-11-23",
        "morning@2026-11-24",
    ]
    people = [
        (
            f["owner"],
            f["name"],
            f["opened"],
            f["closed"],
            f["overdue"],
            [i["what"] for i in f["overdue_items"]],
        )
        for f in data["followups"]
    ]
    assert people == [
        ("alice", "王小丽", 1, 0, 1, ["发周报"]),
        ("bob", "李博", 2, 1, 1, ["清理群成员"]),  # done on 11-30: still open when W48 ended
        ("chen", "陈晨", 1, 1, 0, []),  # 整理反馈 moved to 12-02 before it fell due
    ]
    [late] = data["followups"][1]["overdue_items"]
    assert (late["due"], late["opened_at"], late["opened_by"], late["playbook"], late["run"]) == (
        "2026-11-20",
        "2026-11-16T10:30:00+08:00",
        "alice",
        "sync",
        "sync@2026-W47",
    )


def test_csv_sections(review: Review) -> None:
    def rows(section: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(render_csv(review, section))))

    [handover] = rows("handovers")
    assert (handover["at"], handover["login"], handover["text"]) == (
        "2026-11-27T18:00:00+08:00",
        "bob",
        HANDOVER,
    )
    amendments = rows("amendments")
    assert [(a["old"], a["new"], a["retracted"], a["reason"]) for a in amendments] == [
        ("5", "6", "no", "miscounted"),
        ("12", "21", "no", "counted twice"),
        ("30", "", "yes", "wrong day's count"),
    ]
    followups = [
        (f["owner"], f["opened"], f["closed"], f["overdue"], f["overdue_items"]) for f in rows("followups")
    ]
    assert followups == [
        ("alice", "1", "0", "1", "发周报 (2026-11-28)"),
        ("bob", "2", "1", "1", "清理群成员 (2026-11-20)"),
        ("chen", "1", "1", "0", ""),
    ]
    [metric] = rows("metrics")
    assert (metric["value"], metric["amended"]) == ("33.0", "yes")


def test_markdown_and_text_sections(review: Review) -> None:
    markdown = render_markdown(review)
    assert "| 33 † |" in markdown
    assert "† includes a corrected value (the journal keeps the old one)" in markdown
    assert (
        "## Hand-overs\n\n- 11-27 18:00 bob: 晚班：3群有人刷屏，已禁言 \\[b\\]明早\\[/b\\]复查\n" in markdown
    )
    assert (
        "## Amendments\n\n"
        "- 11-23 10:00 alice · Morning round · Count new members: 5 → 6 (why: miscounted)\n"
        "- 11-24 10:00 bob · Morning round · Count new members: 12 → 21 (why: counted twice)\n"
        "- 11-25 09:00 alice · Morning round · Count new members: 30 retracted (why: wrong day's count)\n"
    ) in markdown
    assert (
        "## Follow-ups\n\n"
        "- 王小丽 (alice): 1 opened, 0 closed, 1 overdue\n"
        "- overdue: 发周报 · 王小丽 (alice) · due 2026-11-28\n"
        "- 李博 (bob): 2 opened, 1 closed, 1 overdue\n"
        "- overdue: 清理群成员 · 李博 (bob) · due 2026-11-20\n"
        "- 陈晨 (chen): 1 opened, 1 closed, 0 overdue\n"
    ) in markdown
    assert "W49" not in markdown and "one more joined" not in markdown  # recorded after the range
    text = render_text(review)
    assert "HAND-OVERS\n11-27 18:00 bob: " + HANDOVER + "\n" in text
    assert "AMENDMENTS\n" in text and "FOLLOW-UPS\n" in text and "33 †" in text


def test_chinese_headings(review: Review) -> None:
    activate("zh")
    try:
        markdown = render_markdown(review)
    finally:
        activate("en")
    assert "## 交接" in markdown and "## 更正" in markdown and "## 行动项" in markdown
    assert "† 含有更正过的值（日志保留原值）" in markdown
    assert "王小丽 (alice)：新增 1 条，关闭 0 条，逾期 1 条" in markdown


def test_sections_are_left_out_when_empty(history: tuple[Recorder, Clock]) -> None:
    empty = build_review(history[0].ledger, week_range("2026-W46"))
    assert (empty.handovers, empty.amendments, empty.followups) == ([], [], [])
    assert not any(m.amended for m in empty.metrics)
    for rendered in (render_markdown(empty), render_text(empty)):
        for heading in ("Hand-overs", "Amendments", "Follow-ups", "†"):
            assert heading not in rendered and heading.upper() not in rendered
    data = json.loads(render_json(empty))
    assert (data["handovers"], data["amendments"], data["followups"]) == ([], [], [])
    assert render_csv(empty, "followups").startswith("# no followups in 2026-W46")


def test_overdue_while_the_range_runs_means_overdue_now(history: tuple[Recorder, Clock]) -> None:
    """Mid-week (Wed 11-25 12:00) W48's "end" is now: only items due before today are overdue."""
    recorder, _clock = history
    midweek = build_review(recorder.ledger, week_range("2026-W48"), now=local(25, 12))
    overdue = {f.owner: [i.what for i in f.overdue] for f in midweek.followups}
    assert overdue == {"alice": [], "bob": ["清理群成员"], "chen": []}  # 发周报 is due on 11-28


async def test_the_review_screen_shows_the_three_sections(
    tmp_path: Path, history: tuple[Recorder, Clock]
) -> None:
    recorder, _clock = history
    coordinator = Coordinator(recorder)
    coordinator.acknowledge(coordinator.waiting_handovers())  # else Today asks alice first
    app = make_app(Services(recorder, "en", tmp_path / "reports", []), review=week_range("2026-W48"))
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)

        def shown(selector: str) -> str:
            widget = screen.query_one(selector, Static)
            return str(widget.render()) if widget.display else ""

        assert shown("#review-handovers") == "Hand-overs\n11-27 18:00 bob: " + HANDOVER  # never markup
        amendments = shown("#review-amendments")
        assert amendments.startswith("Amendments\n") and "12 → 21 (why: counted twice)" in amendments
        assert "30 retracted (why: wrong day's count)" in amendments
        followups = shown("#review-followups")
        assert "王小丽 (alice): 1 opened, 0 closed, 1 overdue" in followups
        assert "overdue: 清理群成员 · 李博 (bob) · due 2026-11-20" in followups
        metrics = screen.query_one("#review-metrics", DataTable)
        assert str(metrics.get_row_at(0)[1]) == "33 †"
        assert "† includes a corrected value" in str(screen.query_one("#review-compared").render())
        await pilot.press("left", "left")  # W46: nothing to show
        await pilot.pause()
        assert screen.rng.label == "2026-W46"
        assert [shown(s) for s in ("#review-handovers", "#review-amendments", "#review-followups")] == [
            "",
            "",
            "",
        ]
