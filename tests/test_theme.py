"""Colours come from the theme: switching it recolours what the screens draw themselves."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from textual.color import Color

from soptui.tui.screens.today import TodayScreen
from tests.helpers import Clock
from tests.ui_support import MONDAY_9AM, build_app

SRC = Path(__file__).resolve().parents[1] / "src" / "soptui" / "tui"


def colours(svg: str) -> set[str]:
    return {c.lower() for c in re.findall(r"fill: (#[0-9a-fA-F]{6})", svg)}


async def test_an_overdue_row_takes_the_themes_error_colour(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path, clock=Clock(MONDAY_9AM + timedelta(hours=3)))  # past 10:00
    with recorder.journal.writing():
        recorder.journal.mark_seen(["morning"], MONDAY_9AM - timedelta(days=1))  # so it is overdue
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        for theme in ("textual-dark", "textual-light", "nord"):
            app.theme = theme
            await pilot.pause()
            error = Color.parse(app.theme_variables["error"]).hex.lower()
            assert error in colours(app.export_screenshot()), theme


def test_no_colour_literals_in_the_screens() -> None:
    """Rich/Textual styles built in Python name theme variables ($error, $success …)."""
    colour = r"(?:red|green|yellow|blue|magenta|cyan|#[0-9a-fA-F]{3,6})"
    literal = re.compile(rf"""["'](?:bold |italic |dim )*{colour}["']""")
    found = [
        f"{path.name}:{number}"
        for path in SRC.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert not found
    for path in SRC.rglob("*.tcss"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"#[0-9a-fA-F]{3,6}\b|\b(?:red|green|yellow|blue|magenta|cyan)\b", text), path
