"""The public JSONL exchange format: export every event, import idempotently by UUID.

Lines are JSON objects. ``{"type": "playbook-version", ...}`` lines carry the playbook
versions runs used; ``{"type": "event", ...}`` lines carry events (see docs/journal.md).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from soptui.journal.events import Event, dumps, utc_text
from soptui.journal.store import Journal, RunRow
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
    "kind",
    "payload",
]


def export_jsonl(journal: Journal, since: datetime | None, until: datetime | None) -> Iterator[str]:
    for content_hash, playbook_id, body in journal.versions():
        yield dumps(
            {
                "type": "playbook-version",
                "hash": content_hash,
                "playbook": playbook_id,
                "body": json.loads(body),
            }
        )
    for event in journal.events_between(since, until):
        yield dumps(event.to_json())


def export_csv(journal: Journal, since: datetime | None, until: datetime | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for event in journal.events_between(since, until):
        row = event.to_json()
        row["payload"] = dumps(row["payload"])
        # CSV is for people and spreadsheets: control and bidi characters shown, never raw.
        writer.writerow({k: visible(v, newlines=False) if isinstance(v, str) else v for k, v in row.items()})
        yield buffer.getvalue().rstrip("\r\n")
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue().rstrip("\r\n")


@dataclass
class ImportResult:
    added: int
    already: int
    versions: int


class ImportProblem(ValueError):
    """A line of an import file that cannot be read; nothing was imported."""


def parse_lines(lines: Iterable[str], source: str) -> tuple[list[tuple[str, str, str]], list[Event]]:
    """Read every line first, so a bad line refuses the whole file before any write."""
    versions: list[tuple[str, str, str]] = []
    events: list[Event] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data: Any = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            if data.get("type") == "playbook-version":
                versions.append((str(data["hash"]), str(data["playbook"]), json.dumps(data["body"])))
            else:
                events.append(Event.from_json(data))
        except (ValueError, KeyError, TypeError) as error:
            reason = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            raise ImportProblem(f"{source}:{number}: {reason}") from None
    return versions, events


def import_events(
    journal: Journal, versions: list[tuple[str, str, str]], events: list[Event], closed: Any
) -> ImportResult:
    """Insert what is new in one transaction; ``closed(run_id)`` recomputes a run's close time."""
    added = already = 0
    touched: set[str] = set()
    with journal.writing():
        for content_hash, playbook_id, body in versions:
            journal.store_version(content_hash, playbook_id, body, datetime.now().astimezone())
        for event in sorted(events, key=lambda e: (e.recorded_at, e.at)):
            if not journal.insert_event(event):
                already += 1
                continue
            added += 1
            if event.run_id:
                touched.add(event.run_id)
            if event.kind == "run.opened" and event.run_id and event.playbook_id and event.playbook_hash:
                payload = event.payload
                journal.insert_run(
                    RunRow(
                        event.run_id,
                        event.playbook_id,
                        event.playbook_hash,
                        payload.get("period"),
                        event.at,
                        event.operator,
                        payload.get("title"),
                        payload.get("severity"),
                        None,
                    )
                )
        for run_id in touched:
            if journal.run(run_id) is not None:
                journal.set_run_closed(run_id, closed(run_id))
    return ImportResult(added, already, len(versions))


__all__ = ["export_csv", "export_jsonl", "import_events", "parse_lines", "utc_text"]
