"""Recording actions: each one a single committed journal transaction, checked first.

The recorder is the domain's write side. Every method takes the journal's write lock
(``BEGIN IMMEDIATE``), re-reads the run, checks the action against the run as it stands
*now* (another operator may have acted a moment ago), appends one event, updates the
derived ``runs`` row, commits, and returns the new state. Nothing is shown as done by a
caller until this returns.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from soptui.followups import FollowUpError, parse_items
from soptui.i18n import N_, _
from soptui.journal import Event, JournalStore, RunRow
from soptui.ledger import ActionError, Clock, Ledger, utc_now
from soptui.playbooks.fields import format_offset
from soptui.playbooks.inputs import InputError, InputValue, parse_value
from soptui.playbooks.library import Library
from soptui.playbooks.loader import LoadedPlaybook, content_hash
from soptui.playbooks.models import Playbook
from soptui.run_ids import (
    MAX_INSTANCES_PER_DAY,
    incident_run_id,
    instance_key,
    instance_run_id,
    routine_run_id,
)
from soptui.runs import RunState, StepState, fold
from soptui.schedule import ANCHOR_MARGIN, LAST_DAY, anchor_text, local_midnight, step_due

__all__ = ["ActionError", "Identity", "Recorder", "clean_text"]

MAX_NOTE_CHARS = 64 * 1024
PRESENCE_TTL = timedelta(seconds=30)


@dataclass(frozen=True)
class Identity:
    """Who is acting: the chosen operator name, the Unix login and the host."""

    operator: str
    login: str
    host: str

    @classmethod
    def of(cls, operator: str, login: str) -> Identity:
        return cls(operator, login, socket.gethostname())


@dataclass
class _Folded:
    """A run as the recorder last read it under the write lock (issue 14: a day's run of 200
    groups holds thousands of events; reading them all again for every tick was most of it).

    ``events`` are the run's events as the journal holds them, up to ``last_seq``; ``state``
    and ``ours`` are the state this recorder returned after its last action and the events that
    action appended (not yet read back): when exactly those follow ``last_seq`` and the groups
    are unchanged, ``state`` is the run as it stands, with no fold at all."""

    journal: JournalStore
    playbook: Playbook
    events: list[Event]
    groups: dict[str, list[str]]
    state: RunState | None = None
    ours: tuple[tuple[Any, ...], ...] = ()

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq


MAX_FOLDED_RUNS = 8


def _same(event: Event) -> tuple[Any, ...]:
    """What tells an appended event from another with its UUID (a draft written twice)."""
    return (event.uuid, event.kind, event.step_id, event.group_id, event.at, event.operator, event.payload)


class Recorder:
    """Opens runs and records actions in the journal."""

    def __init__(
        self,
        journal: JournalStore,
        library: Library,
        zone: ZoneInfo,
        identity: Identity,
        clock: Clock = utc_now,
    ) -> None:
        self.ledger = Ledger(journal, library, zone, clock)
        self.identity = identity
        # The process id in the session lets a later session on this host tell a live one
        # from the ghost of one that crashed or lost its terminal.
        self.session = f"{os.getpid()}-{uuid.uuid4().hex}"
        # How long an action may wait for another writer's lock (None: the busy timeout). The
        # app sets a fraction of a second: the screen never freezes, a busy action is drafted.
        self.write_wait: float | None = None
        self._folded: dict[str, _Folded] = {}

    @property
    def journal(self) -> JournalStore:
        return self.ledger.journal

    @property
    def library(self) -> Library:
        return self.ledger.library

    @library.setter
    def library(self, library: Library) -> None:
        self.ledger.library = library

    @property
    def zone(self) -> ZoneInfo:
        return self.ledger.zone

    @property
    def clock(self) -> Clock:
        return self.ledger.clock

    # -- presence: who else is in a run (ephemeral, for team mode) -----------------
    def here(self, run_id: str | None, step_id: str | None) -> None:
        """Tell other sessions where this one is; ``None`` when on no run."""
        ident = self.identity
        self.journal.set_presence(
            self.session, ident.operator, ident.login, ident.host, run_id, step_id, self.clock()
        )

    def leave(self) -> None:
        self.journal.clear_presence(self.session)

    def clear_ghosts(self) -> None:
        """Delete presence rows of sessions that ended without saying so (and expired ones)."""
        now = self.clock()
        ghosts = [
            session
            for session, host, _user, _seen in self.journal.presence(None, now - PRESENCE_TTL)
            if self._is_ghost(session, host)
        ]
        self.journal.clear_presence_of(ghosts, now - PRESENCE_TTL)

    def others_here(self, run_id: str) -> list[tuple[str, str | None]]:
        """(operator, step id) of other live sessions seen in the run within PRESENCE_TTL."""
        since = self.clock() - PRESENCE_TTL
        return [
            (op, step)
            for session, host, op, step in self.journal.presence(run_id, since)
            if session != self.session and not self._is_ghost(session, host)
        ]

    def _is_ghost(self, session: str, host: str) -> bool:
        """A session of this host whose process is gone (other hosts' are trusted until TTL)."""
        if host != self.identity.host:
            return False
        pid_text, _sep, _rest = session.partition("-")
        if not pid_text.isdigit():
            return False
        return not _process_alive(int(pid_text))

    # -- reading (the ledger's, for the actions below) ---------------------------
    def playbook_version(self, content_hash_: str, playbook_id: str) -> Playbook:
        return self.ledger.playbook_version(content_hash_, playbook_id)

    def state(self, run_id: str) -> RunState:
        return self.ledger.state(run_id)

    def fold_row(self, row: RunRow) -> RunState:
        return self.ledger.fold_row(row)

    def groups_of(self, playbook: Playbook, period: str | None = None) -> dict[str, list[str]]:
        return self.ledger.groups_of(playbook, period)

    def current_period(self, playbook: Playbook, at: datetime | None = None) -> str:
        return self.ledger.current_period(playbook, at)

    def routine_run(self, playbook_id: str, at: datetime | None = None) -> RunState:
        """The run of the period containing ``at`` (default now), opened if needed."""
        entry = self.ledger.entry(playbook_id)
        if entry.playbook.is_incident:
            raise ActionError(
                _("{playbook_id!r} is an incident playbook: open it with a title").format(
                    playbook_id=playbook_id
                )
            )
        if entry.playbook.is_sequence:
            raise ActionError(
                _(
                    "{playbook_id!r} is a dated journey: start an instance (soptui start {playbook_id} "
                    "--anchor DATE) or name one with --run ID (soptui instances lists them)"
                ).format(playbook_id=playbook_id)
            )
        period = self.current_period(entry.playbook, at)
        run_id = routine_run_id(playbook_id, period)
        row = self.journal.run(run_id)
        if row is not None:
            return self.fold_row(row)
        with self.journal.writing(wait=self.write_wait):
            row = self.journal.run(run_id)
            if row is None:  # still absent under the write lock: we open it
                row = self._open(entry, run_id, period, at, {"period": period})
        return self.fold_row(row)

    def open_incident(
        self, playbook_id: str, title: str, severity: str | None = None, at: datetime | None = None
    ) -> RunState:
        entry = self.ledger.entry(playbook_id)
        playbook = entry.playbook
        if not playbook.is_incident:
            raise ActionError(
                _("{playbook_id!r} is a {cadence} routine, not an incident playbook").format(
                    playbook_id=playbook_id, cadence=playbook.cadence
                )
            )
        title = clean_text(title, N_("title"), limit=200)
        severity = severity or playbook.severities[-1]
        if severity not in playbook.severities:
            raise ActionError(
                _("severity must be one of {value}").format(value=", ".join(playbook.severities))
            )
        run_id = incident_run_id(playbook_id, uuid.uuid4().hex[:8])
        with self.journal.writing(wait=self.write_wait):
            row = self._open(entry, run_id, None, at, {"title": title, "severity": severity})
        return self.fold_row(row)

    def start_instance(
        self,
        playbook_id: str,
        anchor: date,
        anchor_time: time | None = None,
        title: str | None = None,
        at: datetime | None = None,
        *,
        auto: str | None = None,
    ) -> RunState:
        """Start an instance of a sequence playbook anchored at ``anchor`` (and ``anchor_time``,
        the event's time, for offsets in hours). Several instances may share a playbook, and
        even an anchor day: the second is ``PLAYBOOK~DAY-2``. Steps already past due when it
        starts are not applicable. ``auto`` ("daily" or "weekly") marks an auto-started cohort:
        it counts as started at its anchor day's first instant, and starts only once per day
        (None if it already exists, returned as it stands)."""
        entry = self.ledger.entry(playbook_id)
        playbook = entry.playbook
        if not playbook.is_sequence:
            raise ActionError(
                _("{playbook_id!r} is a {cadence} playbook, not a dated journey (cadence = sequence)").format(
                    playbook_id=playbook_id, cadence=playbook.cadence
                )
            )
        if not (date(1970, 1, 1) + ANCHOR_MARGIN <= anchor <= LAST_DAY - ANCHOR_MARGIN):
            raise ActionError(
                _("the anchor {anchor} is outside the supported range").format(anchor=anchor.isoformat())
            )
        clean_title = None if title is None else clean_text(title, N_("title"), limit=200)
        hourly = [s for s in playbook.steps if s.offset is not None and s.offset % timedelta(days=1)]
        if hourly and anchor_time is None and not auto:
            raise ActionError(
                _(
                    "step {step!r} is due {offset} from the anchor: give the event's time too, "
                    "e.g. --anchor {anchor}T20:00"
                ).format(
                    step=hourly[0].id,
                    offset=format_offset(hourly[0].offset or timedelta()),
                    anchor=anchor.isoformat(),
                )
            )
        moment = at or self.clock()
        started = local_midnight(anchor, self.zone) if auto else moment
        passed = [
            step.id
            for step in playbook.steps
            if step_due(playbook, step, anchor, anchor_time, self.zone, self.library.calendar) <= started
        ]
        payload: dict[str, Any] = {"anchor": anchor_text(anchor, anchor_time)}
        if clean_title is not None:
            payload["title"] = clean_title
        if auto:
            payload["auto"] = auto
        if passed:
            payload["passed"] = passed
        with self.journal.writing(wait=self.write_wait):
            for number in range(1, MAX_INSTANCES_PER_DAY + 1):
                run_id = instance_run_id(playbook_id, anchor, number)
                existing = self.journal.run(run_id)
                if existing is None:
                    break
                if auto:
                    return self.fold_row(existing)
            else:
                raise ActionError(
                    _("{playbook_id!r} already has {value} instances anchored on {anchor}").format(
                        playbook_id=playbook_id, value=MAX_INSTANCES_PER_DAY, anchor=anchor.isoformat()
                    )
                )
            row = self._open(entry, run_id, instance_key(run_id), moment, payload)
        return self.fold_row(row)

    def _open(
        self,
        entry: LoadedPlaybook,
        run_id: str,
        period: str | None,
        at: datetime | None,
        payload: dict[str, Any],
    ) -> RunRow:
        moment = at or self.clock()
        playbook = entry.playbook
        digest = content_hash(playbook)
        self.journal.store_version(digest, playbook.id, playbook.model_dump_json(), moment)
        self.ledger.remember_version(digest, playbook)
        self.journal.insert_event(
            self.event_for("run.opened", moment, playbook.id, digest, run_id, None, payload)
        )
        row = RunRow(
            run_id,
            playbook.id,
            digest,
            period,
            moment,
            self.identity.operator,
            payload.get("title"),
            payload.get("severity"),
            None,
        )
        self.journal.insert_run(row)
        return row

    # -- actions -------------------------------------------------------------------
    def complete(
        self,
        run_id: str,
        step_id: str,
        value: str | InputValue | None = None,
        at: datetime | None = None,
        *,
        note: str | None = None,
        event_id: str | None = None,
        group: str | None = None,
    ) -> RunState:
        """Mark a step done (for one ``group`` on a per-group step), validating its input value;
        with ``note``, both or neither."""
        note_text = None if note is None else clean_text(note, N_("note"), limit=MAX_NOTE_CHARS)

        def check(state: RunState) -> dict[str, Any]:
            step = _open_target(state, step_id, group, self.zone, value)
            parsed: InputValue | None = None
            if step.step.input is not None and step.step.input.type == "actions":
                return self._action_items(step, value)
            if step.step.input is not None:
                raw = value if isinstance(value, str) or value is None else _raw(value)
                try:
                    parsed = parse_value(step.step.input, raw)
                except InputError as error:
                    label = step.step.input.label or step.step.title
                    raise ActionError(_("{label}: {error}").format(label=label, error=error)) from None
            elif value not in (None, ""):
                raise ActionError(_("step {step_id!r} takes no value").format(step_id=step_id))
            return {} if parsed is None else {"value": parsed}

        extra = None if note_text is None else ("note", {"text": note_text})
        return self.act(run_id, "step.done", step_id, at, check, event_id=event_id, extra=extra, group=group)

    def _action_items(self, step: StepState, value: str | InputValue | None) -> dict[str, Any]:
        """The payload of a completion that records follow-up action items (input ``actions``)."""
        spec = step.step.input
        assert spec is not None
        text = value if isinstance(value, str) else ""
        roster = self.library.roster
        people = {p.id: p.name for p in roster.people}
        today = self.clock().astimezone(self.zone).date()
        try:
            items = parse_items(text, today, self.identity.login, people)
        except FollowUpError as error:
            label = spec.label or step.step.title
            raise ActionError(_("{label}: {error}").format(label=label, error=error)) from None
        if not items:
            if spec.required:
                raise ActionError(
                    _("{label}: {error}").format(
                        label=spec.label or step.step.title, error=_("a value is required")
                    )
                )
            return {}
        return {"value": "; ".join(i.text() for i in items), "actions": [i.to_json() for i in items]}

    def complete_groups(
        self, run_id: str, step_id: str, groups: list[str], value: str | None = None
    ) -> RunState:
        """Tick several groups of a per-group step at once: all of them, or none."""
        with self.journal.writing(wait=self.write_wait):
            state = self.state(run_id)
            for group in groups:
                state = self.complete(run_id, step_id, value, group=group)
        return state

    def skip(
        self,
        run_id: str,
        step_id: str,
        reason: str | None = None,
        at: datetime | None = None,
        *,
        event_id: str | None = None,
        group: str | None = None,
    ) -> RunState:
        """Skip a step (or one ``group`` of a per-group step, e.g. 群已解散); a reason is required
        unless the step is optional."""

        def check(state: RunState) -> dict[str, Any]:
            step = _open_target(state, step_id, group, self.zone)
            text = (reason or "").strip()
            if not text and not step.step.optional:
                raise ActionError(_("skipping {title!r} needs a reason").format(title=step.step.title))
            return {"reason": clean_text(text, N_("reason"), limit=2000)} if text else {}

        return self.act(run_id, "step.skipped", step_id, at, check, event_id=event_id, group=group)

    def tick(self, run_id: str, step_id: str, item: int, ticked: bool = True) -> RunState:
        def check(state: RunState) -> dict[str, Any]:
            step = state.steps.get(step_id)
            if step is None or not 0 <= item < len(step.step.checklist):
                raise ActionError(
                    _("no checklist item {value} in step {step_id!r}").format(value=item + 1, step_id=step_id)
                )
            return {"item": item, "ticked": ticked}

        return self.act(run_id, "checklist.ticked", step_id, None, check)

    def note(
        self,
        run_id: str | None,
        text: str,
        step_id: str | None = None,
        at: datetime | None = None,
        *,
        event_id: str | None = None,
    ) -> RunState | None:
        """Attach a note to a step, a run, or (without a run) the day's log."""
        clean = clean_text(text, N_("note"), limit=MAX_NOTE_CHARS)
        if run_id is None:
            moment = at or self.clock()
            event = self.event_for("note", moment, None, None, None, None, {"text": clean})
            if event_id is not None:
                event = replace(event, uuid=event_id)
            with self.journal.writing(wait=self.write_wait):
                self.journal.insert_event(event)  # an existing UUID is ignored: replay is idempotent
            return None

        def check(state: RunState) -> dict[str, Any]:
            if step_id is not None and step_id not in state.steps:
                raise ActionError(
                    _("no step {step_id!r} in {id!r}").format(step_id=step_id, id=state.playbook.id)
                )
            return {"text": clean}

        return self.act(run_id, "note", step_id, at, check, closed_ok=True, event_id=event_id)

    def undo(self, run_id: str) -> tuple[RunState, Event]:
        """Cancel the operator's own last action in this run (an appended event)."""
        undone: list[Event] = []

        def check(state: RunState) -> dict[str, Any]:
            target = state.undoable_by(self.identity.login)
            if target is None:
                raise ActionError(_("nothing of yours to undo in this run"))
            undone.append(target)
            return {"target": target.uuid, "undone": target.kind}

        state = self.act(
            run_id,
            "undo",
            None,
            None,
            check,
            closed_ok=True,
            step_of=lambda: undone[0].step_id if undone else None,
        )
        return state, undone[0]

    def finish(self, run_id: str, at: datetime | None = None) -> RunState:
        """Finish a routine run now; pending steps are recorded as left."""

        def check(state: RunState) -> dict[str, Any]:
            if state.is_incident:
                raise ActionError(_("an incident is resolved, not finished"))
            return {"left": [s.step.id for s in state.steps.values() if s.status == "pending"]}

        return self.act(run_id, "run.finished", None, at, check)

    def resolve(self, run_id: str, summary: str, at: datetime | None = None) -> RunState:
        def check(state: RunState) -> dict[str, Any]:
            if not state.is_incident:
                raise ActionError(_("only incidents are resolved; finish a routine instead"))
            return {"summary": clean_text(summary, N_("summary"), limit=MAX_NOTE_CHARS)}

        return self.act(run_id, "incident.resolved", None, at, check)

    # -- the one write path --------------------------------------------------------
    def act(
        self,
        run_id: str,
        kind: str,
        step_id: str | None,
        at: datetime | None,
        check: Callable[[RunState], dict[str, Any]],
        closed_ok: bool = False,
        step_of: Callable[[], str | None] | None = None,
        event_id: str | None = None,
        extra: tuple[str, dict[str, Any]] | None = None,
        group: str | None = None,
    ) -> RunState:
        """Check and append one action (and ``extra``, an event of the same step) atomically.

        ``event_id`` is the action's UUID when it was chosen earlier (a draft carries it from
        the moment it was typed): if the journal already holds it, the action was recorded
        before and nothing is written again.
        """
        moment = at or self.clock()
        with self.journal.writing(wait=self.write_wait):
            row = self.journal.run(run_id)
            if row is None:
                raise ActionError(_("no run {run_id!r} in the journal").format(run_id=run_id))
            state = self._locked_state(row)
            if event_id is not None and self.journal.has_event(event_id):
                return state
            payload = check(state)
            if state.is_closed and not closed_ok:
                raise ActionError(_closed_message(state))
            event = self.event_for(
                kind,
                moment,
                row.playbook_id,
                row.playbook_hash,
                run_id,
                step_of() if step_of else step_id,
                payload,
            )
            if event_id is not None:
                event = replace(event, uuid=event_id)
            if group is not None:
                event = replace(event, group_id=group)
            events = [event]
            if extra is not None:
                kind_, payload_ = extra
                events.append(
                    self.event_for(
                        kind_, moment, row.playbook_id, row.playbook_hash, run_id, step_id, payload_
                    )
                )
            appended = [each for each in events if self.journal.insert_event(each)]
            groups = self.groups_of(state.playbook, state.period)
            state = fold(run_id, state.playbook, [*state.events, *events], groups)
            if state.closed_at != row.closed_at:  # most actions leave the run open: no write
                self.journal.set_run_closed(run_id, state.closed_at)
            folded = self._folded.get(run_id)
            if folded is not None:
                folded.state, folded.ours, folded.groups = state, tuple(map(_same, appended)), groups
        return state

    def _locked_state(self, row: RunRow) -> RunState:
        """The run as it stands, read under the write lock: only the events appended since
        this recorder last read it come from the journal, and they are folded with the rest
        (nothing is folded when they are just this recorder's last action)."""
        playbook = self.playbook_version(row.playbook_hash, row.playbook_id)
        groups = self.groups_of(playbook, row.period)
        folded = self._folded.pop(row.run_id, None)
        if folded is not None and (folded.journal is not self.journal or folded.playbook is not playbook):
            folded = None
        if folded is not None:
            # The last event read must still be there (a rolled-back transaction's are not).
            fresh = self.journal.run_events_after(row.run_id, folded.last_seq - 1)
            if fresh and fresh[0].seq == folded.last_seq and fresh[0].uuid == folded.events[-1].uuid:
                fresh = fresh[1:]
            else:
                folded = None
        if folded is None:
            events = self.journal.run_events(row.run_id)
            folded = _Folded(self.journal, playbook, events, groups)
            state = fold(row.run_id, playbook, events, groups)
        else:
            kept = folded.state
            unchanged = kept is not None and folded.groups == groups
            if not (unchanged and tuple(map(_same, fresh)) == folded.ours and kept is not None):
                kept = fold(row.run_id, playbook, [*folded.events, *fresh], groups)
            state = kept
            folded.events.extend(fresh)
            folded.groups = groups
        folded.state, folded.ours = None, ()
        if folded.events:
            self._folded[row.run_id] = folded  # the most recent last: the oldest goes first
            while len(self._folded) > MAX_FOLDED_RUNS:
                del self._folded[next(iter(self._folded))]
        return state

    def event_for(
        self,
        kind: str,
        at: datetime,
        playbook_id: str | None,
        digest: str | None,
        run_id: str | None,
        step_id: str | None,
        payload: dict[str, Any],
    ) -> Event:
        ident = self.identity
        if ident.operator != ident.login:
            payload = {**payload, "operator_override": True}
        return Event(
            kind=kind,
            at=at.astimezone(UTC),
            operator=ident.operator,
            login=ident.login,
            host=ident.host,
            playbook_id=playbook_id,
            playbook_hash=digest,
            run_id=run_id,
            step_id=step_id,
            payload=payload,
            recorded_at=self.clock().astimezone(UTC),
        )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def _open_target(
    state: RunState, step_id: str, group: str | None, zone: ZoneInfo, value: str | InputValue | None = None
) -> StepState:
    """The step to act on, checked; for a per-group step, the group must be one still open."""
    step = state.steps.get(step_id)
    if step is None or not step.per_group:
        if step is not None and group is not None:
            raise ActionError(_("{title!r} is not done per group").format(title=step.step.title))
        return _open_step(state, step_id, zone, value)
    if step.status == "n/a":
        return _open_step(state, step_id, zone, value)
    if group is None:
        left = ", ".join(step.groups_left[:8]) or "-"
        raise ActionError(
            _("{title!r} is done per group: name the group (--group ID); still open: {left}").format(
                title=step.step.title, left=left
            )
        )
    if group not in step.expected:
        import difflib

        near = difflib.get_close_matches(group, step.expected, n=3, cutoff=0.5)
        hint = _("; did you mean {near}?").format(near=", ".join(near)) if near else ""
        raise ActionError(
            _("no group {group!r} for {title!r}{hint}").format(group=group, title=step.step.title, hint=hint)
        )
    mark = step.groups.get(group)
    if mark is not None:
        what = _("done") if mark.status == "done" else _("skipped")
        raise ActionError(
            _("{group} was already {what} by {by} at {at}").format(
                group=group, what=what, by=mark.by, at=_hm(mark.at, zone)
            )
        )
    return step


def _open_step(
    state: RunState, step_id: str, zone: ZoneInfo, value: str | InputValue | None = None
) -> StepState:
    step = state.steps.get(step_id)
    if step is None:
        from difflib import get_close_matches

        known = ", ".join(state.steps)
        close = get_close_matches(step_id, list(state.steps), n=1)
        if close:
            raise ActionError(
                _("no step {step_id!r} in {id!r}; did you mean {value!r}? (steps: {known})").format(
                    step_id=step_id, id=state.playbook.id, value=close[0], known=known
                )
            )
        raise ActionError(
            _("no step {step_id!r} in {id!r} (steps: {known})").format(
                step_id=step_id, id=state.playbook.id, known=known
            )
        )
    if step.status == "done":
        # Two operators raced: say who won, and that the loser's value was not kept.
        recorded = f" = {_raw(step.value)}" if step.value is not None else ""
        lost = f"; your value {_raw(value)!r} was not recorded" if value not in (None, "") else ""
        raise ActionError(
            _("{title!r} was already done by {by} at {at}{recorded}{lost}").format(
                title=step.step.title, by=step.by, at=_hm(step.at, zone), recorded=recorded, lost=lost
            )
        )
    if step.status == "skipped":
        raise ActionError(
            _("{title!r} was already skipped by {by} at {at}").format(
                title=step.step.title, by=step.by, at=_hm(step.at, zone)
            )
        )
    if step.status == "n/a" and step.step.id in state.passed and step.step.when is None:
        raise ActionError(
            _("{title!r} was due before this instance started: it does not apply").format(
                title=step.step.title
            )
        )
    if step.status == "n/a":
        raise ActionError(
            _("{title!r} does not apply in this run ({when})").format(
                title=step.step.title, when=step.step.when
            )
        )
    return step


def _closed_message(state: RunState) -> str:
    if state.is_incident:
        return _("this run was already resolved; add a note instead")
    return _("this run was already finished; add a note instead")


def _hm(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M") if moment else "?"


def _raw(value: InputValue) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def clean_text(text: str, what: str, limit: int) -> str:
    stripped = text.strip()
    if not stripped:
        raise ActionError(_("the {what} is empty").format(what=_(what)))
    if len(stripped.encode()) > limit:
        raise ActionError(
            _("the {what} is longer than {value} KiB").format(what=_(what), value=limit // 1024)
        )
    return stripped
