"""Help is per screen and generated from the bindings, so it cannot drift from the keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import Markdown

from soptui.i18n import Language
from soptui.tui.screens.help import HelpScreen, help_markdown
from soptui.tui.screens.review import ReviewScreen
from soptui.tui.screens.run import RunScreen
from soptui.tui.screens.today import TodayScreen
from tests.ui_support import build_app


async def open_each_screen(tmp_path: Path, language: Language) -> dict[str, str]:
    app, recorder = build_app(tmp_path, language)
    recorder.open_incident("spam", "bots", "P1")
    pages: dict[str, str] = {}
    async with app.run_test(size=(100, 40)) as pilot:
        assert isinstance(app.screen, TodayScreen)
        pages["today"] = help_markdown(app.screen, language)
        await pilot.press("down", "enter")  # the routine, below the incident
        assert isinstance(app.screen, RunScreen) and not app.screen.state.is_incident
        pages["run"] = help_markdown(app.screen, language)
        await pilot.press("question_mark")  # the list has focus: ? opens the help
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.text == pages["run"]
        shown = app.screen.query_one(Markdown)
        assert shown is not None
        await pilot.press("escape", "escape", "up", "enter")
        assert isinstance(app.screen, RunScreen) and app.screen.state.is_incident
        pages["incident"] = help_markdown(app.screen, language)
        await pilot.press("escape", "escape", "r")
        assert isinstance(app.screen, ReviewScreen)
        pages["review"] = help_markdown(app.screen, language)
    return pages


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_help_is_per_screen_and_every_binding_has_words(tmp_path: Path, language: Language) -> None:
    pages = await open_each_screen(tmp_path, language)
    assert len(set(pages.values())) == 4  # one page per screen
    for page in pages.values():
        assert not re.search(r"help[.-][a-z]", page), page  # no missing catalogue entry
    run, incident = pages["run"], pages["incident"]
    assert "| f |" in run and "| R, ^r |" not in run  # finish, not resolve, on a routine
    assert "| R, ^r |" in incident and "| f |" not in incident  # the footer says ^r: so does help
    assert "| 1–9 |" in run and "tab" in incident  # the incident page says how to reach 1–9
    assert "| ←, h |" in pages["review"] and "| →, l |" in pages["review"]  # the review keys
