"""The journal's tables and their forward migrations (``PRAGMA user_version``).

Each schema version is a list of statements applied, in one write transaction, to a journal
at the version before it. Never edit a released version's statements: add a new version.
"""

from __future__ import annotations

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    operator TEXT NOT NULL,
    login TEXT NOT NULL,
    host TEXT NOT NULL,
    playbook_id TEXT,
    playbook_hash TEXT,
    run_id TEXT,
    step_id TEXT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}'
)
        """,
        """
CREATE INDEX events_run ON events(run_id, seq)
        """,
        """
CREATE INDEX events_at ON events(at)
        """,
        """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    playbook_id TEXT NOT NULL,
    playbook_hash TEXT NOT NULL,
    period TEXT,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    title TEXT,
    severity TEXT,
    closed_at TEXT
)
        """,
        """
CREATE INDEX runs_playbook_period ON runs(playbook_id, period)
        """,
        """
CREATE INDEX runs_open_incidents ON runs(closed_at) WHERE period IS NULL
        """,
        """
CREATE INDEX runs_opened_at ON runs(opened_at)
        """,
        """
CREATE TABLE playbook_versions (
    hash TEXT PRIMARY KEY,
    playbook_id TEXT NOT NULL,
    body TEXT NOT NULL,
    first_used TEXT NOT NULL
)
        """,
        """
CREATE TABLE playbooks_seen (
    playbook_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
)
        """,
    ],
    2: [
        # Who has the app open on which run and step (ephemeral: not an event, never exported).
        """
CREATE TABLE presence (
    session TEXT PRIMARY KEY,
    operator TEXT NOT NULL,
    login TEXT NOT NULL,
    host TEXT NOT NULL,
    run_id TEXT,
    step_id TEXT,
    seen_at TEXT NOT NULL
)
        """,
        "CREATE INDEX presence_run ON presence(run_id)",
        # Reviews look runs up by period across every playbook.
        "CREATE INDEX runs_period ON runs(period)",
    ],
    3: [
        # Per-group steps: each group's tick is its own event, naming the group by id.
        "ALTER TABLE events ADD COLUMN group_id TEXT",
        "CREATE INDEX events_group ON events(group_id, at) WHERE group_id IS NOT NULL",
    ],
}
SCHEMA_VERSION = max(MIGRATIONS)
