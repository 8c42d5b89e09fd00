"""The run state machine: a run's state is a fold over its events, oldest first.

Pure Python: give it a playbook and events, get the state. Undo is an event that cancels
an earlier one, so replaying "the events that were not undone" gives the state after undo.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from soptui.events import UNDOABLE, Event
from soptui.playbooks.inputs import InputValue
from soptui.playbooks.models import Playbook, Step

if TYPE_CHECKING:
    from soptui.playbooks.roster import Roster

Status = Literal["pending", "done", "skipped", "n/a"]
MARKS: dict[Status, str] = {"done": "✓", "skipped": "✗", "n/a": "–", "pending": "·"}
"""How each status shows on a screen: a step's, and a group's within a per-group step."""


@dataclass(frozen=True)
class Claim:
    """Someone said "mine" (``m``) of a run or of some groups of a per-group step."""

    login: str
    operator: str
    at: datetime


@dataclass(frozen=True)
class Amendment:
    """A correction of a recorded completion: the old value, the new one, who and why."""

    event: Event
    target: str
    step_id: str | None
    group_id: str | None
    old: InputValue | None
    new: InputValue | None
    retracted: bool
    reason: str


class GroupTick(NamedTuple):
    """A group's tick or skip (a ``step.done`` or ``step.skipped`` event with a group) in the
    compact form the review reads runs in: what the run state needs of it, no more. A day's run
    of 200 groups holds thousands; an :class:`Event` each made the review slow (issue 14)."""

    seq: int
    uuid: str
    kind: str
    step_id: str | None
    group_id: str
    operator: str
    at: datetime
    payload: dict[str, Any]


@dataclass(slots=True)
class GroupMark:
    """One group's tick or skip on a per-group step."""

    status: Literal["done", "skipped"]
    by: str
    at: datetime
    value: InputValue | None = None
    reason: str | None = None


_NOTHING: Mapping[str, Any] = MappingProxyType({})


@dataclass(slots=True)
class StepState:
    """Where one step stands in a run."""

    step: Step
    status: Status = "pending"
    value: InputValue | None = None
    reason: str | None = None
    by: str | None = None
    at: datetime | None = None
    ticked: frozenset[int] = frozenset()
    """The checklist items ticked (shared and immutable while none is: a week's review folds
    thousands of steps, and an empty set costs 216 bytes)."""
    notes: Sequence[Event] = ()
    expected: Sequence[str] = ()
    """Per-group steps: the groups it runs for (empty: an ordinary step)."""
    groups: Mapping[str, GroupMark] = field(default_factory=lambda: _NOTHING)
    """Per-group steps: each group's mark, by group id (groups no longer expected included)."""
    group_claims: Mapping[str, Claim] = field(default_factory=lambda: _NOTHING)
    """Per-group steps: who claimed which group (by group id).

    The empty ones are shared and immutable, the fold makes a step its own on the first
    note, mark or claim: a week's review folds thousands of steps, most of them ordinary
    steps with no note, and four empty containers cost 240 bytes a step."""
    amended: bool = False
    """A correction changed what this step recorded."""

    @property
    def per_group(self) -> bool:
        return bool(self.expected)

    @property
    def groups_left(self) -> list[str]:
        """Expected groups with no mark yet, in roster order."""
        return [g for g in self.expected if g not in self.groups]

    @property
    def resolved(self) -> bool:
        """Done, skipped or not applicable: nothing more to do here."""
        return self.status != "pending"


@dataclass(slots=True)
class RunState:
    """Everything known about one run, derived from its events."""

    run_id: str
    playbook: Playbook
    period: str | None
    opened_at: datetime
    opened_by: str
    title: str | None = None
    severity: str | None = None
    steps: dict[str, StepState] = field(default_factory=dict)
    notes: list[Event] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    """The run's events in journal order (a run folded with its groups' ticks apart holds
    the other events only; one folded for figures, as the review folds runs, holds none)."""
    finished_at: datetime | None = None
    finished_by: str | None = None
    left: list[str] = field(default_factory=list)
    resolved_at: datetime | None = None
    summary: str | None = None
    last_resolution: datetime | None = None
    """When a step was last done or skipped (notes and ticks never move a run's end)."""
    anchor: str | None = None
    """Instances of a sequence playbook: the anchor, "2026-12-12" or "2026-12-12T20:00"."""
    passed: list[str] = field(default_factory=list)
    """Instances: steps whose due time had passed when the instance started (not applicable)."""
    claims: dict[str, Claim] = field(default_factory=dict)
    """Who has claimed the run, by login (oldest first)."""
    amendments: list[Amendment] = field(default_factory=list)

    actors: list[str] = field(default_factory=list)
    """The display names of everyone who recorded an action in the run, first first (kept
    apart from ``events``: a run folded for figures keeps none)."""

    def acted(self) -> list[str]:
        """The display names of everyone who recorded an action in the run, first first."""
        return list(self.actors)

    @property
    def is_incident(self) -> bool:
        return self.period is None and self.anchor is None

    @property
    def is_instance(self) -> bool:
        """An instance of a sequence playbook (a dated journey)."""
        return self.anchor is not None

    @property
    def applicable(self) -> list[StepState]:
        return [s for s in self.steps.values() if s.status != "n/a"]

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps.values() if s.status in ("done", "skipped"))

    @property
    def total(self) -> int:
        return len(self.applicable)

    @property
    def all_resolved(self) -> bool:
        return all(s.resolved for s in self.steps.values())

    @property
    def closed_at(self) -> datetime | None:
        """When the run stopped needing work: finished, resolved, or every step resolved."""
        if self.is_incident:
            return self.resolved_at
        if self.finished_at is not None:
            return self.finished_at
        return self.last_resolution if self.all_resolved else None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def closed_by(self) -> str | None:
        if self.finished_by:
            return self.finished_by
        resolved = [s for s in self.steps.values() if s.at is not None]
        return max(resolved, key=lambda s: s.at or self.opened_at).by if resolved else None

    def current(self) -> StepState | None:
        """The first step still pending, if any."""
        return next((s for s in self.steps.values() if s.status == "pending"), None)

    def values(self) -> dict[str, InputValue]:
        return {k: s.value for k, s in self.steps.items() if s.value is not None}

    def elapsed(self, now: datetime) -> timedelta:
        end = self.closed_at or now
        return max(end - self.opened_at, timedelta())

    def undoable_by(self, login: str) -> Event | None:
        """The most recent action of this Unix login that can still be undone.

        Ownership is the login, never the display name: anyone can choose to be called "alice".
        """
        undone = {e.payload.get("target") for e in self.events if e.kind == "undo"}
        for event in reversed(self.events):
            if event.kind in UNDOABLE and event.login == login and event.uuid not in undone:
                return event
        return None


def expected_groups(
    playbook: Playbook,
    roster: Roster | None,
    period_index: int = 0,
    flagged: Collection[str] = (),
) -> dict[str, list[str]]:
    """For each per-group step, the ids of the active groups it runs for (none without a roster).

    A step with ``sample = N`` takes N groups in the ``period_index``-th period, the next N in
    the next one (so every group comes round within ceil(groups / N) periods), plus every
    ``flagged`` group, in roster order.
    """
    if roster is None or not roster.groups:
        return {}
    found = {}
    for step in playbook.steps:
        if not playbook.is_per_group(step):
            continue
        groups = [g.id for g in roster.active(step.group_tags)]
        if step.sample is not None and step.sample < len(groups):
            start = (period_index * step.sample) % len(groups)
            chosen = {groups[(start + i) % len(groups)] for i in range(step.sample)}
            chosen |= set(flagged) & set(groups)
            groups = [g for g in groups if g in chosen]
        found[step.id] = groups
    return found


def fold(
    run_id: str,
    playbook: Playbook,
    events: list[Event],
    groups: dict[str, list[str]] | None = None,
    ticks: list[GroupTick] | None = None,
    *,
    keep_events: bool = True,
) -> RunState:
    """The state of run ``run_id`` after ``events`` (in journal order); without
    ``keep_events``, ``state.events`` stays empty (figures need the state only).

    ``groups`` maps each per-group step to the groups it runs for (:func:`expected_groups`);
    such a step is done once every one of them is done or skipped. ``ticks``: the run's group
    ticks and skips when they were read apart from ``events`` (compact, in journal order, as
    the review reads runs); the state is the one folding them among the events gives.
    """
    opened = next((e for e in events if e.kind == "run.opened"), None)
    payload: dict[str, Any] = opened.payload if opened else {}
    state = RunState(
        run_id=run_id,
        playbook=playbook,
        period=payload.get("period"),
        opened_at=opened.at if opened else (events[0].at if events else datetime.min),
        opened_by=opened.operator if opened else "?",
        title=payload.get("title"),
        severity=payload.get("severity"),
        anchor=payload.get("anchor") if isinstance(payload.get("anchor"), str) else None,
        passed=[s for s in payload.get("passed", []) if isinstance(s, str)]
        if isinstance(payload.get("passed"), list)
        else [],
        steps={s.id: _step_state(s, (groups or {}).get(s.id)) for s in playbook.steps},
        events=list(events) if keep_events else [],
    )
    undone = {e.payload.get("target") for e in events if e.kind == "undo"}
    by_uuid: dict[str, Event | GroupTick] = {e.uuid: e for e in events}
    replayed: list[Event | GroupTick] = list(events)
    if ticks and any(e.kind == "amend" for e in events):
        # A correction reads its group's mark as it stood then: replay all in journal order.
        replayed = sorted([*events, *ticks], key=attrgetter("seq"))  # two sorted runs: a merge
        by_uuid.update((t.uuid, t) for t in ticks)
    elif ticks:
        _mark_all(state, ticks, undone)  # nothing else reads a group's mark: the ticks first
    for event in replayed:
        if event.uuid in undone or event.kind == "undo":
            continue
        if isinstance(event, GroupTick):
            _mark(state, event)
        elif event.kind == "amend":
            _amend(state, event, by_uuid.get(str(event.payload.get("target"))))
            continue
        else:
            _apply(state, event)
        if event.kind in ("step.done", "step.skipped"):
            state.last_resolution = max(state.last_resolution or event.at, event.at)
    _settle_groups(state)
    _apply_conditions(state)
    state.actors = _actors(events, ticks or [])
    for step_id in state.passed:
        # An instance started after this step's due time: not applicable, never missed.
        passed = state.steps.get(step_id)
        if passed is not None and passed.status == "pending" and not passed.groups:
            passed.status = "n/a"
    return state


def _actors(events: list[Event], ticks: list[GroupTick]) -> list[str]:
    """Who acted, first first: every event's operator but the opening's, ticks included."""
    acts = [(e.seq, e.operator) for e in events if e.kind != "run.opened"]
    if ticks:
        acts = sorted([*acts, *((t.seq, t.operator) for t in ticks)])  # two sorted runs: a merge
    return list(dict.fromkeys(operator for _seq, operator in acts))


def _settle_groups(state: RunState) -> None:
    """A per-group step is done when every expected group is done or skipped."""
    for step in state.steps.values():
        if not step.per_group or step.status != "pending" or step.groups_left:
            continue
        marks = [step.groups[g] for g in step.expected]
        last = max(marks, key=attrgetter("at"))
        step.status, step.by, step.at = "done", last.by, last.at


def _mark(state: RunState, event: Event | GroupTick) -> None:
    """A group's tick or skip on a step (a later one replaces an earlier one)."""
    step = state.steps.get(event.step_id or "")
    if step is not None and event.group_id is not None:
        _marks(step)[event.group_id] = _group_mark(event)


def _step_state(step: Step, groups: list[str] | None) -> StepState:
    return StepState(step, expected=list(groups)) if groups else StepState(step)


def _marks(step: StepState) -> dict[str, GroupMark]:
    """The step's group marks, its own to change (see StepState.group_claims)."""
    if not isinstance(step.groups, dict):
        step.groups = {}
    return step.groups


def _claims(step: StepState) -> dict[str, Claim]:
    """The step's group claims, its own to change (see StepState.group_claims)."""
    if not isinstance(step.group_claims, dict):
        step.group_claims = {}
    return step.group_claims


def _mark_all(state: RunState, ticks: list[GroupTick], undone: set[Any]) -> None:
    """Replay a run's group ticks (those not undone) in one tight loop: thousands of them."""
    steps = state.steps
    latest = state.last_resolution
    for tick in ticks:
        if tick.uuid in undone:
            continue
        step = steps.get(tick.step_id or "")
        if step is not None:
            _marks(step)[tick.group_id] = _group_mark(tick)
        if latest is None or tick.at > latest:
            latest = tick.at
    state.last_resolution = latest


def _group_mark(event: Event | GroupTick) -> GroupMark:
    done = event.kind == "step.done"
    return GroupMark(
        "done" if done else "skipped",
        event.operator,
        event.at,
        event.payload.get("value") if done else None,
        None if done else event.payload.get("reason"),
    )


def _apply(state: RunState, event: Event) -> None:
    step = state.steps.get(event.step_id or "")
    kind = event.kind
    if step and event.group_id is not None and kind in ("step.done", "step.skipped"):
        _mark(state, event)
        return
    if kind == "step.done" and step:
        step.status, step.value, step.reason = "done", event.payload.get("value"), None
        step.by, step.at = event.operator, event.at
    elif kind == "step.skipped" and step:
        step.status, step.value, step.reason = "skipped", None, event.payload.get("reason")
        step.by, step.at = event.operator, event.at
    elif kind == "checklist.ticked" and step:
        item = int(event.payload.get("item", -1))
        ticked = event.payload.get("ticked", True)
        step.ticked = step.ticked | {item} if ticked else step.ticked - {item}
    elif kind == "note" and step:
        step.notes = [*step.notes, event]
    elif kind == "note":
        state.notes.append(event)
    elif kind == "run.finished":
        state.finished_at, state.finished_by = event.at, event.operator
        state.left = list(event.payload.get("left", []))
    elif kind in ("run.claimed", "run.released"):
        _claim(state, event)
    elif kind == "incident.resolved":
        state.resolved_at, state.finished_by = event.at, event.operator
        state.summary = event.payload.get("summary")


def _claim(state: RunState, event: Event) -> None:
    claim = Claim(event.login, event.operator, event.at)
    claimed = event.kind == "run.claimed"
    groups = [g for g in event.payload.get("groups") or [] if isinstance(g, str)]
    step = state.steps.get(event.step_id or "")
    if step is not None and groups:
        for group in groups:
            if claimed:
                _claims(step)[group] = claim
            elif group in step.group_claims and step.group_claims[group].login == event.login:
                del _claims(step)[group]
    elif claimed:
        state.claims.setdefault(event.login, claim)
    else:
        state.claims.pop(event.login, None)


def _amend(state: RunState, event: Event, target: Event | GroupTick | None) -> None:
    """Apply a correction to the completion it names (an amend of anything else is ignored)."""
    step = state.steps.get(target.step_id or "") if target is not None else None
    if target is None or step is None or target.kind != "step.done":
        return
    payload = event.payload
    retract = bool(payload.get("retract"))
    new = None if retract else payload.get("new")
    old: InputValue | None
    if target.group_id is not None:
        mark = step.groups.get(target.group_id)
        if mark is None or mark.status != "done":
            return
        old = mark.value
        if retract:
            del _marks(step)[target.group_id]
            if step.status == "done":
                step.status, step.by, step.at = "pending", None, None
        else:
            mark.value = new
    else:
        if step.status != "done":
            return
        old = step.value
        if retract:
            step.status, step.value, step.by, step.at = "pending", None, None, None
        else:
            step.value = new
    step.amended = True
    reason = str(payload.get("reason") or "")
    state.amendments.append(
        Amendment(event, target.uuid, step.step.id, target.group_id, old, new, retract, reason)
    )


def _apply_conditions(state: RunState) -> None:
    """Mark steps whose ``when`` is false as not applicable (in order: a chain may cascade)."""
    for step_state in state.steps.values():
        condition = step_state.step.condition
        if condition is None or step_state.status in ("done", "skipped"):
            continue
        source = state.steps.get(condition.step)
        if source is None or source.status == "pending":
            continue  # not known yet: the step stays pending
        if source.status == "n/a" or not condition.evaluate(source.value):
            step_state.status = "n/a"
