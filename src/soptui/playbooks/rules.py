"""Rules that look across fields of a playbook or goals file.

Each rule yields ``(key path, message)`` so the loader can point at the exact key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from soptui.i18n import _
from soptui.playbooks.conditions import ConditionError, parse_condition
from soptui.playbooks.fields import LAST_DATE
from soptui.playbooks.models import Goal, Playbook, Step
from soptui.playbooks.positions import Path
from soptui.playbooks.snippets import stray_brace

Finding = tuple[Path, str]
MAX_STEPS = 200


def _group_rules(playbook: Playbook, step: Step, here: Path) -> Iterator[Finding]:
    """``sample`` and ``flag_group`` belong to per-group steps; a flag needs a yes-no answer."""
    per_group = playbook.is_per_group(step)
    if step.sample is not None and not per_group:
        yield (*here, "sample"), _("sample applies to a step done per group (per_group = true)")
    if step.flag_group:
        if not per_group:
            yield (*here, "flag_group"), _("flag_group applies to a step done per group (per_group = true)")
        elif step.input is None or step.input.type != "yes-no":
            yield (*here, "flag_group"), _("flag_group needs a yes-no input (yes flags the group)")


def stated(data: Mapping[str, Any] | None, *path: str | int) -> bool:
    """Whether the file's own table ``data`` gives the key at ``path`` (not a default).

    Without ``data`` (a playbook built in code), no key counts as given."""
    node: Any = data
    if node is None:
        return False
    for part in path:
        in_table = isinstance(node, Mapping) and isinstance(part, str) and part in node
        in_array = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_table or in_array):
            return False
        node = node[part]
    return True


def playbook_errors(playbook: Playbook, data: Mapping[str, Any] | None = None) -> Iterator[Finding]:
    """Every cross-field error in one playbook; ``data`` is the file's table as parsed (the
    rules that refuse a key where it does not apply must tell a stated key from a default)."""
    if len(playbook.steps) > MAX_STEPS:
        yield (
            ("steps",),
            _("too many steps ({len}); the limit is {MAX_STEPS}").format(
                len=len(playbook.steps), MAX_STEPS=MAX_STEPS
            ),
        )
    yield from _cadence_rules(playbook, data)
    yield from _sequence_rules(playbook)
    seen: dict[str, int] = {}
    for index, step in enumerate(playbook.steps):
        here: Path = ("steps", index)
        if step.id in seen:
            yield (
                (*here, "id"),
                _("duplicate step id {id!r} (also steps[{value}])").format(id=step.id, value=seen[step.id]),
            )
        seen.setdefault(step.id, index)
        yield from _input_rules(step, here, data)
        yield from _group_rules(playbook, step, here)
        yield from _when_rules(playbook, index, step, here)
        for n, snippet in enumerate(step.snippets):
            offset = stray_brace(snippet.text)
            if offset is not None:
                yield (
                    (*here, "snippets", n, "text"),
                    _(
                        "stray brace at character {value}; placeholders look like {{name}} "
                        "(lowercase letters, digits, '-' and '_')"
                    ).format(value=offset + 1),
                )


def _cadence_rules(playbook: Playbook, data: Mapping[str, Any] | None) -> Iterator[Finding]:
    due = playbook.due
    if playbook.is_incident:
        if due is not None:
            yield ("due",), _("incident playbooks are opened on demand and have no due time")
    else:
        if stated(data, "severities"):
            yield ("severities",), _("only incident playbooks have severities")
        for index, step in enumerate(playbook.steps):
            if step.escalate_after is not None:
                yield (
                    ("steps", index, "escalate_after"),
                    _("escalate_after applies to incident playbooks only"),
                )
    if due is not None:
        if due.weekday is not None and playbook.cadence != "weekly":
            yield ("due", "weekday"), _("due.weekday applies to weekly playbooks only")
        if due.day is not None and playbook.cadence != "monthly":
            yield ("due", "day"), _("due.day applies to monthly playbooks only")
    if len(set(playbook.severities)) != len(playbook.severities):
        yield ("severities",), _("severities must be distinct")
    if playbook.review_every is not None and playbook.reviewed is None:
        yield ("review_every",), _("review_every needs reviewed = <date of the last review>")
    reviewed, every = playbook.reviewed, playbook.review_every
    if reviewed is not None and every is not None and reviewed > LAST_DATE - every:
        yield (
            ("reviewed",),
            _("reviewed + review_every would fall after {LAST_DATE}").format(LAST_DATE=LAST_DATE),
        )


def _sequence_rules(playbook: Playbook) -> Iterator[Finding]:
    """Offsets on sequence steps only (and on every one of them); ``at`` with whole days."""
    sequence = playbook.is_sequence
    if sequence and playbook.due is not None:
        yield ("due",), _("a sequence has no [due]: each step is due at its offset (and at)")
    if not sequence and playbook.auto_start is not None:
        yield ("auto_start",), _('auto_start applies to cadence = "sequence" only')
    if playbook.is_incident and playbook.working_days:
        yield ("working_days",), _("working_days applies to routines and sequences, not incidents")
    for index, step in enumerate(playbook.steps):
        here: Path = ("steps", index)
        if not sequence:
            for key in ("offset", "at", "working_days"):
                if getattr(step, key) is not None:
                    yield (
                        (*here, key),
                        _('{key} applies to steps of cadence = "sequence" only').format(key=key),
                    )
            continue
        if step.offset is None:
            yield (
                here,
                _('step {id!r} needs an offset from the anchor, e.g. offset = "-7d", "0d" or "+3d"').format(
                    id=step.id
                ),
            )
        elif step.at is not None and step.offset % timedelta(days=1):
            yield (*here, "at"), _("at applies to whole-day offsets only; this offset has hours or minutes")


def _input_rules(step: Step, here: Path, data: Mapping[str, Any] | None) -> Iterator[Finding]:
    spec = step.input
    if spec is None:
        return
    at: Path = (*here, "input")
    numeric = spec.type in ("number", "integer")
    if spec.type == "choice" and len(spec.choices or []) < 2:
        yield (*at, "choices"), _("a choice input needs at least two choices")
    if spec.type != "choice" and spec.choices is not None:
        yield (*at, "choices"), _('choices apply to type = "choice" only')
    if spec.choices and len(set(spec.choices)) != len(spec.choices):
        yield (*at, "choices"), _("choices must be distinct")
    for bound in ("min", "max"):
        if getattr(spec, bound) is not None and not numeric:
            yield (*at, bound), _("{bound} applies to number and integer inputs only").format(bound=bound)
    if spec.min is not None and spec.max is not None and spec.min > spec.max:
        yield (
            (*at, "min"),
            _("min ({min:g}) is greater than max ({max:g})").format(min=spec.min, max=spec.max),
        )
    if spec.metric is not None and not numeric:
        yield (*at, "metric"), _("a metric needs a number or integer input")
    if spec.metric is None and stated(data, *at, "aggregate"):
        yield (*at, "aggregate"), _('aggregate applies to metrics only; add metric = "..."')


def _when_rules(playbook: Playbook, index: int, step: Step, here: Path) -> Iterator[Finding]:
    if step.when is None:
        return
    at: Path = (*here, "when")
    try:
        condition = parse_condition(step.when)
    except ConditionError as error:
        yield at, str(error)
        return
    position = next((i for i, s in enumerate(playbook.steps) if s.id == condition.step), None)
    if position is None:
        yield at, _("refers to unknown step {step!r}").format(step=condition.step)
        return
    if position >= index:
        yield (
            at,
            _("refers to step {step!r}, which does not come before this one").format(step=condition.step),
        )
        return
    target = playbook.steps[position].input
    if target is None:
        yield at, _("step {step!r} has no input to test").format(step=condition.step)
        return
    if condition.op in ("yes", "no"):
        if target.type != "yes-no":
            yield (
                at,
                _("step {step!r} is not a yes-no input; compare it with an operator").format(
                    step=condition.step
                ),
            )
        return
    literal = condition.literal
    if target.type in ("number", "integer"):
        if isinstance(literal, str):
            yield at, _("step {step!r} takes a number; compare it with a number").format(step=condition.step)
    elif target.type == "yes-no":
        yield at, _('write "{step}" or "not {step}" for a yes-no input').format(step=condition.step)
    else:
        if not isinstance(literal, str):
            yield (
                at,
                _("step {step!r} takes text; compare it with a quoted string").format(step=condition.step),
            )
        elif condition.op not in ("==", "!="):
            yield at, _("text can only be compared with == or !=")
        elif target.type == "choice" and literal not in (target.choices or []):
            yield (
                at,
                _("{literal!r} is not one of the choices of step {step!r}").format(
                    literal=literal, step=condition.step
                ),
            )


def stale_review(playbook: Playbook, today: date) -> str | None:
    """A warning when the playbook is past its review date."""
    if playbook.reviewed is None or playbook.review_every is None:
        return None
    due = playbook.reviewed + playbook.review_every
    if today <= due:
        return None
    return _("due for review since {value} (reviewed {value2})").format(
        value=due.isoformat(), value2=playbook.reviewed.isoformat()
    )


def goal_errors(goals: Sequence[Goal], metrics: Mapping[str, object]) -> Iterator[Finding]:
    """Cross-field errors in goals.toml; ``metrics`` holds the metrics defined by steps."""
    seen: set[str] = set()
    for index, goal in enumerate(goals):
        here: Path = ("goals", index)
        if goal.id in seen:
            yield (*here, "id"), _("duplicate goal id {id!r}").format(id=goal.id)
        seen.add(goal.id)
        if goal.metric not in metrics:
            known = ", ".join(sorted(metrics)) or _("none")
            yield (
                (*here, "metric"),
                _("no step defines metric {metric!r} (known: {known})").format(
                    metric=goal.metric, known=known
                ),
            )
        if goal.start is not None and goal.start >= goal.by:
            yield (*here, "start"), _("start must come before by")
