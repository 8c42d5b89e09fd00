"""Dated journeys: instances of sequence playbooks, their steps' due times, auto-started cohorts.

A sequence playbook's steps are due at offsets from an instance's anchor (an event's day, a
newcomer cohort's day): see :func:`soptui.schedule.step_due`. Reading (:func:`journey_items`,
:func:`instances`) never writes; :func:`start_due_cohorts` is a write, for commands that write
and for the app off its UI thread, never for read-only commands such as ``soptui due``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from soptui.journal import JournalError, RunRow
from soptui.ledger import ActionError, Ledger
from soptui.playbooks.models import Playbook, Step
from soptui.run_ids import instance_key, instance_run_id, parse_run_id
from soptui.runs import RunState, StepState
from soptui.schedule import parse_anchor, period_of, period_start, step_due

if TYPE_CHECKING:  # the read side never imports the write side
    from soptui.recorder import Recorder

MAX_COHORTS = 60
"""At most this many missing cohorts are started at once (a journal unused for months)."""


@dataclass
class JourneyStep:
    """One step of an instance with its due instant."""

    state: StepState
    due: datetime
    label: str

    @property
    def step(self) -> Step:
        return self.state.step

    @property
    def pending(self) -> bool:
        return self.state.status == "pending"

    def day(self, now: datetime) -> date:
        """The local day the step is due on (a step due at the end of a day is due that day)."""
        return (self.due - timedelta(microseconds=1)).astimezone(now.tzinfo).date()


@dataclass
class JourneyItem:
    """An instance of a sequence playbook as it stands at ``now``."""

    run: RunState
    anchor: date
    anchor_time: time | None
    steps: list[JourneyStep]
    """Every step, by due time."""
    now: datetime

    @property
    def playbook(self) -> Playbook:
        return self.run.playbook

    @property
    def title(self) -> str:
        """The instance's title, else the playbook's title and the anchor day."""
        return self.run.title or f"{self.playbook.title} {self.anchor.isoformat()}"

    @property
    def overdue(self) -> list[JourneyStep]:
        """Pending steps whose due time has passed (missed unless done late)."""
        return [s for s in self.steps if s.pending and s.due <= self.now]

    @property
    def upcoming(self) -> list[JourneyStep]:
        return [s for s in self.steps if s.pending and s.due > self.now]

    @property
    def next_due(self) -> list[JourneyStep]:
        """The pending steps due next: those due today, else those of the next day with any."""
        upcoming = self.upcoming
        if not upcoming:
            return []
        today = self.now.date()
        first_day = upcoming[0].day(self.now)
        day = today if first_day <= today else first_day
        return [s for s in upcoming if s.day(self.now) == day]

    def late(self, step: JourneyStep) -> timedelta:
        return max(self.now - step.due, timedelta())


def step_label(playbook: Playbook, step: Step) -> str:
    """``T-7``, ``T0``, ``T+1``, ``T-1h`` for an event countdown; ``D0``, ``D3`` for a cohort
    journey (``auto_start``)."""
    offset = step.offset or timedelta()
    prefix = "D" if playbook.auto_start else "T"
    if not offset:
        return f"{prefix}0"
    sign = "-" if offset < timedelta() else ("" if playbook.auto_start else "+")
    size = abs(offset)
    if not size % timedelta(days=1):
        return f"{prefix}{sign}{size.days}"
    from soptui.playbooks.fields import format_duration

    return f"{prefix}{sign}{format_duration(size)}"


def journey_item(ledger: Ledger, run: RunState, now: datetime) -> JourneyItem | None:
    """The instance ``run`` at ``now``; None when it has no readable anchor (a damaged import)."""
    try:
        anchor, anchor_time = parse_anchor(run.anchor or "")
    except ValueError:
        return None
    playbook = run.playbook
    calendar = ledger.library.calendar
    steps = [
        JourneyStep(
            state,
            step_due(playbook, state.step, anchor, anchor_time, ledger.zone, calendar),
            step_label(playbook, state.step),
        )
        for state in run.steps.values()
    ]
    steps.sort(key=lambda s: s.due)
    return JourneyItem(run, anchor, anchor_time, steps, now.astimezone(ledger.zone))


def instances(ledger: Ledger, now: datetime | None = None, *, everything: bool = False) -> list[JourneyItem]:
    """Active instances (with ``everything``, finished ones too), by anchor. Reads only."""
    return items_of(ledger, ledger.journal.instance_runs(active_only=not everything), now)


def items_of(ledger: Ledger, rows: list[RunRow], now: datetime | None = None) -> list[JourneyItem]:
    """The instances stored as ``rows``, by anchor."""
    moment = (now or ledger.clock()).astimezone(ledger.zone)
    items = []
    for state in ledger.fold_rows(rows):  # one batched read, not a query per instance
        item = journey_item(ledger, state, moment)
        if item is not None:
            items.append(item)
    items.sort(key=lambda i: (i.anchor, i.anchor_time or time(0), i.run.run_id))
    return items


def may_count(ledger: Ledger, row: RunRow, start: datetime, end: datetime) -> bool:
    """Whether instance ``row`` can count in a review of [start, end) (a finished journey of
    years ago is not folded for this week's review): open, opened or closed since
    ``start``, or with a step of its playbook version due in the range. Judged without
    reading its events: from the anchor day its id carries (the anchor's time moves a due
    time by less than a day, hence the day's margin) and all of its steps."""
    if row.closed_at is None or row.closed_at >= start or row.opened_at >= start:
        return True
    parsed = parse_run_id(row.run_id)
    if parsed is None or parsed.anchor is None:
        return True  # folded as before, and judged there
    try:
        playbook = ledger.playbook_version(row.playbook_hash, row.playbook_id)
    except ActionError:
        return True
    calendar, zone, margin = ledger.library.calendar, ledger.zone, timedelta(days=1)
    return any(
        start - margin <= step_due(playbook, step, parsed.anchor, None, zone, calendar) < end + margin
        for step in playbook.steps
    )


def journey_items(ledger: Ledger, now: datetime | None = None) -> list[JourneyItem]:
    """The agenda's journeys block: active instances (reads only)."""
    return instances(ledger, now)


def cohort_anchors(
    ledger: Ledger, playbook: Playbook, now: datetime, first_seen: datetime | None
) -> list[date]:
    """The anchor days of ``playbook``'s auto-started cohorts that should exist at ``now``: the
    current period's, and earlier ones back to when the journal first saw the playbook, as
    long as their journey still has steps ahead (at most MAX_COHORTS)."""
    cadence = playbook.auto_start
    if cadence is None:
        return []
    today = now.astimezone(ledger.zone).date()
    current = period_start(period_of(cadence, today))
    longest = max((s.offset or timedelta() for s in playbook.steps), default=timedelta())
    earliest = today - timedelta(days=max(longest.days, 0) + 1)
    seen = first_seen.astimezone(ledger.zone).date() if first_seen is not None else None
    earliest = current if seen is None else max(earliest, seen)
    step = timedelta(days=1 if cadence == "daily" else 7)
    anchors: list[date] = []
    day = current
    while day >= period_start(period_of(cadence, earliest)) and len(anchors) < MAX_COHORTS:
        anchors.append(day)
        day -= step
    return sorted(anchors)


def start_due_cohorts(recorder: Recorder, now: datetime | None = None) -> list[RunState]:
    """Start the auto-start cohorts that are due and not started yet; return those started.

    A write (each cohort one transaction; an existing cohort is left as it is): call it from
    commands that write, and from the app off the UI thread, never from read-only commands.
    """
    journal = recorder.journal
    if journal.readonly:
        return []
    moment = (now or recorder.clock()).astimezone(recorder.zone)
    started: list[RunState] = []
    seen = journal.first_seen()
    for entry in recorder.library:
        playbook = entry.playbook
        if not playbook.is_sequence or playbook.auto_start is None:
            continue
        if playbook.id not in seen:
            with journal.writing(wait=recorder.write_wait):
                journal.mark_seen([playbook.id], moment)
        anchors = cohort_anchors(recorder.ledger, playbook, moment, seen.get(playbook.id))
        keys = [instance_key(instance_run_id(playbook.id, day)) or "" for day in anchors]
        existing = journal.runs_for_periods(playbook.id, keys)
        for day, key in zip(anchors, keys, strict=True):
            if key in existing:
                continue
            try:
                started.append(recorder.start_instance(playbook.id, day, at=moment, auto=playbook.auto_start))
            except (ActionError, JournalError):
                continue  # the journal is busy, or the anchor is out of range: next time
    return started


__all__ = [
    "JourneyItem",
    "JourneyStep",
    "cohort_anchors",
    "instances",
    "journey_item",
    "journey_items",
    "start_due_cohorts",
    "step_label",
]
