"""The playbook format, version 1, as pydantic models.

These models check the *shape* of a playbook (keys, types, ranges); the rules that look
across fields (unique step ids, ``when`` references, cadence-specific keys) live in
:mod:`soptui.playbooks.rules` so each problem can point at its own key in the file.
Field docstrings become the JSON Schema's descriptions.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from soptui.playbooks.conditions import Condition, parse_condition
from soptui.playbooks.fields import (
    BoundedDate,
    Duration,
    Identifier,
    Interval,
    Number,
    Offset,
    TimeOfDay,
)

FORMAT_VERSION = 1

Cadence = Literal["daily", "weekly", "monthly", "sequence", "incident"]
ROUTINE_CADENCES = ("daily", "weekly", "monthly")
AutoStart = Literal["daily", "weekly"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
InputType = Literal["number", "integer", "text", "choice", "yes-no", "actions"]
Aggregate = Literal["sum", "mean", "last", "min", "max"]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=20_000)]


class _Strict(BaseModel):
    # A typo must not pass silently: every model refuses unknown keys.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Due(_Strict):
    """When a routine is due inside its period. Omitted parts default to the period's end."""

    time: TimeOfDay | None = None
    """Local time of day in the team's time zone, "HH:MM"."""
    weekday: Weekday | None = None
    """Weekly routines: the day of the ISO week (mon..sun)."""
    day: Annotated[int, Field(ge=1, le=28)] | Literal["last"] | None = None
    """Monthly routines: the day of the month, 1..28, or "last"."""


class InputSpec(_Strict):
    """A value the operator records when completing the step."""

    type: InputType
    """number, integer, text, choice (with choices), yes-no, or actions (follow-up items: what,
    @owner and due date, one per line or separated by ';')."""
    label: ShortText | None = None
    """The field's label; defaults to the step title."""
    unit: Annotated[str, Field(max_length=20)] | None = None
    """Shown after the value, e.g. "人" or "%"."""
    min: Number | None = None
    """Smallest accepted value (number and integer)."""
    max: Number | None = None
    """Largest accepted value (number and integer)."""
    choices: list[ShortText] | None = None
    """The accepted answers of a choice input."""
    required: bool = True
    """Whether completing the step needs a value."""
    metric: Annotated[str, Field(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)*$", max_length=64)] | None = None
    """Track the value as this metric in reviews and goals, e.g. "members.new"."""
    aggregate: Aggregate = "last"
    """How a week's values combine in reviews: sum, mean, last, min or max."""


class Snippet(_Strict):
    """A ready-made text the operator copies and sends from this step."""

    label: ShortText
    """What the snippet is, e.g. "Welcome message"."""
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    """The text; {placeholders} are filled from earlier inputs or asked for."""


class Step(_Strict):
    """One step of a playbook."""

    id: Identifier
    """Unique in the playbook: lowercase letters, digits and '-'."""
    title: ShortText
    """What to do, in a few words."""
    role: ShortText | None = None
    """Who does it (a role name such as "community manager")."""
    estimate: Duration | None = None
    """How long it usually takes."""
    details: LongText | None = None
    """Markdown: how and why."""
    checklist: list[ShortText] = []
    """Short items the operator ticks while doing the step."""
    links: list[HttpUrl] = []
    """Useful pages (http or https URLs)."""
    optional: bool = False
    """May be skipped without giving a reason."""
    input: InputSpec | None = None
    """A value asked when the step is completed."""
    open_actions: bool = False
    """The step goes over the team's open action items (from every playbook's actions inputs):
    it lists them, each to close or move to a new date."""
    when: ShortText | None = None
    """The step applies only if this condition on an earlier step's input holds."""
    snippets: list[Snippet] = []
    """Ready-made texts to copy from this step."""
    escalate_after: Duration | None = None
    """Incident playbooks: should be done within this time of the incident opening."""
    per_group: bool | None = None
    """Repeat the step for every active group of the roster (groups.toml); default: the playbook's."""
    group_tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = []
    """Per-group steps: only groups with one of these tags (e.g. ["新人群"])."""
    sample: Annotated[int, Field(ge=1, le=10_000)] | None = None
    """Per-group steps at scale: check this many groups a period, rotating so that every group
    comes round, always with the groups an earlier finding flagged."""
    flag_group: bool = False
    """Per-group yes-no steps: "yes" flags the group (it shows on Today and joins every sample)
    until a later "no" for that group clears it."""
    offset: Offset | None = None
    """Sequence playbooks (required there): when the step is due, from the instance's anchor:
    "-14d", "0d", "+3d", "-1h"."""
    at: TimeOfDay | None = None
    """Sequence playbooks: the team-local time of day the step is due, "HH:MM" (whole-day
    offsets only); without it, the end of its day."""
    working_days: bool | None = None
    """Sequence playbooks: move the due day off weekends and public holidays; default: the
    playbook's."""

    @cached_property
    def condition(self) -> Condition | None:
        """The parsed ``when`` (the rules have already refused one that does not parse)."""
        return parse_condition(self.when) if self.when else None


class Playbook(_Strict):
    """One playbook: a routine (daily, weekly, monthly) or an incident-response playbook."""

    format: Annotated[int, Field(ge=1)] = FORMAT_VERSION
    """Format version; this soptui reads version 1."""
    id: Identifier
    """Unique in the library; defaults to the file name without .toml."""
    title: ShortText
    """The playbook's name."""
    summary: Annotated[str, Field(max_length=500)] | None = None
    """One line that says what it is for."""
    description: LongText | None = None
    """Markdown: purpose, when to run it, who."""
    owner: ShortText | None = None
    """The role that owns the playbook."""
    tags: list[ShortText] = []
    """Free-form tags."""
    estimate: Duration | None = None
    """How long a whole run usually takes."""
    cadence: Cadence
    """daily, weekly, monthly, sequence (dated journeys: steps at offsets from an anchor date) or
    incident."""
    due: Due | None = None
    """Routines: when the run is due inside its period."""
    reviewed: BoundedDate | None = None
    """When the SOP was last reviewed (a TOML date)."""
    review_every: Interval | None = None
    """How often it should be reviewed; `soptui check` warns once overdue."""
    severities: Annotated[list[Annotated[str, Field(min_length=1, max_length=20)]], Field(min_length=1)] = [
        "P1",
        "P2",
        "P3",
    ]
    """Incident playbooks: severity names, most severe first."""
    per_group: bool = False
    """Every step repeats per group unless the step says ``per_group = false``."""
    working_days: bool = False
    """Routines: not due on weekends and Chinese public holidays (调休 working weekends count as
    working days). Sequences: move each step's due day to a working day."""
    auto_start: AutoStart | None = None
    """Sequence playbooks: start an instance every day or ISO week, anchored at its first day
    (the newcomer cohort of that day)."""
    steps: Annotated[list[Step], Field(min_length=1)]
    """The steps, in order."""

    def is_per_group(self, step: Step) -> bool:
        """Whether ``step`` repeats for each group (its own setting, else the playbook's)."""
        return self.per_group if step.per_group is None else step.per_group

    @property
    def is_incident(self) -> bool:
        return self.cadence == "incident"

    @property
    def is_sequence(self) -> bool:
        """A dated journey: each instance's steps are due at offsets from its anchor."""
        return self.cadence == "sequence"

    @property
    def is_routine(self) -> bool:
        """Daily, weekly or monthly: one run per period."""
        return self.cadence in ROUTINE_CADENCES

    def on_working_days(self, step: Step) -> bool:
        """Whether ``step``'s due day moves off days off (its own setting, else the playbook's)."""
        return self.working_days if step.working_days is None else step.working_days

    def step(self, step_id: str) -> Step | None:
        """The step with this id, if any."""
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def planned(self) -> timedelta:
        """The playbook's estimate, else the sum of its steps' estimates."""
        if self.estimate is not None:
            return self.estimate
        return sum((s.estimate for s in self.steps if s.estimate), timedelta())


class Goal(_Strict):
    """A SMART goal in goals.toml."""

    id: Identifier
    """Unique among goals."""
    title: ShortText
    """What the team wants, e.g. "+1000 members in three months"."""
    metric: Annotated[str, Field(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)*$", max_length=64)]
    """A metric defined by some step's input."""
    target: Number
    """The value to reach."""
    by: BoundedDate
    """The deadline."""
    start: BoundedDate | None = None
    """When counting starts; defaults to the deadline's quarter before."""
    baseline: Number | None = None
    """The value at the start (for "latest" goals); defaults to 0."""
    measure: Literal["total", "latest"] = "total"
    """total: the sum of all values since start; latest: the most recent value."""


class GoalsFile(_Strict):
    """goals.toml: the team's SMART goals."""

    goals: list[Goal] = []
    """The goals."""
