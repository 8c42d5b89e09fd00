"""The incidents list: open and resolved, newest first, filtered as you type; enter opens one."""

from __future__ import annotations

from datetime import timedelta

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from soptui import severities
from soptui.i18n import _, duration_text
from soptui.journal import JournalError
from soptui.ledger import ActionError
from soptui.text import visible
from soptui.timeline import IncidentSummary, incident_summary
from soptui.tui.commands import Command, bindings_of
from soptui.tui.messages import OpenRun
from soptui.tui.plain import plain
from soptui.tui.services import Services
from soptui.tui.widgets import TextField
from soptui.tui.words import N_, localise_bindings


def span_text(delta: timedelta | None) -> str:
    return "—" if delta is None else duration_text(delta)


class IncidentsScreen(Screen[None]):
    """Every incident of the journal (the latest 500): severity, playbook, opened, time to
    acknowledge, time to resolve, who. Type to filter by title, playbook or severity."""

    USER_COMMANDS = (
        Command("incidents.back", "escape", "app.pop_screen", N_("back"), N_("Back to Today"), palette=False),
        Command("incidents.open", "ctrl+o", "toggle_open", N_("open only"), N_("Only open ones")),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, services: Services) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        self.only_open = False
        self.rows: list[IncidentSummary] = []

    def compose(self) -> ComposeResult:
        yield Static(plain(" " + _("Incidents")), classes="header")
        yield TextField(id="incident-filter", placeholder=_("filter: title, playbook or severity"))
        yield Static(plain(self._legend()), id="incident-severities", classes="subtle")
        yield DataTable(id="incident-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def _legend(self) -> str:
        """What each severity of the library's incident playbooks means, one line each."""
        levels: dict[str, None] = {}
        for entry in self.services.library:
            if entry.playbook.is_incident:
                levels.update(dict.fromkeys(entry.playbook.severities))
        described = severities.described(list(levels), self.services.severities)
        return "\n".join(f" {level}  {words}" for level, words in described if words)

    def on_mount(self) -> None:
        table = self.query_one("#incident-table", DataTable)
        table.add_columns(
            _("sev"), _("incident"), _("playbook"), _("opened"), _("ack"), _("resolved in"), _("who")
        )
        try:
            ledger = self.services.ledger
            self.rows = [incident_summary(ledger.fold_row(row)) for row in ledger.journal.recent_incidents()]
        except (ActionError, JournalError) as error:
            self.notify(str(error), severity="error", markup=False)
        self._fill()
        self.query_one("#incident-filter", TextField).focus()

    def _fill(self) -> None:
        table = self.query_one("#incident-table", DataTable)
        table.clear()
        words = self.query_one("#incident-filter", TextField).value.casefold().split()
        zone = self.services.zone
        for row in self.rows:
            haystack = f"{row.severity} {row.title} {row.playbook_title}".casefold()
            if (self.only_open and not row.is_open) or not all(w in haystack for w in words):
                continue
            table.add_row(
                visible(row.severity, newlines=False),
                visible(row.title, newlines=False),
                visible(row.playbook_title, newlines=False),
                f"{row.opened_at.astimezone(zone):%m-%d %H:%M}",
                span_text(row.acknowledged_in),
                _("open") if row.is_open else span_text(row.resolved_in),
                visible(", ".join(row.people), newlines=False),
                key=row.run_id,
            )

    @on(TextField.Changed, "#incident-filter")
    def _filtered(self) -> None:
        self._fill()

    @on(TextField.Submitted, "#incident-filter")
    def _to_table(self) -> None:
        self.query_one("#incident-table", DataTable).focus()

    @on(DataTable.RowSelected, "#incident-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.post_message(OpenRun(str(event.row_key.value)))

    def action_toggle_open(self) -> None:
        self.only_open = not self.only_open
        self._fill()
