"""Building a review from the journal: every figure defined so it can be checked by hand.

Definitions (see docs/review.md):
- a routine's period is *expected* when it falls in the range, is not before the routine was
  first seen (or first run), and is due by now or already has a closed run;
- *completed* periods have a closed run; *on time* ones closed by their due time;
- a metric value belongs to the day it was recorded, clamped into its run's period, so a
  daily run finished after midnight and a backfilled value both count for the run's day;
- durations run from a run's opening to its closing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from typing import TypeGuard
from zoneinfo import ZoneInfo

from soptui.journal.store import RecordedValue
from soptui.ledger import ActionError, Ledger
from soptui.playbooks.fields import MAX_NUMBER
from soptui.playbooks.models import Playbook
from soptui.review.coordination import Corrections, with_coordination
from soptui.review.model import (
    GoalStats,
    GroupStats,
    IncidentStats,
    JourneyCounts,
    JourneyStats,
    LeftStep,
    MetricStats,
    NoteRow,
    OwnerLoad,
    PersonRow,
    Review,
    RoutineStats,
    SkippedStep,
    SlowStep,
)
from soptui.review.titles import Titles
from soptui.run_ids import routine_period
from soptui.runs import RunState
from soptui.schedule import (
    due_at,
    is_iso_week,
    period_end,
    period_of,
    period_start,
    periods_between,
    previous_period,
)
from soptui.timeline import escalation

Value = tuple[date, datetime, float]  # attributed day, recorded instant, value


@dataclass(frozen=True)
class ReviewRange:
    """An inclusive range of team-local days."""

    start: date
    end: date
    label: str

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def is_week(self) -> bool:
        """Whether the range is one ISO week (Monday to Sunday), labelled as such."""
        return is_iso_week(self.start, self.end, self.label)

    def previous(self) -> ReviewRange:
        length = self.end - self.start + timedelta(days=1)
        start = self.start - length
        if self.is_week:
            return week_range(period_of("weekly", start))
        return ReviewRange(
            start, self.start - timedelta(days=1), f"{start} → {self.start - timedelta(days=1)}"
        )

    def next(self) -> ReviewRange:
        if self.is_week:
            return week_range(period_of("weekly", self.end + timedelta(days=1)))
        length = self.end - self.start + timedelta(days=1)
        return ReviewRange(
            self.start + length, self.end + length, f"{self.start + length} → {self.end + length}"
        )


def week_range(week: str) -> ReviewRange:
    """The ISO week ``2026-W48`` as a range (ValueError if it is not one)."""
    start = period_start(week)
    return ReviewRange(start, start + timedelta(days=6), week)


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def _routine_runs(ledger: Ledger, start: date, end: date) -> list[RunState]:
    """The routine runs of the periods in [start, end], folded for figures (the ledger reads
    them in batches, their groups' ticks in compact form: a week of 200 groups and eight
    per-group steps is 11,200 of them)."""
    periods: list[str] = []
    for cadence in ("daily", "weekly", "monthly"):
        periods += periods_between(cadence, start, end, limit=5000)
    return ledger.fold_rows(ledger.journal.routine_runs(periods))


def _incident_runs(ledger: Ledger, start: date, end: date) -> list[RunState]:
    """The incidents opened in [start, end], folded for figures."""
    zone = ledger.zone
    rows = ledger.journal.incidents_opened_between(
        _instant(start, zone), _instant(end + timedelta(days=1), zone)
    )
    return ledger.fold_rows(rows)


def build_review(ledger: Ledger, rng: ReviewRange, now: datetime | None = None) -> Review:
    """The review of ``rng`` as of ``now``."""
    zone = ledger.zone
    now = (now or ledger.clock()).astimezone(zone)
    corrections = Corrections.read(ledger)  # amendments, applied to the values
    values = _values(ledger, rng, corrections)
    routine_runs = _routine_runs(ledger, rng.start, rng.end)
    incidents = _incident_runs(ledger, rng.start, rng.end)
    in_range = routine_runs + incidents
    notes, people = _notes_and_people(ledger, rng)
    review = Review(
        start=rng.start,
        end=rng.end,
        label=rng.label,
        generated_at=now,
        routines=_routines(ledger, rng, routine_runs, now),
        skipped=_skipped(in_range),
        left=_left(in_range),
        slow=_slow(in_range),
        metrics=_metrics(ledger, rng, values, now),
        goals=_goals(ledger, rng, values),
        incidents=[_incident(state, now) for state in incidents],
        notes=notes,
        people=people,
        days=rng.days,
        groups=(groups := _groups(ledger, routine_runs)),
        owners=_owners(ledger, groups),
        journeys=(journeys := _journeys(ledger, rng, now))[0],
        journey_counts=journeys[1],
    )
    return with_coordination(review, ledger, corrections)


# -- journeys --------------------------------------------------------------------------------


def _journeys(
    ledger: Ledger, rng: ReviewRange, now: datetime
) -> tuple[list[JourneyStats], JourneyCounts | None]:
    """Each step of each instance that fell due in the range: on time, late, missed or still to
    come; and how many instances were active, started and finished in it."""
    from soptui.journeys import items_of, may_count

    rows = ledger.journal.instance_runs(active_only=False)
    if not rows:
        return [], None
    zone = ledger.zone
    start, end = _instant(rng.start, zone), _instant(rng.end + timedelta(days=1), zone)
    items = items_of(ledger, [row for row in rows if may_count(ledger, row, start, end)], now)
    counts: dict[tuple[str, str], list[int]] = {}
    order: list[tuple[str, str]] = []
    titles: dict[str, tuple[str, bool]] = {}
    for item in items:
        titles[item.playbook.id] = (item.playbook.title, item.playbook.auto_start is not None)
        for step in item.steps:
            if not start <= step.due < end or step.state.status == "n/a":
                continue
            key = (item.playbook.id, step.label)
            if key not in counts:
                counts[key] = [0, 0, 0, 0]
                order.append(key)
            at, status = step.state.at, step.state.status
            if status in ("done", "skipped") and at is not None:
                counts[key][0 if at <= step.due else 1] += 1
            else:
                counts[key][2 if step.due <= now else 3] += 1
    stats = []
    for pid, label in order:
        on_time, late, missed, pending = counts[(pid, label)]
        stats.append(JourneyStats(pid, titles[pid][0], label, on_time, late, missed, pending, titles[pid][1]))
    active = sum(1 for i in items if not i.run.is_closed or (i.run.closed_at or now) >= start)
    started = sum(1 for i in items if start <= i.run.opened_at < end)
    finished = sum(1 for i in items if i.run.closed_at is not None and start <= i.run.closed_at < end)
    return stats, JourneyCounts(active, started, finished)


# -- groups ----------------------------------------------------------------------------------


def _groups(ledger: Ledger, runs: list[RunState]) -> list[GroupStats]:
    """Each group's ticks on the per-group steps of the range's runs, and its metric values."""
    roster = ledger.library.roster
    if not roster.groups:
        return []
    done: dict[str, int] = {}
    skipped: dict[str, int] = {}
    expected: dict[str, int] = {}
    last: dict[str, datetime] = {}
    values: dict[str, dict[str, list[float]]] = {}
    aggregates: dict[str, str] = {}
    for state in runs:
        for step in state.steps.values():
            if not step.per_group or step.status == "n/a":
                continue
            spec = step.step.input
            metric, kind = (spec.metric, spec.aggregate) if spec is not None else (None, "last")
            for group_id in step.expected:
                expected[group_id] = expected.get(group_id, 0) + 1
            for group_id, mark in step.groups.items():  # 1,600 a day for 200 groups: kept lean
                counter = done if mark.status == "done" else skipped
                counter[group_id] = counter.get(group_id, 0) + 1
                touched = last.get(group_id)
                if touched is None or mark.at > touched:
                    last[group_id] = mark.at
                value = mark.value
                if metric and isinstance(value, int | float) and not isinstance(value, bool):
                    values.setdefault(group_id, {}).setdefault(metric, []).append(float(value))
                    aggregates[metric] = kind
    stats = [
        GroupStats(
            group.id,
            group.name,
            group.owner,
            done.get(group.id, 0),
            skipped.get(group.id, 0),
            expected.get(group.id, 0),
            last.get(group.id),
            {m: _combine(vs, aggregates[m]) for m, vs in values.get(group.id, {}).items()},
        )
        for group in roster.groups
        if group.id in expected or group.id in last
    ]
    return sorted(stats, key=lambda g: (g.completion if g.completion is not None else 2.0, g.group_id))


def _combine(values: list[float], aggregate: str) -> float:
    if aggregate == "sum":
        return sum(values)
    if aggregate == "mean":
        return sum(values) / len(values)
    if aggregate == "min":
        return min(values)
    if aggregate == "max":
        return max(values)
    return values[-1]


def _owners(ledger: Ledger, groups: list[GroupStats]) -> list[OwnerLoad]:
    roster = ledger.library.roster
    owned: dict[str, list[GroupStats]] = {}
    for group in groups:
        if group.owner:
            owned.setdefault(group.owner, []).append(group)
    return [
        OwnerLoad(
            login,
            roster.name_of(login),
            sum(1 for g in roster.active() if g.owner == login),
            sum(g.done + g.skipped for g in mine),
            sum(g.expected for g in mine),
        )
        for login, mine in sorted(owned.items())
    ]


# -- routines --------------------------------------------------------------------------


def _playbooks(ledger: Ledger, runs: Iterable[RunState]) -> dict[str, Playbook]:
    """Routines in the library, plus any the journal knows that the library no longer has."""
    found = {e.playbook.id: e.playbook for e in ledger.library if e.playbook.is_routine}
    for state in runs:
        found.setdefault(state.playbook.id, state.playbook)
    return found


def _routines(ledger: Ledger, rng: ReviewRange, runs: list[RunState], now: datetime) -> list[RoutineStats]:
    zone = ledger.zone
    seen = ledger.journal.first_seen()
    playbooks = _playbooks(ledger, runs)
    first_runs = ledger.journal.first_periods(playbooks)
    by_key = {(s.playbook.id, s.period): s for s in runs}
    stats = []
    for playbook_id, playbook in sorted(
        playbooks.items(),
        key=lambda kv: (("daily", "weekly", "monthly").index(kv[1].cadence), kv[0]),
    ):
        current = period_of(playbook.cadence, now.date())
        after = _missed_after(playbook, seen.get(playbook_id), first_runs.get(playbook_id), zone)
        expected, completed, on_time, missed, durations = [], [], [], [], []
        for period in periods_between(playbook.cadence, rng.start, rng.end, limit=5000):
            state = by_key.get((playbook_id, period))
            closed = state.closed_at if state else None
            if state is not None and closed is not None:
                expected.append(period)
                completed.append(period)
                durations.append(closed - state.opened_at)
                if closed <= due_at(playbook, period, zone):
                    on_time.append(period)
            elif after is not None and after < period < current:
                # Over without a closed run: missed, by the same rule as Today and `soptui due`.
                expected.append(period)
                missed.append(period)
        strip = []
        if playbook.cadence == "daily":
            for day in rng.days:
                period = day.isoformat()
                strip.append(
                    "✓"
                    if period in completed
                    else "!"
                    if period in missed
                    else "·"
                    if period >= current
                    else "–"
                )
        median = _median(durations)
        stats.append(
            RoutineStats(
                playbook_id,
                playbook.title,
                playbook.cadence,
                expected,
                completed,
                on_time,
                missed,
                median,
                strip,
            )
        )
    return stats


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _missed_after(
    playbook: Playbook, seen: datetime | None, first_run: str | None, zone: ZoneInfo
) -> str | None:
    """The last period that cannot be missed: the one in which the routine was first seen (as
    on Today, which counts missed periods from the next one), or, for a routine Today never
    saw, the one before its first run. None: nothing can be missed yet."""
    if seen is not None:
        return period_of(playbook.cadence, seen.astimezone(zone).date())
    return previous_period(first_run) if first_run else None


# -- steps -------------------------------------------------------------------------------


def _skipped(runs: list[RunState]) -> list[SkippedStep]:
    counts: Counter[tuple[str, str]] = Counter()
    reasons: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    titles: dict[tuple[str, str], str] = {}
    for state in runs:
        for step in state.steps.values():
            if step.status == "skipped":
                key = (state.playbook.id, step.step.id)
                counts[key] += 1
                reasons[key][step.reason or "(optional)"] += 1
                titles[key] = step.step.title
    return [
        SkippedStep(key[0], key[1], titles[key], n, reasons[key].most_common())
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _left(runs: list[RunState]) -> list[LeftStep]:
    counts: Counter[tuple[str, str]] = Counter()
    titles: dict[tuple[str, str], str] = {}
    for state in runs:
        for step_id in state.left:
            key = (state.playbook.id, step_id)
            counts[key] += 1
            step = state.playbook.step(step_id)
            titles[key] = step.title if step else step_id
    return [
        LeftStep(k[0], k[1], titles[k], n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _slow(runs: list[RunState], limit: int = 5) -> list[SlowStep]:
    spans: dict[tuple[str, str], list[timedelta]] = defaultdict(list)
    meta: dict[tuple[str, str], tuple[str, timedelta]] = {}
    for state in runs:
        previous = state.opened_at
        for step in sorted((s for s in state.steps.values() if s.at), key=lambda s: s.at or previous):
            assert step.at is not None
            if step.status == "done" and step.step.estimate:
                key = (state.playbook.id, step.step.id)
                spans[key].append(step.at - previous)
                meta[key] = (step.step.title, step.step.estimate)
            previous = step.at
    slow = [
        SlowStep(k[0], k[1], meta[k][0], len(v), sum(v, timedelta()) / len(v), meta[k][1])
        for k, v in spans.items()
    ]
    slow = [s for s in slow if s.mean > s.estimate]
    return sorted(slow, key=lambda s: (-s.ratio, s.playbook_id, s.step_id))[:limit]


# -- metrics and goals ---------------------------------------------------------------------


def _values(ledger: Ledger, rng: ReviewRange, corrections: Corrections) -> dict[str, list[Value]]:
    """Metric values attributed to days from the first day a goal looks at (or the compared
    range's first) to the range's end, by metric.

    The metrics compare the range with the one before; a goal may look back months, and
    most values measure no goal: before the compared range only the steps whose values
    measure a goal are read (on the five-year bench journal 3,227 rows instead of 8,396).
    """
    goals = ledger.library.goals
    compared = rng.previous().start
    start = min([compared, *(g.start or g.by - timedelta(days=91) for g in goals)])
    recorded = _recorded(ledger, start, compared, rng.end)
    if start < compared:
        zone = ledger.zone
        since, until = _instant(start - timedelta(days=1), zone), _instant(compared - timedelta(days=1), zone)
        steps = _steps_measuring(ledger, {g.metric for g in goals}, since, until)
        recorded = ledger.journal.recorded_values(since, until, steps=steps) + recorded
    return _attributed(ledger, recorded, start, rng.end, corrections)


def _steps_measuring(
    ledger: Ledger, metrics: set[str], start: datetime, end: datetime
) -> list[tuple[str, str]]:
    """The (playbook id, step id) of the values recorded in [start, end) that measure one of
    ``metrics`` in the playbook version they were recorded with."""
    keys = ledger.journal.value_steps(start, end)
    return sorted({(key[1], key[2]) for key in keys if _metric_of(ledger, *key) in metrics})


def _recorded(ledger: Ledger, start: date, first: date, end: date) -> list[RecordedValue]:
    """Values recorded from the day before ``first`` to the day after ``end``, and later
    ones of runs whose periods lie in [start, end]."""
    zone = ledger.zone
    # A run's value may be recorded up to a month after its period began (monthly routines):
    # values recorded after the range count only for runs of periods in it.
    return ledger.journal.recorded_values(
        _instant(first - timedelta(days=1), zone),
        _instant(end + timedelta(days=1), zone),
        late_until=_instant(end + timedelta(days=36), zone),
        late_periods=[(period_of(c, start), period_of(c, end)) for c in ("daily", "weekly", "monthly")],
    )


def _attributed(
    ledger: Ledger, recorded: list[RecordedValue], start: date, end: date, corrections: Corrections
) -> dict[str, list[Value]]:
    """The values among ``recorded`` that belong to days in [start, end], by metric.

    A value belongs to the team-local day it was recorded, clamped into its run's period (a
    late or backfilled value counts for its run). A corrected value counts as corrected, a
    retracted one not at all (``corrections.touched`` notes the metric and day).
    """
    zone = ledger.zone
    found: dict[str, list[Value]] = defaultdict(list)
    # Thousands of values (a metric per group) share a few steps and runs: look each up once.
    metrics: dict[tuple[str, str, str], str | None] = {}
    periods: dict[str, tuple[date, date] | None] = {}  # run -> the first and last day of its period
    for item in recorded:
        fix = corrections.take(item)
        value = item.value if fix is None else fix.value
        number = float(value) if _number(value) else None
        if fix is None and number is None:
            continue
        key = (item.playbook_hash, item.playbook_id or "", item.step_id or "")
        if key not in metrics:
            metrics[key] = _metric_of(ledger, *key)
        metric = metrics[key]
        if metric is None:
            continue
        span = _period_span(item.run_id, periods)
        if span is not None:
            first, last = span
            # A daily run's values all belong to its day, whenever they were recorded.
            day = first if first == last else min(max(item.at.astimezone(zone).date(), first), last)
        else:
            day = item.at.astimezone(zone).date()
        if start <= day <= end:
            if fix is not None:
                corrections.touched.add((metric, day))
            if number is not None:
                found[metric].append((day, item.at, number))
    for values in found.values():
        values.sort(key=itemgetter(0, 1))  # by day, then instant
    return found


def _period_span(run_id: str | None, known: dict[str, tuple[date, date] | None]) -> tuple[date, date] | None:
    """The first and last day of a routine run's period (None for other runs), each run's once."""
    if run_id is None:
        return None
    if run_id not in known:
        period = routine_period(run_id)
        known[run_id] = (
            None if period is None else (period_start(period), period_end(period) - timedelta(days=1))
        )
    return known[run_id]


def _metric_of(ledger: Ledger, content_hash: str, playbook_id: str, step_id: str) -> str | None:
    """The metric a step of a playbook version records, if any."""
    try:
        playbook = ledger.playbook_version(content_hash, playbook_id)
    except ActionError:
        return None
    step = playbook.step(step_id)
    return step.input.metric if step is not None and step.input is not None else None


def _number(value: object) -> TypeGuard[int | float]:
    """A metric value: a number, finite and bounded (one stored before values were bounded,
    a 400-digit integer, reads back as Inf; NaN compares false)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) <= MAX_NUMBER


def aggregate(kind: str, values: list[float]) -> float | None:
    if not values:
        return None
    if kind == "sum":
        return sum(values)
    if kind == "mean":
        return sum(values) / len(values)
    if kind == "min":
        return min(values)
    if kind == "max":
        return max(values)
    return values[-1]


def _window(values: list[Value], start: date, end: date) -> list[float]:
    return [v for day, _, v in values if start <= day <= end]


def compared_days(rng: ReviewRange, today: date) -> tuple[date, date, bool]:
    """The days a range's metrics are compared with: the whole previous range, or, while the
    range is still running (today inside it), the same days of the previous range."""
    previous = rng.previous()
    if rng.start <= today <= rng.end:
        return previous.start, min(previous.start + (today - rng.start), previous.end), True
    return previous.start, previous.end, False


def _metrics(
    ledger: Ledger, rng: ReviewRange, values: dict[str, list[Value]], now: datetime
) -> list[MetricStats]:
    compared_from, compared_until, same_days = compared_days(rng, now.date())
    definitions = ledger.library.metrics()
    stats = []
    for metric in sorted(set(definitions) | set(values)):
        definition = definitions.get(metric)
        kind = definition.spec.aggregate if definition else "last"
        label = (definition.spec.label or definition.step.title) if definition else metric
        unit = definition.spec.unit if definition else None
        series = values.get(metric, [])
        daily: dict[date, list[float]] = defaultdict(list)  # one pass, not one per day
        for day, _at, value in series:
            daily[day].append(value)
        per_period = [aggregate(kind, daily.get(day, [])) for day in rng.days]
        stats.append(
            MetricStats(
                metric,
                label,
                kind,
                unit,
                aggregate(kind, _window(series, rng.start, rng.end)),
                aggregate(kind, _window(series, compared_from, compared_until)),
                per_period,
                compared_from,
                compared_until,
                same_days,
            )
        )
    return stats


def _goals(ledger: Ledger, rng: ReviewRange, values: dict[str, list[Value]]) -> list[GoalStats]:
    goals = ledger.library.goals
    if not goals:
        return []
    stats = []
    for goal in goals:
        start = goal.start or goal.by - timedelta(days=91)
        baseline = goal.baseline or 0.0
        series = _window(values.get(goal.metric, []), start, min(rng.end, goal.by))
        span = max((goal.by - start).days, 1)
        elapsed = min(max(((rng.end - start).days + 1) / span, 0.0), 1.0)
        if goal.measure == "total":
            value: float | None = sum(series) if series else 0.0
            progress = (value or 0.0) / goal.target if goal.target else None
        else:
            value = series[-1] if series else None
            distance = goal.target - baseline
            progress = (value - baseline) / distance if value is not None and distance else None
        weeks_left = (goal.by - rng.end).days / 7
        needed = None
        if weeks_left > 0 and value is not None:
            needed = max(goal.target - value, 0.0) / weeks_left
        sample = goal.id in ledger.library.sample_goals
        on_track = None if progress is None or sample else progress >= elapsed
        stats.append(
            GoalStats(
                goal.id,
                goal.title,
                goal.metric,
                goal.measure,
                goal.target,
                baseline,
                start,
                goal.by,
                value,
                progress,
                elapsed,
                on_track,
                needed,
                sample,
            )
        )
    return stats


# -- incidents, notes, people --------------------------------------------------------------


def _incident(state: RunState, now: datetime) -> IncidentStats:
    until = state.resolved_at or now  # a step still open escalates until the incident is resolved
    escalations = sum(escalation(state, step, until) is not None for step in state.steps.values())
    resolved = state.resolved_at
    return IncidentStats(
        state.run_id,
        state.playbook.id,
        state.title or "",
        state.severity or "",
        state.opened_at,
        resolved,
        resolved - state.opened_at if resolved else None,
        escalations,
    )


def _notes_and_people(ledger: Ledger, rng: ReviewRange) -> tuple[list[NoteRow], list[PersonRow]]:
    """Notes in the range, and actions per login (every event but undo)."""
    zone = ledger.zone
    notes, people = ledger.journal.activity(
        _instant(rng.start, zone), _instant(rng.end + timedelta(days=1), zone)
    )
    titles = Titles(ledger)
    rows = [
        NoteRow(
            e.at,
            e.operator,
            e.playbook_id,
            e.step_id,
            str(e.payload.get("text", "")),
            _importer(e.payload),
            e.login,
            *titles.of(e.playbook_id, e.playbook_hash, e.step_id),
        )
        for e in notes
    ]
    persons = [PersonRow(*row) for row in people]
    return rows, sorted(persons, key=lambda p: (-p.actions, p.login))


def _importer(payload: dict[str, object]) -> str | None:
    """Who imported an event (``payload.imported.by``), if it came from ``journal import``."""
    marker = payload.get("imported")
    if not isinstance(marker, dict):
        return None
    return str(marker.get("by") or "?")
