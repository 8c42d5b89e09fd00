"""Pilot flows (issue 18): `/` on Today searches the journal; `h` in a run shows a step's history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Input, OptionList, Static

from soptui.tui.screens.find import SearchScreen
from soptui.tui.screens.modals import ShowText
from soptui.tui.screens.run import RunScreen
from soptui.tui.screens.today import TodayScreen
from tests.ui_support import MONDAY_9AM, build_app


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    pilot.app.screen.query_one("#search-query", Input).value = text  # typed as a paste would
    await pilot.pause(0.3)


async def test_slash_searches_and_enter_opens_the_run_at_the_step(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    run_id = recorder.routine_run("morning", MONDAY_9AM - timedelta(days=3)).run_id
    recorder.note(run_id, "两条差评：物流太慢", "topic", MONDAY_9AM - timedelta(days=3))
    recorder.note(None, "日志：差评已处理")
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await _type(pilot, "差评")
        screen = app.screen
        assert [h.text for h in screen.hits] == ["日志：差评已处理", "两条差评：物流太慢"]
        results = screen.query_one("#search-results", OptionList)
        assert results.option_count == 2
        assert "2 found" in str(screen.query_one("#search-status", Static).render())
        await pilot.press("enter")  # from the box: to the results
        assert results.has_focus and results.highlighted == 0
        await pilot.press("down", "enter")
        assert isinstance(app.screen, RunScreen)
        assert app.screen.state.run_id == run_id and app.screen.selected == "topic"
        await pilot.press("escape")  # back to the results, as they were
        assert app.screen is screen and len(screen.hits) == 2
        results.highlighted = 0
        await pilot.press("enter")  # a day-log note has no run: the note is shown
        assert isinstance(app.screen, ShowText) and app.screen.text == "日志：差评已处理"
        await pilot.press("escape")
        await _type(pilot, "没有这个词")
        assert screen.hits == [] and "nothing found" in str(
            screen.query_one("#search-status", Static).render()
        )
        await _type(pilot, "   ")
        assert screen.hits == []
        await pilot.press("escape")
        assert isinstance(app.screen, TodayScreen)


async def test_h_shows_the_steps_history_with_a_sparkline(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    for days, value in [(3, "12"), (2, "30"), (1, "21")]:
        at = MONDAY_9AM - timedelta(days=days)
        run_id = recorder.routine_run("morning", at).run_id
        recorder.complete(run_id, "new-members", value, at)
    today = recorder.routine_run("morning").run_id
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_run(today, "new-members")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen) and app.screen.selected == "new-members"
        await pilot.press("escape", "h")  # out of the value box, then h
        assert isinstance(app.screen, ShowText)
        text = app.screen.text
        assert "last 3: ▁█▅" in text
        lines = text.splitlines()
        assert lines[1].split()[:3] == ["DATE", "VALUE", "WHO"]
        assert lines[2].split() == ["2026-11-22", "21", "alice"]
        await pilot.press("escape")
        assert isinstance(app.screen, RunScreen)
        app.screen._select("welcome")  # no input: no history, a word why
        await pilot.press("h")
        assert isinstance(app.screen, RunScreen)
