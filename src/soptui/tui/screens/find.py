"""Search the journal from the keyboard (``/`` on Today), and a step's history (``h`` in a run)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from soptui.i18n import _
from soptui.journal import JournalError
from soptui.search import SearchError, SearchHit, search
from soptui.text import pad, visible
from soptui.tui.messages import OpenRun
from soptui.tui.plain import plain, styled
from soptui.tui.screens.modals import ShowText
from soptui.tui.services import Services
from soptui.tui.words import N_, localise_bindings

TYPING_PAUSE = 0.15  # seconds: search once the typing pauses, not on every key


class SearchScreen(Screen[None]):
    """Type; the results (newest first) follow; enter opens the run or incident at that step."""

    BINDINGS = [
        Binding("escape", "back", N_("back"), id="search.back", tooltip=N_("Back to Today")),
        Binding("down", "to_results", show=False, id="search.results"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        self.hits: list[SearchHit] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(plain(_("Search notes, skip reasons, incidents and recorded text")), classes="header")
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
        if self.hits:
            results = self.query_one("#search-results", OptionList)
            results.highlighted = 0
            results.focus()

    def run_search(self) -> None:
        query = self.query_one("#search-query", Input).value
        status = self.query_one("#search-status", Static)
        results = self.query_one("#search-results", OptionList)
        results.clear_options()
        self.hits = []
        if not query.strip():
            status.update("")
            return
        try:
            self.hits = search(self.services.recorder.journal, query)
        except (SearchError, JournalError) as error:
            status.update(plain(str(error), newlines=False))
            return
        if not self.hits:
            status.update(plain(_("nothing found for {query}").format(query=query), newlines=False))
            return
        status.update(plain(_("{count} found, newest first; enter opens one").format(count=len(self.hits))))
        results.add_options([Option(self._row(hit), id=str(index)) for index, hit in enumerate(self.hits)])

    def _row(self, hit: SearchHit) -> Content:
        event = hit.event
        when = hit.at.astimezone(self.services.zone).strftime("%Y-%m-%d %H:%M")
        where = event.playbook_id or _("day log")
        if event.step_id:
            where += f" · {event.step_id}"
        if event.group_id:
            where += f" [{event.group_id}]"
        head = f"{when}  {pad(visible(event.operator, newlines=False), 8)}  {visible(where, newlines=False)}"
        body = Content("    ")
        for text, matched in hit.snippet():
            body += styled(text, "bold reverse") if matched else plain(text, newlines=False)
        return plain(head, newlines=False) + Content("\n") + body

    def action_to_results(self) -> None:
        results = self.query_one("#search-results", OptionList)
        if self.hits:
            if results.highlighted is None:
                results.highlighted = 0
            results.focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.open_hit(self.hits[int(event.option.id or 0)])

    def open_hit(self, hit: SearchHit) -> None:
        event = hit.event
        if event.run_id is None:  # a day-log note: nothing to open but the note itself
            when = hit.at.astimezone(self.services.zone).strftime("%Y-%m-%d %H:%M")
            self.app.push_screen(ShowText(f"{_('day log')} · {when} · {event.operator}", hit.text))
            return
        self.post_message(OpenRun(event.run_id, event.step_id))
