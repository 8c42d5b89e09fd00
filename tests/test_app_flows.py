"""Pilot tests: the app driven the way an operator drives it, keyboard only."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from soptui.journal import JournalError
from soptui.playbooks.loader import content_hash
from soptui.tui.screens.help import HelpScreen
from soptui.tui.screens.modals import Confirm, Pick, Prompt, ShowText, SnippetForm
from soptui.tui.screens.run import RunScreen
from soptui.tui.screens.small import TooSmallScreen
from soptui.tui.screens.today import TodayScreen
from soptui.tui.widgets import NoteBox
from tests.helpers import Clock
from tests.ui_support import MONDAY_9AM, build_app

RUN = "morning@2026-11-23"


def text_of(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


def options_text(app, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    options = app.screen.query_one(selector, OptionList)
    # Without the cursor column ("› " on the highlighted row, two spaces on the others).
    return [str(options.get_option_at_index(i).prompt)[2:] for i in range(options.option_count)]


async def test_today_lists_routines_and_opens_a_run(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, TodayScreen)
        rows = options_text(app, "#agenda")
        assert any("· Morning round" in r and "0/5" in r and "not started · due 10:00" in r for r in rows)
        assert any("No open incidents" in r for r in rows)
        await pilot.press("enter")
        assert isinstance(app.screen, RunScreen)
        assert recorder.journal.run(RUN) is not None
        await pilot.press("escape")
        assert isinstance(app.screen, TodayScreen)
        assert any("Morning round" in r and "not started" in r for r in options_text(app, "#agenda"))


async def test_complete_steps_with_inputs_skip_note_undo(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # open the morning round
        await pilot.press("1", "space")  # one of two checklist items ticked: asked first
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert recorder.state(RUN).steps["welcome"].status == "pending"
        await pilot.press("2", "space")  # tick the second item, complete the step
        state = recorder.state(RUN)
        assert state.steps["welcome"].status == "done" and state.steps["welcome"].ticked == {0, 1}
        await pilot.press("space")  # the yes-no step: picked, never typed
        assert isinstance(app.screen, Pick)
        await pilot.press("down", "enter")  # "No"
        state = recorder.state(RUN)
        assert state.steps["found-negative"].value is False
        assert state.steps["escalate"].status == "n/a"
        assert any(r.startswith("– 3") for r in options_text(app, "#steps"))
        assert any("Post a topic (opt.)" in r for r in options_text(app, "#steps"))
        await pilot.press("s")  # optional topic: skipped without a reason
        assert recorder.state(RUN).steps["topic"].status == "skipped"
        await pilot.press("u")  # typed into the next step's box, not read as "undo"
        assert app.screen.query_one("#value-input", Input).value == "u"
        assert recorder.state(RUN).steps["topic"].status == "skipped"
        app.screen.query_one("#value-input", Input).value = ""
        await pilot.press("escape", "u")  # out of the box: undo the skip
        assert recorder.state(RUN).steps["topic"].status == "pending"
        await pilot.press("s")  # on to "Count new members": the cursor is in its box
        assert app.focused is app.screen.query_one("#value-input", Input)
        await pilot.press("escape", "n")  # escape leaves the box, not the run
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"[bold]x[/]", "enter")
        notes = recorder.state(RUN).steps["new-members"].notes
        assert notes[0].payload["text"] == "[bold]x[/]"
        assert "[bold]x[/]" in text_of(app, "#step-extra")  # shown literally
        await pilot.press("space", "1", "2", "enter")
        state = recorder.state(RUN)
        assert state.steps["new-members"].value == 12
        assert state.is_closed
        assert isinstance(app.screen, ShowText)  # the finished run's summary
        summary = str(app.screen.query_one("#shown-text", Static).render())
        assert "Count new members: 12" in summary and "[bold]x[/]" in summary


async def test_skip_asks_for_a_reason(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "s")
        assert isinstance(app.screen, Prompt)
        await pilot.press("enter")  # empty: refused in place
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"nobody new", "enter")
        step = recorder.state(RUN).steps["welcome"]
        assert (step.status, step.reason) == ("skipped", "nobody new")
        assert any(r.startswith("✗ 1") and "(nobody new)" in r for r in options_text(app, "#steps"))


async def test_finish_early_confirms_then_records_left(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1", "2", "space", "f")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert not recorder.state(RUN).is_closed
        await pilot.press("f", "y")
        state = recorder.state(RUN)
        assert state.is_closed and "found-negative" in state.left


async def test_crash_mid_run_then_resume(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "space", "y")  # completed with its checklist unticked
    recorder.journal.close()  # the process is gone; only the journal remains
    again, _ = build_app(tmp_path, start="morning")
    async with again.run_test(size=(80, 24)):
        screen = again.screen
        assert isinstance(screen, RunScreen)
        assert screen.state.steps["welcome"].status == "done"
        assert screen.selected == "found-negative"
        assert options_text(again, "#steps")[1].startswith("▶ 2")


async def test_journal_write_failure_is_shown_and_not_marked_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")

        def broken(*args: object, **kwargs: object) -> None:
            raise JournalError("disk I/O error writing journal.sqlite3 (is the disk full or failing?)")

        monkeypatch.setattr(recorder.journal, "writing", broken)
        await pilot.press("space", "y")
        assert recorder.state(RUN).steps["welcome"].status == "pending"
        assert options_text(app, "#steps")[0].startswith("⧗ 1")  # queued, not shown as done
        assert any("disk I/O error" in str(n.message) for n in app._notifications)


async def test_incident_flow_with_escalation_and_report(tmp_path: Path) -> None:
    clock = Clock(MONDAY_9AM)
    app, recorder = build_app(tmp_path, clock=clock)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        assert isinstance(app.screen, Pick)
        await pilot.press("enter")  # the only incident playbook
        await pilot.press(*"bots in group 3", "enter")
        await pilot.press("enter")  # P1
        screen = app.screen
        assert isinstance(screen, RunScreen) and screen.state.is_incident
        assert app.focused is screen.query_one("#note-input", NoteBox)
        await pilot.press(*"muted the group", "enter")
        await pilot.press("enter")  # right after a note: ignored, never completes a step
        assert screen.state.steps["contain"].status == "pending"
        await pilot.press("enter")  # empty line: completes "Contain the flood"
        state = screen.state
        assert state.steps["contain"].status == "done"
        assert [n.payload["text"] for n in state.notes] == ["muted the group"]
        assert "muted the group" in text_of(app, "#timeline")
        clock.advance(minutes=45)  # "Remove spam" was due within 30 minutes
        screen.tick()  # what the one-second timer does; the clock, not the test, moves time
        await pilot.pause()
        assert any(r.startswith("! 2") and "+15 min" in r for r in options_text(app, "#steps"))
        clock.advance(seconds=1)
        screen.tick()
        assert bells == [1]  # rung once, not every second
        await pilot.press("tab", "R")  # two steps still pending: asked first
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await pilot.press(*"30 bots banned", "enter")
        assert isinstance(app.screen, ShowText)
        report = str(app.screen.query_one("#shown-text", Static).render())
        assert "# P1 bots in group 3" in report and "30 bots banned" in report
        await pilot.press("s")
        saved = list((tmp_path / "reports").glob("incident-*.md"))
        assert len(saved) == 1 and "## Timeline" in saved[0].read_text()
        assert recorder.journal.open_incidents() == []


async def test_copy_snippet_fills_placeholders(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "c")
        form = app.screen
        assert isinstance(form, SnippetForm)  # one form: {name} and {new-members} (not recorded yet)
        assert form.names == ["name", "new-members"]
        await pilot.press(*"Ann", "enter")
        assert isinstance(app.screen, SnippetForm)  # enter moves to the next field
        await pilot.press("7")
        await pilot.pause()
        preview = str(form.query_one("#snippet-preview", Static).render())
        assert preview == "Welcome Ann! We have 7 new friends today."  # the preview follows the typing
        await pilot.press("enter")
        assert copied == ["Welcome Ann! We have 7 new friends today."]
        assert isinstance(app.screen, ShowText)
        await pilot.press("enter", "c")  # copy again: the form comes back filled in
        again = app.screen
        assert isinstance(again, SnippetForm) and again.values() == {"name": "Ann", "new-members": "7"}
        await pilot.press("enter", "enter")
        assert copied[-1] == "Welcome Ann! We have 7 new friends today." and len(copied) == 2


async def test_help_and_too_small(tmp_path: Path) -> None:
    app, _ = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, TodayScreen)
        await pilot.resize_terminal(50, 15)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)


async def test_playbook_change_is_announced(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "space", "y")
    old = recorder.state(RUN).playbook
    changed = old.model_copy(update={"steps": [*old.steps[:-1]], "title": old.title})
    recorder.journal.close()
    again, rec2 = build_app(tmp_path, clock=Clock(MONDAY_9AM.replace(day=24)))
    entry = rec2.library.entries["morning"]
    entry.playbook, entry.content_hash = changed, content_hash(changed)  # as the loader pairs them
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        messages = [str(n.message) for n in again._notifications]
        assert any("Changed since you last ran it" in m and "− Count new members" in m for m in messages)


async def test_review_screen_moves_by_week_and_exports(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from soptui.tui.screens.review import ReviewScreen

    app, recorder = build_app(tmp_path)
    run = recorder.routine_run("morning").run_id
    recorder.complete(run, "welcome")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert screen.rng.label == "2026-W48"
        table = screen.query_one("#review-routines", DataTable)
        assert table.row_count == 1
        assert "Week review · 2026-W48" in text_of(app, "#review-header")
        await pilot.press("left")
        assert screen.rng.label == "2026-W47"
        await pilot.press("right", "right")
        assert screen.rng.label == "2026-W49"
        await pilot.press("t")
        assert screen.rng.label == "2026-W48"
        await pilot.press("e")
        saved = tmp_path / "reports" / "review-2026-W48.md"
        assert saved.read_text().startswith("# Review 2026-W48")
        await pilot.press("escape")
        assert isinstance(app.screen, TodayScreen)


async def test_command_palette_starts_any_playbook(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Run: Morning")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        assert app.screen.state.run_id == RUN


async def test_today_clock_advances_open_incidents(tmp_path: Path) -> None:
    clock = Clock(MONDAY_9AM)
    app, recorder = build_app(tmp_path, clock=clock)
    recorder.open_incident("spam", "bots", "P1")
    async with app.run_test(size=(80, 24)) as pilot:
        assert any("00:00:00" in r for r in options_text(app, "#agenda"))
        clock.advance(minutes=5, seconds=7)
        app.screen.tick()  # what the one-second timer does  # type: ignore[attr-defined]
        await pilot.pause()
        assert any("● P1 bots" in r and "00:05:07" in r for r in options_text(app, "#agenda"))


async def test_the_day_log_from_today(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l")
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"quiet morning", "enter")
        assert isinstance(app.screen, TodayScreen)
        notes = [e for e in recorder.journal.events_between() if e.kind == "note" and e.run_id is None]
        assert [n.payload["text"] for n in notes] == ["quiet morning"]
        assert "✎ 09:00 alice: quiet morning" in text_of(app, "#today-missed")


async def test_the_incidents_list(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from soptui.tui.screens.incidents import IncidentsScreen

    clock = Clock(MONDAY_9AM)
    app, recorder = build_app(tmp_path, clock=clock)
    old = recorder.open_incident("spam", "ads wave", "P2")
    clock.advance(minutes=5)
    recorder.note(old.run_id, "muted")  # acknowledged after 5 minutes
    clock.advance(minutes=40)
    recorder.resolve(old.run_id, "cleaned")
    current = recorder.open_incident("spam", "bots in group 3", "P1")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("I")
        assert isinstance(app.screen, IncidentsScreen)
        table = app.screen.query_one("#incident-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[1] for r in rows] == ["bots in group 3", "ads wave"]  # newest first
        assert rows[1][4:6] == ["5 min", "45 min"] and rows[0][5] == "open"
        await pilot.press(*"ads")  # filter as you type
        assert table.row_count == 1
        await pilot.press("ctrl+o")  # open ones only: the ads wave was resolved
        assert table.row_count == 0
        await pilot.press("ctrl+o", "backspace", "backspace", "backspace", "enter", "enter")
        assert isinstance(app.screen, RunScreen) and app.screen.state.run_id == current.run_id


async def test_today_under_a_run_does_not_rebuild_its_agenda_on_the_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The minute's refresh is for a Today that is shown: under a run it would rebuild the
    agenda between two key presses (it refreshes when the run is closed anyway)."""
    import soptui.tui.screens.today as today_module

    app, _recorder = build_app(tmp_path)
    builds: list[object] = []
    build = today_module.build_agenda

    def counted(*args: object, **kwargs: object) -> object:
        builds.append(args)
        return build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(today_module, "build_agenda", counted)
    async with app.run_test(size=(80, 24)) as pilot:
        today = app.screen
        assert isinstance(today, TodayScreen)
        today.refresh_if_shown()
        assert len(builds) == 2  # the mount's and the minute's
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        before = len(builds)
        today.refresh_if_shown()
        assert len(builds) == before
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is today and len(builds) == before + 1  # back on Today: read again
