"""The floor of Today's own widget tree: what Textual alone costs to draw it.

Today is a screen with a header line, an OptionList of the day's rows, a line under it and a
Footer of its keys. This app draws the same tree with nothing of soptui (no settings,
library, journal or agenda): twenty rows of plain text and fifteen keys. Start-up measured
against it says how much of soptui's first frame is soptui's own work, and how much the
widgets Today is made of cost in Textual whoever draws them.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static

KEYS = ["enter", "r", "n", "i", "s", "f", "a", "o", "h", "c", "d", "p", "g", "x", "t"]


class TodayFloor(Screen[None]):
    BINDINGS = [Binding(key, "noop", f"key {key}") for key in KEYS]

    def compose(self) -> ComposeResult:
        yield Static(" Today · Wednesday 2026-12-02 · 09:00 · alice", classes="header")
        yield OptionList(*(f"  {i:2} · Routine number {i} · not started · due 10:00" for i in range(20)))
        yield Static("  missed: none")
        yield Footer()

    def action_noop(self) -> None:
        """The keys are only there to be drawn."""


class TodayFloorApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(TodayFloor())


if __name__ == "__main__":
    TodayFloorApp().run()
