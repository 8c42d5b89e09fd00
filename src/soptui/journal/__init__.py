"""The local journal: append-only events in SQLite, and the only place that speaks SQL."""

from soptui.events import Event
from soptui.journal.store import Journal, JournalBusy, JournalError, JournalReadOnly, RunRow

__all__ = ["Event", "Journal", "JournalBusy", "JournalError", "JournalReadOnly", "RunRow"]
