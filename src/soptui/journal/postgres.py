"""The journal in PostgreSQL: the same events, tables and guarantees as the SQLite file.

Everything the rest of soptui asks of a journal (soptui.journal.base.JournalStore) is
answered here with PostgreSQL's SQL; store.py does the same for a SQLite file, and
tests/test_postgres*.py and the parametrised journal, recorder, concurrency and review
tests hold the two to the same behaviour.

How the guarantees carry over (see docs/postgresql.md):

- One transaction per action. :meth:`PostgresJournal.writing` opens it and, first thing,
  takes a transaction-scoped advisory lock (``pg_advisory_xact_lock``) that every soptui
  writer of this journal takes. That plays the part of SQLite's ``BEGIN IMMEDIATE``: the
  recorder re-reads the run under it, so two operators racing one step yield one completion.
  An advisory lock was chosen over ``LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE``: it
  blocks nothing but other soptui writers (not autovacuum, not an administrator's index
  build), it is released by COMMIT, ROLLBACK or a dropped connection (a killed process
  never leaves it held), and ``lock_timeout`` bounds the wait as the busy timeout does.
- Nothing lost: a commit is durable when COMMIT returns (the server's WAL); a killed
  client's open transaction is rolled back by the server.
- Live updates: every write transaction ends with ``NOTIFY``; a listener connection
  (started on the first :meth:`~PostgresJournal.data_version`) counts other connections'
  notifications, so the app's once-a-second look at ``data_version`` reads a counter
  instead of the database.

psycopg (3) is imported only when a PostgreSQL journal is opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import select
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soptui.events import Event, dumps, search_text
from soptui.i18n import _
from soptui.journal.base import shown, url_problem
from soptui.journal.postgres_schema import MIGRATIONS, OPTIONAL, SCHEMA_VERSION
from soptui.journal.store import (
    BUSY_TIMEOUT_MS,
    PRESENCE_WAIT,
    JournalBusy,
    JournalError,
    JournalReadOnly,
    RecordedValue,
    RunRow,
    _like_escape,
    _loads,
    _unreadable,
)

if TYPE_CHECKING:
    import psycopg

    from soptui.runs import GroupTick

Row = dict[str, Any]
LOCK_CLASS = 0x736F7074  # "sopt": the first key of soptui's advisory locks
CONNECT_TIMEOUT = 10  # seconds, unless the URL says otherwise
PAGE = 1000  # events per query when streaming
INSTALL_HINT = "pip install 'soptui[postgresql]'"


def _psycopg() -> Any:
    """The psycopg module, or a JournalError saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise JournalError(
            _("the journal is in PostgreSQL, which needs the psycopg package: {command}").format(
                command=INSTALL_HINT
            )
        ) from None
    return psycopg


def _reason(error: BaseException) -> str:
    """An error's text on one line (libpq's messages span several)."""
    return " ".join(str(error).split())[:300] or type(error).__name__


def connection_problem(error: BaseException, location: str) -> JournalError:
    """A failed connection as one line for a person."""
    reason = _reason(error)
    hint = ""
    if "password" in reason.lower():
        hint = _(
            " (soptui takes the password from ~/.pgpass, PGPASSWORD or a service file, never from "
            "its settings: see docs/postgresql.md)"
        )
    return JournalError(
        _("cannot connect to the journal database {location}: {reason}").format(
            location=location, reason=reason
        )
        + hint
    )


def explain(error: BaseException, location: str) -> JournalError:
    """Turn a psycopg error into a sentence that says what happened and what to do."""
    import psycopg
    from psycopg import errors

    state = str(getattr(error, "sqlstate", None) or "")
    reason = _reason(error)
    if isinstance(error, errors.ReadOnlySqlTransaction):
        return JournalReadOnly(
            _("the journal {path} is read-only; nothing can be recorded").format(path=location)
        )
    if isinstance(error, errors.InsufficientPrivilege):
        return JournalError(
            _(
                "the journal database {location} refused this ({reason}); ask its administrator "
                "to grant your role access (see docs/postgresql.md)"
            ).format(location=location, reason=reason)
        )
    if isinstance(error, errors.LockNotAvailable):
        return JournalError(
            _("the journal {path} stayed busy for {seconds}s; try again").format(
                path=location, seconds=BUSY_TIMEOUT_MS // 1000
            )
        )
    if state.startswith("53"):
        return JournalError(
            _(
                "the journal database server {location} is out of resources ({reason}); try again later"
            ).format(location=location, reason=reason)
        )
    if state.startswith(("08", "57")) or (not state and isinstance(error, psycopg.OperationalError)):
        return JournalError(
            _(
                "lost the connection to the journal database {location} ({reason}); the action "
                "was not recorded: try again"
            ).format(location=location, reason=reason)
        )
    if "NUL" in reason or "0x00" in reason:
        return JournalError(
            _("a text holds a NUL character, which PostgreSQL cannot store; nothing was recorded")
        )
    return JournalError(_("journal error on {path}: {error}").format(path=location, error=reason))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _run_row(row: Row) -> RunRow:
    try:
        return RunRow(
            row["run_id"],
            row["playbook_id"],
            row["playbook_hash"],
            row["period"],
            _utc(row["opened_at"]),
            row["opened_by"],
            row["title"],
            row["severity"],
            _utc(row["closed_at"]) if row["closed_at"] is not None else None,
        )
    except (ValueError, OverflowError, TypeError, AttributeError) as error:
        raise _unreadable(_("run {run!r}").format(run=row["run_id"]), error) from None


def _event(row: Row) -> Event:
    try:
        return Event(
            kind=row["kind"],
            at=_utc(row["at"]),
            recorded_at=_utc(row["recorded_at"]),
            operator=row["operator"],
            login=row["login"],
            host=row["host"],
            playbook_id=row["playbook_id"],
            playbook_hash=row["playbook_hash"],
            run_id=row["run_id"],
            step_id=row["step_id"],
            group_id=row["group_id"],
            payload=_loads(row["payload"]),
            uuid=row["uuid"],
            seq=row["seq"],
            team=row["team"],
        )
    except (ValueError, OverflowError, TypeError, AttributeError, RecursionError) as error:
        raise _unreadable(_("event {uuid}").format(uuid=row["uuid"]), error) from None


def _sql_value(text: str | None) -> Any:
    """A JSON value taken out of a payload in SQL, as SQLite's ``json_extract`` gives it:
    true and false as 1 and 0, an object or array as its JSON text."""
    if text is None:
        return None
    value = json.loads(text)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value


class PostgresJournal:
    """A journal in a PostgreSQL database (or one schema of it). Use :meth:`open`."""

    def __init__(self, url: str, readonly: bool) -> None:
        self.url = url
        self.readonly = readonly
        self.warnings: list[str] = []
        self._shown = shown(url)
        self._db: psycopg.Connection[Row] | None = None  # writes (and every read when read-only)
        self._lock = threading.RLock()  # the write connection: one transaction at a time
        self._depth = 0
        self._writer: int | None = None
        self._read_db: psycopg.Connection[Row] | None = None
        self._read_lock = threading.Lock()
        self._readonly_session = False  # sessions refuse writes themselves (set once opened read-only)
        self._channel = "soptui"
        self._lock_key = 0
        # Live updates (LISTEN/NOTIFY): a counter of other connections' commits.
        self._changes = 0
        self._own_pids: set[int] = set()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self._listen_db: psycopg.Connection[Row] | None = None

    # -- opening ---------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, readonly: bool = False) -> PostgresJournal:
        """Connect to the journal at ``url`` (creating its tables if needed); JournalError if impossible."""
        problem = url_problem(url)
        if problem:
            raise JournalError(problem)
        _psycopg()
        journal = cls(url, readonly)
        try:
            journal._db = journal._connect()
            journal._prepare(readonly)
        except JournalError:
            journal.close()
            raise
        except Exception as error:
            journal.close()
            import psycopg

            if not isinstance(error, psycopg.Error):
                raise
            raise explain(error, journal.location) from None
        return journal

    def _connect(self) -> psycopg.Connection[Row]:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
        from psycopg.rows import dict_row

        try:
            given = conninfo_to_dict(self.url)
        except psycopg.Error as error:
            raise JournalError(
                _("the journal URL {url} is not valid: {reason}").format(
                    url=self._shown, reason=_reason(error)
                )
            ) from None
        extra: dict[str, Any] = {}
        if "connect_timeout" not in given:
            extra["connect_timeout"] = CONNECT_TIMEOUT
        if "application_name" not in given:
            extra["application_name"] = "soptui"
        try:
            connection: psycopg.Connection[Row] = psycopg.connect(
                self.url, autocommit=True, row_factory=dict_row, **extra
            )
        except psycopg.Error as error:
            raise connection_problem(error, self._shown) from None
        try:
            connection.execute("SET TIME ZONE 'UTC'")
            if self._readonly_session:
                connection.execute("SET default_transaction_read_only = on")
        except psycopg.Error as error:
            connection.close()
            raise explain(error, self._shown) from None
        return connection

    def _prepare(self, asked_readonly: bool) -> None:
        db = self._write_connection()
        where = db.execute(
            "SELECT current_schema() AS schema, current_database() AS database, "
            "hashtext(current_database() || '.' || coalesce(current_schema(), '')) AS key, "
            "current_setting('transaction_read_only') = 'on' OR pg_is_in_recovery() AS readonly"
        ).fetchone()
        assert where is not None
        if where["schema"] is None:
            raise JournalError(
                _(
                    "the journal database {location} has no schema to keep the journal in: "
                    "check the search_path (the URL's options) and that the schema exists"
                ).format(location=self.location)
            )
        # One channel per journal (database and schema), short and ASCII whatever their names.
        place = f"{where['database']}.{where['schema']}".encode()
        self._channel = "soptui_" + hashlib.sha256(place).hexdigest()[:24]
        self._lock_key = int(where["key"])
        self._own_pids.add(db.info.backend_pid)
        version = self._stored_version(db)
        if version > SCHEMA_VERSION:
            raise JournalError(
                _(
                    "the journal {location} was written by a newer soptui (schema {version}, this "
                    "one knows {known}); upgrade soptui. The database was not changed."
                ).format(location=self.location, version=version, known=SCHEMA_VERSION)
            )
        writable_here = not where["readonly"] and self._may_write(db, version)
        if asked_readonly and version == 0:
            # No journal in this database yet. A file is created by the first command that opens
            # it to write; a database is always "there", so a first `soptui due` creates the
            # (empty) tables when this role may, and reads them.
            if not writable_here:
                raise JournalError(_("no journal at {path}").format(path=self.location))
            self.readonly = False
            try:
                self._migrate()
            finally:
                self.readonly = True
            version = self._stored_version(db)
        can_write = not asked_readonly and writable_here
        if not can_write:
            if version < SCHEMA_VERSION:
                if version == 0:
                    raise JournalError(
                        _("cannot create the journal in {location}: this role may not write there").format(
                            location=self.location
                        )
                    )
                raise JournalReadOnly(
                    _("the journal {path} is read-only and needs an upgrade").format(path=self.location)
                )
            if not asked_readonly:
                self.warnings.append(
                    _(
                        "the journal {path} is read-only here: you can look, but actions cannot be saved"
                    ).format(path=self.location)
                )
            self.readonly = self._readonly_session = True
            db.execute("SET default_transaction_read_only = on")
            return
        if version < SCHEMA_VERSION:
            self._migrate()

    @staticmethod
    def _stored_version(db: psycopg.Connection[Row]) -> int:
        """The schema version of the journal in the current schema (0: none there yet)."""
        present = db.execute(
            "SELECT to_regclass(format('%I.soptui_schema_version', current_schema())) IS NOT NULL AS present"
        ).fetchone()
        if present is None or not present["present"]:
            return 0
        row = db.execute("SELECT max(version) AS version FROM soptui_schema_version").fetchone()
        return int(row["version"] or 0) if row is not None else 0

    @staticmethod
    def _may_write(db: psycopg.Connection[Row], version: int) -> bool:
        if version == 0:
            row = db.execute("SELECT has_schema_privilege(current_schema(), 'CREATE') AS ok").fetchone()
        else:
            row = db.execute(
                "SELECT has_table_privilege('events', 'INSERT') AND has_table_privilege('runs', 'UPDATE') "
                "AND has_table_privilege('presence', 'INSERT, UPDATE, DELETE') AS ok"
            ).fetchone()
        return bool(row and row["ok"])

    def _migrate(self) -> None:
        """Bring the tables to SCHEMA_VERSION, in one transaction.

        The writers' advisory lock is taken for the session *before* the transaction begins:
        a transaction that began before another process's migration committed would not see
        its new tables (the catalog is read as of the transaction's start), and would try to
        create them again.
        """
        with self._lock:
            db = self._write_connection()
            db.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, self._lock_key))
            try:
                with self._committing(db):
                    db.execute("BEGIN")
                    self._migrate_in(db)
            finally:
                with contextlib.suppress(Exception):
                    db.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, self._lock_key))

    def _migrate_in(self, db: psycopg.Connection[Row]) -> None:
        import psycopg

        current = self._stored_version(db)  # under the lock: another process may have just migrated
        if current > SCHEMA_VERSION:
            raise JournalError(
                _(
                    "the journal {location} was written by a newer soptui (schema {version}, this "
                    "one knows {known}); upgrade soptui. The database was not changed."
                ).format(location=self.location, version=current, known=SCHEMA_VERSION)
            )
        for target in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target]:
                if statement in OPTIONAL:
                    try:
                        with db.transaction():  # a savepoint: its failure costs nothing else
                            db.execute(statement)
                    except psycopg.Error:
                        pass
                    continue
                try:
                    db.execute(statement)
                except psycopg.errors.DuplicateTable:
                    raise JournalError(
                        _(
                            "the database {location} already has tables named like the journal's "
                            "(events, runs…) that are not a soptui journal; give soptui a database "
                            "or schema of its own (see docs/postgresql.md). Nothing was changed."
                        ).format(location=self.location)
                    ) from None
            db.execute("UPDATE soptui_schema_version SET version = %s", (target,))

    @property
    def location(self) -> str:
        """The database's URL without password or parameters, for messages."""
        return self._shown

    def close(self) -> None:
        self._stop.set()
        listen = self._listen_db
        if listen is not None:
            with contextlib.suppress(Exception):
                listen.close()
        if self._listener is not None:
            self._listener.join(timeout=2)
            self._listener = None
        with self._read_lock:
            if self._read_db is not None:
                with contextlib.suppress(Exception):
                    self._read_db.close()
                self._read_db = None
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(Exception):
                    self._db.close()
                self._db = None

    def __enter__(self) -> PostgresJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections -----------------------------------------------------------------
    def _write_connection(self) -> psycopg.Connection[Row]:
        """The write connection, connected again if the server dropped it (never mid-transaction)."""
        db = self._db
        if db is None or db.closed or db.broken:
            if self._depth:
                raise JournalError(
                    _(
                        "lost the connection to the journal database {location} ({reason}); the action "
                        "was not recorded: try again"
                    ).format(location=self.location, reason=_("connection closed"))
                )
            if db is not None:
                with contextlib.suppress(Exception):
                    db.close()
            db = self._db = self._connect()
            self._own_pids.add(db.info.backend_pid)
        return db

    # -- writing ---------------------------------------------------------------
    @contextmanager
    def writing(self, wait: float | None = None) -> Iterator[PostgresJournal]:
        """One write transaction, serialised with every other soptui writer of this journal.

        Nested on one thread, the inner blocks join the outer transaction. ``wait`` bounds how
        long to wait for another writer (this process's or another's) before raising
        :class:`JournalBusy`; by default up to the busy timeout.
        """
        if self.readonly:
            raise JournalReadOnly(
                _("the journal {path} is read-only; nothing can be recorded").format(path=self.location)
            )
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            raise JournalBusy(_("the journal {path} is busy with another action").format(path=self.location))
        try:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            db = self._begin(wait)
            self._depth, self._writer = 1, threading.get_ident()
            try:
                with self._committing(db):
                    yield self
            finally:
                self._depth, self._writer = 0, None
        finally:
            self._lock.release()

    def _begin(self, wait: float | None) -> psycopg.Connection[Row]:
        import psycopg

        db = self._write_connection()
        timeout_ms = BUSY_TIMEOUT_MS if wait is None else max(1, int(wait * 1000))
        try:
            db.execute("BEGIN")
            db.execute(f"SET LOCAL lock_timeout = '{timeout_ms}ms'")
            db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, self._lock_key))
            db.execute("SET LOCAL lock_timeout = DEFAULT")
        except psycopg.Error as error:
            # Waiting the whole BUSY_TIMEOUT (wait None) and still not having the lock is an
            # error to explain; a short wait that ran out is JournalBusy (the app keeps a draft).
            raise self._failed(db, error, busy=wait is not None) from None
        return db

    @contextlib.contextmanager
    def _committing(self, db: psycopg.Connection[Row]) -> Iterator[None]:
        """The body of a transaction begun on ``db``: at its end listeners are told (NOTIFY)
        and it commits; on any error it rolls back. A lock not had within the transaction's
        ``lock_timeout`` is JournalBusy; any other database error is said for a person."""
        import psycopg

        try:
            yield
            db.execute("SELECT pg_notify(%s, '')", (self._channel,))
            db.execute("COMMIT")
        except psycopg.Error as error:
            raise self._failed(db, error, busy=True) from None
        except BaseException:
            self._rollback(db)
            raise

    def _failed(self, db: psycopg.Connection[Row], error: BaseException, *, busy: bool) -> JournalError:
        """Roll back and say why: a lock not had in time is JournalBusy when ``busy``."""
        import psycopg

        self._rollback(db)
        if busy and isinstance(error, psycopg.errors.LockNotAvailable):
            return JournalBusy(
                _("the journal {path} is busy: another program is writing").format(path=self.location)
            )
        return explain(error, self.location)

    @staticmethod
    def _rollback(db: psycopg.Connection[Row]) -> None:
        with contextlib.suppress(Exception):
            db.execute("ROLLBACK")

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> list[Row]:
        """Run a statement on the write connection (inside :meth:`writing`)."""
        db = self._write_connection()
        cursor = db.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def insert_event(self, event: Event) -> bool:
        """Append ``event`` (inside :meth:`writing`); False if its UUID is already there."""
        rows = self._execute(
            "INSERT INTO events (uuid, at, recorded_at, operator, login, host, playbook_id, "
            "playbook_hash, run_id, step_id, group_id, kind, payload, team) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (uuid) DO NOTHING RETURNING seq",
            (
                event.uuid,
                event.at,
                event.recorded_at,
                event.operator,
                event.login,
                event.host,
                event.playbook_id,
                event.playbook_hash,
                event.run_id,
                event.step_id,
                event.group_id,
                event.kind,
                dumps(event.payload),
                event.team,
            ),
        )
        if not rows:
            return False
        self._index_for_search(event, int(rows[0]["seq"]))
        return True

    def _index_for_search(self, event: Event, seq: int) -> None:
        """Keep the search text in step with the event just inserted (same transaction)."""
        if event.kind == "undo":
            target = event.payload.get("target")
            if isinstance(target, str):
                self._execute(
                    "DELETE FROM search_text WHERE seq = (SELECT seq FROM events WHERE uuid = %s)", (target,)
                )
            return
        body = search_text(event)
        if body is None:
            return
        if event.run_id is not None and self._execute(
            # An import may bring an undo before the event it cancels (undos stay in their run).
            "SELECT 1 AS found FROM events WHERE run_id = %s AND kind = 'undo' AND strpos(payload, %s) > 0 "
            "LIMIT 1",
            (event.run_id, event.uuid),
        ):
            return
        self._execute(
            "INSERT INTO search_text (seq, at, body) VALUES (%s, %s, %s)",
            (seq, event.at, body.replace("\x00", "")),
        )

    def insert_run(self, row: RunRow) -> None:
        self._execute(
            "INSERT INTO runs (run_id, playbook_id, playbook_hash, period, opened_at, opened_by, title, "
            "severity, closed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (run_id) DO NOTHING",
            (
                row.run_id,
                row.playbook_id,
                row.playbook_hash,
                row.period,
                row.opened_at,
                row.opened_by,
                row.title,
                row.severity,
                row.closed_at,
            ),
        )

    def set_run_closed(self, run_id: str, closed_at: datetime | None) -> None:
        self._execute("UPDATE runs SET closed_at = %s WHERE run_id = %s", (closed_at, run_id))

    def store_version(self, content_hash: str, playbook_id: str, body: str, at: datetime) -> None:
        self._execute(
            "INSERT INTO playbook_versions (hash, playbook_id, body, first_used) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (hash) DO NOTHING",
            (content_hash, playbook_id, body, at),
        )

    def mark_seen(self, playbook_ids: list[str], at: datetime) -> None:
        for playbook_id in playbook_ids:
            self._execute(
                "INSERT INTO playbooks_seen (playbook_id, first_seen) VALUES (%s, %s) "
                "ON CONFLICT (playbook_id) DO NOTHING",
                (playbook_id, at),
            )

    def refuse_writes(self) -> None:
        """Make every later write fail as read-only."""
        self.readonly = True

    # -- presence (ephemeral; its own small transaction, without the writers' lock) ------
    def _small_write(self, statements: list[tuple[str, Sequence[Any]]]) -> None:
        """Presence rows are a hint, not an action: they skip the writers' advisory lock (an
        upsert is atomic on its own) and give up after PRESENCE_WAIT (JournalBusy)."""
        if self.readonly:
            raise JournalReadOnly(
                _("the journal {path} is read-only; nothing can be recorded").format(path=self.location)
            )
        if not self._lock.acquire(timeout=PRESENCE_WAIT):
            raise JournalBusy(_("the journal {path} is busy with another action").format(path=self.location))
        try:
            if self._depth:  # inside an action on this thread: part of its transaction
                for sql, params in statements:
                    self._execute(sql, params)
                return
            db = self._write_connection()
            with self._committing(db):
                db.execute("BEGIN")
                db.execute(f"SET LOCAL lock_timeout = '{int(PRESENCE_WAIT * 1000)}ms'")
                for sql, params in statements:
                    db.execute(sql, params)
        finally:
            self._lock.release()

    def set_presence(
        self,
        session: str,
        operator: str,
        login: str,
        host: str,
        run_id: str | None,
        step_id: str | None,
        at: datetime,
    ) -> None:
        """Say where this app session is (its own small transaction; not an event)."""
        self._small_write(
            [
                (
                    "INSERT INTO presence (session, operator, login, host, run_id, step_id, seen_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (session) DO UPDATE SET "
                    "operator = excluded.operator, login = excluded.login, host = excluded.host, "
                    "run_id = excluded.run_id, step_id = excluded.step_id, seen_at = excluded.seen_at",
                    (session, operator, login, host, run_id, step_id, at),
                )
            ]
        )

    def clear_presence_of(self, sessions: list[str], older_than: datetime) -> None:
        """Forget the given sessions (ended) and every session not seen since ``older_than``."""
        self._small_write(
            [
                ("DELETE FROM presence WHERE seen_at < %s", (older_than,)),
                ("DELETE FROM presence WHERE session = ANY(%s)", (sessions,)),
            ]
        )

    def clear_presence(self, session: str) -> None:
        self._small_write([("DELETE FROM presence WHERE session = %s", (session,))])

    # -- reading ---------------------------------------------------------------
    @contextmanager
    def _reader(self) -> Iterator[psycopg.Connection[Row]]:
        """The transaction's own connection inside writing() (it reads its own changes),
        else the readers' connection, so a reader never queues behind a writer."""
        if self._writer == threading.get_ident() or self.readonly:
            with self._lock:
                yield self._write_connection()
            return
        with self._read_lock:
            db = self._read_db
            if db is None or db.closed or db.broken:
                if db is not None:
                    with contextlib.suppress(Exception):
                        db.close()
                db = self._read_db = self._connect()
            yield db

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> list[Row]:
        import psycopg

        with self._reader() as db:
            try:
                return db.execute(sql, params).fetchall()
            except psycopg.Error as error:
                raise explain(error, self.location) from None

    def flagged_groups(self, playbook_id: str, step_ids: list[str]) -> set[str]:
        """Groups whose latest answer (not undone) to one of these yes-no steps was yes."""
        if not step_ids:
            return set()
        rows = self._query(
            "SELECT DISTINCT ON (group_id) group_id, (payload::json -> 'value')::text AS value FROM events "
            "WHERE kind = 'step.done' AND playbook_id = %s AND step_id = ANY(%s) AND group_id IS NOT NULL "
            "AND uuid NOT IN (SELECT payload::json ->> 'target' FROM events "
            "WHERE kind = 'undo' AND playbook_id = %s) ORDER BY group_id, at DESC, seq DESC",
            (playbook_id, step_ids, playbook_id),
        )
        return {str(r["group_id"]) for r in rows if _sql_value(r["value"]) in (1, True)}

    def has_event(self, uuid: str) -> bool:
        return bool(self._query("SELECT 1 AS found FROM events WHERE uuid = %s", (uuid,)))

    def run_events(self, run_id: str) -> list[Event]:
        rows = self._query("SELECT * FROM events WHERE run_id = %s ORDER BY seq", (run_id,))
        return [_event(r) for r in rows]

    def events_of_runs(self, run_ids: list[str]) -> dict[str, list[Event]]:
        """The events of many runs at once, each run's in journal order."""
        found: dict[str, list[Event]] = {run_id: [] for run_id in run_ids}
        for start in range(0, len(run_ids), 500):
            chunk = run_ids[start : start + 500]
            rows = self._query("SELECT * FROM events WHERE run_id = ANY(%s) ORDER BY seq", (chunk,))
            for row in rows:
                found[row["run_id"]].append(_event(row))
        return found

    def recorded_values(
        self,
        start: datetime,
        end: datetime,
        late_until: datetime | None = None,
        late_periods: Sequence[tuple[str, str]] = (),
        steps: Sequence[tuple[str, str]] | None = None,
    ) -> list[RecordedValue]:
        """Values recorded by completions in [start, end) that were not undone (for metrics),
        and those recorded later, until ``late_until``, in runs whose period lies in one of
        ``late_periods``; with ``steps``, only of those (playbook id, step id) pairs (see the
        SQLite journal)."""
        undone = self._undone_between(start, late_until or end)
        values = (
            "SELECT uuid, at, playbook_id, playbook_hash, run_id, step_id, "
            "(payload::json -> 'value')::text AS value FROM events WHERE at >= %s AND at < %s "
            "AND kind = 'step.done' AND strpos(payload, '\"value\"') > 0"
        )
        pairs: tuple[str, ...] = ()
        if steps is not None:
            if not steps:
                return []
            values += f" AND (playbook_id, step_id) IN (VALUES {', '.join('(%s, %s)' for _ in steps)})"
            pairs = tuple(item for pair in steps for item in pair)
        rows = self._query(f"{values} ORDER BY at, seq", (start, end, *pairs))
        if late_until is not None and late_until > end and late_periods:
            # Periods compare as plain strings (2026-11-02, 2026-W45, 2026-11), not in the locale's order.
            ranges = " OR ".join(
                '(length(period) = %s AND period COLLATE "C" BETWEEN %s AND %s)' for _ in late_periods
            )
            bounds = [item for first, last in late_periods for item in (len(first), first, last)]
            rows += self._query(
                f"{values} AND run_id IN (SELECT run_id FROM runs WHERE {ranges}) ORDER BY at, seq",
                (end, late_until, *pairs, *bounds),
            )
        found = []
        for r in rows:
            if r["uuid"] in undone or r["playbook_hash"] is None:
                continue
            try:
                value = _sql_value(r["value"])
            except ValueError as error:
                raise _unreadable(_("event {uuid}").format(uuid=r["uuid"]), error) from None
            found.append(
                RecordedValue(
                    _utc(r["at"]), r["playbook_id"], r["playbook_hash"], r["run_id"], r["step_id"], value
                )
            )
        return found

    def value_steps(self, start: datetime, end: datetime) -> set[tuple[str, str, str]]:
        """What the values recorded in [start, end) could measure (see the SQLite journal)."""
        rows = self._query(
            "SELECT DISTINCT playbook_hash, playbook_id, step_id FROM events WHERE at >= %s AND at < %s "
            "AND kind = 'step.done' AND strpos(payload, '\"value\"') > 0 AND playbook_hash IS NOT NULL",
            (start, end),
        )
        return {(str(r["playbook_hash"]), str(r["playbook_id"] or ""), str(r["step_id"] or "")) for r in rows}

    def _undone_between(self, start: datetime, end: datetime) -> set[str]:
        rows = self._query(
            "SELECT payload::json ->> 'target' AS target FROM events "
            "WHERE at >= %s AND at < %s AND kind = 'undo'",
            (start, end),
        )
        return {str(r["target"]) for r in rows}

    def activity(
        self, start: datetime, end: datetime
    ) -> tuple[list[Event], list[tuple[str, list[str], int, int, int]]]:
        """The notes (not undone) and, per login, (login, display names, actions, overridden,
        imported) in [start, end); undo events are not counted as actions."""
        undone = self._undone_between(start, end)
        notes = [
            _event(r)
            for r in self._query(
                "SELECT * FROM events WHERE at >= %s AND at < %s AND kind = 'note' ORDER BY at, seq",
                (start, end),
            )
            if r["uuid"] not in undone
        ]
        people = self._query(
            "SELECT login, string_agg(DISTINCT operator, ',') AS names, count(*) AS actions, "
            "count(*) FILTER (WHERE operator <> login) AS overridden, "
            "count(*) FILTER (WHERE strpos(payload, '\"imported\"') > 0) AS imported "
            "FROM events WHERE at >= %s AND at < %s AND kind <> 'undo' "
            'GROUP BY login ORDER BY login COLLATE "C"',
            (start, end),
        )
        return notes, [
            (
                str(r["login"]),
                sorted(str(r["names"] or "").split(",")),
                int(r["actions"]),
                int(r["overridden"] or 0),
                int(r["imported"] or 0),
            )
            for r in people
        ]

    def search(
        self,
        long_terms: list[str],
        short_terms: list[str],
        start: datetime | None,
        end: datetime | None,
        limit: int,
    ) -> list[tuple[Event, str]]:
        """Events whose searchable text holds every term, newest first, with that text.

        Every term is matched with ILIKE on the search text (a pg_trgm GIN index, when the
        extension could be had, finds terms of three or more characters without a scan).
        """
        conditions = ["t.body ILIKE %s"] * (len(long_terms) + len(short_terms))
        params: list[Any] = ["%" + _like_escape(term) + "%" for term in [*long_terms, *short_terms]]
        if start is not None:
            conditions.append("t.at >= %s")
            params.append(start)
        if end is not None:
            conditions.append("t.at < %s")
            params.append(end)
        where = " AND ".join(conditions) or "TRUE"
        rows = self._query(
            "SELECT e.*, t.body AS search_body FROM search_text t JOIN events e ON e.seq = t.seq "
            f"WHERE {where} ORDER BY t.at DESC, t.seq DESC LIMIT %s",
            (*params, limit),
        )
        return [(_event(r), str(r["search_body"])) for r in rows]

    def search_index_size(self) -> int:
        """How many events the search index holds text for."""
        return int(self._query("SELECT count(*) AS n FROM search_text")[0]["n"])

    def step_values(self, playbook_id: str, step_id: str, limit: int) -> list[Event]:
        """The latest ``limit`` completions of a step that recorded a value and were not undone,
        newest first (every run of the playbook; each group's own for a per-group step)."""
        rows = self._query(
            "SELECT * FROM events WHERE playbook_id = %s AND step_id = %s AND kind = 'step.done' "
            "AND strpos(payload, '\"value\"') > 0 AND NOT EXISTS (SELECT 1 FROM events u "
            "WHERE u.run_id = events.run_id AND u.kind = 'undo' AND strpos(u.payload, events.uuid) > 0) "
            "ORDER BY at DESC, seq DESC LIMIT %s",
            (playbook_id, step_id, limit),
        )
        return [_event(r) for r in rows]

    def action_completions(self, steps: Sequence[tuple[str, str]]) -> list[Event]:
        """Completions of these (playbook, step) pairs that recorded follow-up action items
        and were not undone, in journal order (see the SQLite journal)."""
        found: list[Event] = []
        for playbook_id, step_id in steps:
            rows = self._query(
                "SELECT * FROM events WHERE playbook_id = %s AND step_id = %s AND kind = 'step.done' "
                "AND strpos(payload, '\"actions\"') > 0 AND NOT EXISTS (SELECT 1 FROM events u "
                "WHERE u.run_id = events.run_id AND u.kind = 'undo' AND strpos(u.payload, events.uuid) > 0)",
                (playbook_id, step_id),
            )
            found += (_event(r) for r in rows)
        return sorted(found, key=lambda e: e.seq)

    def event_by_uuid(self, event_uuid: str) -> Event | None:
        """The event with this UUID, if the journal holds it."""
        rows = self._query("SELECT * FROM events WHERE uuid = %s", (event_uuid,))
        return _event(rows[0]) if rows else None

    def run(self, run_id: str) -> RunRow | None:
        rows = self._query("SELECT * FROM runs WHERE run_id = %s", (run_id,))
        return _run_row(rows[0]) if rows else None

    def find_runs(self, run_prefix: str) -> list[RunRow]:
        rows = self._query(
            "SELECT * FROM runs WHERE run_id = %s OR run_id ILIKE %s ORDER BY ord LIMIT 5",
            (run_prefix, _like_escape(run_prefix) + "%"),
        )
        return [_run_row(r) for r in rows]

    def runs_for_periods(self, playbook_id: str, periods: list[str]) -> dict[str, RunRow]:
        if not periods:
            return {}
        rows = self._query(
            "SELECT * FROM runs WHERE playbook_id = %s AND period = ANY(%s) ORDER BY ord",
            (playbook_id, periods),
        )
        return {r["period"]: _run_row(r) for r in rows}

    def routine_runs(self, periods: list[str]) -> list[RunRow]:
        """Every routine run of any playbook in the given periods."""
        if not periods:
            return []
        rows = self._query("SELECT * FROM runs WHERE period = ANY(%s) ORDER BY opened_at, ord", (periods,))
        return [_run_row(r) for r in rows]

    def incidents_opened_between(self, start: datetime, end: datetime) -> list[RunRow]:
        rows = self._query(
            "SELECT * FROM runs WHERE period IS NULL AND opened_at >= %s AND opened_at < %s "
            "ORDER BY opened_at, ord",
            (start, end),
        )
        return [_run_row(r) for r in rows]

    def first_periods(self, playbook_ids: Collection[str]) -> dict[str, str]:
        """The earliest period with a run of each of these routines (see the SQLite journal)."""
        ids = sorted(playbook_ids)
        if not ids:
            return {}
        rows = self._query(
            'SELECT playbook_id, min(period COLLATE "C") AS first FROM runs '
            "WHERE playbook_id = ANY(%s) AND period IS NOT NULL GROUP BY playbook_id",
            (ids,),
        )
        return {r["playbook_id"]: r["first"] for r in rows}

    def recent_incidents(self, limit: int = 500) -> list[RunRow]:
        """Incidents, open and resolved, newest first (at most ``limit``)."""
        rows = self._query(
            "SELECT * FROM runs WHERE period IS NULL ORDER BY opened_at DESC, ord DESC LIMIT %s", (limit,)
        )
        return [_run_row(r) for r in rows]

    def open_incidents(self) -> list[RunRow]:
        rows = self._query(
            "SELECT * FROM runs WHERE period IS NULL AND closed_at IS NULL ORDER BY opened_at, ord"
        )
        return [_run_row(r) for r in rows]

    def instance_runs(self, active_only: bool = True) -> list[RunRow]:
        """Instances of sequence playbooks (their period is ``~ANCHOR``), open ones only unless
        ``active_only`` is false; oldest first."""
        open_only = " AND closed_at IS NULL" if active_only else ""
        rows = self._query(
            f"SELECT * FROM runs WHERE period LIKE '~%'{open_only} ORDER BY opened_at, run_id COLLATE \"C\""
        )
        return [_run_row(r) for r in rows]

    def runs_opened_between(self, start: datetime, end: datetime) -> list[RunRow]:
        rows = self._query(
            "SELECT * FROM runs WHERE opened_at >= %s AND opened_at < %s ORDER BY opened_at, ord",
            (start, end),
        )
        return [_run_row(r) for r in rows]

    def events_between(self, start: datetime | None = None, end: datetime | None = None) -> Iterator[Event]:
        """Events by instant, oldest first (streamed a page at a time: the journal may hold millions)."""
        conditions: list[str] = []
        params: list[Any] = []
        if start is not None:
            conditions.append("at >= %s")
            params.append(start)
        if end is not None:
            conditions.append("at < %s")
            params.append(end)
        after: list[Any] = []
        while True:
            where = [*conditions, "(at, seq) > (%s, %s)"] if after else conditions
            rows = self._query(
                f"SELECT * FROM events WHERE {' AND '.join(where) or 'TRUE'} ORDER BY at, seq LIMIT {PAGE}",
                (*params, *after),
            )
            yield from (_event(r) for r in rows)
            if len(rows) < PAGE:
                return
            after = [rows[-1]["at"], rows[-1]["seq"]]

    def day_notes(self, start: datetime, end: datetime) -> list[Event]:
        rows = self._query(
            "SELECT * FROM events WHERE run_id IS NULL AND kind = 'note' AND at >= %s AND at < %s "
            "ORDER BY at, seq",
            (start, end),
        )
        return [_event(r) for r in rows]

    def version(self, content_hash: str) -> str | None:
        rows = self._query("SELECT body FROM playbook_versions WHERE hash = %s", (content_hash,))
        return str(rows[0]["body"]) if rows else None

    def versions(self) -> list[tuple[str, str, str]]:
        """Every stored playbook version as (hash, playbook id, JSON body)."""
        rows = self._query("SELECT hash, playbook_id, body FROM playbook_versions ORDER BY first_used, ord")
        return [(r["hash"], r["playbook_id"], r["body"]) for r in rows]

    def last_hash_used_by(self, operator: str, playbook_id: str) -> str | None:
        """The playbook version of the operator's most recent run of ``playbook_id``."""
        rows = self._query(
            "SELECT r.playbook_hash FROM runs r WHERE r.playbook_id = %s AND r.run_id IN "
            "(SELECT DISTINCT run_id FROM events WHERE operator = %s AND playbook_id = %s) "
            "ORDER BY r.opened_at DESC, r.ord DESC LIMIT 1",
            (playbook_id, operator, playbook_id),
        )
        return str(rows[0]["playbook_hash"]) if rows else None

    def first_seen(self) -> dict[str, datetime]:
        rows = self._query("SELECT playbook_id, first_seen FROM playbooks_seen")
        return {r["playbook_id"]: _utc(r["first_seen"]) for r in rows}

    def presence(self, run_id: str | None, since: datetime) -> list[tuple[str, str, str, str | None]]:
        """Sessions seen in ``run_id`` (any run: None) since ``since``: (session, host, operator, step)."""
        rows = self._query(
            "SELECT session, host, operator, step_id FROM presence WHERE (run_id = %s OR %s::text IS NULL) "
            'AND seen_at >= %s ORDER BY operator COLLATE "C"',
            (run_id, run_id, since),
        )
        return [(r["session"], r["host"], r["operator"], r["step_id"]) for r in rows]

    def events_of_kinds(
        self, kinds: list[str], start: datetime | None = None, end: datetime | None = None
    ) -> list[Event]:
        """Events of these kinds in [start, end), oldest first, leaving out undone ones."""
        conditions = ["kind = ANY(%s)"]
        params: list[Any] = [kinds]
        if start is not None:
            conditions.append("at >= %s")
            params.append(start)
        if end is not None:
            conditions.append("at < %s")
            params.append(end)
        rows = self._query(f"SELECT * FROM events WHERE {' AND '.join(conditions)} ORDER BY at, seq", params)
        found = [_event(r) for r in rows]
        undone = self.undone_among([e.uuid for e in found])
        return [e for e in found if e.uuid not in undone]

    def undone_among(self, uuids: list[str]) -> set[str]:
        """Which of these events an undo cancelled. An undo is always in its target's run, so
        only the undos of those runs are read (through the run index), never all of them."""
        found: set[str] = set()
        for start in range(0, len(uuids), 500):
            chunk = uuids[start : start + 500]
            rows = self._query(
                "SELECT payload::json ->> 'target' AS target FROM events WHERE kind = 'undo' AND run_id IN "
                "(SELECT run_id FROM events WHERE uuid = ANY(%s) AND run_id IS NOT NULL)",
                (chunk,),
            )
            wanted = set(chunk)
            found |= {str(r["target"]) for r in rows if r["target"] in wanted}
        return found

    def event_count(self) -> int:
        return int(self._query("SELECT count(*) AS n FROM events")[0]["n"])

    # -- watching: LISTEN/NOTIFY ------------------------------------------------------
    def data_version(self) -> int | None:
        """A counter of other connections' commits (their NOTIFY), read without a query.

        The first call starts the listener thread; this journal's own commits do not count.
        """
        if self._listener is None and not self._stop.is_set():
            self._listener = threading.Thread(
                target=self._listen, name="soptui-journal-listener", daemon=True
            )
            self._listener.start()
        return self._changes

    def _listen(self) -> None:
        """Count notifications on the journal's channel until closed; reconnect when dropped
        (counting the reconnection as a change: some may have been missed)."""
        import psycopg
        from psycopg import sql

        first = True
        while not self._stop.is_set():
            try:
                db = self._connect()
            except JournalError:
                self._stop.wait(2.0)
                continue
            self._listen_db = db
            try:
                db.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                if not first:
                    self._changes += 1
                first = False
                self._pump(db)
            except (psycopg.Error, OSError, ValueError):
                self._stop.wait(1.0)
            finally:
                self._listen_db = None
                with contextlib.suppress(Exception):
                    db.close()

    def _pump(self, db: psycopg.Connection[Row]) -> None:
        pgconn = db.pgconn
        while not self._stop.is_set():
            ready, _w, _x = select.select([pgconn.socket], [], [], 0.5)
            if not ready:
                continue
            pgconn.consume_input()
            if pgconn.status != 0:  # CONNECTION_OK
                raise OSError("connection lost")
            while (notice := pgconn.notifies()) is not None:
                if notice.be_pid not in self._own_pids:
                    self._changes += 1

    # -- upkeep that belongs to the server ---------------------------------------------
    @property
    def checked_at_open(self) -> bool:
        """Always: the server guards its own pages (there is no file to check here)."""
        return True

    def checkpoint_in_background(self) -> None:
        """Nothing to do: the server checkpoints by itself."""

    def checkpoint(self) -> None:
        """Nothing to do: the server checkpoints by itself."""

    def integrity_problems_separately(self) -> list[str]:
        return []

    def integrity_problems(self) -> list[str]:
        """None that soptui can see: page checks are the server's (amcheck, pg_dump)."""
        return []

    def backup(self, target: Path) -> None:
        raise JournalError(
            _(
                "the journal {location} is in PostgreSQL: back it up with pg_dump (see "
                "docs/postgresql.md), or copy it into a file with: soptui journal copy {location} {target}"
            ).format(location=self.location, target=target)
        )

    # -- many groups (issue 14) ------------------------------------------------------------------
    def last_seqs(self, run_ids: Sequence[str]) -> dict[str, int]:
        """Each run's last event (its journal position; see the SQLite journal)."""
        if not run_ids:
            return {}
        rows = self._query(
            "SELECT run_id, max(seq) AS last FROM events WHERE run_id = ANY(%s) GROUP BY run_id",
            (list(run_ids),),
        )
        return {str(r["run_id"]): int(r["last"]) for r in rows}

    def events_and_ticks_of_runs(self, run_ids: list[str]) -> dict[str, tuple[list[Event], list[GroupTick]]]:
        """The events of many runs, with their groups' ticks and skips apart in the compact
        :class:`~soptui.runs.GroupTick` form (see :meth:`Journal.events_and_ticks_of_runs`)."""
        from soptui.runs import GroupTick

        found: dict[str, tuple[list[Event], list[GroupTick]]] = {r: ([], []) for r in run_ids}
        for start in range(0, len(run_ids), 500):
            chunk = run_ids[start : start + 500]
            rows = self._query(
                "SELECT * FROM events WHERE run_id = ANY(%s) "
                "AND NOT (group_id IS NOT NULL AND kind IN ('step.done', 'step.skipped')) ORDER BY seq",
                (chunk,),
            )
            for row in rows:
                found[row["run_id"]][0].append(_event(row))
            rows = self._query(
                "SELECT run_id, seq, uuid, kind, step_id, group_id, operator, at, payload FROM events "
                "WHERE run_id = ANY(%s) AND group_id IS NOT NULL AND kind IN ('step.done', 'step.skipped') "
                "ORDER BY seq",
                (chunk,),
            )
            for r in rows:
                try:
                    tick = GroupTick(
                        r["seq"],
                        r["uuid"],
                        r["kind"],
                        r["step_id"],
                        r["group_id"],
                        r["operator"],
                        _utc(r["at"]),
                        _loads(r["payload"]),
                    )
                except (ValueError, OverflowError, TypeError, AttributeError, RecursionError) as error:
                    raise _unreadable(_("event {uuid}").format(uuid=r["uuid"]), error) from None
                found[r["run_id"]][1].append(tick)
        return found

    def run_events_after(self, run_id: str, seq: int) -> list[Event]:
        """The run's events after journal position ``seq`` (see :meth:`Journal.run_events_after`)."""
        rows = self._query("SELECT * FROM events WHERE run_id = %s AND seq > %s ORDER BY seq", (run_id, seq))
        return [_event(r) for r in rows]
