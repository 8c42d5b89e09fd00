"""The review model: plain data that the screen and every export read, so they always agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from soptui.followups import ActionItem
from soptui.i18n import N_
from soptui.playbooks.inputs import InputValue
from soptui.schedule import is_iso_week

MARKS = {"✓": N_("done"), "!": N_("missed"), "·": N_("pending"), "–": N_("not due")}
"""The day marks of a routine strip and the word for each (CSV cells use the words)."""


@dataclass(frozen=True)
class RoutineStats:
    playbook_id: str
    title: str
    cadence: str
    expected: list[str]
    completed: list[str]
    on_time: list[str]
    missed: list[str]
    median_duration: timedelta | None
    strip: list[str] = field(default_factory=list)
    """Daily routines, one mark per day of the range (see MARKS): ✓ done, ! missed (the day is
    over without a closed run), · pending (today or later), – not due (before the routine was
    first seen, or the day it was first seen)."""

    @property
    def rate(self) -> float | None:
        return len(self.completed) / len(self.expected) if self.expected else None


@dataclass(frozen=True)
class SkippedStep:
    playbook_id: str
    step_id: str
    title: str
    count: int
    reasons: list[tuple[str, int]]


@dataclass(frozen=True)
class LeftStep:
    playbook_id: str
    step_id: str
    title: str
    count: int


@dataclass(frozen=True)
class SlowStep:
    playbook_id: str
    step_id: str
    title: str
    runs: int
    mean: timedelta
    estimate: timedelta

    @property
    def ratio(self) -> float:
        return self.mean / self.estimate


@dataclass(frozen=True)
class MetricStats:
    metric: str
    label: str
    aggregate: str
    unit: str | None
    value: float | None
    previous: float | None
    per_period: list[float | None]
    """One aggregated value per day of the range (None: no value, or the day has not come)."""
    compared_from: date | None = None
    compared_until: date | None = None
    """The days ``previous`` covers (inclusive)."""
    same_days: bool = False
    """The range is still running: ``previous`` covers the same days of the previous range."""
    amended: bool = False
    """A value behind ``value`` was corrected or retracted (``amend``): marked † in reports."""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_pct(self) -> float | None:
        if self.change is None or not self.previous:
            return None
        return self.change / abs(self.previous) * 100


@dataclass(frozen=True)
class GoalStats:
    goal_id: str
    title: str
    metric: str
    measure: str
    target: float
    baseline: float
    start: date
    by: date
    value: float | None
    progress: float | None
    time_elapsed: float
    on_track: bool | None
    needed_per_week: float | None
    sample: bool = False
    """From the bundled sample goals.toml (the team has none of its own): no on-track verdict."""


@dataclass(frozen=True)
class IncidentStats:
    run_id: str
    playbook_id: str
    title: str
    severity: str
    opened_at: datetime
    resolved_at: datetime | None
    time_to_resolve: timedelta | None
    escalations: int


@dataclass(frozen=True)
class PersonRow:
    """One person's actions in the range, counted by Unix login (the display name is a label)."""

    login: str
    names: list[str]
    """The display names this login acted under (more than one, or not the login: an override)."""
    actions: int
    overridden: int
    """Actions recorded under a display name other than the login (SOPTUI_OPERATOR, --operator)."""
    imported: int
    """Actions brought in by ``soptui journal import`` (their login is the file's claim)."""

    @property
    def label(self) -> str:
        """``login`` alone, or ``login (name, …)`` when it acted under other names."""
        others = [n for n in self.names if n != self.login]
        return f"{self.login} ({', '.join(others)})" if others else self.login


@dataclass(frozen=True)
class NoteRow:
    at: datetime
    operator: str
    playbook_id: str | None
    step_id: str | None
    text: str
    imported_by: str | None = None
    """The login that brought this note in with ``soptui journal import`` (None: recorded here)."""
    login: str = ""
    """The Unix login that recorded it (``operator`` is the display name chosen)."""
    playbook_title: str | None = None
    step_title: str | None = None
    """Titles from the stored version of the run's playbook (None: unknown, show the id)."""

    @property
    def where(self) -> str:
        """``Playbook title · Step title`` (ids when the titles are unknown), or ``log``."""
        if self.playbook_id is None:
            return "log"
        place = self.playbook_title or self.playbook_id
        if self.step_id:
            place += " · " + (self.step_title or self.step_id)
        return place


@dataclass(frozen=True)
class GroupStats:
    """One member group over the range: its ticks on per-group steps, and its values."""

    group_id: str
    name: str
    owner: str | None
    done: int
    skipped: int
    expected: int
    last_touched: datetime | None
    values: dict[str, float]
    """Per metric, the group's values combined as the metric's aggregate says."""

    @property
    def completion(self) -> float | None:
        return (self.done + self.skipped) / self.expected if self.expected else None


@dataclass(frozen=True)
class OwnerLoad:
    """One owner's groups and how their per-group steps went."""

    owner: str
    name: str
    groups: int
    done: int
    expected: int


@dataclass(frozen=True)
class JourneyStats:
    """One step label (T-7, D3 …) of one sequence playbook over the instances due in the range."""

    playbook_id: str
    playbook_title: str
    label: str
    on_time: int
    late: int
    missed: int
    pending: int
    cohorts: bool
    """The playbook starts itself (auto_start): its instances are cohorts."""


@dataclass(frozen=True)
class JourneyCounts:
    """Instances of sequence playbooks in the range."""

    active: int
    started: int
    finished: int


@dataclass(frozen=True)
class HandoverRow:
    """A hand-over note left for the next shift (``soptui handover``)."""

    at: datetime
    operator: str
    login: str
    text: str


@dataclass(frozen=True)
class AmendmentRow:
    """A correction of a recorded completion: the value before it, the new one, who and why."""

    at: datetime
    operator: str
    login: str
    run_id: str | None
    playbook_id: str | None
    step_id: str | None
    group_id: str | None
    old: InputValue | None
    """The value as it stood before this correction (after any earlier one)."""
    new: InputValue | None
    retracted: bool
    """The completion was withdrawn (the step is no longer done): ``new`` is None."""
    reason: str
    playbook_title: str | None = None
    step_title: str | None = None


@dataclass(frozen=True)
class FollowUpRow:
    """One owner's action items: opened and closed (done or dropped) in the range, overdue at its end."""

    owner: str
    """The owner's Unix login."""
    name: str
    """The owner's name in people.toml (the login when the roster does not know it)."""
    opened: int
    closed: int
    overdue: list[ActionItem]
    """Items still open at the end of the range with their due day over."""

    @property
    def label(self) -> str:
        return self.owner if self.name == self.owner else f"{self.name} ({self.owner})"


@dataclass(frozen=True)
class Review:
    """Everything a review shows for one date range."""

    start: date
    end: date
    """Inclusive last day."""
    label: str
    generated_at: datetime
    routines: list[RoutineStats]
    skipped: list[SkippedStep]
    left: list[LeftStep]
    slow: list[SlowStep]
    metrics: list[MetricStats]
    goals: list[GoalStats]
    incidents: list[IncidentStats]
    notes: list[NoteRow]
    people: list[PersonRow]
    days: list[date]
    groups: list[GroupStats] = field(default_factory=list)
    """Per member group (only with a roster and per-group steps), least complete first."""
    owners: list[OwnerLoad] = field(default_factory=list)
    journeys: list[JourneyStats] = field(default_factory=list)
    """Per sequence playbook and step label: steps due in the range done on time, late, missed."""
    journey_counts: JourneyCounts | None = None
    handovers: list[HandoverRow] = field(default_factory=list)
    """Hand-over notes written in the range, oldest first."""
    amendments: list[AmendmentRow] = field(default_factory=list)
    """Corrections recorded in the range, oldest first."""
    followups: list[FollowUpRow] = field(default_factory=list)
    """Per owner: action items opened and closed in the range, and those overdue at its end."""

    @property
    def today(self) -> date:
        """The team-local day the review was generated on."""
        return self.generated_at.date()

    @property
    def running(self) -> bool:
        """Today lies inside the range: its later days have not come yet."""
        return self.start <= self.today <= self.end

    def has_come(self, day: date) -> bool:
        """``day`` is today or earlier (a later day is drawn blank, never as a value)."""
        return day <= self.today

    @property
    def is_week(self) -> bool:
        """Whether the review covers one ISO week (else a custom range of days)."""
        return is_iso_week(self.start, self.end, self.label)
