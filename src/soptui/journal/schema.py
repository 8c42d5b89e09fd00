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
    4: [
        # Search (issue 18): one row of searchable text per event (note, skip reason, incident
        # title and summary, text value; see soptui.events.search_text), keyed by the event's seq,
        # and an FTS5 trigram index over it kept in step by triggers. Undone events are removed.
        """
CREATE TABLE search_text (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    body TEXT NOT NULL
)
        """,
        "CREATE INDEX search_text_at ON search_text(at)",
        "CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_text', content_rowid='seq', "
        "tokenize='trigram')",
        """
CREATE TRIGGER search_text_added AFTER INSERT ON search_text BEGIN
    INSERT INTO search_fts (rowid, body) VALUES (new.seq, new.body);
END
        """,
        """
CREATE TRIGGER search_text_removed AFTER DELETE ON search_text BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.seq, old.body);
END
        """,
        # Rebuild for an existing journal: the same fields soptui.events.search_text picks.
        """
INSERT INTO search_text (seq, at, body)
SELECT seq, at, body FROM (
    SELECT seq, at, CASE
        WHEN kind = 'step.skipped' AND json_type(payload, '$.reason') = 'text'
            THEN json_extract(payload, '$.reason')
        WHEN kind = 'run.opened' AND json_type(payload, '$.title') = 'text'
            THEN json_extract(payload, '$.title')
        WHEN kind = 'incident.resolved' AND json_type(payload, '$.summary') = 'text'
            THEN json_extract(payload, '$.summary')
        WHEN kind = 'step.done' AND json_type(payload, '$.value') = 'text'
            THEN json_extract(payload, '$.value')
        WHEN kind NOT IN ('step.skipped', 'run.opened', 'incident.resolved', 'step.done')
            AND json_type(payload, '$.text') = 'text' THEN json_extract(payload, '$.text')
    END AS body
    FROM events WHERE json_valid(payload)
) WHERE body IS NOT NULL AND body != ''
        """,
        """
DELETE FROM search_text WHERE seq IN (
    SELECT target.seq FROM events AS undo JOIN events AS target
        ON target.uuid = json_extract(undo.payload, '$.target')
    WHERE undo.kind = 'undo' AND json_valid(undo.payload)
)
        """,
        # A step's history (soptui history) reads its values without scanning the journal.
        "CREATE INDEX events_step_values ON events(playbook_id, step_id, at) WHERE kind = 'step.done'",
    ],
    5: [
        # Team coordination and reminders (issue 17): hand-overs, closed follow-ups and sent
        # reminders are read by kind across runs, over a journal of millions of events.
        "CREATE INDEX events_kind ON events(kind, at)",
    ],
    6: [
        # Several teams' journals merged into one (issue 19, `soptui journal copy --team`): the
        # team an event came from; NULL in a journal that was never merged.
        "ALTER TABLE events ADD COLUMN team TEXT",
    ],
}
SCHEMA_VERSION = max(MIGRATIONS)
