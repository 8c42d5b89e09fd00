"""Search the journal and the playbooks from the keyboard (``/`` on Today): journal hits open
the run or incident at that step, playbook hits open the playbook's preview."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from soptui.i18n import _
from soptui.journal import JournalError
from soptui.search import PlaybookHit, SearchError, SearchHit, outside_word, search, search_playbooks
from soptui.text import pad, visible
from soptui.tui.commands import Command, bindings_of
from soptui.tui.messages import OpenRun, PreviewPlaybook
from soptui.tui.plain import plain, styled
from soptui.tui.screens.modals import ShowText
from soptui.tui.services import Services
from soptui.tui.words import N_, localise_bindings

TYPING_PAUSE = 0.15  # seconds: search once the typing pauses, not on every key


class SearchScreen(Screen[None]):
    """Type; the journal's results (newest first), then the playbooks', follow; enter opens the
    run or incident at that step, or the playbook's preview."""

    USER_COMMANDS = (
        Command("search.back", "escape", "back", N_("back"), N_("Back to Today"), palette=False),
        Command("search.results", "down", "to_results", show=False, palette=False),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, services: Services) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        self.hits: list[SearchHit] = []
        self.playbook_hits: list[PlaybookHit] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            plain(_("Search notes, skip reasons, hand-overs, incidents, recorded text and playbooks")),
            classes="header",
        )
        yield Input(placeholder=_("type a word or part of one (差评, 退款, refund)"), id="search-query")
        yield Static(id="search-status", classes="subtle")
        yield OptionList(id="search-results")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search-query", Input).focus()

    @on(Input.Changed, "#search-query")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_PAUSE, self.run_search)

    @on(Input.Submitted, "#search-query")
    def _submitted(self, event: Input.Submitted) -> None:
        self.run_search()
        if self.hits or self.playbook_hits:
            results = self.query_one("#search-results", OptionList)
            results.highlighted = self._first()
            results.focus()

    def run_search(self) -> None:
        query = self.query_one("#search-query", Input).value
        status = self.query_one("#search-status", Static)
        results = self.query_one("#search-results", OptionList)
        results.clear_options()
        self.hits, self.playbook_hits = [], []
        if not query.strip():
            status.update("")
            return
        try:
            self.playbook_hits = search_playbooks(self.services.library, query)
            self.hits = search(self.services.ledger.journal, query)
        except (SearchError, JournalError) as error:
            status.update(plain(str(error), newlines=False))
            return
        if not self.hits and not self.playbook_hits:
            status.update(plain(_("nothing found for {query}").format(query=query), newlines=False))
            return
        if self.playbook_hits:
            found = _("{count} in the journal, newest first; {playbooks} in playbooks; enter opens one")
            status.update(plain(found.format(count=len(self.hits), playbooks=len(self.playbook_hits))))
        else:
            found = _("{count} found, newest first; enter opens one")
            status.update(plain(found.format(count=len(self.hits))))
        results.add_options([Option(self._row(hit), id=str(index)) for index, hit in enumerate(self.hits)])
        if self.playbook_hits:
            results.add_option(Option(styled(_("In the playbooks"), "bold"), id="h:playbooks", disabled=True))
            results.add_options(
                [Option(self._playbook_row(hit), id=f"p:{i}") for i, hit in enumerate(self.playbook_hits)]
            )

    def _row(self, hit: SearchHit) -> Content:
        event = hit.event
        when = hit.at.astimezone(self.services.zone).strftime("%Y-%m-%d %H:%M")
        where = event.playbook_id or outside_word(event)
        if event.step_id:
            where += f" · {event.step_id}"
        if event.group_id:
            where += f" [{event.group_id}]"
        if hit.incident is not None:
            where += f"  {hit.incident.label()}"
        head = f"{when}  {pad(visible(event.operator, newlines=False), 8)}  {visible(where, newlines=False)}"
        body = Content("    ")
        for text, matched in hit.snippet():
            body += styled(text, "bold reverse") if matched else plain(text, newlines=False)
        return plain(head, newlines=False) + Content("\n") + body

    def _playbook_row(self, hit: PlaybookHit) -> Content:
        where = hit.playbook_title + (f" · {hit.step_title}" if hit.step_title else "")
        body = Content("    ")
        for text, matched in hit.snippet():
            body += styled(text, "bold reverse") if matched else plain(text, newlines=False)
        return plain(f"▤ {where}", newlines=False) + Content("\n") + body

    def action_to_results(self) -> None:
        results = self.query_one("#search-results", OptionList)
        if self.hits or self.playbook_hits:
            if results.highlighted is None:
                results.highlighted = self._first()
            results.focus()

    def _first(self) -> int:
        """The first result's row (with no journal hits, the playbooks' heading comes first)."""
        return 0 if self.hits else 1

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        option = event.option.id or "0"
        if option.startswith("p:"):
            self.post_message(PreviewPlaybook(self.playbook_hits[int(option[2:])].playbook_id))
        else:
            self.open_hit(self.hits[int(option)])

    def open_hit(self, hit: SearchHit) -> None:
        event = hit.event
        if event.run_id is None:  # a day-log note: nothing to open but the note itself
            when = hit.at.astimezone(self.services.zone).strftime("%Y-%m-%d %H:%M")
            self.app.push_screen(ShowText(f"{outside_word(event)} · {when} · {event.operator}", hit.text))
            return
        self.post_message(OpenRun(event.run_id, event.step_id))
