"""The screen shown instead of a broken layout when the terminal is below 60x20."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from soptui.tui.commands import Command, bindings_of
from soptui.tui.words import N_, localise_bindings


class TooSmallScreen(Screen[None]):
    """Shown instead of a broken layout when the terminal is below 60x20."""

    USER_COMMANDS = (Command("small.quit", "q,ctrl+c", "app.quit", N_("quit"), palette=False),)
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, message: str) -> None:
        super().__init__()
        localise_bindings(self)
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(self.message, id="too-small", markup=False)

    def update(self, message: str) -> None:
        self.query_one("#too-small", Static).update(message)
