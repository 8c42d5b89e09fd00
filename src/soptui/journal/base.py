"""One journal interface, two implementations: a SQLite file (store.py) or PostgreSQL (postgres.py).

:class:`JournalStore` is what the recorder, the commands and the app rely on; both
:class:`soptui.journal.store.Journal` and :class:`soptui.journal.postgres.PostgresJournal`
satisfy it (checked by mypy --strict, and by a test comparing their public methods).
:func:`open_journal_at` chooses the implementation from the location: a ``postgresql://``
or ``postgres://`` URL, else a file path.

A URL never carries a password here: credentials come from libpq's own places
(``~/.pgpass``, ``PGPASSWORD``, a service file), so the shared config holds none and no
message can show one. :func:`shown` is the form of a location fit for messages.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self
from urllib.parse import parse_qsl, urlsplit

from soptui.i18n import _

if TYPE_CHECKING:
    from soptui.events import Event
    from soptui.journal.store import RecordedValue, RunRow
    from soptui.runs import GroupTick

URL_SCHEMES = ("postgresql://", "postgres://")
SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
SHOWN_PARAMETERS = frozenset({"host", "hostaddr", "port", "dbname", "user", "service"})

Location = Path | str
"""Where a journal is: a file path, or a PostgreSQL URL (a str)."""


class JournalStore(Protocol):
    """The journal as the rest of soptui uses it: append-only events and derived tables.

    Every write happens inside :meth:`writing` (one transaction, serialised against every
    other writer of the same journal, so a re-read under it sees the run as it stands).
    """

    readonly: bool
    warnings: list[str]

    @property
    def location(self) -> str:
        """Where the journal is, for messages (never with credentials)."""

    @property
    def checked_at_open(self) -> bool: ...

    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...

    # -- writing
    def writing(self, wait: float | None = None) -> AbstractContextManager[object]: ...
    def insert_event(self, event: Event) -> bool: ...
    def insert_run(self, row: RunRow) -> None: ...
    def set_run_closed(self, run_id: str, closed_at: datetime | None) -> None: ...
    def store_version(self, content_hash: str, playbook_id: str, body: str, at: datetime) -> None: ...
    def mark_seen(self, playbook_ids: list[str], at: datetime) -> None: ...
    def set_presence(
        self,
        session: str,
        operator: str,
        login: str,
        host: str,
        run_id: str | None,
        step_id: str | None,
        at: datetime,
    ) -> None: ...
    def clear_presence_of(self, sessions: list[str], older_than: datetime) -> None: ...
    def clear_presence(self, session: str) -> None: ...
    def refuse_writes(self) -> None: ...

    # -- reading
    def flagged_groups(self, playbook_id: str, step_ids: list[str]) -> set[str]: ...
    def has_event(self, uuid: str) -> bool: ...
    def run_events(self, run_id: str) -> list[Event]: ...
    def run_events_after(self, run_id: str, seq: int) -> list[Event]: ...
    def events_of_runs(self, run_ids: list[str]) -> dict[str, list[Event]]: ...
    def events_and_ticks_of_runs(
        self, run_ids: list[str]
    ) -> dict[str, tuple[list[Event], list[GroupTick]]]: ...
    def last_seqs(self, run_ids: Sequence[str]) -> dict[str, int]: ...
    def recorded_values(
        self,
        start: datetime,
        end: datetime,
        late_until: datetime | None = None,
        late_periods: Sequence[tuple[str, str]] = (),
        steps: Sequence[tuple[str, str]] | None = None,
    ) -> list[RecordedValue]: ...
    def value_steps(self, start: datetime, end: datetime) -> set[tuple[str, str, str]]: ...
    def activity(
        self, start: datetime, end: datetime
    ) -> tuple[list[Event], list[tuple[str, list[str], int, int, int]]]: ...
    def search(
        self,
        long_terms: list[str],
        short_terms: list[str],
        start: datetime | None,
        end: datetime | None,
        limit: int,
    ) -> list[tuple[Event, str]]: ...
    def search_index_size(self) -> int: ...
    def step_values(self, playbook_id: str, step_id: str, limit: int) -> list[Event]: ...
    def action_completions(self, steps: Sequence[tuple[str, str]]) -> list[Event]: ...
    def event_by_uuid(self, event_uuid: str) -> Event | None: ...
    def run(self, run_id: str) -> RunRow | None: ...
    def find_runs(self, run_prefix: str) -> list[RunRow]: ...
    def runs_for_periods(self, playbook_id: str, periods: list[str]) -> dict[str, RunRow]: ...
    def routine_runs(self, periods: list[str]) -> list[RunRow]: ...
    def incidents_opened_between(self, start: datetime, end: datetime) -> list[RunRow]: ...
    def first_periods(self, playbook_ids: Collection[str]) -> dict[str, str]: ...
    def recent_incidents(self, limit: int = 500) -> list[RunRow]: ...
    def open_incidents(self) -> list[RunRow]: ...
    def instance_runs(self, active_only: bool = True) -> list[RunRow]: ...
    def runs_opened_between(self, start: datetime, end: datetime) -> list[RunRow]: ...
    def events_between(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[Event]: ...
    def day_notes(self, start: datetime, end: datetime) -> list[Event]: ...
    def version(self, content_hash: str) -> str | None: ...
    def versions(self) -> list[tuple[str, str, str]]: ...
    def last_hash_used_by(self, operator: str, playbook_id: str) -> str | None: ...
    def first_seen(self) -> dict[str, datetime]: ...
    def presence(self, run_id: str | None, since: datetime) -> list[tuple[str, str, str, str | None]]: ...
    def events_of_kinds(
        self, kinds: list[str], start: datetime | None = None, end: datetime | None = None
    ) -> list[Event]: ...
    def undone_among(self, uuids: list[str]) -> set[str]: ...
    def event_count(self) -> int: ...

    # -- watching and upkeep
    def data_version(self) -> int | None:
        """A number that changes when another connection commits (None: ask again later)."""

    def checkpoint_in_background(self) -> None: ...
    def checkpoint(self) -> None: ...
    def integrity_problems_separately(self) -> list[str]: ...
    def integrity_problems(self) -> list[str]: ...
    def backup(self, target: Path) -> None: ...


def is_url(location: Location | None) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a file."""
    return isinstance(location, str) and location.strip().lower().startswith(URL_SCHEMES)


def location_of(text: str) -> Location:
    """A location typed by a person (option, environment, config): a URL kept as typed, else a path.

    A URL must not become a ``Path``: that would fold its ``//``.
    """
    return text.strip() if is_url(text) else Path(text).expanduser()


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be used as a journal location (it carries a password), if it cannot."""
    parts = urlsplit(url.strip())
    userinfo = parts.netloc.rpartition("@")[0]
    secret = ":" in userinfo or any(
        key.lower() in SECRET_PARAMETERS for key, _value in parse_qsl(parts.query, keep_blank_values=True)
    )
    if secret:
        return _(
            "the journal URL {url} contains a password; passwords never go in soptui's settings: "
            "remove it and put it in ~/.pgpass (or PGPASSWORD, or a pg_service.conf file)"
        ).format(url=shown(url))
    return None


def shown(location: Location) -> str:
    """``location`` fit for a message or a log: a URL without password, and of its parameters
    only those that say where the server is."""
    if not is_url(location):
        return str(location)
    parts = urlsplit(str(location).strip())
    user, _at, hosts = parts.netloc.rpartition("@")
    user = user.partition(":")[0]
    netloc = f"{user}@{hosts}" if user else hosts
    where = [
        f"{key}={value}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() in SHOWN_PARAMETERS
    ]
    return f"{parts.scheme}://{netloc}{parts.path}" + ("?" + "&".join(where) if where else "")


def open_journal_at(location: Location, *, readonly: bool = False) -> JournalStore:
    """Open the journal at ``location`` (a file path, or a ``postgresql://`` URL).

    Raises :class:`~soptui.journal.store.JournalError` with a sentence for a person when it
    cannot be opened (including a URL with a password, or psycopg not installed).
    """
    if is_url(location):
        from soptui.journal.postgres import PostgresJournal

        return PostgresJournal.open(str(location), readonly=readonly)
    from soptui.journal.store import Journal

    return Journal.open(Path(location), readonly=readonly)
