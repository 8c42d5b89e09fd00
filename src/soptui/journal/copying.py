"""``soptui journal copy``: every event (with the playbook versions and runs) from one journal
into another, whatever their backends, idempotent by event UUID.

Events go over in batches, each batch one transaction in the target: a copy killed halfway
leaves whole batches, and running it again adds only what is missing (an event whose UUID
the target already holds is never written twice). Runs are re-derived in the target as an
import does: a run's row from its ``run.opened`` event, its close time folded from the
events the target now holds.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice

from soptui.events import FIRST_INSTANT, LAST_INSTANT, Event
from soptui.i18n import _
from soptui.journal.base import JournalStore
from soptui.journal.exchange import _same, opened_run
from soptui.journal.store import RunRow

BATCH = 2000
"""Events per target transaction."""

Closed = Callable[[str], datetime | None]
"""When a run of the target closed, folded from its events there (None: still open)."""
Progress = Callable[[int, int], None]
"""Called after each batch with (events read so far, events in the source)."""


MAX_TEAM_CHARS = 64


def team_problem(name: str) -> str | None:
    """Why ``name`` cannot be a team's name (``--team``), if it cannot."""
    if not name.strip() or name != name.strip() or len(name) > MAX_TEAM_CHARS or not name.isprintable():
        return _(
            "a team name is 1 to {limit} printable characters without spaces at either end: {name!r}"
        ).format(limit=MAX_TEAM_CHARS, name=name)
    return None


@dataclass
class CopyResult:
    added: int = 0
    already: int = 0
    versions: int = 0
    conflicts: list[str] = field(default_factory=list)
    """UUIDs the target holds with different content: not copied."""
    version_conflicts: list[str] = field(default_factory=list)
    """Playbook-version hashes stored in the target with a different body: the target's kept."""
    teams: set[str | None] = field(default_factory=set)
    """The teams of the source's events (None: events without a team)."""
    read: int = 0
    """Events read from the source so far."""


def copy_journal(
    source: JournalStore,
    target: JournalStore,
    closed: Closed,
    *,
    team: str | None = None,
    only_team: str | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> CopyResult:
    """Copy ``source`` into ``target``; ``team`` stamps every copied event with that team,
    ``only_team`` copies only the events of that team."""
    result = CopyResult()
    total = source.event_count()
    with target.writing():
        for content_hash, playbook_id, body in source.versions():
            stored = target.version(content_hash)
            if stored is None:
                target.store_version(content_hash, playbook_id, body, datetime.now(UTC))
                result.versions += 1
            elif json.loads(stored) != json.loads(body):
                result.version_conflicts.append(content_hash)
        seen = source.first_seen()
        for playbook_id, first in sorted(seen.items()):
            target.mark_seen([playbook_id], first)
    # Everything else is read from the source before its events stream: a SQLite journal keeps
    # its reading connection for a stream, so reading more from it meanwhile would wait forever.
    runs = {row.run_id: row for row in source.runs_opened_between(FIRST_INSTANT, LAST_INSTANT)}
    streamed = source.events_between()
    try:
        events = _wanted(streamed, only_team, result)
        while chunk := list(islice(events, batch)):
            _copy_batch(runs, target, chunk, closed, team, result)
            if progress is not None:
                progress(min(result.read, total), total)
    finally:
        # A stream left open keeps the source's reading connection (a failed batch must not
        # leave it held).
        with contextlib.suppress(Exception):
            getattr(streamed, "close", lambda: None)()
    return result


def _wanted(events: Iterator[Event], only_team: str | None, result: CopyResult) -> Iterator[Event]:
    for event in events:
        result.read += 1
        result.teams.add(event.team)
        if only_team is None or event.team == only_team:
            yield event


def _copy_batch(
    runs: dict[str, RunRow],
    target: JournalStore,
    chunk: list[Event],
    closed: Closed,
    team: str | None,
    result: CopyResult,
) -> None:
    touched: set[str] = set()
    with target.writing():
        for event in chunk:
            if team is not None:
                event = replace(event, team=team)
            if not target.insert_event(event):
                stored = target.event_by_uuid(event.uuid)
                if stored is not None and _same(stored, event):
                    result.already += 1
                else:
                    result.conflicts.append(event.uuid)
                continue
            result.added += 1
            if event.run_id is None:
                continue
            touched.add(event.run_id)
            if event.kind == "run.opened" and event.playbook_id and event.playbook_hash:
                target.insert_run(_run_row(runs.get(event.run_id), event))
        for run_id in sorted(touched):
            if target.run(run_id) is not None:
                target.set_run_closed(run_id, closed(run_id))


def _run_row(row: RunRow | None, event: Event) -> RunRow:
    """The run a ``run.opened`` event opened: the source's row (its close time is folded again
    in the target), else what the event itself says."""
    if row is not None and row.playbook_hash == event.playbook_hash:
        return replace(row, closed_at=None)
    return opened_run(event)
