"""The playbook format, version 1, as the plain objects the rest of soptui works with.

A file is validated by the pydantic models of :mod:`soptui.playbooks.spec` (shape) and the
rules of :mod:`soptui.playbooks.rules` (across fields); what passes is dumped to its
canonical JSON and rebuilt here as frozen dataclasses. The validated-playbook cache
(:mod:`soptui.playbooks.cache`) keeps that canonical JSON, so an unchanged file is rebuilt
from it without importing pydantic: both paths go through the same ``from_data``, so they
give equal objects. Each class has the fields of its namesake in spec.py, in the same
order (a test compares them); the field documentation lives there.

The few pydantic-style methods (``model_validate``, ``model_dump_json``, ``model_copy`` …)
keep callers and tests that validate or copy a playbook working; the ones that validate
import pydantic when called.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as TimeOfDay
from functools import cached_property
from typing import Any, ClassVar, Literal, TypeVar

from soptui.playbooks.conditions import Condition, parse_condition
from soptui.playbooks.fields import MAX_INTERVAL_DAYS, parse_duration, parse_offset

FORMAT_VERSION = 1

Cadence = Literal["daily", "weekly", "monthly", "sequence", "incident"]
ROUTINE_CADENCES = ("daily", "weekly", "monthly")
AutoStart = Literal["daily", "weekly"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
InputType = Literal["number", "integer", "text", "choice", "yes-no", "actions"]
Aggregate = Literal["sum", "mean", "last", "min", "max"]

P = TypeVar("P", bound="Plain")


class Plain:
    """What every plain model shares: building from canonical JSON data, and the
    pydantic-style methods (validating ones import pydantic when called)."""

    SPEC: ClassVar[str] = ""
    """The name of the pydantic model in spec.py that validates this class."""

    @classmethod
    def from_data(cls: type[P], data: Mapping[str, Any]) -> P:
        """Rebuild from the JSON data of a validated model (every key present)."""
        raise NotImplementedError

    @classmethod
    def _of(cls: type[P], fields: dict[str, Any]) -> P:
        """Built from every one of its fields, without the dataclass ``__init__``: its frozen
        checks cost as much as the rest of rebuilding a step, and start-up rebuilds
        thousands from the cache (a test checks that ``from_data`` gives every field)."""
        built = object.__new__(cls)
        built.__dict__.update(fields)
        return built

    @classmethod
    def _spec_model(cls) -> Any:
        from soptui.playbooks import spec

        return getattr(spec, cls.SPEC or cls.__name__)

    @classmethod
    def model_validate(cls: type[P], data: Any) -> P:
        """Validate ``data`` (raises pydantic's ValidationError, a ValueError) and build."""
        model = cls._spec_model().model_validate(_unplain(data))
        return cls.from_data(json.loads(model.model_dump_json()))

    @classmethod
    def model_validate_json(cls: type[P], text: str | bytes) -> P:
        model = cls._spec_model().model_validate_json(text)
        return cls.from_data(json.loads(model.model_dump_json()))

    def _validated(self) -> Any:
        return self._spec_model().model_validate(dataclasses.asdict(self))  # type: ignore[call-overload]

    def model_dump(self, **options: Any) -> dict[str, Any]:
        """As pydantic's ``model_dump`` of the same content (``mode``, ``exclude`` … apply)."""
        dumped: dict[str, Any] = self._validated().model_dump(**options)
        return dumped

    def model_dump_json(self) -> str:
        """The canonical JSON: exactly what pydantic dumps for this content (hashed and
        stored with every run). Kept from validation or the cache; else computed."""
        return self.canonical_bytes().decode()

    def canonical_bytes(self) -> bytes:
        """The canonical JSON in UTF-8: kept so, since the text of a Chinese playbook takes two
        or four bytes a character as a ``str`` (a library of 200 playbooks: 3 MiB against 1)."""
        canonical: bytes | None = self.__dict__.get("_canonical")
        if canonical is None:
            canonical = str(self._validated().model_dump_json()).encode()
            object.__setattr__(self, "_canonical", canonical)
        return canonical

    def model_copy(self: P, *, update: Mapping[str, Any] | None = None) -> P:
        """A copy with ``update`` applied (not validated, like pydantic's)."""
        return dataclasses.replace(self, **dict(update or {}))  # type: ignore[type-var]


def _unplain(value: Any) -> Any:
    """``value`` with every plain model in it turned into its fields (for validation)."""
    if isinstance(value, Plain) and dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {key: _unplain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_unplain(item) for item in value]
    return value


def _opt_time(value: str | None) -> TimeOfDay | None:
    if value is None:
        return None
    hours, minutes = value.split(":")
    return TimeOfDay(int(hours), int(minutes))


def _opt_duration(value: str | None) -> timedelta | None:
    return None if value is None else parse_duration(value, MAX_INTERVAL_DAYS)


def _opt_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Due(Plain):
    """When a routine is due inside its period. Omitted parts default to the period's end."""

    time: TimeOfDay | None = None
    weekday: Weekday | None = None
    day: int | Literal["last"] | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Due:
        return cls(_opt_time(data["time"]), data["weekday"], data["day"])


@dataclass(frozen=True)
class InputSpec(Plain):
    """A value the operator records when completing the step."""

    type: InputType
    label: str | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: list[str] | None = None
    required: bool = True
    metric: str | None = None
    aggregate: Aggregate = "last"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> InputSpec:
        return cls(
            data["type"],
            data["label"],
            data["unit"],
            _opt_float(data["min"]),
            _opt_float(data["max"]),
            data["choices"],
            data["required"],
            data["metric"],
            data["aggregate"],
        )


@dataclass(frozen=True)
class Snippet(Plain):
    """A ready-made text the operator copies and sends from this step."""

    label: str
    text: str

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Snippet:
        return cls(data["label"], data["text"])


@dataclass(frozen=True, kw_only=True)
class Step(Plain):
    """One step of a playbook."""

    id: str
    title: str
    role: str | None = None
    estimate: timedelta | None = None
    details: str | None = None
    checklist: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    """Normalised http(s) URLs, as pydantic's HttpUrl writes them."""
    optional: bool = False
    input: InputSpec | None = None
    open_actions: bool = False
    when: str | None = None
    snippets: list[Snippet] = field(default_factory=list)
    escalate_after: timedelta | None = None
    per_group: bool | None = None
    group_tags: list[str] = field(default_factory=list)
    sample: int | None = None
    flag_group: bool = False
    offset: timedelta | None = None
    at: TimeOfDay | None = None
    working_days: bool | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Step:
        spec = data["input"]
        offset = data["offset"]
        return cls._of(
            {
                "id": data["id"],
                "title": data["title"],
                "role": data["role"],
                "estimate": _opt_duration(data["estimate"]),
                "details": data["details"],
                "checklist": list(data["checklist"]),
                "links": list(data["links"]),
                "optional": data["optional"],
                "input": None if spec is None else InputSpec.from_data(spec),
                "open_actions": data["open_actions"],
                "when": data["when"],
                "snippets": [Snippet.from_data(s) for s in data["snippets"]],
                "escalate_after": _opt_duration(data["escalate_after"]),
                "per_group": data["per_group"],
                "group_tags": list(data["group_tags"]),
                "sample": data["sample"],
                "flag_group": data["flag_group"],
                "offset": None if offset is None else parse_offset(offset),
                "at": _opt_time(data["at"]),
                "working_days": data["working_days"],
            }
        )

    @cached_property
    def condition(self) -> Condition | None:
        """The parsed ``when`` (the rules have already refused one that does not parse)."""
        return parse_condition(self.when) if self.when else None


@dataclass(frozen=True, kw_only=True)
class Playbook(Plain):
    """One playbook: a routine (daily, weekly, monthly), a sequence or an incident playbook."""

    format: int = FORMAT_VERSION
    id: str
    title: str
    summary: str | None = None
    description: str | None = None
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    estimate: timedelta | None = None
    cadence: Cadence
    due: Due | None = None
    reviewed: date | None = None
    review_every: timedelta | None = None
    severities: list[str] = field(default_factory=lambda: ["P1", "P2", "P3"])
    per_group: bool = False
    working_days: bool = False
    auto_start: AutoStart | None = None
    steps: list[Step]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Playbook:
        due = data["due"]
        return cls._of(
            {
                "format": data["format"],
                "id": data["id"],
                "title": data["title"],
                "summary": data["summary"],
                "description": data["description"],
                "owner": data["owner"],
                "tags": list(data["tags"]),
                "estimate": _opt_duration(data["estimate"]),
                "cadence": data["cadence"],
                "due": None if due is None else Due.from_data(due),
                "reviewed": _opt_date(data["reviewed"]),
                "review_every": _opt_duration(data["review_every"]),
                "severities": list(data["severities"]),
                "per_group": data["per_group"],
                "working_days": data["working_days"],
                "auto_start": data["auto_start"],
                "steps": [Step.from_data(s) for s in data["steps"]],
            }
        )

    @classmethod
    def from_json(cls, canonical: str | bytes) -> Playbook:
        """Rebuild from the canonical JSON of a validated playbook, keeping that text."""
        playbook = cls.from_data(json.loads(canonical))
        object.__setattr__(
            playbook, "_canonical", canonical if isinstance(canonical, bytes) else canonical.encode()
        )
        return playbook

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


@dataclass(frozen=True)
class Goal(Plain):
    """A SMART goal in goals.toml."""

    id: str
    title: str
    metric: str
    target: float
    by: date
    start: date | None = None
    baseline: float | None = None
    measure: Literal["total", "latest"] = "total"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Goal:
        return cls(
            data["id"],
            data["title"],
            data["metric"],
            float(data["target"]),
            date.fromisoformat(data["by"]),
            _opt_date(data["start"]),
            _opt_float(data["baseline"]),
            data["measure"],
        )


@dataclass(frozen=True)
class GoalsFile(Plain):
    """goals.toml: the team's SMART goals."""

    goals: list[Goal] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> GoalsFile:
        return cls([Goal.from_data(g) for g in data["goals"]])
