"""Team coordination: claims, hand-overs, corrections and follow-ups, recorded as events.

The :class:`Coordinator` adds these actions to a :class:`~soptui.recorder.Recorder` (one
transaction each, checked against the run as it stands, like every other action) and reads
them back: hand-overs waiting for this operator, and the team's action items.

Identity is the Unix login throughout: a display name can be chosen freely, so it never
grants the right to correct someone else's work.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from soptui.events import Event
from soptui.followups import OUTCOMES, ActionItem, FollowUpError, find_item
from soptui.i18n import N_, _
from soptui.ledger import ActionError
from soptui.playbooks.inputs import InputError, InputValue, parse_value
from soptui.recorder import MAX_NOTE_CHARS, Recorder, clean_text
from soptui.runs import RunState

LEAD_ROLE = "社群经理"
"""The people.toml role that may correct anyone's recorded work (the team's lead)."""


class Coordinator:
    """Claims, hand-overs, amendments and follow-ups for one operator."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    @property
    def login(self) -> str:
        return self.recorder.identity.login

    # -- claims ---------------------------------------------------------------------
    def claim(self, run_id: str, step_id: str | None = None, groups: list[str] | None = None) -> RunState:
        """Say "mine" of a run, or of some groups of a per-group step."""
        return self._claim("run.claimed", run_id, step_id, groups)

    def release(self, run_id: str, step_id: str | None = None, groups: list[str] | None = None) -> RunState:
        return self._claim("run.released", run_id, step_id, groups)

    def _claim(self, kind: str, run_id: str, step_id: str | None, groups: list[str] | None) -> RunState:
        def check(state: RunState) -> dict[str, Any]:
            if groups:
                step = state.steps.get(step_id or "")
                if step is None or not step.per_group:
                    raise ActionError(_("only the groups of a per-group step can be claimed"))
                unknown = [g for g in groups if g not in step.expected]
                if unknown:
                    raise ActionError(_("no group {id!r} in this step").format(id=unknown[0]))
                return {"groups": list(groups)}
            mine = self.login in state.claims
            if kind == "run.claimed" and mine:
                raise ActionError(_("you have already claimed this run"))
            if kind == "run.released" and not mine:
                raise ActionError(_("you have not claimed this run"))
            return {}

        return self.recorder.act(run_id, kind, step_id if groups else None, None, check)

    # -- corrections ----------------------------------------------------------------
    def amend(
        self,
        run_id: str,
        step_id: str,
        reason: str,
        value: str | None = None,
        *,
        retract: bool = False,
        group: str | None = None,
    ) -> RunState:
        """Correct the step's recorded completion: a new value, or (``retract``) not done after
        all. The old value stays in the journal; who and why are recorded with it."""
        why = clean_text(reason, N_("reason"), limit=2000)
        if not retract and value is None:
            raise ActionError(_("give the corrected value, or retract the completion"))

        def check(state: RunState) -> dict[str, Any]:
            target = _completion(state, step_id, group)
            self._may_amend(state, target)
            step = state.steps[step_id]
            payload: dict[str, Any] = {"target": target.uuid, "reason": why, "retract": retract}
            old = target.payload.get("value")
            if old is not None:
                payload["old"] = old
            if not retract:
                payload["new"] = _parsed(step.step, value)
            return payload

        return self.recorder.act(run_id, "amend", step_id, None, check, closed_ok=True)

    def _may_amend(self, state: RunState, target: Event) -> None:
        opened = next((e for e in state.events if e.kind == "run.opened"), None)
        if self.login in (target.login, opened.login if opened else None) or self.is_lead():
            return
        raise ActionError(
            _(
                "only {who} (who recorded it), the run's opener or a {role} in people.toml may correct this"
            ).format(who=target.login, role=LEAD_ROLE)
        )

    def is_lead(self) -> bool:
        person = self.recorder.library.roster.person(self.login)
        return person is not None and LEAD_ROLE in person.roles

    # -- hand-overs -----------------------------------------------------------------
    def hand_over(self, text: str) -> Event:
        """Leave a note for the next shift (shown to the others until each acknowledges it)."""
        clean = clean_text(text, N_("hand-over note"), limit=MAX_NOTE_CHARS)
        return self._record("handover", {"text": clean})

    def waiting_handovers(self) -> list[Event]:
        """Hand-overs from the last week, by others, that this login has not acknowledged."""
        return self.recorder.ledger.waiting_handovers(self.login)

    def acknowledge(self, handovers: list[Event]) -> None:
        if handovers:
            self._record("handover.acknowledged", {"targets": [e.uuid for e in handovers]})

    # -- follow-ups -----------------------------------------------------------------
    def action_items(self) -> list[ActionItem]:
        """Every action item the team recorded, with where it stands now."""
        return self.recorder.ledger.action_items()

    def close_action(
        self, item_id: str, outcome: str, due: date | None = None, run_id: str | None = None
    ) -> ActionItem:
        """Close an item (done or dropped) or move it to a new due date."""
        if outcome not in OUTCOMES:
            raise ActionError(_("an action item is done, moved or dropped"))
        if outcome == "moved" and due is None:
            raise ActionError(_("moving an action item needs its new due date"))
        try:
            item = find_item(self.action_items(), item_id)
        except FollowUpError as error:
            raise ActionError(str(error)) from None
        if item.status != "open":
            raise ActionError(_("that action item is already closed"))
        payload: dict[str, Any] = {"item": item.id, "outcome": outcome}
        if due is not None and outcome == "moved":
            payload["due"] = due.isoformat()
        if run_id is None:
            self._record("action.closed", payload)
        else:
            self.recorder.act(run_id, "action.closed", None, None, lambda _state: payload, closed_ok=True)
        return next(i for i in self.action_items() if i.id == item.id)

    def _record(self, kind: str, payload: dict[str, Any]) -> Event:
        """An event that belongs to no run (hand-overs, follow-ups closed from Today)."""
        recorder = self.recorder
        event = recorder.event_for(kind, recorder.clock(), None, None, None, None, payload)
        with recorder.journal.writing(wait=recorder.write_wait):
            recorder.journal.insert_event(event)
        return replace(event)


def _completion(state: RunState, step_id: str, group: str | None) -> Event:
    """The completion of ``step_id`` (for ``group``) that stands now: the last one not undone."""
    undone = {e.payload.get("target") for e in state.events if e.kind == "undo"}
    step = state.steps.get(step_id)
    if step is None:
        raise ActionError(_("no step {step_id!r} in {id!r}").format(step_id=step_id, id=state.playbook.id))
    for event in reversed(state.events):
        if (
            event.kind == "step.done"
            and event.step_id == step_id
            and event.group_id == group
            and event.uuid not in undone
        ):
            done = step.groups.get(group) if group is not None else None
            if (group is None and step.status == "done") or (done is not None and done.status == "done"):
                return event
            break
    raise ActionError(_("{title!r} has no completion to correct").format(title=step.step.title))


def _parsed(step: Any, value: str | None) -> InputValue | None:
    if step.input is None:
        raise ActionError(_("step {step_id!r} records no value; retract it instead").format(step_id=step.id))
    try:
        return parse_value(step.input, value)
    except InputError as error:
        raise ActionError(str(error)) from None
