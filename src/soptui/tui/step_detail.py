"""The selected step of a run: what it asks, where it stands, and the box its value is typed in.

The detail only shows; the run screen chooses the step and records. :meth:`StepDetail.show`
draws a step of a run state; what was typed for each step is kept here until it is recorded,
so moving away and back loses nothing. A line whose text did not change is not updated again
(updating a ``Static`` lays the screen out again): ticking one group of 200 redraws one row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from soptui.i18n import duration_text
from soptui.playbooks.inputs import show_value
from soptui.playbooks.roster import Roster
from soptui.runs import RunState, StepState
from soptui.text import visible
from soptui.tui.groups import GroupPanel
from soptui.tui.plain import plain
from soptui.tui.widgets import TextField

Words = Callable[[str], str]


def typed_value(step: StepState) -> bool:
    """Whether the step's value is typed into the box (numbers and text), not picked.
    (A per-group step asks each group's value when the group is ticked.)"""
    spec = step.step.input
    pending = step.status == "pending" and not step.per_group
    return spec is not None and pending and spec.type in ("number", "integer", "text")


def picked_value(step: StepState) -> bool:
    """Whether the step's value is picked from a list (choices, yes or no)."""
    spec = step.step.input
    pending = step.status == "pending" and not step.per_group
    return spec is not None and pending and spec.type in ("choice", "yes-no")


def choices(kind: str, options: list[str] | None, t: Words) -> list[str]:
    """What a picked value offers, as shown: yes and no in the operator's language, or the choices."""
    return [t("yes"), t("no")] if kind == "yes-no" else list(options or [])


def status_text(step: StepState, zone: ZoneInfo, t: Words) -> str:
    """How the step stands: ``✓ alice 09:12 = 12``, ``✗ bob: no one new``, or nothing yet."""
    if step.status == "done":
        value = f" = {show_value(step.value)}" if step.value is not None else ""
        return f"✓ {step.by} {step.at.astimezone(zone):%H:%M}{value}" if step.at else "✓"
    if step.status == "skipped":
        return f"✗ {step.by}: {step.reason or ''}"
    if step.status == "n/a":
        return f"– {t('not-applicable')}"
    return ""


class StepDetail(VerticalScroll):
    """One step: title, role and estimate, details, checklist, links and notes, its groups
    (:class:`~soptui.tui.groups.GroupPanel`), and the box for a typed value."""

    def __init__(
        self, words: Words, zone: ZoneInfo, roster: Roster, login: str, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.words = words
        self.zone = zone
        self.roster = roster
        self.login = login
        self.typed: dict[str, str] = {}
        """What was typed for each step (by step id) and not recorded yet."""
        self._value_step: str | None = None  # the step whose value the box shows
        self._shown: dict[str, tuple[str, bool]] = {}  # each line's text as shown, by widget id
        self._shown_details: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="step-title", classes="step-title")
        yield Static(id="step-meta", classes="subtle")
        yield Static(id="step-details")
        yield Static(id="step-checklist")
        yield Static(id="step-extra", classes="subtle")
        yield GroupPanel(self.roster, self.login, id="groups")
        yield TextField(id="value-input")
        yield Static(id="value-error", classes="error")

    @property
    def value_box(self) -> TextField:
        """The box a step's typed value (a number, a text) is entered in."""
        return self.query_one("#value-input", TextField)

    @property
    def groups(self) -> GroupPanel:
        return self.query_one(GroupPanel)

    def _put(self, widget_id: str, text: str, *, newlines: bool = True) -> None:
        """Show ``text`` (literally) in the Static ``widget_id``, unless it shows it already."""
        if self._shown.get(widget_id) != (text, newlines):
            self._shown[widget_id] = (text, newlines)
            self.query_one(f"#{widget_id}", Static).update(plain(text, newlines=newlines))

    def show(self, state: RunState, step_id: str | None, *, open_actions: Sequence[str] = ()) -> None:
        """Show step ``step_id`` of ``state`` (nothing but an empty title if it has no such step).

        ``open_actions``: the lines of the team's open action items, for a step that goes over them.
        """
        t = self.words
        step = state.steps.get(step_id or "")
        value_input = self.value_box
        if step is None:
            self._put("step-title", "")
            value_input.display = False
            return
        definition = step.step
        number = list(state.steps).index(definition.id) + 1
        self._put("step-title", f"{number} · {definition.title}", newlines=False)
        meta = [
            definition.role or "",
            f"~{duration_text(definition.estimate)}" if definition.estimate else "",
        ]
        if definition.escalate_after:
            meta.append(f"{t('escalate')} {duration_text(definition.escalate_after)}")
        meta.append(status_text(step, self.zone, t))
        self._put("step-meta", " · ".join(m for m in meta if m), newlines=False)
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
        self._put("step-checklist", "\n".join(checklist))
        self._put("step-extra", "\n".join(self._extra_lines(state, step, open_actions)))
        self.groups.show(step)
        spec = definition.input
        value_input.display = typed_value(step)
        if self._value_step != definition.id:  # each step keeps what was typed for it
            self._value_step = definition.id
            value_input.value = self.typed.get(definition.id, "")
        error = ""
        if spec is not None:
            label = spec.label or definition.title
            unit = f" ({spec.unit})" if spec.unit else ""
            value_input.placeholder = visible(f"{label}{unit} · {t('type-' + spec.type)}", newlines=False)
            if picked_value(step):
                error = f"⏎ {t('choose')}: {' / '.join(choices(spec.type, spec.choices, t))}"
        self._put("value-error", error, newlines=False)

    def _extra_lines(self, state: RunState, step: StepState, open_actions: Sequence[str]) -> list[str]:
        """Links, notes, the snippets to copy, corrections, and the open action items."""
        t, definition = self.words, step.step
        extra = [f"🔗 {link}" for link in definition.links]
        extra += [
            f"✎ {n.operator} {n.at.astimezone(self.zone):%H:%M}: {n.payload.get('text', '')}"
            for n in step.notes
        ]
        if definition.snippets:
            extra.append(f"c: {', '.join(sn.label for sn in definition.snippets)}")
        for fix in state.amendments:
            if fix.step_id == definition.id:
                change = t("retracted") if fix.retracted else f"{show_value(fix.old)} → {show_value(fix.new)}"
                extra.append(f"✎ {fix.event.operator} {t('corrected')} {change}: {fix.reason}")
        if definition.open_actions:
            extra += open_actions
        return [str(line) for line in extra]

    def show_error(self, message: str) -> None:
        """Say why the typed value was refused (under the box)."""
        self._put("value-error", f"⚠ {message}")

    def forget(self, step_id: str) -> None:
        """The step's value was recorded (or queued): its box starts empty."""
        self.typed.pop(step_id, None)
        self._value_step = None
        self.value_box.value = ""

    def unsaved(self) -> dict[str, str]:
        """Values typed and never recorded, by step id (leaving the run asks about them)."""
        return {step_id: value for step_id, value in self.typed.items() if value.strip()}

    @on(Input.Changed, "#value-input")
    def _value_typed(self, event: Input.Changed) -> None:
        if self._value_step is not None:
            self.typed[self._value_step] = event.value
