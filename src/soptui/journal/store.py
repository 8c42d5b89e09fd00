"""The journal file: the only module that speaks SQL.

Append-only events are the source of truth; ``runs``, ``playbook_versions`` and
``playbooks_seen`` are derived or supporting tables kept in the same transaction.

Durability and sharing rules this module follows (see docs/reliability.md):
WAL with ``synchronous=FULL``; every write is one ``BEGIN IMMEDIATE`` transaction (a
deferred read-then-write transaction fails with SQLITE_BUSY under contention whatever the
busy timeout); the database file is never opened except through sqlite3 (a plain
open()/close() drops SQLite's POSIX locks); errors become :class:`JournalError` with a
sentence for a person.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from soptui.events import Event, dumps, parse_utc, search_text, utc_text
from soptui.files import create_new, fsync_path, sync_directory
from soptui.i18n import _
from soptui.journal.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from json import JSONDecoder

    from soptui.runs import GroupTick

QUICK_CHECK_LIMIT = 64 * 1024 * 1024
BUSY_TIMEOUT_MS = 15_000
PRESENCE_WAIT = 1.0  # seconds a presence update may wait for the lock before it is skipped
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "sshfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "lustre",
        "davfs",
        "fuse.davfs2",
    }
)


class JournalError(Exception):
    """A journal problem explained for a person (the action was not recorded)."""


class JournalReadOnly(JournalError):
    """The journal can be read but not written."""


class JournalBusy(JournalError):
    """Another writer held the journal longer than this caller was willing to wait."""


class RecordedValue(NamedTuple):
    """A value a completion recorded: when, where, and the number or text itself (a tuple: a
    review reads thousands of them, for goals months of them)."""

    at: datetime
    playbook_id: str | None
    playbook_hash: str
    run_id: str | None
    step_id: str | None
    value: Any


@dataclass(frozen=True)
class RunRow:
    """The derived summary of one run."""

    run_id: str
    playbook_id: str
    playbook_hash: str
    period: str | None
    opened_at: datetime
    opened_by: str
    title: str | None
    severity: str | None
    closed_at: datetime | None

    @property
    def is_incident(self) -> bool:
        return self.period is None


class JournalValueError(JournalError):
    """A stored row holds a value this soptui cannot read; the file itself is sound."""


def _unreadable(what: str, error: BaseException) -> JournalValueError:
    reason = " ".join(str(error).split())[:160] or type(error).__name__
    return JournalValueError(
        _(
            "{what} in the journal holds a value soptui cannot read ({reason}); the journal file "
            "itself is fine and nothing was changed: export the other events, or report this"
        ).format(what=what, reason=reason)
    )


def _run_row(row: sqlite3.Row) -> RunRow:
    try:
        return _run_row_unchecked(row)
    except (ValueError, OverflowError, TypeError) as error:
        raise _unreadable(_("run {run!r}").format(run=row["run_id"]), error) from None


def _run_row_unchecked(row: sqlite3.Row) -> RunRow:
    return RunRow(
        row["run_id"],
        row["playbook_id"],
        row["playbook_hash"],
        row["period"],
        parse_utc(row["opened_at"]),
        row["opened_by"],
        row["title"],
        row["severity"],
        parse_utc(row["closed_at"]) if row["closed_at"] else None,
    )


EVENT_COLUMNS = (
    "seq, uuid, at, recorded_at, operator, login, host, playbook_id, playbook_hash, run_id, step_id, "
    "kind, payload, group_id, team"
)
"""The columns an event is read from, in the order :func:`_event` takes them."""


EVENTS = f"SELECT {EVENT_COLUMNS} FROM events"
"""The start of a query that reads whole events."""


def _prefixed(alias: str) -> str:
    """:data:`EVENT_COLUMNS` of the table named ``alias`` in a join."""
    return ", ".join(f"{alias}.{name.strip()}" for name in EVENT_COLUMNS.split(","))


def _event(row: Sequence[Any]) -> Event:
    try:
        return _event_unchecked(row)
    except (ValueError, OverflowError, TypeError, RecursionError) as error:
        raise _unreadable(_("event {uuid}").format(uuid=row[1]), error) from None


def _event_unchecked(row: Sequence[Any]) -> Event:
    (seq, uuid_, at, recorded_at, operator, login, host, playbook_id, playbook_hash, run_id, step_id) = row[
        :11
    ]
    kind, payload, group_id, team = row[11:15]
    if not isinstance(kind, str) or not isinstance(operator, str):
        raise TypeError("an event's kind and operator are text")
    return Event.stored(
        {
            "kind": kind,
            "at": _read_utc(at),
            "operator": operator,
            "login": login,
            "host": host,
            "playbook_id": playbook_id,
            "playbook_hash": playbook_hash,
            "run_id": run_id,
            "step_id": step_id,
            "group_id": group_id,
            "payload": _loads(payload),
            "uuid": uuid_,
            "recorded_at": _read_utc(recorded_at),
            "seq": seq,
            "team": team,
        }
    )


def _read_utc(text: str) -> datetime:
    """:func:`parse_utc`, quicker for the form the journal writes (UTC, ending in Z), which
    Python 3.11 reads as UTC as it is: no rewriting, no conversion (events are read by the
    thousand: a day's run of 200 groups holds 1,600)."""
    if text.endswith("Z"):
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is UTC:
            return moment
    return parse_utc(text)


def _loads(text: str) -> dict[str, Any]:
    if text == "{}":
        return {}  # most payloads (a group ticked without a value): no decoder needed
    # raw_decode skips json.loads' whitespace matching: 1 µs less per payload, and a review
    # of a full week reads 5,000 of them. The journal writes them compact; anything else
    # (spaces around, or not JSON) goes through json.loads, which reads it or says why not.
    try:
        value, end = _decoder().raw_decode(text)
    except ValueError:
        value, end = None, -1
    if end != len(text):
        import json

        value = json.loads(text)
    return value if isinstance(value, dict) else {}


@functools.cache
def _decoder() -> JSONDecoder:
    from json import JSONDecoder

    return JSONDecoder()


def explain(error: sqlite3.Error, path: Path) -> JournalError:
    """Turn an sqlite3 error into a sentence that says what happened and what to do."""
    text = str(error).lower()
    if "readonly" in text or "read-only" in text:
        return JournalReadOnly(
            _("the journal {path} is read-only; nothing can be recorded").format(path=path)
        )
    if "full" in text:
        return JournalError(
            _("the disk holding {path} is full; free some space and try again").format(path=path)
        )
    if "disk i/o" in text:
        return JournalError(
            _("disk I/O error writing {path} (is the disk full or failing?)").format(path=path)
        )
    if "malformed json" in text:
        # json_extract met a payload it cannot parse (e.g. NaN or Infinity written by an older
        # soptui): one stored value is bad, the database file is not damaged.
        return JournalValueError(
            _(
                "an event in the journal {path} holds JSON that cannot be read ({error}); the journal "
                "file itself is fine and nothing was changed: export the events, or report this"
            ).format(path=path, error=error)
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return JournalError(
            _(
                "the journal {path} is damaged ({error}); it was not changed. "
                "Keep a copy, then try: sqlite3 FILE '.recover' | sqlite3 NEW.sqlite3"
            ).format(path=path, error=error)
        )
    if "locked" in text or "busy" in text:
        return JournalError(
            _("the journal {path} stayed busy for {seconds}s; try again").format(
                path=path, seconds=BUSY_TIMEOUT_MS // 1000
            )
        )
    if "unable to open" in text:
        return JournalError(
            _("cannot open the journal {path}: check the directory exists and is writable").format(path=path)
        )
    return JournalError(_("journal error on {path}: {error}").format(path=path, error=error))


def network_filesystem(path: Path) -> str | None:
    """The network filesystem type holding ``path``, if any (from /proc/mounts)."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, kind = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, parts[2]
    return kind if kind in NETWORK_FILESYSTEMS else None


def empty_message(path: Path) -> str:
    return _(
        "the journal {path} is empty (0 bytes), perhaps left by an interrupted copy or restore; "
        "it was not changed. Restore it from a backup, or delete the empty file to start a new journal"
    ).format(path=path)


def _filled_meanwhile(path: Path, wait: float = 2.0) -> bool:
    """Whether an empty journal file gets its header within ``wait`` seconds.

    soptui creates a new journal as an empty file and writes the header a moment later; a
    second process opening it in between must wait for that, not call the file damaged.
    A file that stays empty was not being created: it is refused, never reinitialised.
    """
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(0.02)
        try:
            if path.lstat().st_size > 0:
                return True
        except OSError:
            return False
    return False


@dataclass
class CheckReport:
    """What ``soptui journal check`` found: problems (none when intact) and the event count."""

    problems: list[str]
    events: int | None


def check_file(path: Path, progress: Callable[[], None] | None = None) -> CheckReport:
    """Run ``integrity_check`` and ``quick_check`` on the journal at ``path``, read-only.

    ``progress`` is called now and then during the checks (they read every page).
    """
    try:
        size = path.stat().st_size
    except OSError as error:
        return CheckReport([_("cannot read it: {reason}").format(reason=error.strerror or error)], None)
    if size == 0:
        return CheckReport([_("the file is empty (0 bytes), perhaps left by an interrupted copy")], None)
    try:
        connection = _connect(path, writable=False)
    except sqlite3.Error as error:
        return CheckReport([str(error)], None)
    problems: list[str] = []
    try:
        if progress is not None:
            tick = progress

            def handler() -> int:
                tick()
                return 0  # nonzero would abort the check

            connection.set_progress_handler(handler, 200_000)
        for pragma in ("integrity_check(100)", "quick_check(100)"):
            try:
                rows = connection.execute(f"PRAGMA {pragma}").fetchall()
            except sqlite3.Error as error:
                rows = [(f"{pragma.split('(')[0]}: {error}",)]
            for (row,) in rows:
                if row != "ok" and str(row) not in problems:
                    problems.append(str(row))
        connection.set_progress_handler(None, 0)
        try:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                problems.append(
                    _("written by a newer soptui (schema {version}); upgrade soptui to check it").format(
                        version=version
                    )
                )
            events = int(connection.execute("SELECT count(*) FROM events").fetchone()[0])
        except sqlite3.Error as error:
            problems.append(_("cannot count its events: {error}").format(error=error))
            events = None
    finally:
        connection.close()
    return CheckReport(problems, events)


def _create_file(path: Path) -> None:
    """Create an empty journal file with private permissions (group too when shared)."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    shared = bool(directory.stat().st_mode & stat.S_ISGID)
    mode = 0o660 if shared else 0o600
    with contextlib.suppress(FileExistsError):
        create_new(path, mode=mode, exact_mode=True)


class Journal:
    """An open journal. Use :meth:`open`; close with :meth:`close` (or as a context manager)."""

    def __init__(self, path: Path, connection: sqlite3.Connection, readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self.warnings: list[str] = []
        self._db = connection
        self._lock = threading.RLock()  # the write connection: one transaction at a time
        self._depth = 0  # nesting of writing() on the thread holding _lock
        self._writer: int | None = None  # the thread inside writing(), which reads its own changes
        # Reads outside a transaction use a connection of their own, so a reader (the screen)
        # never queues behind a writer waiting for another process's lock. WAL lets it read.
        self._read_db: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()

    # -- opening ---------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> Journal:
        """Open (creating if needed) the journal at ``path``; raise JournalError if impossible."""
        path = path.expanduser()
        try:
            info = path.lstat()
        except FileNotFoundError:
            info = None
        except OSError as error:
            hint = _(" (is your account in the team's group?)") if error.errno == errno.EACCES else ""
            raise JournalError(
                _("cannot open the journal {path}: {reason}").format(
                    path=path, reason=error.strerror or error
                )
                + hint
            ) from None
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise JournalError(
                _("the journal {path} is a symbolic link; refusing to follow it").format(path=path)
            )
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise JournalError(_("the journal path {path} is a directory").format(path=path))
        if (
            info is not None
            and stat.S_ISREG(info.st_mode)
            and info.st_size == 0
            and not _filled_meanwhile(path)
        ):
            raise JournalError(empty_message(path))
        exists = info is not None
        if not exists and readonly:
            raise JournalError(_("no journal at {path}").format(path=path))
        can_write = not readonly and _writable(path, exists)
        try:
            if not exists:
                if not can_write:
                    raise JournalError(
                        _("cannot create the journal: {directory} is not writable").format(
                            directory=path.parent
                        )
                    )
                _create_file(path)
            connection = _connect(path, can_write)
            journal = cls(path, connection, readonly=not can_write)
            journal._prepare()
        except sqlite3.Error as error:
            raise explain(error, path) from None
        except OSError as error:
            raise JournalError(
                _("cannot open the journal {path}: {reason}").format(
                    path=path, reason=error.strerror or error
                )
            ) from None
        if not can_write and not readonly:
            journal.warnings.append(
                _("the journal {path} is read-only here: you can look, but actions cannot be saved").format(
                    path=path
                )
            )
        kind = network_filesystem(path.parent)
        if kind:
            journal.warnings.append(
                _(
                    "the journal is on a network filesystem ({kind}); SQLite's locking is unreliable "
                    "there: keep the journal on a local disk"
                ).format(kind=kind)
            )
        return journal

    def _prepare(self) -> None:
        db = self._db
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._check_integrity()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(
                _(
                    "the journal {path} was written by a newer soptui (schema {version}, this "
                    "one knows {known}); upgrade soptui. The file was not changed."
                ).format(path=self.path, version=version, known=SCHEMA_VERSION)
            )
        if self.readonly:
            if version < SCHEMA_VERSION:
                raise JournalReadOnly(
                    _("the journal {path} is read-only and needs an upgrade").format(path=self.path)
                )
            return
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _check_integrity(self) -> None:
        """Refuse a damaged journal at open, before anything is written to it.

        ``quick_check`` reads every page, so it runs in full only on journals up to
        QUICK_CHECK_LIMIT; larger ones get the header check done at connect and
        ``soptui journal check`` (see docs/reliability.md).
        """
        try:
            size = self.path.stat().st_size
        except OSError:
            return
        if size > QUICK_CHECK_LIMIT:
            return
        problems = [str(r[0]) for r in self._db.execute("PRAGMA quick_check(5)").fetchall()]
        if problems != ["ok"]:
            raise JournalError(
                _(
                    "the journal {path} is damaged ({problems}); it was not changed. "
                    "Keep a copy, then recover what is readable: sqlite3 {path} '.recover' | "
                    "sqlite3 recovered.sqlite3"
                ).format(path=self.path, problems="; ".join(problems)[:200])
            )

    def _migrate(self, version: int) -> None:
        with self.writing():
            # Re-read inside the write lock: another process may have just migrated.
            current = self._db.execute("PRAGMA user_version").fetchone()[0]
            for target in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {target}")

    def close(self) -> None:
        with self._read_lock:
            if self._read_db is not None:
                self._read_db.close()
                self._read_db = None
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    @property
    def location(self) -> str:
        """Where the journal is, for messages: its file (see soptui.journal.base)."""
        return str(self.path)

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------
    @contextmanager
    def writing(self, wait: float | None = None) -> Iterator[Journal]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT); everything or nothing.

        Nested on one thread, the inner blocks join the outer transaction, so a command made of
        several actions (open the run, complete the step, add the note) commits all or none.
        ``wait`` bounds how long to wait for the lock (another thread's or another process's)
        before raising :class:`JournalBusy`; by default up to the busy timeout.
        """
        if self.readonly:
            raise JournalReadOnly(
                _("the journal {path} is read-only; nothing can be recorded").format(path=self.path)
            )
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            raise JournalBusy(_("the journal {path} is busy with another action").format(path=self.path))
        try:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._begin(wait)
            self._depth, self._writer = 1, threading.get_ident()
            try:
                yield self
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise explain(error, self.path) from None
            except BaseException:
                self._rollback()
                raise
            finally:
                self._depth, self._writer = 0, None
        finally:
            self._lock.release()

    def _begin(self, wait: float | None) -> None:
        if wait is None:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise explain(error, self.path) from None
            return
        self._db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error).lower() or "busy" in str(error).lower():
                raise JournalBusy(
                    _("the journal {path} is busy: another program is writing").format(path=self.path)
                ) from None
            raise explain(error, self.path) from None
        except sqlite3.Error as error:
            raise explain(error, self.path) from None
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _rollback(self) -> None:
        # The transaction may already be gone (e.g. after SQLITE_FULL).
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    def insert_event(self, event: Event) -> bool:
        """Append ``event`` (inside :meth:`writing`); False if its UUID is already there."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO events (uuid, at, recorded_at, operator, login, host, "
            "playbook_id, playbook_hash, run_id, step_id, group_id, kind, payload, team) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.uuid,
                utc_text(event.at),
                utc_text(event.recorded_at),
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
        if cursor.rowcount != 1:
            return False
        self._index_for_search(event, cursor.lastrowid)
        return True

    def _index_for_search(self, event: Event, seq: int | None) -> None:
        """Keep the search index in step with the event just inserted (same transaction)."""
        if event.kind == "undo":
            target = event.payload.get("target")
            if isinstance(target, str):
                self._db.execute(
                    "DELETE FROM search_text WHERE seq = (SELECT seq FROM events WHERE uuid = ?)", (target,)
                )
            return
        body = search_text(event)
        if body is None or seq is None:
            return
        if (
            event.run_id is not None
            and self._db.execute(
                # An import may bring an undo before the event it cancels (undos stay in their run).
                "SELECT 1 FROM events WHERE run_id = ? AND kind = 'undo' AND instr(payload, ?) > 0 LIMIT 1",
                (event.run_id, event.uuid),
            ).fetchone()
        ):
            return
        self._db.execute(
            "INSERT INTO search_text (seq, at, body) VALUES (?, ?, ?)", (seq, utc_text(event.at), body)
        )

    def flagged_groups(self, playbook_id: str, step_ids: list[str]) -> set[str]:
        """Groups whose latest answer (not undone) to one of these yes-no steps was yes."""
        if not step_ids:
            return set()
        marks = ",".join("?" * len(step_ids))
        rows = self._query(
            "SELECT group_id, json_extract(payload, '$.value'), max(at) FROM events "
            f"WHERE kind = 'step.done' AND playbook_id = ? AND step_id IN ({marks}) AND group_id IS NOT NULL "
            "AND uuid NOT IN (SELECT json_extract(payload, '$.target') FROM events "
            "WHERE kind = 'undo' AND playbook_id = ?) GROUP BY group_id",
            (playbook_id, *step_ids, playbook_id),
        )
        return {str(r[0]) for r in rows if r[1] in (1, True)}

    def has_event(self, uuid: str) -> bool:
        return bool(self._query("SELECT 1 FROM events WHERE uuid = ?", (uuid,)))

    def insert_run(self, row: RunRow) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO runs (run_id, playbook_id, playbook_hash, period, opened_at, "
            "opened_by, title, severity, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.run_id,
                row.playbook_id,
                row.playbook_hash,
                row.period,
                utc_text(row.opened_at),
                row.opened_by,
                row.title,
                row.severity,
                utc_text(row.closed_at) if row.closed_at else None,
            ),
        )

    def set_run_closed(self, run_id: str, closed_at: datetime | None) -> None:
        self._db.execute(
            "UPDATE runs SET closed_at = ? WHERE run_id = ?",
            (utc_text(closed_at) if closed_at else None, run_id),
        )

    def store_version(self, content_hash: str, playbook_id: str, body: str, at: datetime) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO playbook_versions (hash, playbook_id, body, first_used) "
            "VALUES (?, ?, ?, ?)",
            (content_hash, playbook_id, body, utc_text(at)),
        )

    def mark_seen(self, playbook_ids: list[str], at: datetime) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO playbooks_seen (playbook_id, first_seen) VALUES (?, ?)",
            [(pid, utc_text(at)) for pid in playbook_ids],
        )

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
        """Say where this app session is (its own small transaction; not an event).

        Presence is a hint: when another writer holds the journal it is skipped (JournalBusy)
        after a second rather than keeping this process's write connection for the busy timeout.
        """
        with self.writing(wait=PRESENCE_WAIT):
            self._db.execute(
                "INSERT OR REPLACE INTO presence (session, operator, login, host, run_id, step_id, seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session, operator, login, host, run_id, step_id, utc_text(at)),
            )

    def clear_presence_of(self, sessions: list[str], older_than: datetime) -> None:
        """Forget the given sessions (ended) and every session not seen since ``older_than``."""
        with self.writing(wait=PRESENCE_WAIT):
            self._db.execute("DELETE FROM presence WHERE seen_at < ?", (utc_text(older_than),))
            self._db.executemany("DELETE FROM presence WHERE session = ?", [(x,) for x in sessions])

    def clear_presence(self, session: str) -> None:
        with self.writing(wait=PRESENCE_WAIT):
            self._db.execute("DELETE FROM presence WHERE session = ?", (session,))

    # -- reading ---------------------------------------------------------------
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._reader() as db:
            try:
                return db.execute(sql, params).fetchall()
            except sqlite3.Error as error:
                raise explain(error, self.path) from None

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """The connection to read on: the transaction's own inside writing(), else the readers'."""
        if self._writer == threading.get_ident() or self.readonly:
            with self._lock:
                yield self._db
            return
        with self._read_lock:
            if self._read_db is None:
                try:
                    self._read_db = _connect(self.path, writable=True)
                except sqlite3.Error as error:
                    raise explain(error, self.path) from None
            yield self._read_db

    def run_events(self, run_id: str) -> list[Event]:
        rows = self._query(f"{EVENTS} WHERE run_id = ? ORDER BY seq", (run_id,))
        return [_event(r) for r in rows]

    def events_of_runs(self, run_ids: list[str]) -> dict[str, list[Event]]:
        """The events of many runs at once, each run's in journal order."""
        found: dict[str, list[Event]] = {run_id: [] for run_id in run_ids}
        for start in range(0, len(run_ids), 500):
            chunk = run_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(f"{EVENTS} WHERE run_id IN ({marks}) ORDER BY seq", tuple(chunk))
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
        ``late_periods`` (inclusive ``(first, last)`` ranges of one form: ``2026-11-02`` …).
        With ``steps``, only completions of those (playbook id, step id) pairs.

        Reviews look back months: the values and undo targets come out of the JSON payloads
        in SQL, so no event object is built per row.
        """
        undone = self._undone_between((utc_text(start), utc_text(late_until or end)))
        values = (
            "SELECT uuid, at, playbook_id, playbook_hash, run_id, step_id, json_extract(payload, '$.value') "
            "FROM events WHERE at >= ? AND at < ? AND kind = 'step.done' AND instr(payload, '\"value\"') > 0"
        )
        pairs: tuple[str, ...] = ()
        if steps is not None:
            if not steps:
                return []
            values += f" AND (playbook_id, step_id) IN (VALUES {', '.join('(?, ?)' for _ in steps)})"
            pairs = tuple(item for pair in steps for item in pair)
        rows = self._query(values, (utc_text(start), utc_text(end), *pairs))
        if late_until is not None and late_until > end and late_periods:
            ranges = " OR ".join("(length(period) = ? AND period BETWEEN ? AND ?)" for _ in late_periods)
            bounds = [item for first, last in late_periods for item in (len(first), first, last)]
            rows += self._query(
                f"{values} AND run_id IN (SELECT run_id FROM runs WHERE {ranges})",
                (utc_text(end), utc_text(late_until), *pairs, *bounds),
            )
        found = []
        for r in rows:
            if r[0] in undone or r[3] is None:
                continue
            try:
                at = _read_utc(r[1])
            except ValueError as error:
                raise _unreadable(_("event {uuid}").format(uuid=r[0]), error) from None
            found.append(RecordedValue(at, r[2], r[3], r[4], r[5], r[6]))
        return found

    def value_steps(self, start: datetime, end: datetime) -> set[tuple[str, str, str]]:
        """The (playbook version hash, playbook id, step id) of every completion recorded with
        a value in [start, end): what those values could measure, without reading them."""
        rows = self._query(
            "SELECT DISTINCT playbook_hash, playbook_id, step_id FROM events WHERE at >= ? AND at < ? "
            "AND kind = 'step.done' AND instr(payload, '\"value\"') > 0 AND playbook_hash IS NOT NULL",
            (utc_text(start), utc_text(end)),
        )
        return {(str(r[0]), str(r[1] or ""), str(r[2] or "")) for r in rows}

    def _undone_between(self, window: tuple[str, str]) -> set[str]:
        """The uuids of events cancelled by undos recorded in the window."""
        rows = self._query(
            "SELECT json_extract(payload, '$.target') FROM events WHERE at >= ? AND at < ? AND kind = 'undo'",
            window,
        )
        return {str(r[0]) for r in rows}

    def activity(
        self, start: datetime, end: datetime
    ) -> tuple[list[Event], list[tuple[str, list[str], int, int, int]]]:
        """The notes (not undone) and, per login, (login, display names, actions, overridden,
        imported) in [start, end); undo events are not counted as actions."""
        window = (utc_text(start), utc_text(end))
        undone = self._undone_between(window)
        notes = [
            _event(r)
            for r in self._query(
                f"{EVENTS} WHERE at >= ? AND at < ? AND kind = 'note' ORDER BY at, seq",
                window,
            )
            if r["uuid"] not in undone
        ]
        people = self._query(
            "SELECT login, group_concat(DISTINCT operator), count(*), sum(operator != login), "
            "sum(instr(payload, '\"imported\"') > 0) "
            "FROM events WHERE at >= ? AND at < ? AND kind != 'undo' GROUP BY login",
            window,
        )
        return notes, [
            (str(r[0]), sorted(str(r[1] or "").split(",")), int(r[2]), int(r[3] or 0), int(r[4] or 0))
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

        Terms of three or more characters go through the FTS5 trigram index; shorter ones
        (which trigrams cannot find) are matched with LIKE on the same text, the scan walking
        the ``at`` index newest first and stopping at ``limit``. Case is folded for ASCII.
        """
        window = (utc_text(start) if start else "", utc_text(end) if end else "~")
        likes = " ".join("AND t.body LIKE ? ESCAPE '\\'" for _term in short_terms)
        patterns = tuple("%" + _like_escape(term) + "%" for term in short_terms)
        if long_terms:
            phrase = " AND ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
            sql = (
                "SELECT "
                + _prefixed("e")
                + ", t.body AS search_body FROM search_fts f JOIN search_text t ON t.seq = f.rowid "
                "JOIN events e ON e.seq = t.seq "
                f"WHERE search_fts MATCH ? AND t.at >= ? AND t.at < ? {likes} "
                "ORDER BY t.at DESC, t.seq DESC LIMIT ?"
            )
            params: tuple[Any, ...] = (phrase, *window, *patterns, limit)
        else:
            sql = (
                "SELECT "
                + _prefixed("e")
                + ", t.body AS search_body FROM search_text t JOIN events e ON e.seq = t.seq "
                f"WHERE t.at >= ? AND t.at < ? {likes} ORDER BY t.at DESC, t.seq DESC LIMIT ?"
            )
            params = (*window, *patterns, limit)
        return [(_event(r), str(r["search_body"])) for r in self._query(sql, params)]

    def search_index_size(self) -> int:
        """How many events the search index holds text for."""
        return int(self._query("SELECT count(*) FROM search_text")[0][0])

    def step_values(self, playbook_id: str, step_id: str, limit: int) -> list[Event]:
        """The latest ``limit`` completions of a step that recorded a value and were not undone,
        newest first (every run of the playbook; each group's own for a per-group step)."""
        rows = self._query(
            f"{EVENTS} WHERE playbook_id = ? AND step_id = ? AND kind = 'step.done' "
            "AND instr(payload, '\"value\"') > 0 AND NOT EXISTS (SELECT 1 FROM events u "
            "WHERE u.run_id = events.run_id AND u.kind = 'undo' AND instr(u.payload, events.uuid) > 0) "
            "ORDER BY at DESC, seq DESC LIMIT ?",
            (playbook_id, step_id, limit),
        )
        return [_event(r) for r in rows]

    def action_completions(self, steps: Sequence[tuple[str, str]]) -> list[Event]:
        """Completions of these (playbook, step) pairs that recorded follow-up action items
        and were not undone, in journal order. Years of a weekly sync hold hundreds of
        completions; only the few with items are read (and checked for an undo)."""
        found: list[Event] = []
        for playbook_id, step_id in steps:
            rows = self._query(
                f"{EVENTS} WHERE playbook_id = ? AND step_id = ? AND kind = 'step.done' "
                "AND instr(payload, '\"actions\"') > 0 AND NOT EXISTS (SELECT 1 FROM events u "
                "WHERE u.run_id = events.run_id AND u.kind = 'undo' AND instr(u.payload, events.uuid) > 0)",
                (playbook_id, step_id),
            )
            found += (_event(r) for r in rows)
        return sorted(found, key=lambda e: e.seq)

    def event_by_uuid(self, event_uuid: str) -> Event | None:
        """The event with this UUID, if the journal holds it."""
        rows = self._query(f"{EVENTS} WHERE uuid = ?", (event_uuid,))
        return _event(rows[0]) if rows else None

    def run(self, run_id: str) -> RunRow | None:
        rows = self._query("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        return _run_row(rows[0]) if rows else None

    def find_runs(self, run_prefix: str) -> list[RunRow]:
        rows = self._query(
            "SELECT * FROM runs WHERE run_id = ? OR run_id LIKE ? ESCAPE '\\' LIMIT 5",
            (
                run_prefix,
                run_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
            ),
        )
        return [_run_row(r) for r in rows]

    def runs_for_periods(self, playbook_id: str, periods: list[str]) -> dict[str, RunRow]:
        if not periods:
            return {}
        marks = ",".join("?" * len(periods))
        rows = self._query(
            f"SELECT * FROM runs WHERE playbook_id = ? AND period IN ({marks})",
            (playbook_id, *periods),
        )
        return {r["period"]: _run_row(r) for r in rows}

    def routine_runs(self, periods: list[str]) -> list[RunRow]:
        """Every routine run of any playbook in the given periods."""
        if not periods:
            return []
        marks = ",".join("?" * len(periods))
        rows = self._query(f"SELECT * FROM runs WHERE period IN ({marks}) ORDER BY opened_at", tuple(periods))
        return [_run_row(r) for r in rows]

    def incidents_opened_between(self, start: datetime, end: datetime) -> list[RunRow]:
        rows = self._query(
            "SELECT * FROM runs WHERE period IS NULL AND opened_at >= ? AND opened_at < ? ORDER BY opened_at",
            (utc_text(start), utc_text(end)),
        )
        return [_run_row(r) for r in rows]

    def first_periods(self, playbook_ids: Collection[str]) -> dict[str, str]:
        """The earliest period with a run of each of these routines (those with one).

        One index search per routine: grouping the whole runs table reads every run."""
        ids = sorted(playbook_ids)
        if not ids:
            return {}
        rows = self._query(
            f"WITH ids(id) AS (VALUES {', '.join('(?)' for _ in ids)}) "
            "SELECT id, (SELECT min(period) FROM runs WHERE playbook_id = id AND period IS NOT NULL) "
            "FROM ids",
            tuple(ids),
        )
        return {r[0]: r[1] for r in rows if r[1] is not None}

    def recent_incidents(self, limit: int = 500) -> list[RunRow]:
        """Incidents, open and resolved, newest first (at most ``limit``)."""
        rows = self._query(
            "SELECT * FROM runs WHERE period IS NULL ORDER BY opened_at DESC LIMIT ?", (limit,)
        )
        return [_run_row(r) for r in rows]

    def open_incidents(self) -> list[RunRow]:
        rows = self._query("SELECT * FROM runs WHERE period IS NULL AND closed_at IS NULL ORDER BY opened_at")
        return [_run_row(r) for r in rows]

    def instance_runs(self, active_only: bool = True) -> list[RunRow]:
        """Instances of sequence playbooks (their period is ``~ANCHOR``), open ones only unless
        ``active_only`` is false; oldest first."""
        open_only = " AND closed_at IS NULL" if active_only else ""
        # A range, not LIKE '~%' (case-insensitive, so no index): every key is "~" and digits.
        rows = self._query(
            f"SELECT * FROM runs WHERE period > '~' AND period < '~~'{open_only} ORDER BY opened_at, run_id"
        )
        return [_run_row(r) for r in rows]

    def runs_opened_between(self, start: datetime, end: datetime) -> list[RunRow]:
        rows = self._query(
            "SELECT * FROM runs WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at",
            (utc_text(start), utc_text(end)),
        )
        return [_run_row(r) for r in rows]

    def events_between(self, start: datetime | None = None, end: datetime | None = None) -> Iterator[Event]:
        """Events by instant, oldest first (streamed: the journal may hold millions)."""
        sql = f"{EVENTS} WHERE at >= ? AND at < ? ORDER BY at, seq"
        params = (utc_text(start) if start else "", utc_text(end) if end else "~")
        with self._reader() as db:
            try:
                cursor = db.execute(sql, params)
                while rows := cursor.fetchmany(1000):
                    yield from (_event(r) for r in rows)
            except sqlite3.Error as error:
                raise explain(error, self.path) from None

    def day_notes(self, start: datetime, end: datetime) -> list[Event]:
        rows = self._query(
            f"{EVENTS} WHERE run_id IS NULL AND kind = 'note' AND at >= ? AND at < ? ORDER BY at, seq",
            (utc_text(start), utc_text(end)),
        )
        return [_event(r) for r in rows]

    def version(self, content_hash: str) -> str | None:
        rows = self._query("SELECT body FROM playbook_versions WHERE hash = ?", (content_hash,))
        return str(rows[0]["body"]) if rows else None

    def versions(self) -> list[tuple[str, str, str]]:
        """Every stored playbook version as (hash, playbook id, JSON body)."""
        rows = self._query("SELECT hash, playbook_id, body FROM playbook_versions ORDER BY first_used")
        return [(r["hash"], r["playbook_id"], r["body"]) for r in rows]

    def last_hash_used_by(self, operator: str, playbook_id: str) -> str | None:
        """The playbook version of the operator's most recent run of ``playbook_id``."""
        rows = self._query(
            "SELECT r.playbook_hash FROM runs r WHERE r.playbook_id = ? AND r.run_id IN "
            "(SELECT DISTINCT run_id FROM events WHERE operator = ? AND playbook_id = ?) "
            "ORDER BY r.opened_at DESC LIMIT 1",
            (playbook_id, operator, playbook_id),
        )
        return str(rows[0][0]) if rows else None

    def first_seen(self) -> dict[str, datetime]:
        rows = self._query("SELECT playbook_id, first_seen FROM playbooks_seen")
        seen = {}
        for r in rows:
            try:
                seen[r["playbook_id"]] = parse_utc(r["first_seen"])
            except ValueError as error:
                raise _unreadable(
                    _("the first-seen time of playbook {playbook!r}").format(playbook=r["playbook_id"]), error
                ) from None
        return seen

    def presence(self, run_id: str | None, since: datetime) -> list[tuple[str, str, str, str | None]]:
        """Sessions seen in ``run_id`` (any run: None) since ``since``: (session, host, operator, step)."""
        rows = self._query(
            "SELECT session, host, operator, step_id FROM presence WHERE (run_id = ? OR ? IS NULL) "
            "AND seen_at >= ? ORDER BY operator",
            (run_id, run_id, utc_text(since)),
        )
        return [(r["session"], r["host"], r["operator"], r["step_id"]) for r in rows]

    def data_version(self) -> int | None:
        """Changes whenever another connection commits (cheap: no table is read).

        Asked on the write connection, so this process's own commits do not count; None when
        a transaction holds that connection right now (ask again later, never wait).
        """
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as error:
            raise explain(error, self.path) from None
        finally:
            self._lock.release()

    def event_count(self) -> int:
        return int(self._query("SELECT count(*) FROM events")[0][0])

    def checkpoint_in_background(self) -> None:
        """Stop checkpointing on commit; the caller runs :meth:`checkpoint` off the UI thread.

        A WAL checkpoint copies pages into the (possibly large) database file and fsyncs it;
        done by whichever commit crosses the threshold, it made an occasional key press slow.
        """
        with self._lock:
            self._db.execute("PRAGMA wal_autocheckpoint = 0")

    def checkpoint(self) -> None:
        """Fold the WAL into the database on a connection of its own (PASSIVE: never blocks)."""
        if self.readonly:
            return
        connection = sqlite3.connect(self.path, timeout=1, check_same_thread=False)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            pass  # a busy or failing checkpoint is retried next time; commits stay safe in the WAL
        finally:
            connection.close()

    @property
    def checked_at_open(self) -> bool:
        """Whether ``quick_check`` ran when the journal was opened (small journals)."""
        try:
            return self.path.stat().st_size <= QUICK_CHECK_LIMIT
        except OSError:
            return False

    def refuse_writes(self) -> None:
        """Make every later write fail as read-only (after damage was found)."""
        self.readonly = True

    def integrity_problems_separately(self) -> list[str]:
        """``quick_check`` on a connection of its own, so a long check never blocks this one."""
        connection = sqlite3.connect(
            f"file:{quote(str(self.path))}?mode=ro", uri=True, check_same_thread=False
        )
        try:
            connection.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")  # it reads every page once
            return [str(r[0]) for r in connection.execute("PRAGMA quick_check(5)").fetchall() if r[0] != "ok"]
        except sqlite3.Error as error:
            return [str(error)]
        finally:
            connection.close()

    def integrity_problems(self) -> list[str]:
        rows = self._query("PRAGMA quick_check")
        return [str(r[0]) for r in rows if r[0] != "ok"]

    def backup(self, target: Path) -> None:
        """A consistent, verified copy of the live journal at ``target`` (which must not exist).

        The copy is written through the SQLite backup API into a temporary file beside
        ``target``, checked with ``quick_check``, fsynced, and only then given its name: a
        killed or failed backup (a full disk) never leaves a partial file under ``target``.
        """
        if os.path.lexists(target):
            raise JournalError(
                _("cannot create {target}: it already exists; choose a new file name").format(target=target)
            )
        directory = target.parent if str(target.parent) else Path(".")
        try:
            import tempfile  # only when copying a journal: start-up does not pay for it

            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=directory)
        except OSError as error:
            raise JournalError(
                _("cannot create {target}: {reason}").format(target=target, reason=error.strerror or error)
            ) from None
        os.close(fd)
        temporary = Path(name)
        try:
            with self._lock:
                destination = sqlite3.connect(temporary)
                try:
                    self._db.backup(destination)
                    problems = [str(r[0]) for r in destination.execute("PRAGMA quick_check(5)").fetchall()]
                finally:
                    destination.close()
            if problems != ["ok"]:
                raise JournalError(
                    _(
                        "the copy of {path} did not check out ({problems}); "
                        "{target} was not written. Run: soptui journal check"
                    ).format(path=self.path, problems="; ".join(problems)[:200], target=target)
                )
            fsync_path(temporary)
            _move_into_place(temporary, target)
        except sqlite3.Error as error:
            raise explain(error, target) from None
        except OSError as error:
            raise JournalError(
                _("cannot write {target}: {reason}").format(target=target, reason=error.strerror or error)
            ) from None
        finally:
            with contextlib.suppress(OSError):
                temporary.unlink()

    # -- team coordination (issue 17) -----------------------------------------------
    def events_of_kinds(
        self, kinds: list[str], start: datetime | None = None, end: datetime | None = None
    ) -> list[Event]:
        """Events of these kinds in [start, end), oldest first, leaving out undone ones (through
        the ``events_kind`` index: hand-overs, closed follow-ups, amendments, reminders)."""
        marks = ",".join("?" * len(kinds))
        window = (utc_text(start) if start else "", utc_text(end) if end else "~")
        rows = self._query(
            f"{EVENTS} WHERE kind IN ({marks}) AND at >= ? AND at < ? ORDER BY at, seq",
            (*kinds, *window),
        )
        found = [_event(r) for r in rows]
        undone = self.undone_among([e.uuid for e in found])
        return [e for e in found if e.uuid not in undone]

    def undone_among(self, uuids: list[str]) -> set[str]:
        """Which of these events an undo cancelled. An undo is always in its target's run, so
        only the undos of those runs are read (through the run index), never all of them."""
        wanted, found = set(uuids), set()
        for start in range(0, len(uuids), 500):
            chunk = tuple(uuids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                "SELECT json_extract(payload, '$.target') FROM events WHERE kind = 'undo' "
                f"AND run_id IN (SELECT run_id FROM events WHERE uuid IN ({marks}) AND run_id IS NOT NULL) "
                "AND json_valid(payload)",
                chunk,
            )
            found |= {str(r[0]) for r in rows if r[0] in wanted}
        return found

    # -- many groups (issue 14) ------------------------------------------------------------------
    def last_seqs(self, run_ids: Sequence[str]) -> dict[str, int]:
        """Each run's last event (its journal position): a run whose last event is the one a
        reader saw before has not changed since (the journal only appends)."""
        found: dict[str, int] = {}
        for start in range(0, len(run_ids), 500):
            chunk = tuple(run_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT run_id, max(seq) FROM events WHERE run_id IN ({marks}) GROUP BY run_id", chunk
            )
            found.update((str(r[0]), int(r[1])) for r in rows)
        return found

    def events_and_ticks_of_runs(self, run_ids: list[str]) -> dict[str, tuple[list[Event], list[GroupTick]]]:
        """The events of many runs, as :meth:`events_of_runs` reads them, except their groups'
        ticks and skips (``step.done``/``step.skipped`` with a group), which come apart as compact
        :class:`~soptui.runs.GroupTick` rows: a day's run of 200 groups holds 1,600 of them. Each
        run's events and ticks are in journal order; :func:`soptui.runs.fold` takes both."""
        from soptui.runs import GroupTick

        found: dict[str, tuple[list[Event], list[GroupTick]]] = {r: ([], []) for r in run_ids}
        for start in range(0, len(run_ids), 500):
            chunk = tuple(run_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"{EVENTS} WHERE run_id IN ({marks}) "
                "AND NOT (group_id IS NOT NULL AND kind IN ('step.done', 'step.skipped')) "
                "ORDER BY run_id, seq",
                chunk,
            )
            for row in rows:
                found[row["run_id"]][0].append(_event(row))
        for run_id in run_ids:
            # One run at a time (its rows need not name it), through the run index: "+kind"
            # keeps the kind index, which holds every tick of five years, out of it. (One query
            # for many runs was measured slower: 70-99 ms against 49-65 for a week of 200 groups.)
            ticks = found[run_id][1]
            for r in self._query(
                "SELECT seq, uuid, kind, step_id, group_id, operator, at, payload FROM events "
                "WHERE run_id = ? AND group_id IS NOT NULL AND +kind IN ('step.done', 'step.skipped') "
                "ORDER BY seq",
                (run_id,),
            ):
                try:
                    ticks.append(GroupTick(r[0], r[1], r[2], r[3], r[4], r[5], _read_utc(r[6]), _loads(r[7])))
                except (ValueError, OverflowError, TypeError, RecursionError) as error:
                    raise _unreadable(_("event {uuid}").format(uuid=r[1]), error) from None
        return found

    def run_events_after(self, run_id: str, seq: int) -> list[Event]:
        """The run's events after journal position ``seq``, in journal order: what was appended
        to a run since it was last read (the recorder keeps the rest, issue 14)."""
        rows = self._query(f"{EVENTS} WHERE run_id = ? AND seq > ? ORDER BY seq", (run_id, seq))
        return [_event(r) for r in rows]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _move_into_place(temporary: Path, target: Path) -> None:
    """Give ``temporary`` the name ``target``, never replacing a file that appeared meanwhile."""
    try:
        os.link(temporary, target)  # fails with EEXIST instead of replacing
    except FileExistsError:
        raise JournalError(
            _("cannot create {target}: it already exists; choose a new file name").format(target=target)
        ) from None
    except OSError:
        # A filesystem without hard links: check, then rename (the gap is tiny).
        if os.path.lexists(target):
            raise JournalError(
                _("cannot create {target}: it already exists; choose a new file name").format(target=target)
            ) from None
        os.rename(temporary, target)
    sync_directory(target.parent if str(target.parent) else Path("."))


def _writable(path: Path, exists: bool) -> bool:
    directory = path.parent if path.parent != Path("") else Path(".")
    if exists:
        # WAL needs to create -wal and -shm files beside the journal.
        return os.access(path, os.W_OK) and os.access(directory, os.W_OK)
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe, os.W_OK)


PAGE_CACHE_KIB = 512
"""SQLite's page cache per connection."""


def _connect(path: Path, writable: bool) -> sqlite3.Connection:
    if writable:
        return _checked(
            sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        )
    # Read-only. WAL readers normally need to create the -shm file; in a directory they cannot
    # write, fall back to reading the file as immutable (what the last writer checkpointed).
    for query in ("mode=ro", "mode=ro&immutable=1"):
        connection = sqlite3.connect(
            f"file:{quote(str(path))}?{query}",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        try:
            return _checked(connection)
        except sqlite3.OperationalError:
            connection.close()
            if "immutable" in query:
                raise
    raise AssertionError("unreachable")


def _checked(connection: sqlite3.Connection) -> sqlite3.Connection:
    connection.row_factory = sqlite3.Row
    # The operating system caches the file already; SQLite's own cache (2 MiB by default) is
    # per connection, and the app holds three or four: 512 KiB each keeps the review's and
    # Today's reads as fast (measured) and the app 3 MiB smaller.
    connection.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
    # Reading the schema here makes a damaged header fail now, not at the first action.
    connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    connection.execute("PRAGMA user_version").fetchone()
    return connection
