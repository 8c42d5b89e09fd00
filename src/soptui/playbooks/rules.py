"""Rules that look across fields of a playbook or goals file.

Each rule yields ``(key path, message)`` so the loader can point at the exact key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

from soptui.playbooks.conditions import ConditionError, parse_condition
from soptui.playbooks.fields import LAST_DATE
from soptui.playbooks.models import Goal, Playbook, Step
from soptui.playbooks.positions import Path
from soptui.playbooks.snippets import stray_brace

Finding = tuple[Path, str]
MAX_STEPS = 200


def playbook_errors(playbook: Playbook) -> Iterator[Finding]:
    """Every cross-field error in one playbook."""
    if len(playbook.steps) > MAX_STEPS:
        yield ("steps",), f"too many steps ({len(playbook.steps)}); the limit is {MAX_STEPS}"
    yield from _cadence_rules(playbook)
    seen: dict[str, int] = {}
    for index, step in enumerate(playbook.steps):
        here: Path = ("steps", index)
        if step.id in seen:
            yield (*here, "id"), f"duplicate step id {step.id!r} (also steps[{seen[step.id]}])"
        seen.setdefault(step.id, index)
        yield from _input_rules(step, here)
        yield from _when_rules(playbook, index, step, here)
        for n, snippet in enumerate(step.snippets):
            offset = stray_brace(snippet.text)
            if offset is not None:
                yield (
                    (*here, "snippets", n, "text"),
                    f"stray brace at character {offset + 1}; placeholders look like {{name}} "
                    "(lowercase letters, digits, '-' and '_')",
                )


def _cadence_rules(playbook: Playbook) -> Iterator[Finding]:
    due = playbook.due
    if playbook.is_incident:
        if due is not None:
            yield ("due",), "incident playbooks are opened on demand and have no due time"
    else:
        if "severities" in playbook.model_fields_set:
            yield ("severities",), "only incident playbooks have severities"
        for index, step in enumerate(playbook.steps):
            if step.escalate_after is not None:
                yield (
                    ("steps", index, "escalate_after"),
                    "escalate_after applies to incident playbooks only",
                )
    if due is not None:
        if due.weekday is not None and playbook.cadence != "weekly":
            yield ("due", "weekday"), "due.weekday applies to weekly playbooks only"
        if due.day is not None and playbook.cadence != "monthly":
            yield ("due", "day"), "due.day applies to monthly playbooks only"
    if len(set(playbook.severities)) != len(playbook.severities):
        yield ("severities",), "severities must be distinct"
    if playbook.review_every is not None and playbook.reviewed is None:
        yield ("review_every",), "review_every needs reviewed = <date of the last review>"
    reviewed, every = playbook.reviewed, playbook.review_every
    if reviewed is not None and every is not None and reviewed > LAST_DATE - every:
        yield ("reviewed",), f"reviewed + review_every would fall after {LAST_DATE}"


def _input_rules(step: Step, here: Path) -> Iterator[Finding]:
    spec = step.input
    if spec is None:
        return
    at: Path = (*here, "input")
    numeric = spec.type in ("number", "integer")
    if spec.type == "choice" and len(spec.choices or []) < 2:
        yield (*at, "choices"), "a choice input needs at least two choices"
    if spec.type != "choice" and spec.choices is not None:
        yield (*at, "choices"), 'choices apply to type = "choice" only'
    if spec.choices and len(set(spec.choices)) != len(spec.choices):
        yield (*at, "choices"), "choices must be distinct"
    for bound in ("min", "max"):
        if getattr(spec, bound) is not None and not numeric:
            yield (*at, bound), f"{bound} applies to number and integer inputs only"
    if spec.min is not None and spec.max is not None and spec.min > spec.max:
        yield (*at, "min"), f"min ({spec.min:g}) is greater than max ({spec.max:g})"
    if spec.metric is not None and not numeric:
        yield (*at, "metric"), "a metric needs a number or integer input"
    if "aggregate" in spec.model_fields_set and spec.metric is None:
        yield (*at, "aggregate"), 'aggregate applies to metrics only; add metric = "..."'


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
        yield at, f"refers to unknown step {condition.step!r}"
        return
    if position >= index:
        yield at, f"refers to step {condition.step!r}, which does not come before this one"
        return
    target = playbook.steps[position].input
    if target is None:
        yield at, f"step {condition.step!r} has no input to test"
        return
    if condition.op in ("yes", "no"):
        if target.type != "yes-no":
            yield at, f"step {condition.step!r} is not a yes-no input; compare it with an operator"
        return
    literal = condition.literal
    if target.type in ("number", "integer"):
        if isinstance(literal, str):
            yield at, f"step {condition.step!r} takes a number; compare it with a number"
    elif target.type == "yes-no":
        yield at, f'write "{condition.step}" or "not {condition.step}" for a yes-no input'
    else:
        if not isinstance(literal, str):
            yield at, f"step {condition.step!r} takes text; compare it with a quoted string"
        elif condition.op not in ("==", "!="):
            yield at, "text can only be compared with == or !="
        elif target.type == "choice" and literal not in (target.choices or []):
            yield at, f"{literal!r} is not one of the choices of step {condition.step!r}"


def stale_review(playbook: Playbook, today: date) -> str | None:
    """A warning when the playbook is past its review date."""
    if playbook.reviewed is None or playbook.review_every is None:
        return None
    due = playbook.reviewed + playbook.review_every
    if today <= due:
        return None
    return f"due for review since {due.isoformat()} (reviewed {playbook.reviewed.isoformat()})"


def goal_errors(goals: list[Goal], metrics: Mapping[str, object]) -> Iterator[Finding]:
    """Cross-field errors in goals.toml; ``metrics`` holds the metrics defined by steps."""
    seen: set[str] = set()
    for index, goal in enumerate(goals):
        here: Path = ("goals", index)
        if goal.id in seen:
            yield (*here, "id"), f"duplicate goal id {goal.id!r}"
        seen.add(goal.id)
        if goal.metric not in metrics:
            known = ", ".join(sorted(metrics)) or "none"
            yield (*here, "metric"), f"no step defines metric {goal.metric!r} (known: {known})"
        if goal.start is not None and goal.start >= goal.by:
            yield (*here, "start"), "start must come before by"
