"""Follow-ups (action items) and hand-over notes: the team's coordination screens."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Label, Static

from soptui.coordination import Coordinator
from soptui.events import Event
from soptui.followups import ActionItem, parse_due
from soptui.i18n import _
from soptui.journal import JournalError
from soptui.recorder import ActionError
from soptui.text import visible
from soptui.tui.commands import Command, bindings_of
from soptui.tui.plain import plain
from soptui.tui.screens.modals import Prompt
from soptui.tui.services import Services
from soptui.tui.words import N_, localise_bindings

STATUS = {"open": N_("open"), "done": N_("done"), "dropped": N_("dropped")}


class FollowUpsScreen(Screen[None]):
    """The team's open action items, oldest due first; close, move or drop the highlighted one."""

    USER_COMMANDS = (
        Command("followups.back", "escape", "app.pop_screen", N_("back"), N_("Back"), palette=False),
        Command("followups.done", "d", "close('done')", N_("done"), N_("Mark the item done")),
        Command("followups.move", "v", "move", N_("move"), N_("Move the item to a new due date")),
        Command("followups.drop", "x", "close('dropped')", N_("drop"), N_("Drop the item")),
        Command("followups.mine", "ctrl+o", "toggle_mine", N_("mine only"), N_("Only your items")),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, services: Services, run_id: str | None = None, mine: bool = False) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        self.coordinator = Coordinator(services.recorder)
        self.run_id = run_id
        """The run the items are gone over in (team-sync's step): closings are recorded in it."""
        self.mine = mine
        self.items: list[ActionItem] = []

    def compose(self) -> ComposeResult:
        yield Static(plain(" " + _("Follow-ups")), classes="header", id="followups-header")
        yield DataTable(id="followups-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="followups-empty", classes="subtle")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#followups-table", DataTable)
        table.add_columns(_("due"), _("owner"), _("what"), _("from"))
        self._load()
        table.focus()

    def _load(self, keep: str | None = None) -> None:
        try:
            items = self.coordinator.action_items()
        except JournalError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        login = self.coordinator.login
        self.items = [i for i in items if i.status == "open" and (not self.mine or i.owner == login)]
        table = self.query_one("#followups-table", DataTable)
        table.clear()
        today = self.services.now().date()
        roster, library = self.services.library.roster, self.services.library
        for item in self.items:
            due = item.due.isoformat()
            if item.overdue(today):
                due = f"! {due} {_('overdue')}"
            playbook = library.get(item.playbook_id or "")
            table.add_row(
                due,
                visible(roster.name_of(item.owner), newlines=False),
                visible(item.what, newlines=False),
                visible(playbook.title if playbook else item.playbook_id or "", newlines=False),
                key=item.id,
            )
        if keep is not None and any(i.id == keep for i in self.items):
            table.move_cursor(row=[i.id for i in self.items].index(keep))
        words = _("no open action items of yours") if self.mine else _("no open action items")
        self.query_one("#followups-empty", Static).update(plain(words if not self.items else ""))

    def _highlighted(self) -> ActionItem | None:
        table = self.query_one("#followups-table", DataTable)
        if not self.items or table.cursor_row < 0 or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def action_close(self, outcome: str) -> None:
        item = self._highlighted()
        if item is not None:
            self._record(item, outcome)

    def action_move(self) -> None:
        item = self._highlighted()
        if item is None:
            return

        def moved(text: str | None) -> None:
            if not text:
                return
            due = parse_due(text.strip(), self.services.now().date())
            if due is None:
                self.notify(_("{text!r} is not a date: use 2026-12-05, 12-05 or +3d").format(text=text))
                return
            self._record(item, "moved", due)

        self.app.push_screen(Prompt(_("New due date (12-05, 2026-12-05, +3d)")), moved)

    def _record(self, item: ActionItem, outcome: str, due: date | None = None) -> None:
        try:
            self.coordinator.close_action(item.id, outcome, due, run_id=self.run_id)
        except (ActionError, JournalError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self._load(keep=item.id)

    def action_toggle_mine(self) -> None:
        self.mine = not self.mine
        self._load()


class HandoverScreen(ModalScreen[bool]):
    """Hand-over notes waiting for this operator: enter acknowledges them, escape asks again later."""

    # A dialog's keys are on it: not in the palette.
    USER_COMMANDS = (
        Command("handover.ack", "enter", "acknowledge", N_("acknowledge"), palette=False, priority=True),
        Command("handover.later", "escape", "later", N_("later"), palette=False),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, services: Services, notes: list[Event]) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        self.notes = notes

    def compose(self) -> ComposeResult:
        zone = self.services.zone
        with Vertical(classes="dialog", id="handover-dialog"):
            yield Label(plain(_("Hand-over notes for you")), classes="dialog-title")
            with VerticalScroll(id="handover-notes"):
                for note in self.notes:
                    when = note.at.astimezone(zone).strftime("%m-%d %H:%M")
                    yield Static(plain(f"{when} {note.operator}"), classes="subtle")
                    yield Static(plain(str(note.payload.get("text", ""))), classes="handover-text")
            yield Label(plain(_("enter: acknowledge · escape: later")), classes="subtle")

    def action_acknowledge(self) -> None:
        try:
            Coordinator(self.services.recorder).acknowledge(self.notes)
        except (ActionError, JournalError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.dismiss(True)

    def action_later(self) -> None:
        self.dismiss(False)
