"""Today's agenda: each routine's current run, due time, overdue and missed periods."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from soptui.journal import Event
from soptui.journeys import JourneyItem, journey_items, start_due_cohorts
from soptui.ledger import Ledger
from soptui.playbooks.loader import LoadedPlaybook
from soptui.run_ids import routine_run_id
from soptui.runs import RunState
from soptui.schedule import due_at, local_midnight, next_period, period_of, period_start, periods_between

if TYPE_CHECKING:  # the read side never imports the write side
    from soptui.recorder import Recorder

MISSED_LIMIT = 60
_DAYS = {"daily": 1, "weekly": 7, "monthly": 31}
"""The most days a period of each cadence has (to go MISSED_LIMIT periods back)."""


@dataclass
class AgendaItem:
    """One routine on the agenda."""

    entry: LoadedPlaybook
    period: str
    due: datetime
    run: RunState | None
    overdue: bool
    missed: list[str] = field(default_factory=list)
    not_due: bool = False
    """A ``working_days`` daily routine on a day off (weekend, public holiday, team day off):
    not due today, never overdue, never missed."""

    @property
    def state_word(self) -> str:
        if self.not_due and (self.run is None or (self.run.done_count == 0 and not self.run.is_closed)):
            return "not due"
        if self.run is None or (self.run.done_count == 0 and not self.run.is_closed):
            return "not started"
        return "done" if self.run.is_closed else "in progress"


@dataclass
class Agenda:
    """What is due now, what is open, and the day's free notes."""

    day: date
    now: datetime
    routines: list[AgendaItem]
    incidents: list[RunState]
    day_notes: list[Event]
    unseen: list[str] = field(default_factory=list)
    """Routines the journal has not seen before: see :func:`record_sightings`."""
    journeys: list[JourneyItem] = field(default_factory=list)
    """Active instances of sequence playbooks (dated journeys), by anchor."""
    flagged: list[tuple[str, str]] = field(default_factory=list)
    """(group name, playbook title) of groups a finding flagged and nobody has cleared yet."""


def build_agenda(ledger: Ledger, now: datetime | None = None) -> Agenda:
    """The agenda at ``now`` in the ledger's zone. Reads only: it never waits on a writer."""
    now = (now or ledger.clock()).astimezone(ledger.zone)
    journal = ledger.journal
    routines = [e for e in ledger.library if e.playbook.is_routine]
    seen = journal.first_seen()
    cohorts = [e for e in ledger.library if e.playbook.is_sequence and e.playbook.auto_start]
    unseen = [e.playbook.id for e in (*routines, *cohorts) if e.playbook.id not in seen]
    runs = _current_runs(ledger, routines, now)
    items = [
        _item(ledger, entry, now, seen.get(entry.playbook.id), runs.get(entry.playbook.id))
        for entry in routines
    ]
    incidents = [ledger.fold_row(row) for row in journal.open_incidents()]
    start = local_midnight(now.date(), ledger.zone)
    notes = journal.day_notes(
        start, local_midnight(date.fromordinal(now.date().toordinal() + 1), ledger.zone)
    )
    agenda = Agenda(now.date(), now, items, incidents, notes, unseen, journey_items(ledger, now))
    agenda.flagged = _flagged(ledger)
    return agenda


def _flagged(ledger: Ledger) -> list[tuple[str, str]]:
    """Groups flagged by a ``flag_group`` step (a "yes" not yet answered "no" again), by roster order."""
    roster = ledger.library.roster
    found = []
    for entry in ledger.library:
        flagged = ledger.flagged_groups(entry.playbook) if roster.groups else set()
        found += [(g.name, entry.playbook.title) for g in roster.groups if g.id in flagged]
    return found


def record_sightings(recorder: Recorder, agenda: Agenda) -> None:
    """Note when each new routine was first seen (missed periods count from then).

    A write: the app calls it off the UI thread, and read-only commands such as ``due`` not at all.
    """
    if agenda.unseen and not recorder.journal.readonly:
        with recorder.journal.writing(wait=recorder.write_wait):
            recorder.journal.mark_seen(agenda.unseen, agenda.now)


def start_agenda_journeys(recorder: Recorder, now: datetime | None = None) -> bool:
    """The app's hook for auto-started journeys: start the cohorts due by ``now`` (see
    :func:`soptui.journeys.start_due_cohorts`). A write: call it off the UI thread, beside
    :func:`record_sightings`, and rebuild the agenda when it returns True (something started)."""
    return bool(start_due_cohorts(recorder, now))


def _current_runs(ledger: Ledger, routines: list[LoadedPlaybook], now: datetime) -> dict[str, RunState]:
    """Each routine's run of its current period, if it has one: one query for the rows and
    one batched fold (a dozen groups' copies of the routines are a hundred runs or more)."""
    current = {e.playbook.id: period_of(e.playbook.cadence, now.date()) for e in routines}
    wanted = {routine_run_id(playbook_id, period) for playbook_id, period in current.items()}
    rows = [row for row in ledger.journal.routine_runs(sorted(set(current.values()))) if row.run_id in wanted]
    return {row.playbook_id: state for row, state in zip(rows, ledger.fold_rows(rows), strict=True)}


def _item(
    ledger: Ledger, entry: LoadedPlaybook, now: datetime, first_seen: datetime | None, run: RunState | None
) -> AgendaItem:
    playbook = entry.playbook
    period = period_of(playbook.cadence, now.date())
    calendar = ledger.library.calendar
    due = due_at(playbook, period, ledger.zone, calendar)
    # A working-days daily routine is not due on a day off (春节, a weekend, a team day off).
    not_due = (
        playbook.working_days and playbook.cadence == "daily" and not calendar.is_working_day(now.date())
    )
    # Not overdue before the journal first saw the routine: a team that adds a monthly routine
    # on the 23rd is not 13 days late for the 10th.
    seen_before_due = first_seen is not None and first_seen < due
    overdue = now > due and not (run and run.is_closed) and seen_before_due and not not_due
    missed: list[str] = []
    if first_seen is not None:
        # Periods after the one in which the routine was first seen, before the current one.
        first = next_period(period_of(playbook.cadence, first_seen.astimezone(ledger.zone).date()))
        # Only the last MISSED_LIMIT periods are shown: start there, not years back.
        start = max(period_start(first), now.date() - timedelta(days=MISSED_LIMIT * _DAYS[playbook.cadence]))
        span = periods_between(playbook.cadence, start, now.date()) if start <= now.date() else []
        earlier = [p for p in span if p < period]
        earlier = earlier[-MISSED_LIMIT:]
        runs = ledger.journal.runs_for_periods(playbook.id, earlier)
        missed = [p for p in earlier if p not in runs or runs[p].closed_at is None]
        if playbook.working_days and playbook.cadence == "daily":
            missed = [p for p in missed if calendar.is_working_day(period_start(p))]
    return AgendaItem(entry, period, due, run, overdue, missed, not_due)
