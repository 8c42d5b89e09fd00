"""The file formats soptui reads, as pydantic models: playbooks, goals, the roster, the calendar.

These models check the *shape* of a file (keys, types, ranges) and give the JSON Schema
(field docstrings become its descriptions); the rules that look across fields live in
:mod:`soptui.playbooks.rules`. Only the loader imports this module, and only when a file
must be validated (it was edited, or is not in the validated-playbook cache): what the rest
of soptui works with are the plain objects of :mod:`soptui.playbooks.models`, built from
what these models dump, so start-up never imports pydantic for unchanged files.
Keep each model's fields in step with its class in models.py (a test compares them).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from soptui.playbooks.fields import (
    DURATION_PATTERN,
    ID_PATTERN,
    MAX_DURATION_DAYS,
    MAX_INTERVAL_DAYS,
    MAX_NUMBER,
    OFFSET_PATTERN,
    bounded_date,
    format_duration,
    format_offset,
    interval,
    parse_duration,
    parse_offset,
    parse_time_of_day,
)
from soptui.playbooks.models import (
    FORMAT_VERSION,
    Aggregate,
    AutoStart,
    Cadence,
    InputType,
    Weekday,
)
from soptui.playbooks.roster import Platform, Role
from soptui.playbooks.workdays import MAX_DAYS_OFF

Identifier = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, max_length=64),
]

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN.replace("^", "^(?=.)", 1),
            "description": f'A duration of at most {MAX_DURATION_DAYS} days: "90s", "25m", "1h30m", "90d".',
        }
    ),
]

Interval = Annotated[
    timedelta,
    BeforeValidator(interval),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN.replace("^", "^(?=.)", 1),
            "description": f'A duration of at most {MAX_INTERVAL_DAYS} days, e.g. "90d".',
        }
    ),
]
"""A longer duration (``review_every``): at most MAX_INTERVAL_DAYS."""

BoundedDate = Annotated[date, AfterValidator(bounded_date)]
"""A date between 1970-01-01 and 9999-12-31."""

Number = Annotated[float, Field(ge=-MAX_NUMBER, le=MAX_NUMBER, allow_inf_nan=False)]
"""A finite float within ±MAX_NUMBER."""

TimeOfDay = Annotated[
    time,
    BeforeValidator(parse_time_of_day),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$",
            "description": 'Local time of day, "HH:MM".',
        }
    ),
]

Offset = Annotated[
    timedelta,
    BeforeValidator(parse_offset),
    PlainSerializer(format_offset, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": OFFSET_PATTERN.replace("^", "^(?=[+-]?\\d)", 1),
            "description": f"Offset from the anchor, at most {MAX_DURATION_DAYS} days either way: "
            '"-14d", "0d", "+3d", "-1h", "+1d2h".',
        }
    ),
]
"""A signed offset from a sequence instance's anchor."""


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


# -- the roster (groups.toml, people.toml) ---------------------------------------------------

Tag = Annotated[str, Field(min_length=1, max_length=40)]
Login = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_.-]*$", max_length=32)]


class Group(_Strict):
    """One member group the team runs (a WeChat group, a WeCom customer group)."""

    id: Identifier
    """Unique among groups: lowercase letters, digits and '-'. Events name groups by it."""
    name: ShortText
    """The group's name as members see it, e.g. "上海会员1群"."""
    platform: Platform = "wechat"
    """wecom (企业微信客户群), wechat (微信群) or other."""
    owner: Login | None = None
    """The person (a people.toml id) who looks after the group."""
    tags: list[Tag] = Field(default_factory=list)
    """Kinds of group, e.g. 新人群, VIP群, 城市群; steps can be narrowed to tags."""
    size: Annotated[int, Field(ge=0, le=100_000)] | None = None
    """Members in the group, for reference."""
    created: BoundedDate | None = None
    """When the group was created."""
    archived: bool = False
    """An archived group keeps its history but no step runs for it any more."""


class Person(_Strict):
    """A member of the team."""

    id: Login
    """The person's Unix login: who they are in the journal."""
    name: ShortText
    """Their name as the team says it."""
    roles: list[Role] = Field(default_factory=list)
    """社群经理, 内容创作者, 数据分析师, 活动策划, 管理员 or 客服."""
    backup: Login | None = None
    """Who covers for them (a people.toml id)."""
    contact: Annotated[str, Field(max_length=200)] | None = None
    """Free text: a phone number, a WeCom id."""


class GroupsFile(_Strict):
    """groups.toml: the member groups the team runs."""

    groups: list[Group] = Field(default_factory=list)
    """The groups."""


class PeopleFile(_Strict):
    """people.toml: the people of the team."""

    people: list[Person] = Field(default_factory=list)
    """The people."""


# -- the team's calendar (calendar.toml) -----------------------------------------------------


class DayOff(_Strict):
    """A day the team does not work, beyond weekends and public holidays."""

    date: BoundedDate
    """The day, a TOML date: date = 2026-12-24 (no quotes)."""
    name: Annotated[ShortText, Field()] | None = None
    """Why, e.g. "团建" or "公司年会"."""


class CalendarFile(_Strict):
    """calendar.toml: the team's own days off."""

    days_off: Annotated[list[DayOff], Field(max_length=MAX_DAYS_OFF)] = Field(default_factory=list)
    """Days off beyond weekends and Chinese public holidays."""
