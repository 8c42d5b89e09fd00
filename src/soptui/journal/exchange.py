"""The public JSONL exchange format: export every event, import idempotently by UUID.

Lines are JSON objects. ``{"type": "playbook-version", ...}`` lines carry the playbook
versions runs used; ``{"type": "event", ...}`` lines carry events (see docs/journal.md).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TextIO

from pydantic import ValidationError

from soptui.events import Event, dumps, utc_text
from soptui.journal.base import JournalStore
from soptui.journal.store import JournalValueError, RunRow
from soptui.playbooks.models import Playbook
from soptui.run_ids import instance_key, parse_run_id, routine_period
from soptui.schedule import cadence_of, parse_anchor, period_end, period_of, period_start
from soptui.text import visible

CSV_FIELDS = [
    "uuid",
    "at",
    "recorded_at",
    "operator",
    "login",
    "host",
    "playbook",
    "playbook_hash",
    "run",
    "step",
    "group",
    "kind",
    "payload",
]
CSV_LINE_END = "\r\n"
"""Every CSV line ends so (RFC 4180); cells never hold a raw newline (shown as ␤)."""


def export_jsonl(journal: JournalStore, since: datetime | None, until: datetime | None) -> Iterator[str]:
    for content_hash, playbook_id, body in journal.versions():
        try:
            parsed = loads_strict(body)
        except (ValueError, RecursionError) as error:
            raise JournalValueError(
                f"the stored version {content_hash} of playbook {playbook_id!r} cannot be read "
                f"({error}); the journal file itself is fine and nothing was changed"
            ) from None
        yield dumps(
            {"type": "playbook-version", "hash": content_hash, "playbook": playbook_id, "body": parsed}
        )
    for event in journal.events_between(since, until):
        yield dumps(event.to_json())


def export_csv(journal: JournalStore, since: datetime | None, until: datetime | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore", lineterminator=CSV_LINE_END)
    writer.writeheader()
    for event in journal.events_between(since, until):
        row = event.to_json()
        row["payload"] = dumps(row["payload"])
        # CSV is for people and spreadsheets: control and bidi characters shown, never raw.
        writer.writerow({k: visible(v, newlines=False) if isinstance(v, str) else v for k, v in row.items()})
        yield buffer.getvalue().removesuffix(CSV_LINE_END)
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue().removesuffix(CSV_LINE_END)


@dataclass
class ImportResult:
    added: int
    already: int
    versions: int
    conflicts: list[str] = field(default_factory=list)
    """UUIDs already in the journal with different content: not imported."""
    version_conflicts: list[str] = field(default_factory=list)
    """Playbook-version hashes already stored with a different body: the stored one is kept."""


class ImportProblem(ValueError):
    """A line of an import file that cannot be read; nothing was imported."""


MAX_LINE_CHARS = 8 * 1024 * 1024
"""A longer line is refused (a playbook version is at most a few MiB of JSON)."""
MAX_DEPTH = 64
"""Payloads and playbook bodies nested deeper than this are refused."""
MAX_NUMBER = 1e15
"""Numbers in an imported payload stay within ±1e15, like recorded values."""


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is not a finite number")
    return value


def loads_strict(text: str) -> Any:
    """``json.loads`` refusing NaN, Infinity and numbers that overflow a double (ValueError)."""
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)


def read_lines(handle: TextIO, source: str, limit: int | None = None) -> Iterator[str]:
    """The lines of an import file, each at most ``limit`` characters (ImportProblem if longer)."""
    limit = limit or MAX_LINE_CHARS
    number = 0
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit:
            raise ImportProblem(f"{source}:{number}: line is longer than {limit // (1024 * 1024)} MiB")
        yield line


def _check_value(value: Any, where: str, depth: int = 0) -> None:
    """Refuse what the journal could not read back: deep nesting, huge or non-finite numbers."""
    if depth > MAX_DEPTH:
        raise ValueError(f"{where} is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int | float):
        if not (isinstance(value, int) or math.isfinite(value)) or abs(value) > MAX_NUMBER:
            raise ValueError(f"{where} holds a number outside ±{MAX_NUMBER:.0e}")
        return
    children = value.values() if isinstance(value, dict) else value
    for child in children:
        _check_value(child, where, depth + 1)


def _check_event(event: Event, bodies: dict[str, Playbook]) -> None:
    """Refuse an event whose payload the journal and the review could not use."""
    _check_value(event.payload, "payload")
    payload = event.payload
    if event.kind == "undo" and not isinstance(payload.get("target"), str):
        raise ValueError("an undo's payload.target must be the UUID of an event (a string)")
    if event.kind == "run.opened":
        run_id = event.run_id or ""
        period = payload.get("period")
        playbook = bodies.get(event.playbook_hash or "")
        if (named := routine_period(run_id)) is not None:
            if not isinstance(period, str) or named != period:
                raise ValueError(f"routine run {run_id!r} must have payload.period {named!r}")
            if not _is_period(period):
                raise ValueError(f"payload.period {period!r} is not a day, ISO week or month in range")
            if playbook is not None and playbook.is_incident:
                raise ValueError("an incident run cannot have a period")
        elif period is not None:
            raise ValueError(f"run {run_id!r} is not a routine run (no '@'), so it cannot have a period")
        elif instance_key(run_id) is not None:
            _check_instance(run_id, payload, playbook)
        elif playbook is not None and playbook.is_sequence:
            raise ValueError(f"run {run_id!r} of a sequence needs an id PLAYBOOK~ANCHOR")
        elif playbook is not None and not playbook.is_incident:
            raise ValueError(f"run {run_id!r} of a {playbook.cadence} routine needs an id PLAYBOOK@PERIOD")


def _check_instance(run_id: str, payload: dict[str, Any], playbook: Playbook | None) -> None:
    anchor = payload.get("anchor")
    if not isinstance(anchor, str):
        raise ValueError(f"instance {run_id!r} needs payload.anchor (YYYY-MM-DD)")
    try:
        day, _time = parse_anchor(anchor)
    except ValueError as error:
        raise ValueError(f"instance {run_id!r}: payload.anchor {anchor!r}: {error}") from None
    named = parse_run_id(run_id)
    if named is None or named.kind != "instance" or named.anchor != day:
        raise ValueError(f"instance {run_id!r} must be named after its anchor day {day.isoformat()}")
    if playbook is not None and not playbook.is_sequence:
        raise ValueError(f"run {run_id!r} looks like an instance, but {playbook.id!r} is not a sequence")


def _is_period(period: str) -> bool:
    if not re.fullmatch(r"\d{4}-(\d{2}-\d{2}|W\d{2}|\d{2})", period):
        return False
    try:
        start = period_start(period)
        period_end(period)
    except (ValueError, OverflowError):
        return False
    return period_of(cadence_of(period), start) == period


def _body(data: dict[str, Any]) -> tuple[str, str, str, Playbook]:
    content_hash, playbook_id, body = data["hash"], data["playbook"], data["body"]
    if not isinstance(content_hash, str) or not isinstance(playbook_id, str) or not isinstance(body, dict):
        raise ValueError("a playbook-version needs a string hash, a string playbook and an object body")
    _check_value(body, "the playbook body")
    try:
        playbook = Playbook.model_validate(body)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ValueError(
            f"the body of playbook version {content_hash} is not a valid playbook: {where}: {first['msg']}"
        ) from None
    return content_hash, playbook_id, dumps(body), playbook


def parse_lines(lines: Iterable[str], source: str) -> tuple[list[tuple[str, str, str]], list[Event]]:
    """Read every line first, so a bad line refuses the whole file before any write."""
    versions: list[tuple[str, str, str]] = []
    bodies: dict[str, Playbook] = {}
    raw_events: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data: Any = loads_strict(line)
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            if data.get("type") == "playbook-version":
                content_hash, playbook_id, body, playbook = _body(data)
                versions.append((content_hash, playbook_id, body))
                bodies[content_hash] = playbook
            else:
                raw_events.append((number, data))
        except RecursionError:
            raise ImportProblem(f"{source}:{number}: JSON nested too deeply") from None
        except (ValueError, KeyError, TypeError) as error:
            raise ImportProblem(f"{source}:{number}: {_reason(error)}") from None
    events: list[Event] = []
    for number, data in raw_events:  # after every version line, so a run can be checked against its playbook
        try:
            event = Event.from_json(data)
            _check_event(event, bodies)
        except RecursionError:
            raise ImportProblem(f"{source}:{number}: JSON nested too deeply") from None
        except (ValueError, KeyError, TypeError, OverflowError) as error:
            raise ImportProblem(f"{source}:{number}: {_reason(error)}") from None
        events.append(event)
    return versions, events


def _reason(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error}"
    return " ".join(str(error).split())[:300] or type(error).__name__


def _same(stored: Event, incoming: Event) -> bool:
    """Whether two events with one UUID say the same thing (who imported them aside)."""

    def essence(event: Event) -> dict[str, Any]:
        data = event.to_json()
        data["payload"] = {k: v for k, v in event.payload.items() if k != "imported"}
        return json.loads(dumps(data))  # type: ignore[no-any-return]

    return essence(stored) == essence(incoming)


def import_events(
    journal: JournalStore,
    versions: list[tuple[str, str, str]],
    events: list[Event],
    closed: Any,
    imported: dict[str, str] | None = None,
) -> ImportResult:
    """Insert what is new in one transaction; ``closed(run_id)`` recomputes a run's close time.

    ``imported`` (who, when, which file) is stored with every new event under
    ``payload.imported``. An event whose UUID is already in the journal with different
    content is a conflict: it is not imported, and listed in the result.
    """
    added = already = 0
    conflicts: list[str] = []
    touched: set[str] = set()
    version_conflicts: list[str] = []
    with journal.writing():
        for content_hash, playbook_id, body in versions:
            stored_body = journal.version(content_hash)
            if stored_body is not None:
                if json.loads(stored_body) != json.loads(body):
                    version_conflicts.append(content_hash)  # runs keep the version they used
                continue
            journal.store_version(content_hash, playbook_id, body, datetime.now().astimezone())
        for event in sorted(events, key=lambda e: (e.recorded_at, e.at)):
            stored = journal.event_by_uuid(event.uuid)
            if stored is not None:
                if _same(stored, event):
                    already += 1
                else:
                    conflicts.append(event.uuid)
                continue
            if imported is not None:
                event = replace(event, payload={**event.payload, "imported": imported})
            if not journal.insert_event(event):
                already += 1
                continue
            added += 1
            if event.run_id:
                touched.add(event.run_id)
            if event.kind == "run.opened" and event.run_id and event.playbook_id and event.playbook_hash:
                journal.insert_run(opened_run(event))
        for run_id in touched:
            if journal.run(run_id) is not None:
                journal.set_run_closed(run_id, closed(run_id))
    return ImportResult(added, already, len(versions), conflicts, version_conflicts)


__all__ = [
    "CSV_LINE_END",
    "export_csv",
    "export_jsonl",
    "import_events",
    "loads_strict",
    "parse_lines",
    "read_lines",
    "utc_text",
]


def opened_run(event: Event) -> RunRow:
    """The ``runs`` row a ``run.opened`` event stands for (open: its close time is folded later)."""
    assert event.run_id is not None and event.playbook_id is not None and event.playbook_hash is not None
    payload = event.payload
    return RunRow(
        event.run_id,
        event.playbook_id,
        event.playbook_hash,
        payload.get("period") or instance_key(event.run_id),
        event.at,
        event.operator,
        payload.get("title"),
        payload.get("severity"),
        None,
    )
