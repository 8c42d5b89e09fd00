"""The PostgreSQL journal's tables and their forward migrations (table ``soptui_schema_version``).

The same tables as the SQLite journal (journal/schema.py), in PostgreSQL's types: instants
are ``timestamptz``, payloads the same compact JSON text (``json`` operators read it; a
``jsonb`` column would refuse a ``\\u0000`` that SQLite keeps). ``runs`` and
``playbook_versions`` carry an insertion counter (``ord``) so that ties sort as SQLite's
rowid order does.

Each version is a list of statements applied, in one transaction under the journal's
write lock, to a database at the version before it. Never edit a released version's
statements: add a new version. A database at a newer version than :data:`SCHEMA_VERSION`
is refused, never altered.
"""

from __future__ import annotations

OPTIONAL = frozenset({"CREATE EXTENSION IF NOT EXISTS pg_trgm"})
"""Statements that may fail without failing the migration (run in a savepoint): creating
an extension needs a privilege the journal's role may lack. Search works without it."""

MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE soptui_schema_version (version integer NOT NULL)",
        "INSERT INTO soptui_schema_version (version) VALUES (0)",
        """
CREATE TABLE events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid text NOT NULL UNIQUE,
    at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    operator text NOT NULL,
    login text NOT NULL,
    host text NOT NULL,
    playbook_id text,
    playbook_hash text,
    run_id text,
    step_id text,
    group_id text,
    kind text NOT NULL,
    payload text NOT NULL DEFAULT '{}',
    team text
)
        """,
        "CREATE INDEX events_run ON events (run_id, seq)",
        "CREATE INDEX events_at ON events (at, seq)",
        "CREATE INDEX events_group ON events (group_id, at) WHERE group_id IS NOT NULL",
        "CREATE INDEX events_step_values ON events (playbook_id, step_id, at) WHERE kind = 'step.done'",
        "CREATE INDEX events_kind ON events (kind, at)",
        "CREATE INDEX events_team ON events (team, at) WHERE team IS NOT NULL",
        """
CREATE TABLE runs (
    run_id text PRIMARY KEY,
    ord bigint GENERATED ALWAYS AS IDENTITY,
    playbook_id text NOT NULL,
    playbook_hash text NOT NULL,
    period text,
    opened_at timestamptz NOT NULL,
    opened_by text NOT NULL,
    title text,
    severity text,
    closed_at timestamptz
)
        """,
        "CREATE INDEX runs_playbook_period ON runs (playbook_id, period)",
        "CREATE INDEX runs_open_incidents ON runs (closed_at) WHERE period IS NULL",
        "CREATE INDEX runs_opened_at ON runs (opened_at, ord)",
        "CREATE INDEX runs_period ON runs (period)",
        "CREATE INDEX runs_instances ON runs (opened_at, run_id) WHERE period LIKE '~%'",
        """
CREATE TABLE playbook_versions (
    hash text PRIMARY KEY,
    ord bigint GENERATED ALWAYS AS IDENTITY,
    playbook_id text NOT NULL,
    body text NOT NULL,
    first_used timestamptz NOT NULL
)
        """,
        """
CREATE TABLE playbooks_seen (
    playbook_id text PRIMARY KEY,
    first_seen timestamptz NOT NULL
)
        """,
        # Who has the app open on which run and step (ephemeral: not an event, never exported).
        """
CREATE TABLE presence (
    session text PRIMARY KEY,
    operator text NOT NULL,
    login text NOT NULL,
    host text NOT NULL,
    run_id text,
    step_id text,
    seen_at timestamptz NOT NULL
)
        """,
        "CREATE INDEX presence_run ON presence (run_id)",
        # Search: one row of searchable text per event (soptui.events.search_text), found with
        # ILIKE; a trigram index makes that fast when the pg_trgm extension can be had.
        """
CREATE TABLE search_text (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    body text NOT NULL
)
        """,
        "CREATE INDEX search_text_at ON search_text (at, seq)",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        """
DO $$
DECLARE
    home name;
BEGIN
    SELECT n.nspname INTO home FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
        WHERE x.extname = 'pg_trgm';
    IF home IS NOT NULL THEN
        EXECUTE format('CREATE INDEX search_text_trigrams ON search_text USING gin (body %I.gin_trgm_ops)',
            home);
    END IF;
END
$$
        """,
    ],
}
SCHEMA_VERSION = max(MIGRATIONS)
