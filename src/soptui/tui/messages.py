"""What screens ask of the app, and what the app tells screens: Textual messages.

Screens never call up into the App by name (that needed a ``type: ignore`` per call and tied
every screen to one App class); they post one of these, and :class:`~soptui.tui.app.SoptuiApp`
handles it with ``@on``. The app tells the current screen that the journal changed with
:class:`JournalChanged`, which screens that show journal data handle.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from soptui.runs import RunState


@dataclass
class OpenRoutine(Message):
    """Open (or resume) the current period's run of a routine."""

    playbook_id: str


@dataclass
class OpenRun(Message):
    """Open a run that exists (an incident, a journey, a run from the review or a search hit)."""

    run_id: str
    step_id: str | None = None


@dataclass
class StartIncident(Message):
    """Open an incident: ask which playbook (unless given), a title and a severity."""

    playbook_id: str | None = None


@dataclass
class OpenPlaybook(Message):
    """Start a playbook as the palette does: a routine's run, a new incident or a journey."""

    playbook_id: str


@dataclass
class PreviewPlaybook(Message):
    """Show a playbook's preview (its steps, roles, estimates, inputs) before starting it."""

    playbook_id: str


@dataclass
class RunClosed(Message):
    """A routine was finished (show its summary) or an incident resolved (show its report)."""

    state: RunState


@dataclass
class JournalChanged(Message):
    """Another session (or a replayed draft) committed: re-read what is shown."""
