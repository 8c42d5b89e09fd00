"""The screen shown instead of a broken layout when the terminal is below 60x20."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from soptui.tui.words import N_, localise_bindings


class TooSmallScreen(Screen[None]):
    """Shown instead of a broken layout when the terminal is below 60x20."""

    BINDINGS = [Binding("q,ctrl+c", "app.quit", N_("quit"), id="small.quit")]

    def __init__(self, message: str) -> None:
        super().__init__()
        localise_bindings(self)
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(self.message, id="too-small", markup=False)

    def update(self, message: str) -> None:
        self.query_one("#too-small", Static).update(message)
