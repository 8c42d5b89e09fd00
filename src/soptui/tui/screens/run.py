"""A run: the step list, the current step, and (for incidents) a live timeline.

Every action goes through the recorder first; the screen changes only after the journal
committed it. A refusal or a journal error is shown as a notification and nothing moves.

The screen holds the run's state and the selected step as reactive attributes; assigning
either draws what shows it (:meth:`RunScreen.watch_state`, :meth:`RunScreen.watch_selected`):
the header (:class:`~soptui.tui.run_header.RunHeader`), the steps
(:class:`~soptui.tui.step_list.StepList`), the selected step
(:class:`~soptui.tui.step_detail.StepDetail`) and an incident's timeline
(:class:`~soptui.tui.incident_timeline.IncidentTimeline`). The screen itself coordinates:
it records actions, queues them as drafts when the journal is busy, and asks in dialogs.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, TextArea

from soptui.coordination import Coordinator
from soptui.i18n import _
from soptui.journal import JournalBusy, JournalError, JournalReadOnly
from soptui.playbooks.inputs import InputError, parse_value
from soptui.recorder import ActionError
from soptui.runs import RunState, StepState
from soptui.timeline import escalations
from soptui.tui.commands import Command, bindings_of
from soptui.tui.groups import GroupPanel
from soptui.tui.incident_timeline import IncidentTimeline
from soptui.tui.messages import JournalChanged, RunClosed, StartIncident
from soptui.tui.plain import styled
from soptui.tui.run_header import RunHeader, fit_parts, header_parts
from soptui.tui.screens.modals import Confirm, Pick
from soptui.tui.screens.run_dialogs import RunDialogs
from soptui.tui.services import Services
from soptui.tui.step_detail import StepDetail, choices, picked_value, typed_value
from soptui.tui.step_list import StepList
from soptui.tui.widgets import NoteBox
from soptui.tui.words import N_, localise_bindings

Outcome = Literal["done", "queued", "refused"]
PRESENCE_READ_EVERY = 2.0
"""Seconds between reads of who else is in the run (presence is written every 10 s)."""
Action = Callable[[str], RunState | None]
"""A recorder call given the UUID its event must carry (so a replayed draft is recorded once)."""


def _no_state() -> RunState:
    raise RuntimeError("a RunScreen is made with its run's state")


class RunScreen(Screen[None]):
    """Walk through one run, step by step."""

    USER_COMMANDS = (
        Command("run.done", "space", "complete", N_("done"), N_("Complete the current step")),
        Command("run.skip", "s", "skip", N_("skip"), N_("Skip the step (asks for a reason)")),
        Command("run.note", "n", "note", N_("note"), N_("Add a note to the step")),
        Command("run.copy", "c", "copy", N_("copy"), N_("Copy the step's ready-made text")),
        Command("run.undo", "u", "undo", N_("undo"), N_("Undo your last action")),
        Command(
            "run.undo-ctrl",
            "ctrl+z",
            "undo",
            N_("undo"),
            N_("Undo (works while typing)"),
            show=False,
            palette=False,
        ),
        Command("run.finish", "f", "finish", N_("finish"), N_("Finish the run now")),
        Command("run.claim", "m", "claim", N_("mine"), N_("Claim the run (again: release)"), show=False),
        Command(
            "run.amend",
            "e",
            "amend",
            N_("correct"),
            N_("Correct the step's recorded value or completion"),
            show=False,
        ),
        Command(
            "run.followups",
            "a",
            "followups",
            N_("follow-ups"),
            N_("The team's open action items"),
            show=False,
        ),
        Command(
            "run.history",
            "h",
            "history",
            N_("history"),
            N_("The values recorded for this step before"),
            show=False,
        ),
        Command("run.resolve", "R", "resolve", N_("resolve"), N_("Resolve the incident")),
        Command(
            "run.resolve-ctrl",
            "ctrl+r",
            "resolve",
            N_("resolve"),
            N_("Resolve (works while typing)"),
            palette=False,
        ),
        Command(
            "run.copy-ctrl",
            "ctrl+o",
            "copy",
            N_("copy"),
            N_("Copy (works while typing)"),
            show=False,
            palette=False,
        ),
        Command(
            "run.back", "escape,b", "back", N_("back"), N_("Back to Today; the run stays open"), palette=False
        ),
        Command("run.incident", "i", "incident", N_("incident"), N_("Open an incident"), show=False),
        Command(
            "run.help", "question_mark,f1", "app.help", N_("help"), N_("Keys of this screen"), show=False
        ),
        # Moving is handled here, before the list sees the key, so keys typed ahead apply in
        # order: the row (and the focus) a key leaves is the one the next key acts on.
        Command("run.move-down", "down", "move(1)", show=False, palette=False, priority=True),
        Command("run.move-up", "up", "move(-1)", show=False, palette=False, priority=True),
        Command("run.move-j", "j", "move(1)", show=False, palette=False),
        Command("run.move-k", "k", "move(-1)", show=False, palette=False),
        *[Command(f"run.tick{n}", str(n), f"tick({n - 1})", show=False, palette=False) for n in range(1, 10)],
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    state: var[RunState] = var(_no_state, init=False, always_update=True)
    """The run as last recorded or read: assigning it draws the screen (every assignment, a
    new RunState or not: states are never compared, which would walk every event)."""
    selected: var[str | None] = var(None, init=False, always_update=True)
    """The step the cursor is on: assigning it (the same step too) draws the list and the detail."""

    def __init__(
        self,
        services: Services,
        state: RunState,
        changes: list[str] | None = None,
        step_id: str | None = None,
    ) -> None:
        super().__init__()
        self.start_step = step_id  # the step to open at (a search result's), else the current one
        localise_bindings(self)
        self.services = services
        self.set_reactive(RunScreen.state, state)  # nothing to draw on yet: on_mount draws
        self.changes = changes or []
        self.rung: set[str] = set()
        self._presence_target: str | None = None
        self._presence_pending = False
        self._here: list[tuple[str, str | None]] = []  # others in this run, as last read
        self._just_noted = False  # an empty enter right after a note must not complete a step
        self._labels: dict[str, str] | None = None  # a journey's step labels and due times
        self.dialogs = RunDialogs(self)

    # -- layout ------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        s = self.services
        yield RunHeader(id="run-header", classes="header")
        with Horizontal(id="run-body"):
            yield StepList(s.t, id="steps")
            with Vertical(id="right"):
                yield StepDetail(s.t, s.zone, s.library.roster, s.recorder.identity.login, id="detail")
                if self.state.is_incident:
                    yield IncidentTimeline(s.t, s.zone, id="timeline-box")
                    yield NoteBox(
                        self.typing_draft("incident"), placeholder=s.t("type-note"), id="note-input"
                    )
        yield Footer()

    @property
    def detail(self) -> StepDetail:
        return self.query_one("#detail", StepDetail)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return self.state.is_incident
        if action == "finish":
            return not self.state.is_incident
        return True

    def on_mount(self) -> None:
        self._read_presence()
        self._draw()
        first = self.state.current()
        if self.start_step in self.state.steps:
            self._select(self.start_step)
        else:
            self._select(first.step.id if first else next(iter(self.state.steps), None))
        # Focus is set now (set_focus), not later: a deferred focus() would undo _focus_for.
        if self.state.is_incident:
            self.set_focus(self.query_one("#note-input", NoteBox))
            self.set_interval(1.0, self.tick)
        else:
            self.set_focus(self.query_one("#steps", StepList))
        self._focus_for(self.step)  # a step that takes a typed value: the cursor is in its box
        self._announce()
        self.set_interval(10.0, self._announce)
        # Who else is here is read on a timer, never on the key-press path.
        self.set_interval(PRESENCE_READ_EVERY, self._presence_changed)
        if self.changes:
            self.notify(self.services.t("changed") + " · ".join(self.changes), markup=False, timeout=8)

    def _announce(self, step_id: str | None = None, *, leaving: bool = False) -> None:
        """Tell other sessions where this operator is, at most twice a second.

        Moving the cursor must not cost a journal write per key press, so the position is
        written by a short timer; leaving is written at once.
        """
        if leaving:
            self._write_presence(None, None)
            return
        self._presence_target = step_id or self.selected
        if not self._presence_pending:
            self._presence_pending = True
            self.set_timer(0.5, self._flush_presence)

    def _flush_presence(self) -> None:
        self._presence_pending = False
        if self.is_current:
            self._write_presence(self.state.run_id, self._presence_target)

    def _write_presence(self, run_id: str | None, step_id: str | None) -> None:
        recorder = self.services.recorder
        if recorder.journal.readonly:
            return

        def write() -> None:
            with contextlib.suppress(JournalError):
                recorder.here(run_id, step_id)

        # A presence write is a committed transaction (an fsync): keep it off the key-press path.
        self.run_worker(write, thread=True, group="presence", exclusive=True)

    def on_screen_suspend(self) -> None:
        self._announce(leaving=True)

    def on_screen_resume(self) -> None:
        self._announce()

    def tick(self) -> None:
        """Advance the live clock and escalations (a one-second timer calls this)."""
        self._draw_header()
        late = escalations(self.state, self.services.clock())
        fresh = set(late) - self.rung
        if fresh:
            self.rung |= fresh
            self.app.bell()
        if fresh or late:
            self._draw_list()

    # -- drawing -------------------------------------------------------------------
    def watch_state(self) -> None:
        """A new state (recorded here, or read again after the journal changed): show it."""
        self._draw()

    def watch_selected(self, old: str | None, new: str | None) -> None:
        """The cursor is on another step (or on the same one again): the list and detail follow."""
        if new != old:
            self._announce(new)
        self._draw_list()
        self._draw_detail()

    def _draw(self) -> None:
        self._draw_header()
        self._draw_list()
        self._draw_detail()
        if self.state.is_incident:
            self._draw_timeline()

    def _draw_header(self) -> None:
        s = self.services
        parts = header_parts(self.state, s.clock(), s.t, self._others(), demo=s.demo)
        self.query_one("#run-header", RunHeader).show(parts, self.size.width)

    def _read_presence(self) -> bool:
        """Read who else is in this run; whether that changed since the last read."""
        try:
            here = self.services.recorder.others_here(self.state.run_id)
        except JournalError:
            here = []
        changed, self._here = here != self._here, here
        return changed

    def _presence_changed(self) -> None:
        if self.is_current and self._read_presence():
            self._draw_header()

    def _others(self) -> list[str]:
        """Other operators in this run (as last read), with the number of the step they are on."""
        ids = list(self.state.steps)
        return [
            _("with {name}").format(name=op) + (f" @{ids.index(step) + 1}" if step in ids else "")
            for op, step in self._here
        ]

    def _draw_list(self) -> None:
        late = escalations(self.state, self.services.clock()) if self.state.is_incident else {}
        steps = self.query_one("#steps", StepList)
        steps.show(self.state, self.selected, late=late, queued=self._queued_steps(), due=self._due_labels())

    def _draw_detail(self) -> None:
        step = self.step
        actions = self._open_action_lines() if step is not None and step.step.open_actions else []
        self.detail.show(self.state, self.selected, open_actions=actions)

    def _open_action_lines(self) -> list[str]:
        """The team's open action items, for the step that goes over them (a: close or move)."""
        try:
            items = [i for i in Coordinator(self.services.recorder).action_items() if i.status == "open"]
        except JournalError:
            return []
        roster, today = self.services.library.roster, self.services.now().date()
        lines = [f"a: {self.services.t('open-followups')} ({len(items)})"]
        for item in items[:20]:
            late = "!" if item.overdue(today) else "□"
            lines.append(f"{late} {item.due:%m-%d} {roster.name_of(item.owner)}: {item.what}")
        return lines

    def _draw_timeline(self) -> None:
        late = escalations(self.state, self.services.clock())
        self.query_one("#timeline-box", IncidentTimeline).show(self.state, late)

    def _select(self, step_id: str | None) -> None:
        self.selected = step_id  # watch_selected draws
        self._focus_for(self.step)

    def _focus_for(self, step: StepState | None) -> None:
        """Type where you look: a step that takes a typed value gets the cursor in its box."""
        # set_focus, not .focus(): the change is made now, so a key typed ahead sees it
        if step is not None and typed_value(step):
            self.set_focus(self.detail.value_box)
        elif step is not None and step.per_group and step.status == "pending":
            self.set_focus(self.query_one("#group-list", OptionList))  # space ticks the highlighted group
        elif isinstance(self.focused, Input) and self.focused.id == "value-input":
            self._refocus()

    # -- recording -----------------------------------------------------------------
    def record(self, action: Action, draft: Mapping[str, object] | None = None) -> Outcome:
        """Run one recorder action; the screen shows its state only if the journal committed it.

        The action's event UUID is chosen here, before the first try. If the journal cannot
        take it now (another program holds the lock, the disk is full) a draftable action is
        kept as a pending draft under that UUID, shown as queued, and written by the app's
        replay worker later; so is every action after it in this run, to keep their order.
        """
        event_id = str(uuid.uuid4())
        if self.services.drafts.pending(self.state.run_id):
            if draft is None:
                self.notify(self.services.t("wait-queued"), severity="warning", markup=False)
                return "refused"
            self._queue(draft, event_id, self.services.t("queued"))
            return "queued"
        try:
            state = action(event_id)
        except JournalReadOnly as error:
            self.notify(str(error), severity="error", markup=False, timeout=6)
            return "refused"
        except JournalError as error:
            if draft is None:
                self.notify(str(error), severity="error", markup=False, timeout=10)
                return "refused"
            busy = isinstance(error, JournalBusy)
            self._queue(draft, event_id, self.services.t("queued") if busy else str(error))
            return "queued"
        except ActionError as error:
            self.notify(str(error), severity="error", markup=False, timeout=6)
            return "refused"
        if state is not None:
            self.state = state  # watch_state draws it
        return "done"

    def _queue(self, draft: Mapping[str, object], event_id: str, message: str) -> None:
        key = f"pending-{event_id}"
        queued = {**draft, "run": self.state.run_id, "uuid": event_id, "queued": f"{time.time_ns():020d}"}
        self.services.drafts.save(key, queued)
        self.notify(message + " · " + self.services.t("kept-draft"), severity="warning", markup=False)
        self._draw_list()  # the state is the same; the step shows as queued
        if draft.get("kind") in ("step.done", "step.skipped") and not draft.get("group"):
            self.advance()

    def _due_labels(self) -> dict[str, str]:
        """A journey's steps: their label and due day (``T-7 12-05``); nothing for other runs.

        Computed once per screen: due times depend on the anchor and the calendar, not on what
        was done, and the step list is redrawn on every key press."""
        if self._labels is None:
            self._labels = self._compute_due_labels() if self.state.anchor else {}
        return self._labels

    def _compute_due_labels(self) -> dict[str, str]:
        from soptui.journeys import journey_item

        item = journey_item(self.services.ledger, self.state, self.services.clock())
        if item is None:
            return {}
        zone = self.services.zone
        return {s.step.id: f"{s.label} {s.due.astimezone(zone):%m-%d %H:%M}" for s in item.steps}

    def _queued_steps(self) -> set[str]:
        return {
            str(d.get("step"))
            for d in self.services.drafts.pending(self.state.run_id)
            if d.get("kind") in ("step.done", "step.skipped") and not d.get("group")
        }

    def typing_key(self, where: str | None) -> str:
        return f"typing-{self.state.run_id}-{where}"

    def typing_draft(self, where: str | None) -> str:
        return str(self.services.drafts.items.get(self.typing_key(where), {}).get("text", ""))

    @on(JournalChanged)
    def reload(self) -> None:
        """Re-read the run from the journal (after drafts were replayed or others acted)."""
        try:
            state = self.services.ledger.state(self.state.run_id)
        except (ActionError, JournalError):
            return
        self.state = state  # watch_state draws it

    @property
    def step(self) -> StepState | None:
        return self.state.steps.get(self.selected or "")

    def advance(self) -> None:
        """On to the first pending step not queued (a finished routine: its summary)."""
        queued = self._queued_steps()
        nxt = next(
            (st for st in self.state.steps.values() if st.status == "pending" and st.step.id not in queued),
            None,
        )
        self._select(nxt.step.id if nxt else self.selected)
        if nxt is None and not self.state.is_incident and self.state.is_closed:
            self.post_message(RunClosed(self.state))

    # -- actions -------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#steps")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.highlighted != event.option_index:
            return  # stale: keys typed ahead have moved on since (they move through _select)
        if event.option.id != self.selected:  # moved by the mouse (keys move through _select)
            self.selected = event.option.id  # watch_selected announces it and draws

    @on(OptionList.OptionSelected, "#steps")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.action_complete()

    def action_move(self, delta: int) -> None:
        focused = self.app.focused
        if isinstance(focused, NoteBox):  # up and down move within a multi-line note
            focused.action_cursor_down() if delta > 0 else focused.action_cursor_up()
            return
        if isinstance(focused, OptionList) and focused.id == "group-list":  # through the groups
            focused.action_cursor_down() if delta > 0 else focused.action_cursor_up()
            return
        ids = list(self.state.steps)
        if self.selected in ids:
            self._select(ids[max(0, min(len(ids) - 1, ids.index(self.selected) + delta))])

    def action_complete(self) -> None:
        step = self.step
        if step is None:
            return
        value_input = self.detail.value_box
        if step.per_group and step.status == "pending":
            self.query_one("#group-list", OptionList).focus()
            return
        if typed_value(step) and not value_input.has_focus:
            value_input.focus()
            return
        if picked_value(step):
            self._pick_value(step)
            return
        self._complete_with(value_input.value if step.step.input else None)

    def _pick_value(self, step: StepState) -> None:
        spec = step.step.input
        assert spec is not None
        s = self.services
        shown = choices(spec.type, spec.choices, s.t)
        stored = ["yes", "no"] if spec.type == "yes-no" else shown

        def picked(key: str | None) -> None:
            if key is not None:
                self._complete_with(stored[int(key)])

        options = [(str(i), label) for i, label in enumerate(shown)]
        self.app.push_screen(Pick(spec.label or step.step.title, options), picked)

    def _complete_with(self, raw: str | None, *, checked: bool = False) -> None:
        step = self.step
        if step is None:
            return
        if step.step.input is not None:
            # Checked here as well as by the recorder (under the lock): a value typed while the
            # journal is busy is kept as a draft and must not be one that replay would refuse;
            # and the reason shows under the box, not in a toast. Parsing costs microseconds.
            try:
                parse_value(step.step.input, raw)
            except InputError as error:
                self.detail.show_error(str(error))
                return
        total, ticked = len(step.step.checklist), len(step.ticked)
        if total and ticked < total and not checked:
            s = self.services

            def answered(yes: bool | None) -> None:
                if yes:
                    self._complete_with(raw, checked=True)

            question = s.t("checklist-partial", ticked=ticked, total=total)
            self.app.push_screen(Confirm(question, s.t("yes"), s.t("no")), answered)
            return
        draft = {"kind": "step.done", "step": step.step.id, "value": raw}

        def complete(event_id: str) -> RunState:
            return self.services.recorder.complete(self.state.run_id, step.step.id, raw, event_id=event_id)

        outcome = self.record(complete, draft)
        if outcome != "refused":
            self.detail.forget(step.step.id)
            self._refocus()
        if outcome == "done":
            self.advance()  # on to the next step

    def _refocus(self) -> None:
        target = "#note-input" if self.state.is_incident else "#steps"
        self.set_focus(self.query_one(target))

    @on(Input.Submitted, "#value-input")
    def _value_submitted(self, event: Input.Submitted) -> None:
        self._complete_with(event.value)

    @on(NoteBox.Submitted, "#note-input")
    def _note_submitted(self, event: NoteBox.Submitted) -> None:
        # Read the box now, not the message: two quick enters post two messages with one text.
        box = event.box
        text = box.text.strip()
        if not text:
            if self._just_noted:
                self._just_noted = False  # the second enter of a double press: ignore it
                current = self.state.current()
                if current is not None:
                    self.notify(self.services.t("enter-again", step=current.step.title), markup=False)
                return
            self.action_complete()
            return
        box.clear()
        outcome = self.record(
            lambda event_id: self.services.recorder.note(self.state.run_id, text, event_id=event_id),
            {"kind": "note", "step": None, "text": text},
        )
        if outcome == "refused":
            box.text = text  # nothing was kept: give the text back
            box.move_cursor(box.document.end)
            return
        self._just_noted = True
        self.services.drafts.discard(self.typing_key("incident"))

    @on(TextArea.Changed, "#note-input")
    def _note_typed(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        key = self.typing_key("incident")
        if text.strip():
            self._just_noted = False
            self.services.drafts.save(
                key, {"kind": "typing", "run": self.state.run_id, "step": None, "text": text}
            )

    def action_skip(self) -> None:
        self.dialogs.skip()

    def action_note(self) -> None:
        self.dialogs.note()

    def action_undo(self) -> None:
        undone: list[str | None] = []

        def undo(_event_id: str) -> RunState:
            state, event = self.services.recorder.undo(self.state.run_id)
            undone.append(event.step_id)
            return state

        if self.record(undo) == "done" and undone[0] in self.state.steps:
            self._select(undone[0])  # back to where the undone action happened

    def action_tick(self, item: int) -> None:
        step = self.step
        if step is None or item >= len(step.step.checklist):
            return
        ticked = item not in step.ticked
        self.record(lambda _e: self.services.recorder.tick(self.state.run_id, step.step.id, item, ticked))

    def action_history(self) -> None:
        self.dialogs.history()

    def action_finish(self) -> None:
        self.dialogs.finish()

    def action_resolve(self) -> None:
        self.dialogs.resolve()

    def action_claim(self) -> None:
        """Claim the run for yourself; on a run you claimed, release it."""
        coordinator = Coordinator(self.services.recorder)
        mine = coordinator.login in self.state.claims
        change = coordinator.release if mine else coordinator.claim
        if self.record(lambda _e: change(self.state.run_id)) == "done":
            self.notify(self.services.t("released" if mine else "claimed"), markup=False)

    def action_amend(self) -> None:
        self.dialogs.amend()

    def action_followups(self) -> None:
        from soptui.tui.screens.followups import FollowUpsScreen

        self.app.push_screen(FollowUpsScreen(self.services, run_id=self.state.run_id))

    @on(GroupPanel.Act)
    def _group_act(self, event: GroupPanel.Act) -> None:
        self.dialogs.groups(event)

    def action_back(self) -> None:
        """Leave a text field first (its text stays); leave the run only from the list, asking
        before a typed value that was never recorded is left behind."""
        focused = self.app.focused
        in_groups = focused is not None and focused in self.detail.groups.query("*")
        if isinstance(focused, (Input, NoteBox)) or in_groups:
            self.query_one("#steps", OptionList).focus()
            return
        unsaved = self.detail.unsaved()
        if not unsaved:
            self.app.pop_screen()
            return
        s = self.services

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.pop_screen()

        step_id, value = next(iter(unsaved.items()))
        title = self.state.steps[step_id].step.title if step_id in self.state.steps else step_id
        self.app.push_screen(
            Confirm(s.t("confirm-leave", step=title, value=value), s.t("yes"), s.t("no")), answered
        )

    def action_incident(self) -> None:
        self.post_message(StartIncident())

    def action_copy(self) -> None:
        self.dialogs.copy()


__all__ = ["RunScreen", "fit_parts", "styled"]
