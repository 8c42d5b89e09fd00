"""A playbook before it is started: what kind it is and when it is due, then every step in order
with its role, estimate, input, checklist, per-group mark and escalation time.

``p`` on Today (the highlighted row's playbook), "Preview: …" in the command palette and a
playbook hit in search open it. When the playbook changed since this operator last ran it,
what changed comes first. Every string from the playbook is shown as plain text.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from soptui import severities
from soptui.i18n import _, duration_text, ngettext, weekday
from soptui.journal import JournalError
from soptui.ledger import ActionError, Ledger
from soptui.playbooks.diff import describe_changes
from soptui.playbooks.fields import format_offset
from soptui.playbooks.loader import LoadedPlaybook
from soptui.playbooks.models import WEEKDAYS, InputSpec, Playbook, Step
from soptui.text import visible
from soptui.tui.commands import Command, bindings_of
from soptui.tui.messages import OpenPlaybook
from soptui.tui.plain import plain, styled
from soptui.tui.services import Services
from soptui.tui.words import N_, localise_bindings

A_MONDAY = date(2026, 11, 23)  # any Monday: the weekday names of a weekly routine's due day
INPUT_WORDS = {
    "integer": N_("whole number"),
    "number": N_("number"),
    "text": N_("text"),
    "choice": N_("choice"),
    "yes-no": N_("yes/no"),
}


def changes_since_last_use(ledger: Ledger, operator: str, playbook_id: str) -> list[str]:
    """Steps added (+), removed (−) and changed (~) since the version of the operator's last run
    of the playbook (the journal keeps every version used); empty when none, or never run."""
    entry = ledger.library.entries.get(playbook_id)
    if entry is None:
        return []
    try:
        digest = ledger.journal.last_hash_used_by(operator, playbook_id)
        if digest is None or digest == entry.content_hash:
            return []
        previous = ledger.playbook_version(digest, playbook_id)
    except (ActionError, JournalError):
        return []
    return describe_changes(previous, entry.playbook)


def labelled(label: str, value: str) -> str:
    """``label: value`` (``label：value`` in Chinese)."""
    return _("{label}: {value}").format(label=label, value=value)


def schedule_text(playbook: Playbook) -> str:
    """What kind of playbook it is and when it is due, e.g. ``weekly · due Fri 17:00``."""
    parts = [_(playbook.cadence)]
    due = playbook.due
    if playbook.is_routine:
        when: list[str] = []
        if due is not None and due.weekday is not None:
            when.append(weekday(A_MONDAY + timedelta(days=WEEKDAYS.index(due.weekday))))
        if due is not None and due.day is not None:
            when.append(_("last day") if due.day == "last" else _("day {day}").format(day=due.day))
        if due is not None and due.time is not None:
            when.append(f"{due.time:%H:%M}")
        parts.append(f"{_('due')} {' '.join(when) if when else _('end of the period')}")
        if playbook.working_days:
            parts.append(_("working days only"))
    elif playbook.is_sequence:
        parts.append(_("each step at an offset from the date it counts from"))
        if playbook.auto_start == "daily":
            parts.append(_("a new one starts every day"))
        elif playbook.auto_start == "weekly":
            parts.append(_("a new one starts every week"))
    return " · ".join(parts)


def input_text(spec: InputSpec) -> str:
    """A step's input in a few words: type, unit, range, choices, whether it may stay empty."""
    parts = [_(INPUT_WORDS.get(spec.type, spec.type))]
    if spec.label:
        parts.append(f"“{spec.label}”")
    if spec.unit:
        parts.append(_("unit {unit}").format(unit=spec.unit))
    low = None if spec.min is None else f"{spec.min:g}"
    high = None if spec.max is None else f"{spec.max:g}"
    if low is not None and high is not None:
        parts.append(f"{low}..{high}")
    elif low is not None:
        parts.append(_("min {low}").format(low=low))
    elif high is not None:
        parts.append(_("max {high}").format(high=high))
    if spec.choices:
        parts.append(" / ".join(spec.choices))
    if not spec.required:
        parts.append(_("value optional"))
    return " · ".join(parts)


def step_lines(number: int, playbook: Playbook, step: Step) -> list[Content]:
    """One step: its number and title, then a line each for what it takes, its input and its
    checklist (only the lines that apply)."""
    title = f"{number:>2}. {step.title}"
    if step.optional:
        title += _(" (optional)")
    lines = [styled(title, "bold")]
    meta = [step.role or ""]
    if step.estimate:
        meta.append(f"~{duration_text(step.estimate)}")
    if playbook.is_per_group(step):
        groups = _("per group")
        if step.group_tags:
            groups += f" ({', '.join(step.group_tags)})"
        if step.sample:
            groups += " · " + _("{count} groups a period, in turn").format(count=step.sample)
        meta.append(f"⧉ {groups}")
    if step.escalate_after:
        meta.append(
            f"⏱ {_('escalate')} {_('after {duration}').format(duration=duration_text(step.escalate_after))}"
        )
    if step.offset is not None:
        at = f" {step.at:%H:%M}" if step.at else ""
        meta.append(f"{format_offset(step.offset)}{at}")
    if step.when:
        meta.append(_("only when {condition}").format(condition=step.when))
    shown = [m for m in meta if m]
    if shown:
        lines.append(plain("    " + " · ".join(shown), newlines=False))
    if step.input is not None:
        lines.append(plain("    " + labelled(_("input"), input_text(step.input)), newlines=False))
    extra = []
    if step.checklist:
        count = len(step.checklist)
        extra.append(ngettext("{count} checklist item", "{count} checklist items", count).format(count=count))
    if step.snippets:
        count = len(step.snippets)
        extra.append(ngettext("{count} text to copy", "{count} texts to copy", count).format(count=count))
    if step.links:
        count = len(step.links)
        extra.append(ngettext("{count} link", "{count} links", count).format(count=count))
    if extra:
        lines.append(styled("    " + " · ".join(extra), "dim"))
    return lines


def preview_lines(
    entry: LoadedPlaybook, origin: str, changes: list[str], meanings: dict[str, str]
) -> list[Content]:
    """The whole preview, one Content per line (blank lines between the parts)."""
    playbook = entry.playbook
    lines: list[Content] = []
    if changes:
        lines.append(styled("⚠ " + _("Changed since you last ran it:"), "bold"))
        lines += [plain(f"  {change}", newlines=False) for change in changes]
        lines.append(Content(""))
    lines.append(styled(playbook.title, "bold"))
    if playbook.summary:
        lines.append(plain(playbook.summary, newlines=False))
    lines.append(plain(schedule_text(playbook), newlines=False))
    about = []
    if playbook.owner:
        about.append(labelled(_("owner"), playbook.owner))
    if playbook.planned:
        about.append(labelled(_("estimate"), f"~{duration_text(playbook.planned)}"))
    if origin:
        about.append(labelled(_("origin"), _(origin)))
    if about:
        lines.append(styled(" · ".join(about), "dim"))
    if playbook.is_incident:
        lines.append(Content(""))
        lines.append(styled(_("Severities"), "bold"))
        for level, words in severities.described(playbook.severities, meanings):
            lines.append(plain(f"  {level}  {words or ''}".rstrip(), newlines=False))
    lines.append(Content(""))
    lines.append(
        styled(
            ngettext("{count} step", "{count} steps", len(playbook.steps)).format(count=len(playbook.steps)),
            "bold",
        )
    )
    for number, step in enumerate(playbook.steps, start=1):
        lines += step_lines(number, playbook, step)
    return lines


class PreviewScreen(Screen[None]):
    """One playbook, read only: scroll with ↑/↓ (j/k), page keys; enter or s starts it."""

    CSS_PATH = "preview.tcss"
    USER_COMMANDS = (
        Command("preview.back", "escape,q", "back", N_("back"), N_("Back to where you were"), palette=False),
        Command("preview.start", "enter,s", "start", N_("start"), N_("Start or open this playbook")),
        Command("preview.scroll-down", "j", "scroll(1)", show=False, palette=False),
        Command("preview.scroll-up", "k", "scroll(-1)", show=False, palette=False),
        Command("preview.help", "question_mark,f1", "app.help", N_("help"), N_("Keys of this screen")),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, services: Services, playbook_id: str) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        self.playbook_id = playbook_id
        self.entry = services.library.entries[playbook_id]
        self.changes = changes_since_last_use(services.ledger, services.operator, playbook_id)

    def compose(self) -> ComposeResult:
        playbook = self.entry.playbook
        yield Static(plain(f" {_('Preview')} · {visible(playbook.title, newlines=False)}"), classes="header")
        with VerticalScroll(id="preview-body"):
            origin = self.services.library.origins.get(self.playbook_id, "")
            lines = preview_lines(self.entry, origin, self.changes, self.services.severities)
            yield Static(Content("\n").join(lines), id="preview-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#preview-body", VerticalScroll).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Starting records in the journal: not offered when it is read-only.
        return action != "start" or not self.services.recorder.journal.readonly

    def action_scroll(self, lines: int) -> None:
        body = self.query_one("#preview-body", VerticalScroll)
        body.scroll_relative(y=lines, animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_start(self) -> None:
        app = self.app
        app.pop_screen()
        app.post_message(OpenPlaybook(self.playbook_id))
