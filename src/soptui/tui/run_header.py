"""The run screen's one-line header: what runs, how far, for how long, and who else is here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len
from textual.widgets import Static

from soptui.i18n import duration_text, hms
from soptui.runs import RunState
from soptui.tui.plain import plain

Part = tuple[str, int]
"""A piece of the header and its priority: 0 always stays, higher numbers go first."""


def fit_parts(parts: list[Part], width: int) -> str:
    """Join ``(text, priority)`` parts with " · ", dropping whole parts (highest number
    first) until the line fits: a header is shortened by meaning, never cut mid-phrase."""
    kept = [(text, rank) for text, rank in parts if text]
    while len(kept) > 1 and cell_len(" · ".join(t for t, _ in kept)) > width:
        worst = max(range(len(kept)), key=lambda i: (kept[i][1], i))
        if kept[worst][1] == 0:
            break
        del kept[worst]
    return " · ".join(t for t, _ in kept)


def header_parts(
    state: RunState, now: datetime, words: Callable[[str], str], others: list[str], *, demo: bool = False
) -> list[Part]:
    """The header's parts: an incident's severity, title, clock and people; a routine's title,
    progress, time taken, period and plan; then finished, the others here and demo."""
    parts: list[Part]
    if state.is_incident:
        people = sorted({e.operator for e in state.events})
        parts = [
            (f"● {state.severity} {state.title}", 0),
            (hms(state.elapsed(now)), 0),
            (state.playbook.title, 3),
            (", ".join(people), 4),
        ]
    else:
        parts = [
            (state.playbook.title, 0),
            (f"{state.done_count}/{state.total}", 0),
            (f"{duration_text(state.elapsed(now))} {words('elapsed')}", 2),
            (state.period or "", 4),
        ]
        if state.playbook.planned:
            parts.append((f"~{duration_text(state.playbook.planned)} {words('planned')}", 5))
    if state.is_closed:
        parts.append((words("run-finished"), 1))
    if others:
        parts.append((", ".join(others), 3))
    if demo:
        parts.insert(0, (words("demo"), 0))
    return parts


class RunHeader(Static):
    """The header line; updated (and the screen laid out again) only when its text changed."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.shown: str | None = None
        """The line as shown."""

    def show(self, parts: list[Part], width: int) -> None:
        """Show the parts that fit in ``width`` cells (the least important go first)."""
        text = " " + fit_parts(parts, max(width - 1, 20))
        if text != self.shown:  # updating a Static lays out the whole screen again
            self.shown = text
            self.update(plain(text, newlines=False))
