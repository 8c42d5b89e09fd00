"""Playbooks in the app (issue 18): the preview (from Today, the palette and search), what changed
since you last ran a playbook; search over the playbooks' text, hand-over notes and incident
timelines, in the app and on the command line."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList, Static

from soptui.events import Event
from soptui.journal import Journal
from soptui.playbooks.library import Library, Source, load_library
from soptui.recorder import Identity, Recorder
from soptui.search import outside_word, search, search_playbooks
from soptui.tui.app import SoptuiApp, make_app
from soptui.tui.screens.find import SearchScreen
from soptui.tui.screens.help import HelpScreen, help_markdown
from soptui.tui.screens.modals import Prompt
from soptui.tui.screens.preview import PreviewScreen, changes_since_last_use
from soptui.tui.screens.run import RunScreen
from soptui.tui.screens.today import TodayScreen
from soptui.tui.services import Services
from tests.conftest import write
from tests.helpers import SHANGHAI, Clock
from tests.ui_support import MONDAY_9AM, build_app


def preview_text(app: SoptuiApp) -> str:
    screen = app.screen
    assert isinstance(screen, PreviewScreen)
    return str(screen.query_one("#preview-text", Static).render())


# -- the preview --------------------------------------------------------------------------------


async def test_p_on_today_previews_the_highlighted_routine_and_enter_starts_it(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("p")  # the first routine is highlighted: the morning round
        assert isinstance(app.screen, PreviewScreen)
        text = preview_text(app)
        lines = text.splitlines()
        assert lines[0] == "Morning round" and lines[1] == "Walk the community every morning."
        assert lines[2] == "daily · due 10:00"
        assert "5 steps" in text
        welcome = lines.index(" 1. Welcome newcomers")
        assert lines[welcome + 1] == "    community manager · ~5 min"
        assert lines[welcome + 2] == "    2 checklist items · 1 text to copy"
        assert " 4. Post a topic (optional)" in lines
        assert "    input: yes/no · “Negative posts found?”" in lines
        assert "    input: whole number · “New members today” · unit members · min 0" in lines
        assert "    community manager · ~5 min · only when found-negative" in lines
        assert "Changed since" not in text  # never run: nothing to compare with
        assert recorder.journal.run("morning@2026-11-23") is None  # a preview records nothing
        await pilot.press("escape")
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("p", "enter")
        assert isinstance(app.screen, RunScreen)
        assert app.screen.state.playbook.id == "morning"
        await pilot.press("escape")
        assert isinstance(app.screen, TodayScreen)  # the preview is gone, not underneath


async def test_an_incident_preview_shows_severities_and_escalation_and_starts_an_incident(
    tmp_path: Path,
) -> None:
    app, recorder = build_app(tmp_path)
    recorder.open_incident("spam", "bots", "P1")
    app.services.severities = {"P2": "ads keep coming"}
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("p")  # the open incident is the highlighted row: its playbook
        text = preview_text(app)
        assert text.splitlines()[1] == "incident"
        assert "Severities\n  P1  many members or a core service affected" in text
        assert "  P2  ads keep coming\n" in text
        assert "    admin · ~5 min · ⏱ escalate after 5 min" in text
        assert "    admin · ~10 min · ⏱ escalate after 30 min" in text
        await pilot.press("s")  # start: a new incident asks its title first
        assert isinstance(app.screen, Prompt)


async def test_the_palette_offers_a_preview_of_every_playbook(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [str(c.title) for c in app.get_system_commands(app.screen)]
        assert "Preview: Morning round" in titles and "Preview: Spam flood" in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"Preview: Spam")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PreviewScreen) and app.screen.playbook_id == "spam"
        await pilot.press("question_mark")  # the preview has its own help page
        assert isinstance(app.screen, HelpScreen)
        assert "| esc, q |" in app.screen.text and "| enter, s |" in app.screen.text


async def test_help_for_today_and_the_preview_has_words_for_every_key(tmp_path: Path) -> None:
    for language in ("en", "zh"):
        app, _recorder = build_app(tmp_path / language, language)  # type: ignore[arg-type]
        async with app.run_test(size=(100, 40)) as pilot:
            today = help_markdown(app.screen, language)  # type: ignore[arg-type]
            assert "| p |" in today
            await pilot.press("p")
            page = help_markdown(app.screen, language)  # type: ignore[arg-type]
            assert not re.search(r"help[.-][a-z]", page), page  # no missing catalogue entry
            assert "| j, k |" in page


SOURCE = """\
title = "Evening sweep"
cadence = "weekly"
working_days = true
[due]
weekday = "fri"
time = "17:00"

[[steps]]
id = "count"
title = "Count new members"
role = "data analyst"
[steps.input]
type = "integer"

[[steps]]
id = "old"
title = "Old step"

[[steps]]
id = "reply"
title = "Reply to questions"
details = "Answer every open question."
"""

EDITED = """\
title = "Evening sweep"
cadence = "weekly"
working_days = true
[due]
weekday = "fri"
time = "17:00"

[[steps]]
id = "count"
title = "Count new members"
role = "data analyst"
[steps.input]
type = "integer"

[[steps]]
id = "reply"
title = "Reply to questions"
details = "Answer every open question, [bold]within the hour[/]."

[[steps]]
id = "thank"
title = "Thank \\u001b[31mhelpers"
"""


def _team_app(tmp_path: Path, operator: str, journal: Journal) -> tuple[SoptuiApp, Recorder]:
    library: Library = load_library([Source(tmp_path / "team", "team")])
    assert not library.problems, library.problems
    recorder = Recorder(journal, library, SHANGHAI, Identity(operator, operator, "host"), Clock(MONDAY_9AM))
    return make_app(Services(recorder, "en", tmp_path / "reports", [])), recorder


async def test_the_preview_shows_what_changed_since_you_last_ran_it(tmp_path: Path) -> None:
    write(tmp_path / "team", "sweep.toml", SOURCE)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    _app, first = _team_app(tmp_path, "alice", journal)
    first.routine_run("sweep")  # alice ran the version before the edit
    write(tmp_path / "team", "sweep.toml", EDITED)  # a teammate edits the shared file
    app, recorder = _team_app(tmp_path, "alice", journal)
    assert changes_since_last_use(recorder.ledger, "alice", "sweep") == [
        "+ Thank \x1b[31mhelpers",
        "− Old step",
        "~ Reply to questions",
    ]
    async with app.run_test(size=(100, 40)) as pilot:
        app.open_preview("sweep")
        await pilot.pause()
        lines = preview_text(app).splitlines()
        assert lines[:4] == [
            "⚠ Changed since you last ran it:",
            "  + Thank ␛[31mhelpers",  # playbook text is plain: the escape is made visible
            "  − Old step",
            "  ~ Reply to questions",
        ]
        assert "weekly · due Fri 17:00 · working days only" in lines
        assert " 3. Thank ␛[31mhelpers" in lines
    _other, bob = _team_app(tmp_path, "bob", journal)
    assert changes_since_last_use(bob.ledger, "bob", "sweep") == []  # bob never ran it
    assert changes_since_last_use(first.ledger, "alice", "nope") == []


# -- search over the playbooks' text ------------------------------------------------------------


def test_search_finds_playbook_text_in_chinese_and_english(zh: Library, en: Library) -> None:
    hits = search_playbooks(zh, "差评")
    assert hits and all("差评" in h.text for h in hits)
    assert any(h.playbook_id == "negative-publicity" for h in hits)
    hit = next(h for h in hits if h.step_id is not None)
    assert hit.marked().count("【差评】") >= 1 and hit.step_title
    assert [h.field for h in search_playbooks(zh, "禁言")][:1] in (["details"], ["checklist"], ["step"])
    english = search_playbooks(en, "REFUND")  # case folded
    assert english and all("refund" in h.text.lower() for h in english)
    both = search_playbooks(en, "mute invite")  # every term, anywhere in the same step
    assert any(h.playbook_id == "spam-flood" and h.step_id == "contain" for h in both)
    assert search_playbooks(en, "mute zzzz") == []
    assert len(search_playbooks(zh, "的", limit=3)) == 3


def test_a_playbook_hit_names_its_place_and_its_json(tmp_path: Path) -> None:
    library = load_library([Source(Path(__file__).parent / "fixtures" / "en", "test")])
    [hit] = search_playbooks(library, "rules")  # details and a checklist item: one step, one hit
    assert (hit.playbook_id, hit.step_id, hit.field) == ("morning", "welcome", "details")
    [item] = search_playbooks(library, "greet by")  # the text holding the most terms is shown
    assert item.field == "checklist" and item.text == "Greet by name"
    [own] = search_playbooks(library, "every morning")
    assert (own.step_id, own.step_title, own.field) == (None, None, "summary")
    data = hit.to_json()
    assert data["playbook"] == "morning" and data["step_title"] == "Welcome newcomers"
    assert data["snippet"] == "…t everyone who joined since yesterday and **pin the 【rules】**."


async def test_search_in_the_app_lists_playbook_hits_that_open_the_preview(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path, "zh")
    recorder.note(None, "群里又有人发广告")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        screen.query_one("#search-query", Input).value = "广告"
        await pilot.pause(0.3)
        assert [h.text for h in screen.hits] == ["群里又有人发广告"]
        assert [(h.playbook_id, h.step_id) for h in screen.playbook_hits] == [("spam", "clean")]
        status = str(screen.query_one("#search-status", Static).render())
        assert "日志中 1 条" in status and "手册中 1 条" in status
        results = screen.query_one("#search-results", OptionList)
        assert results.option_count == 3  # the note, the playbooks' heading, the step
        assert "刷屏与诈骗 · 清理广告" in str(results.get_option_at_index(2).prompt)
        await pilot.press("enter", "down", "enter")  # to the results; past the heading; open
        assert isinstance(app.screen, PreviewScreen) and app.screen.playbook_id == "spam"
        await pilot.press("escape")
        assert app.screen is screen
        query = screen.query_one("#search-query", Input)
        query.focus()
        query.value = "提醒成员"  # only in a playbook
        await pilot.pause(0.3)
        await pilot.press("enter")  # to the results: the first is the step, not the heading
        assert screen.query_one("#search-results", OptionList).highlighted == 1
        await pilot.press("enter")
        assert isinstance(app.screen, PreviewScreen)


async def test_search_english_playbook_text_from_the_app(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        screen.query_one("#search-query", Input).value = "pin the"
        await pilot.pause(0.3)
        assert [(h.playbook_id, h.step_id) for h in screen.playbook_hits] == [("morning", "welcome")]
        assert screen.hits == []


# -- search over hand-overs and incidents -------------------------------------------------------


def _handover(journal: Journal, text: str, run_id: str | None = None) -> Event:
    event = Event(
        kind="handover",
        at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        operator="bob",
        login="bob",
        host="h",
        run_id=run_id,
        payload={"text": text},
    )
    with journal.writing():
        assert journal.insert_event(event)
    return event


def test_hand_over_notes_are_indexed_and_named(tmp_path: Path) -> None:
    _app, recorder = build_app(tmp_path)
    event = _handover(recorder.journal, "交接：两条差评待回复，refund pending")
    [hit] = search(recorder.journal, "差评")
    assert hit.event.uuid == event.uuid and hit.event.kind == "handover"
    assert outside_word(hit.event) == "hand-over" and hit.incident is None
    assert [h.event.uuid for h in search(recorder.journal, "REFUND pend")] == [event.uuid]


def test_incident_titles_summaries_and_timeline_notes_carry_the_incident(tmp_path: Path) -> None:
    _app, recorder = build_app(tmp_path)
    incident = recorder.open_incident("spam", "广告刷屏：差评轰炸", "P1")
    recorder.note(incident.run_id, "已禁言，差评在减少", "contain")
    recorder.resolve(incident.run_id, "封禁 12 个号，差评已回复")
    hits = search(recorder.journal, "差评")
    assert [h.event.kind for h in hits] == ["incident.resolved", "note", "run.opened"]
    for hit in hits:
        assert hit.incident is not None
        assert (hit.incident.title, hit.incident.severity, hit.incident.resolved) == (
            "广告刷屏：差评轰炸",
            "P1",
            True,
        )
        assert hit.incident.label() == "✓ P1 广告刷屏：差评轰炸"
    routine = recorder.routine_run("morning").run_id
    recorder.note(routine, "早上没有差评")
    assert search(recorder.journal, "没有差评")[0].incident is None


async def test_the_app_shows_the_incident_and_the_hand_over_beside_a_hit(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    incident = recorder.open_incident("spam", "bots wave", "P2")
    recorder.note(incident.run_id, "muted the group, bots gone")
    async with app.run_test(size=(120, 30)) as pilot:
        _handover(recorder.journal, "bots may come back tonight")  # written by bob meanwhile
        await pilot.press("slash")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        screen.query_one("#search-query", Input).value = "bots"
        await pilot.pause(0.3)
        results = screen.query_one("#search-results", OptionList)
        rows = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        assert "hand-over" in rows[0] and "bots may come back tonight" in rows[0]
        assert "spam  ● P2 bots wave" in rows[1] and "muted the group" in rows[1]
        await pilot.press("enter", "enter")  # a hand-over without a run: the note is shown
        assert str(app.screen.title_text).startswith("hand-over · ")  # type: ignore[attr-defined]


# -- the command line ---------------------------------------------------------------------------


def test_cli_search_lists_playbook_hits_after_the_journal(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = cli("search", "Contain", "--what", "playbooks")  # no journal needed
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "In the playbooks:"
    assert lines[1].split() == ["PLAYBOOK", "STEP", "TEXT"]
    assert lines[2].split() == ["spam", "contain", "【Contain】"]
    assert cli("incident", "open", "spam", "--title", "contain the bots", "--severity", "P1")[0] == 0
    code, out, _err = cli("search", "contain")
    lines = out.splitlines()
    assert lines[0].split() == ["TIME", "WHO", "PLAYBOOK", "STEP", "TEXT"]
    assert "spam ● P1 contain the bots" in lines[1] and "【contain】 the bots" in lines[1]
    assert lines[2] == "" and lines[3] == "In the playbooks:"
    code, out, _err = cli("search", "contain", "--what", "journal")
    assert "In the playbooks" not in out
    code, out, _err = cli("search", "contain", "--json")
    data: dict[str, Any] = json.loads(out)
    assert data["results"][0]["incident"] == {
        "title": "contain the bots",
        "severity": "P1",
        "resolved": False,
    }
    assert [p for p in data["playbooks"] if p["playbook"] == "spam"] == [
        {
            "playbook": "spam",
            "playbook_title": "Spam flood",
            "step": "contain",
            "step_title": "Contain",
            "field": "step",
            "text": "Contain",
            "matches": [[0, 7]],
            "snippet": "【Contain】",
        }
    ]
    code, out, _err = cli("search", "contain", "--what", "playbooks", "--json")
    assert set(json.loads(out)) == {"query", "playbooks"}
    code, _out, err = cli("search", "x", "--what", "everything")
    assert code == 2 and "invalid choice" in err


def test_cli_search_in_chinese_finds_the_bundled_playbooks(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SOPTUI_PLAYBOOKS")
    code, out, _err = cli("--language", "zh", "search", "差评", "--what", "playbooks")
    assert code == 0
    assert out.splitlines()[0] == "手册中："
    assert "negative-publicity" in out and "【差评】" in out


# -- a snapshot ---------------------------------------------------------------------------------


def test_preview_snapshot(snap_compare: Any, tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    assert snap_compare(app, press=["p"], terminal_size=(80, 24))


async def test_the_preview_is_chinese(tmp_path: Path) -> None:
    from tests.test_chinese_throughout import english_words, svg_text

    app, recorder = build_app(tmp_path, "zh")
    recorder.open_incident("spam", "广告刷屏", "P1")
    async with app.run_test(size=(120, 40)) as pilot:
        for keys in (["p"], ["escape", "down", "p"]):  # the incident's, then the routine's
            await pilot.press(*keys)
            await pilot.pause()
            text = svg_text(app.export_screenshot())
            assert isinstance(app.screen, PreviewScreen)
            assert english_words(text, frozenset({"test"})) == set(), text  # "test": the origin
        assert "截止 10:00" in text
