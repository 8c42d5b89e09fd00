"""The journal: append-only events in a SQLite file or PostgreSQL, and the only place that speaks SQL."""

from soptui.events import Event
from soptui.journal.base import JournalStore, open_journal_at
from soptui.journal.store import Journal, JournalBusy, JournalError, JournalReadOnly, RunRow

__all__ = [
    "Event",
    "Journal",
    "JournalBusy",
    "JournalError",
    "JournalReadOnly",
    "JournalStore",
    "RunRow",
    "open_journal_at",
]
