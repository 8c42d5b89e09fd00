"""A run: the step list, the current step, and (for incidents) a live timeline.

Every action goes through the recorder first; the screen changes only after the journal
committed it. A refusal or a journal error is shown as a notification and nothing moves.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Literal

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from soptui.coordination import Coordinator
from soptui.i18n import _, duration_text, hms
from soptui.journal import JournalBusy, JournalError, JournalReadOnly
from soptui.playbooks.inputs import InputError, parse_value, show_value
from soptui.playbooks.snippets import fill, placeholders
from soptui.recorder import ActionError
from soptui.runs import MARKS, RunState, StepState
from soptui.text import visible
from soptui.timeline import escalations, timeline
from soptui.tui.groups import GroupPanel
from soptui.tui.messages import JournalChanged, RunClosed, StartIncident
from soptui.tui.plain import plain, styled, with_cursor
from soptui.tui.screens.modals import Confirm, Pick, Prompt, ShowText, SnippetForm
from soptui.tui.services import Services
from soptui.tui.widgets import NoteBox, TextField
from soptui.tui.words import N_, localise_bindings

QUEUED = "⧗"  # an action kept as a draft, waiting for the journal to accept it
Outcome = Literal["done", "queued", "refused"]
Action = Callable[[str], RunState | None]
"""A recorder call given the UUID its event must carry (so a replayed draft is recorded once)."""


def fit_parts(parts: list[tuple[str, int]], width: int) -> str:
    """Join ``(text, priority)`` parts with " · ", dropping whole parts (highest number
    first) until the line fits: a header is shortened by meaning, never cut mid-phrase."""
    kept = [(text, rank) for text, rank in parts if text]
    while len(kept) > 1 and cell_len(" · ".join(t for t, _ in kept)) > width:
        worst = max(range(len(kept)), key=lambda i: (kept[i][1], i))
        if kept[worst][1] == 0:
            break
        del kept[worst]
    return " · ".join(t for t, _ in kept)


def _typed_value(step: StepState) -> bool:
    """Whether the step's value is typed into the box (numbers and text), not picked.
    (A per-group step asks each group's value when the group is ticked.)"""
    spec = step.step.input
    pending = step.status == "pending" and not step.per_group
    return spec is not None and pending and spec.type in ("number", "integer", "text")


def _picked_value(step: StepState) -> bool:
    """Whether the step's value is picked from a list (choices, yes or no)."""
    spec = step.step.input
    pending = step.status == "pending" and not step.per_group
    return spec is not None and pending and spec.type in ("choice", "yes-no")


def _choices(kind: str, choices: list[str] | None, t: Callable[[str], str]) -> list[str]:
    return [t("yes"), t("no")] if kind == "yes-no" else list(choices or [])


class RunScreen(Screen[None]):
    """Walk through one run, step by step."""

    BINDINGS = [
        Binding("space", "complete", N_("done"), id="run.done", tooltip=N_("Complete the current step")),
        Binding("s", "skip", N_("skip"), id="run.skip", tooltip=N_("Skip the step (asks for a reason)")),
        Binding("n", "note", N_("note"), id="run.note", tooltip=N_("Add a note to the step")),
        Binding("c", "copy", N_("copy"), id="run.copy", tooltip=N_("Copy the step's ready-made text")),
        Binding("u", "undo", N_("undo"), id="run.undo", tooltip=N_("Undo your last action")),
        Binding(
            "ctrl+z",
            "undo",
            N_("undo"),
            show=False,
            id="run.undo-ctrl",
            tooltip=N_("Undo (works while typing)"),
        ),
        Binding("f", "finish", N_("finish"), id="run.finish", tooltip=N_("Finish the run now")),
        Binding(
            "m", "claim", N_("mine"), show=False, id="run.claim", tooltip=N_("Claim the run (again: release)")
        ),
        Binding(
            "e",
            "amend",
            N_("correct"),
            show=False,
            id="run.amend",
            tooltip=N_("Correct the step's recorded value or completion"),
        ),
        Binding(
            "a",
            "followups",
            N_("follow-ups"),
            show=False,
            id="run.followups",
            tooltip=N_("The team's open action items"),
        ),
        Binding(
            "h",
            "history",
            N_("history"),
            show=False,
            id="run.history",
            tooltip=N_("The values recorded for this step before"),
        ),
        Binding("R", "resolve", N_("resolve"), id="run.resolve", tooltip=N_("Resolve the incident")),
        Binding(
            "ctrl+r",
            "resolve",
            N_("resolve"),
            id="run.resolve-ctrl",
            tooltip=N_("Resolve (works while typing)"),
        ),
        Binding(
            "ctrl+o",
            "copy",
            N_("copy"),
            show=False,
            id="run.copy-ctrl",
            tooltip=N_("Copy (works while typing)"),
        ),
        Binding(
            "escape,b", "back", N_("back"), id="run.back", tooltip=N_("Back to Today; the run stays open")
        ),
        Binding(
            "i", "incident", N_("incident"), show=False, id="run.incident", tooltip=N_("Open an incident")
        ),
        Binding(
            "question_mark,f1",
            "app.help",
            N_("help"),
            show=False,
            id="run.help",
            tooltip=N_("Keys of this screen"),
        ),
        # Moving is handled here, before the list sees the key, so keys typed ahead apply in
        # order: the row (and the focus) a key leaves is the one the next key acts on.
        Binding("down", "move(1)", show=False, priority=True, id="run.move-down"),
        Binding("up", "move(-1)", show=False, priority=True, id="run.move-up"),
        Binding("j", "move(1)", show=False, id="run.move-j"),
        Binding("k", "move(-1)", show=False, id="run.move-k"),
        *[Binding(str(n), f"tick({n - 1})", show=False, id=f"run.tick{n}") for n in range(1, 10)],
    ]

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
        self.state = state
        self.changes = changes or []
        self.selected: str | None = None
        self.rung: set[str] = set()
        self._shown_details: str | None = None
        self._presence_target: str | None = None
        self._presence_pending = False
        self._just_noted = False  # an empty enter right after a note must not complete a step
        self._typed: dict[str, str] = {}  # values typed per step and not recorded yet
        self._header_text: str | None = None  # the header as shown (not laid out again unchanged)
        self._value_step: str | None = None  # the step whose value the box shows
        self._labels: dict[str, str] | None = None  # a journey's step labels and due times

    # -- layout ------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        incident = self.state.is_incident
        yield Static(id="run-header", classes="header")
        with Horizontal(id="run-body"):
            yield OptionList(id="steps")
            with Vertical(id="right"):
                with VerticalScroll(id="detail"):
                    yield Static(id="step-title", classes="step-title")
                    yield Static(id="step-meta", classes="subtle")
                    yield Static(id="step-details")
                    yield Static(id="step-checklist")
                    yield Static(id="step-extra", classes="subtle")
                    yield GroupPanel(
                        self.services.library.roster, self.services.recorder.identity.login, id="groups"
                    )
                    yield TextField(id="value-input")
                    yield Static(id="value-error", classes="error")
                if incident:
                    with VerticalScroll(id="timeline-box"):
                        yield Static(id="timeline")
                    yield NoteBox(
                        self._typing_draft("incident"),
                        placeholder=self.services.t("type-note"),
                        id="note-input",
                    )
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return self.state.is_incident
        if action == "finish":
            return not self.state.is_incident
        return True

    def on_mount(self) -> None:
        self.redraw()
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
            self.set_focus(self.query_one("#steps", OptionList))
        self._focus_for(self.step)  # a step that takes a typed value: the cursor is in its box
        self._announce()
        self.set_interval(10.0, self._announce)
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
        self._header()
        late = escalations(self.state, self.services.clock())
        fresh = set(late) - self.rung
        if fresh:
            self.rung |= fresh
            self.app.bell()
        if fresh or late:
            self._step_list()

    # -- drawing -------------------------------------------------------------------
    def redraw(self) -> None:
        self._header()
        self._step_list()
        self._detail()
        if self.state.is_incident:
            self._timeline()

    def _header(self) -> None:
        s, state = self.services, self.state
        now = s.clock()
        # (text, priority): when the line is too wide, whole parts go, least important first.
        parts: list[tuple[str, int]]
        if state.is_incident:
            people = sorted({e.operator for e in state.events})
            parts = [
                (f"● {state.severity} {state.title}", 0),
                (hms(state.elapsed(now)), 0),
                (state.playbook.title, 3),
                (", ".join(people), 4),
            ]
        else:
            parts = [
                (state.playbook.title, 0),
                (f"{state.done_count}/{state.total}", 0),
                (f"{duration_text(state.elapsed(now))} {s.t('elapsed')}", 2),
                (state.period or "", 4),
            ]
            if state.playbook.planned:
                parts.append((f"~{duration_text(state.playbook.planned)} {s.t('planned')}", 5))
        if state.is_closed:
            parts.append((s.t("run-finished"), 1))
        others = self._others()
        if others:
            parts.append((", ".join(others), 3))
        if self.services.demo:
            parts.insert(0, (s.t("demo"), 0))
        text = " " + fit_parts(parts, max(self.size.width - 1, 20))
        if text != self._header_text:  # updating a Static lays out the whole screen again
            self._header_text = text
            self.query_one("#run-header", Static).update(plain(text, newlines=False))

    def _others(self) -> list[str]:
        """Other operators in this run, with the number of the step they are on."""
        try:
            here = self.services.recorder.others_here(self.state.run_id)
        except JournalError:
            return []
        ids = list(self.state.steps)
        return [
            _("with {name}").format(name=op) + (f" @{ids.index(step) + 1}" if step in ids else "")
            for op, step in here
        ]

    def _step_list(self) -> None:
        options = self.query_one("#steps", OptionList)
        late = escalations(self.state, self.services.clock()) if self.state.is_incident else {}
        current = self.state.current()
        queued = self._queued_steps()
        due_labels = self._due_labels()
        rows = []
        for number, (step_id, step) in enumerate(self.state.steps.items(), start=1):
            mark = MARKS[step.status]
            style = {"done": "$success", "skipped": "$warning", "n/a": "dim"}.get(step.status, "")
            if current is not None and step_id == current.step.id:
                mark, style = "▶", "bold"
            if step_id in queued and step.status == "pending":
                mark, style = QUEUED, "italic"
            suffix = ""
            if step_id in late:
                mark, style, suffix = "!", "bold $error", f" +{duration_text(late[step_id])}"
            if step.status == "skipped" and step.reason:
                suffix = f" ({step.reason})"
            if step.step.optional and step.status == "pending":
                suffix += f" ({self.services.t('optional')})"
            if step_id in due_labels:
                suffix += f" · {due_labels[step_id]}"
            label = visible(f"{mark} {number} {step.step.title}{suffix}", newlines=False)
            body = Content.styled(label, style) if style else Content(label)
            rows.append((step_id, with_cursor(body, step_id == self.selected)))
        if [option.id for option in options.options] == [step_id for step_id, _ in rows]:
            # Same steps: change only the lines whose mark or text changed (no rebuild, less output).
            for index, (_, prompt) in enumerate(rows):
                if str(options.get_option_at_index(index).prompt) != prompt.plain:
                    options.replace_option_prompt_at_index(index, prompt)
        else:
            options.clear_options()
            options.add_options([Option(prompt, id=step_id) for step_id, prompt in rows])
        if self.selected in self.state.steps:
            index = list(self.state.steps).index(self.selected)
            if options.highlighted != index:
                options.highlighted = index

    def _detail(self) -> None:
        s = self.services
        step = self.state.steps.get(self.selected or "")
        title = self.query_one("#step-title", Static)
        value_input = self.query_one("#value-input", Input)
        if step is None:
            title.update("")
            value_input.display = False
            return
        definition = step.step
        number = list(self.state.steps).index(definition.id) + 1
        title.update(plain(f"{number} · {definition.title}", newlines=False))
        meta = [
            definition.role or "",
            f"~{duration_text(definition.estimate)}" if definition.estimate else "",
        ]
        if definition.escalate_after:
            meta.append(f"{s.t('escalate')} {duration_text(definition.escalate_after)}")
        meta.append(self._status_text(step))
        self.query_one("#step-meta", Static).update(plain(" · ".join(m for m in meta if m), newlines=False))
        details = visible(definition.details or "")
        if details != self._shown_details:  # re-parsing Markdown is the slowest part of a redraw
            self._shown_details = details
            # Rich's Markdown renders in one widget (Textual's mounts a widget per block, which
            # made every step change slow); hyperlinks off: playbook text never emits OSC 8.
            from rich.markdown import Markdown  # markdown-it is slow to import: not at start-up

            self.query_one("#step-details", Static).update(Markdown(details, hyperlinks=False))
        checklist = [
            f" [{'x' if i in step.ticked else ' '}] {i + 1}. {item}"
            for i, item in enumerate(definition.checklist)
        ]
        self.query_one("#step-checklist", Static).update(plain("\n".join(checklist)))
        extra = [f"🔗 {link}" for link in definition.links]
        extra += [
            f"✎ {n.operator} {n.at.astimezone(s.zone):%H:%M}: {n.payload.get('text', '')}" for n in step.notes
        ]
        if definition.snippets:
            extra.append(f"c: {', '.join(sn.label for sn in definition.snippets)}")
        for fix in self.state.amendments:
            if fix.step_id == definition.id:
                change = (
                    s.t("retracted") if fix.retracted else f"{show_value(fix.old)} → {show_value(fix.new)}"
                )
                extra.append(f"✎ {fix.event.operator} {s.t('corrected')} {change}: {fix.reason}")
        if definition.open_actions:
            extra += self._open_action_lines()
        self.query_one("#step-extra", Static).update(plain("\n".join(str(e) for e in extra)))
        self.query_one(GroupPanel).show(step)
        spec = definition.input
        value_input.display = _typed_value(step)
        if self._value_step != definition.id:  # each step keeps what was typed for it
            self._value_step = definition.id
            value_input.value = self._typed.get(definition.id, "")
        error = ""
        if spec is not None:
            label = spec.label or definition.title
            unit = f" ({spec.unit})" if spec.unit else ""
            value_input.placeholder = visible(f"{label}{unit} · {s.t('type-' + spec.type)}", newlines=False)
            if _picked_value(step):
                error = f"⏎ {s.t('choose')}: {' / '.join(_choices(spec.type, spec.choices, s.t))}"
        self.query_one("#value-error", Static).update(plain(error, newlines=False))

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

    def _status_text(self, step: StepState) -> str:
        s = self.services
        if step.status == "done":
            value = f" = {show_value(step.value)}" if step.value is not None else ""
            return f"✓ {step.by} {step.at.astimezone(s.zone):%H:%M}{value}" if step.at else "✓"
        if step.status == "skipped":
            return f"✗ {step.by}: {step.reason or ''}"
        if step.status == "n/a":
            return f"– {s.t('not-applicable')}"
        return ""

    def _timeline(self) -> None:
        s = self.services
        lines = [
            f"{e.at.astimezone(s.zone):%H:%M} {e.operator} {e.mark} {e.text}" for e in timeline(self.state)
        ]
        late = escalations(self.state, s.clock())
        for step_id, over in late.items():
            lines.append(f"! {self.state.steps[step_id].step.title} +{duration_text(over)}")
        self.query_one("#timeline", Static).update(plain("\n".join(lines[-200:])))
        box = self.query_one("#timeline-box", VerticalScroll)
        box.border_title = s.t("timeline")
        box.scroll_end(animate=False)  # the newest entry stays in view, whoever wrote it

    def _select(self, step_id: str | None) -> None:
        if step_id != self.selected:
            self._announce(step_id)
        self.selected = step_id
        self._step_list()
        self._detail()
        self._focus_for(self.step)

    def _focus_for(self, step: StepState | None) -> None:
        """Type where you look: a step that takes a typed value gets the cursor in its box."""
        # set_focus, not .focus(): the change is made now, so a key typed ahead sees it
        if step is not None and _typed_value(step):
            self.set_focus(self.query_one("#value-input", Input))
        elif step is not None and step.per_group and step.status == "pending":
            self.set_focus(self.query_one("#group-list", OptionList))  # space ticks the highlighted group
        elif isinstance(self.focused, Input) and self.focused.id == "value-input":
            self._refocus()

    # -- recording -----------------------------------------------------------------
    def record(
        self,
        action: Action,
        draft: Mapping[str, object] | None = None,
        redraw: bool = True,
    ) -> Outcome:
        """Run one recorder action; redraw only if the journal committed it.

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
            self.state = state
        if redraw:
            self.redraw()
        return "done"

    def _queue(self, draft: Mapping[str, object], event_id: str, message: str) -> None:
        key = f"pending-{event_id}"
        queued = {**draft, "run": self.state.run_id, "uuid": event_id, "queued": f"{time.time_ns():020d}"}
        self.services.drafts.save(key, queued)
        self.notify(message + " · " + self.services.t("kept-draft"), severity="warning", markup=False)
        self._step_list()
        if draft.get("kind") in ("step.done", "step.skipped") and not draft.get("group"):
            self._advance()

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

    def _typing_key(self, where: str | None) -> str:
        return f"typing-{self.state.run_id}-{where}"

    def _typing_draft(self, where: str | None) -> str:
        return str(self.services.drafts.items.get(self._typing_key(where), {}).get("text", ""))

    @on(JournalChanged)
    def reload(self) -> None:
        """Re-read the run from the journal (after drafts were replayed or others acted)."""
        try:
            self.state = self.services.recorder.state(self.state.run_id)
        except (ActionError, JournalError):
            return
        self.redraw()

    @property
    def step(self) -> StepState | None:
        return self.state.steps.get(self.selected or "")

    def _advance(self) -> None:
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
            self._announce(event.option.id)
            self.selected = event.option.id
            self._step_list()
            self._detail()

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
        value_input = self.query_one("#value-input", Input)
        if step.per_group and step.status == "pending":
            self.query_one("#group-list", OptionList).focus()
            return
        if _typed_value(step) and not value_input.has_focus:
            value_input.focus()
            return
        if _picked_value(step):
            self._pick_value(step)
            return
        self._complete_with(value_input.value if step.step.input else None)

    def _pick_value(self, step: StepState) -> None:
        spec = step.step.input
        assert spec is not None
        s = self.services
        shown = _choices(spec.type, spec.choices, s.t)
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
            try:
                parse_value(step.step.input, raw)
            except InputError as error:
                self.query_one("#value-error", Static).update(plain(f"⚠ {error}"))
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

        outcome = self.record(complete, draft, redraw=False)
        if outcome != "refused":
            self._typed.pop(step.step.id, None)
            self._value_step = None
            self.query_one("#value-input", Input).value = ""
            self._refocus()
        if outcome == "done":
            self._header()
            if self.state.is_incident:
                self._timeline()
            self._advance()  # redraws the list and the next step's details once

    def _refocus(self) -> None:
        target = "#note-input" if self.state.is_incident else "#steps"
        self.set_focus(self.query_one(target))

    @on(Input.Submitted, "#value-input")
    def _value_submitted(self, event: Input.Submitted) -> None:
        self._complete_with(event.value)

    @on(Input.Changed, "#value-input")
    def _value_typed(self, event: Input.Changed) -> None:
        if self._value_step is not None:
            self._typed[self._value_step] = event.value

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
        self.services.drafts.discard(self._typing_key("incident"))

    @on(TextArea.Changed, "#note-input")
    def _note_typed(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        key = self._typing_key("incident")
        if text.strip():
            self._just_noted = False
            self.services.drafts.save(
                key, {"kind": "typing", "run": self.state.run_id, "step": None, "text": text}
            )

    def action_skip(self) -> None:
        step = self.step
        if step is None:
            return
        recorder = self.services.recorder
        if step.step.optional:
            draft = {"kind": "step.skipped", "step": step.step.id, "reason": None}
            if (
                self.record(lambda e: recorder.skip(self.state.run_id, step.step.id, event_id=e), draft)
                == "done"
            ):
                self._advance()
            return

        def skip(reason: str | None) -> None:
            draft = {"kind": "step.skipped", "step": step.step.id, "reason": reason}
            if (
                reason
                and self.record(
                    lambda e: recorder.skip(self.state.run_id, step.step.id, reason, event_id=e), draft
                )
                == "done"
            ):
                self._advance()

        self.app.push_screen(Prompt(self.services.t("skip-reason")), skip)

    def action_note(self) -> None:
        step_id = self.selected
        drafts = self.services.drafts
        typing_key = self._typing_key(step_id)

        def typed(text: str) -> None:
            if text.strip():
                drafts.save(
                    typing_key, {"kind": "typing", "run": self.state.run_id, "step": step_id, "text": text}
                )

        def add(text: str | None) -> None:
            if not text:
                return  # cancelled: the draft stays until the note is in the journal
            outcome = self.record(
                lambda e: self.services.recorder.note(self.state.run_id, text, step_id, event_id=e),
                {"kind": "note", "step": step_id, "text": text},
            )
            if outcome != "refused":
                drafts.discard(typing_key)

        prompt = Prompt(
            self.services.t("note-prompt"), value=self._typing_draft(step_id), on_change=typed, multiline=True
        )
        self.app.push_screen(prompt, add)

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
        """The step's earlier values: sparklines of the last 30 and 90 and a table (plain text)."""
        from soptui.search import HISTORY_LIMITS, history_text, step_history

        step = self.step
        if step is None or step.step.input is None:
            self.notify(_("this step records no value, so it has no history"), markup=False)
            return
        try:
            history = step_history(
                self.services.recorder.journal, self.state.playbook.id, step.step.id, max(HISTORY_LIMITS)
            )
        except JournalError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        title = f"{self.state.playbook.title} · {step.step.input.label or step.step.title}"
        text = (
            history_text(history, self.services.zone, step.per_group)
            if history
            else _("no values recorded yet")
        )
        self.app.push_screen(ShowText(title, text))

    def action_finish(self) -> None:
        pending = [s for s in self.state.steps.values() if s.status == "pending"]

        def finish(confirmed: bool | None) -> None:
            if (
                confirmed
                and self.record(lambda _e: self.services.recorder.finish(self.state.run_id)) == "done"
            ):
                self.post_message(RunClosed(self.state))

        if pending:
            s = self.services
            self.app.push_screen(
                Confirm(s.t("confirm-finish", n=len(pending)), s.t("yes"), s.t("no")), finish
            )
        else:
            finish(True)

    def action_resolve(self, confirmed: bool = False) -> None:
        s = self.services
        pending = [st for st in self.state.steps.values() if st.status == "pending"]
        if pending and not confirmed:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.action_resolve(confirmed=True)

            self.app.push_screen(
                Confirm(s.t("confirm-resolve", n=len(pending)), s.t("yes"), s.t("no")), answered
            )
            return

        def resolve(summary: str | None) -> None:
            resolve_ = self.services.recorder.resolve
            if summary and self.record(lambda _e: resolve_(self.state.run_id, summary)) == "done":
                self.post_message(RunClosed(self.state))

        self.app.push_screen(Prompt(self.services.t("summary-prompt")), resolve)

    def action_claim(self) -> None:
        """Claim the run for yourself; on a run you claimed, release it."""
        coordinator = Coordinator(self.services.recorder)
        mine = coordinator.login in self.state.claims
        change = coordinator.release if mine else coordinator.claim
        if self.record(lambda _e: change(self.state.run_id)) == "done":
            self.notify(self.services.t("released" if mine else "claimed"), markup=False)

    def action_amend(self) -> None:
        """Correct the current step's completion: why (required), then the value or retract it."""
        step = self.step
        if step is None or step.status != "done" or step.per_group:
            self.notify(
                _("only a done step can be corrected (per-group: soptui amend --group)"), markup=False
            )
            return
        coordinator, step_id = Coordinator(self.services.recorder), step.step.id

        def with_value(reason: str, value: str | None) -> None:
            if value is None:
                return
            retract = value.strip() == "-" or step.step.input is None
            self.record(
                lambda _e: coordinator.amend(
                    self.state.run_id, step_id, reason, None if retract else value, retract=retract
                )
            )

        def why(reason: str | None) -> None:
            if not reason:
                return
            if step.step.input is None:
                with_value(reason, "-")
                return
            title = _("Corrected value for {label} (- if it was not done)").format(
                label=step.step.input.label or step.step.title
            )
            self.app.push_screen(Prompt(title), lambda value: with_value(reason, value))

        self.app.push_screen(Prompt(_("Why is the record wrong? (kept with the correction)")), why)

    def action_followups(self) -> None:
        from soptui.tui.screens.followups import FollowUpsScreen

        self.app.push_screen(FollowUpsScreen(self.services, run_id=self.state.run_id))

    @on(GroupPanel.Act)
    def _group_act(self, event: GroupPanel.Act) -> None:
        """Tick, skip or tick-all groups of the selected per-group step (asking what it needs)."""
        step = self.step
        if step is None:
            return
        s, step_id, recorder = self.services, step.step.id, self.services.recorder
        if event.kind == "claim":
            coordinator, group = Coordinator(recorder), event.groups[0]
            claim = step.group_claims.get(group)
            change = coordinator.release if claim and claim.login == coordinator.login else coordinator.claim
            self.record(lambda _e: change(self.state.run_id, step_id, [group]), redraw=False)
            self._after_group()
            return

        def tick(value: str | None) -> None:
            if event.kind == "all":
                self.record(
                    lambda _e: recorder.complete_groups(self.state.run_id, step_id, event.groups, value),
                    redraw=False,
                )
            else:
                group = event.groups[0]
                draft = {"kind": "step.done", "step": step_id, "value": value, "group": group}
                done = lambda e: recorder.complete(  # noqa: E731
                    self.state.run_id, step_id, value, event_id=e, group=group
                )
                # _after_group redraws once: a tick of 200 groups must not draw the screen twice.
                if self.record(done, draft, redraw=False) != "refused":
                    self.query_one(GroupPanel).advance()
            self._after_group()

        def skip(reason: str | None) -> None:
            if not reason:
                return
            group = event.groups[0]
            draft = {"kind": "step.skipped", "step": step_id, "reason": reason, "group": group}
            skipped = lambda e: recorder.skip(  # noqa: E731
                self.state.run_id, step_id, reason, event_id=e, group=group
            )
            self.record(skipped, draft, redraw=False)
            self._after_group()

        def with_value() -> None:
            spec = step.step.input
            if spec is None or not spec.required:
                tick(None)
                return
            label = spec.label or step.step.title
            names = ", ".join(self._group_name(g) for g in event.groups[:3])
            ask = Prompt(s.t("group-value", label=label, groups=names))
            self.app.push_screen(ask, lambda value: tick(value) if value else None)

        if event.kind == "skip":
            self.app.push_screen(Prompt(s.t("group-skip", group=self._group_name(event.groups[0]))), skip)
        elif event.kind == "all":
            question = s.t("confirm-all-groups", n=len(event.groups), step=step.step.title)
            self.app.push_screen(
                Confirm(question, s.t("yes"), s.t("no")), lambda yes: with_value() if yes else None
            )
        else:
            with_value()

    def _group_name(self, group_id: str) -> str:
        group = self.services.library.roster.group(group_id)
        return group.name if group else group_id

    def _after_group(self) -> None:
        self._header()
        self._step_list()
        self.query_one(GroupPanel).show(self.step)
        if self.step is not None and self.step.status != "pending":
            self._advance()

    def action_back(self) -> None:
        """Leave a text field first (its text stays); leave the run only from the list, asking
        before a typed value that was never recorded is left behind."""
        focused = self.app.focused
        in_groups = focused is not None and focused in self.query_one(GroupPanel).query("*")
        if isinstance(focused, (Input, NoteBox)) or in_groups:
            self.query_one("#steps", OptionList).focus()
            return
        unsaved = {k: v for k, v in self._typed.items() if v.strip()}
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
        step = self.step
        if step is None or not step.step.snippets:
            self.notify(self.services.t("no-snippet"), markup=False)
            return
        snippets = step.step.snippets
        if len(snippets) == 1:
            self._fill_and_copy(snippets[0].text)
            return

        def picked(key: str | None) -> None:
            if key is not None:
                self._fill_and_copy(snippets[int(key)].text)

        self.app.push_screen(
            Pick(self.services.t("copy"), [(str(i), sn.label) for i, sn in enumerate(snippets)]),
            picked,
        )

    def _fill_and_copy(self, text: str) -> None:
        """Copy a snippet: the run's recorded inputs fill their placeholders; the others are
        asked for in one form (pre-filled with what was typed earlier in this run)."""
        # The roster fills {lead}, {admin}, {agent} …; the run's recorded inputs win over it.
        known = self.services.library.roster.placeholders()
        known |= {k: show_value(v) for k, v in self.state.values().items()}
        if not [name for name in placeholders(text) if name not in known]:
            self._copy(fill(text, known))
            return
        remembered = self.services.snippet_values.setdefault(self.state.run_id, {})

        def answered(values: dict[str, str] | None) -> None:
            if values is not None:
                remembered.update(values)
                self._copy(fill(text, known | values))

        self.app.push_screen(SnippetForm(self.services.t("copy"), text, known, remembered), answered)

    def _copy(self, filled: str) -> None:
        self.app.copy_to_clipboard(visible(filled))
        self.app.push_screen(ShowText(self.services.t("copied"), filled))


__all__ = ["RunScreen", "styled"]
