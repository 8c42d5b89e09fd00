"""An incident's live timeline: who did what when, then the steps past their escalation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from soptui.i18n import duration_text
from soptui.runs import RunState
from soptui.timeline import timeline
from soptui.tui.plain import plain

SHOWN = 200
"""The timeline keeps its newest lines only."""


def timeline_lines(state: RunState, zone: ZoneInfo, late: Mapping[str, timedelta]) -> list[str]:
    """``09:12 alice ✓ Contain the flood`` per event, oldest first, then ``! step +15 min``."""
    lines = [f"{e.at.astimezone(zone):%H:%M} {e.operator} {e.mark} {e.text}" for e in timeline(state)]
    for step_id, over in late.items():
        lines.append(f"! {state.steps[step_id].step.title} +{duration_text(over)}")
    return lines[-SHOWN:]


class IncidentTimeline(VerticalScroll):
    """The timeline in a scrolling box whose newest entry stays in view, whoever wrote it."""

    def __init__(self, words: Callable[[str], str], zone: ZoneInfo, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.words = words
        self.zone = zone
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="timeline")

    def show(self, state: RunState, late: Mapping[str, timedelta]) -> None:
        """Show ``state``'s timeline; ``late``: its pending steps past their escalation."""
        text = "\n".join(timeline_lines(state, self.zone, late))
        if text != self._shown:  # unchanged (a group ticked): no new layout
            self._shown = text
            self.query_one("#timeline", Static).update(plain(text))
        self.border_title = self.words("timeline")
        self.scroll_end(animate=False)
