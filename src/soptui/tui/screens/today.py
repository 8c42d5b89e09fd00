"""Today: routines due this day, week and month, and open incidents."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from soptui.agenda import Agenda, AgendaItem, build_agenda, record_sightings, start_agenda_journeys
from soptui.coordination import Coordinator
from soptui.followups import ActionItem
from soptui.i18n import hms, weekday
from soptui.journal import JournalError
from soptui.journeys import JourneyItem
from soptui.recorder import ActionError
from soptui.runs import RunState
from soptui.text import pad, visible
from soptui.timeline import escalations
from soptui.tui.commands import Command, bindings_of
from soptui.tui.messages import JournalChanged, OpenRoutine, OpenRun, PreviewPlaybook, StartIncident
from soptui.tui.plain import plain, styled, with_cursor
from soptui.tui.screens.modals import Prompt
from soptui.tui.services import Services
from soptui.tui.words import N_, localise_bindings


def span(delta: timedelta, t: Callable[[str], str]) -> str:
    """An overdue span that cannot be read as a time of day: "2d 3h", "6 h 42 min", "6小时42分"."""
    minutes_ = max(int(delta.total_seconds() // 60), 0)
    days, hours, mins = minutes_ // 1440, minutes_ % 1440 // 60, minutes_ % 60
    if days:
        return t("span-days").format(d=days, h=hours)
    if hours:
        return t("span-hours").format(h=hours, m=mins)
    return t("span-minutes").format(m=mins)


def _record_quietly(services: Services, agenda: Agenda) -> bool:
    """The agenda's writes, off the UI thread: first sightings, and the journey cohorts due by
    now (auto_start). A busy journal only postpones them to the next refresh. True when a
    cohort started (the agenda is then rebuilt to show it)."""
    with contextlib.suppress(JournalError):
        record_sightings(services.recorder, agenda)
        return start_agenda_journeys(services.recorder, agenda.now)
    return False


class TodayScreen(Screen[None]):
    """The home screen."""

    USER_COMMANDS = (
        Command(
            "today.open",
            "enter",
            "open",
            N_("open"),
            N_("Open or resume the selected run"),
            priority=True,
        ),
        Command("today.incident", "i", "incident", N_("incident"), N_("Open an incident")),
        # The app lists these two in the palette on every screen ("Incidents: all", "Notices").
        Command(
            "today.incidents",
            "I",
            "app.incidents",
            N_("incidents"),
            N_("All incidents"),
            show=False,
            palette=False,
        ),
        Command("today.review", "r", "app.review", N_("review"), N_("The week's review")),
        Command("today.search", "slash", "app.open_search", N_("search"), N_("Search the journal")),
        Command("today.help", "question_mark,f1", "app.help", N_("help"), N_("Keys of this screen")),
        Command("today.log", "l", "day_note", N_("day log"), N_("Add a note to the day's log"), show=False),
        Command(
            "today.preview",
            "p",
            "preview",
            N_("preview"),
            N_("The highlighted playbook's steps, before starting it"),
            show=False,
        ),
        Command(
            "today.claim",
            "m",
            "claim",
            N_("mine"),
            N_("Claim the highlighted run (again: release)"),
            show=False,  # the footer is full at 60 columns: help (?) lists it
        ),
        Command(
            "today.followups",
            "a",
            "followups",
            N_("follow-ups"),
            N_("The team's open action items"),
            show=False,
        ),
        Command(
            "today.handover",
            "H",
            "hand_over",
            N_("hand over"),
            N_("Leave a hand-over note for the next shift"),
            show=False,
        ),
        # Textual's own "Quit" is in the palette already.
        Command("today.quit", "q", "app.quit", N_("quit"), N_("Quit soptui"), palette=False),
        Command(
            "today.notices",
            "exclamation_mark",
            "app.notices",
            N_("notices"),
            N_("Everything soptui told you at start-up"),
            show=False,
            palette=False,
        ),
        Command("today.move-down", "j", "cursor_down", show=False, palette=False),
        Command("today.move-up", "k", "cursor_up", show=False, palette=False),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, services: Services) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        self.agenda: Agenda | None = None
        self._bodies: dict[str, Content] = {}  # each row's text, without the cursor column
        self.coordinator = Coordinator(services.recorder)
        self._attention: set[str] | None = None  # overdue and escalated rows seen (the bell rings once each)
        self._handovers_asked = False
        self._just_built = False  # on_mount built the agenda; the resume that follows needs not

    def compose(self) -> ComposeResult:
        yield Static(id="today-header", classes="header")
        yield OptionList(id="agenda")
        yield Static(id="today-missed", classes="subtle")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_agenda()
        self._just_built = True
        self.query_one("#agenda", OptionList).focus()
        self.call_after_refresh(self._show_handovers)
        self.set_interval(1.0, self.tick)
        self.set_interval(60.0, self.refresh_if_shown)  # due times pass even when nobody acts

    def on_screen_resume(self) -> None:
        if self._just_built:  # the first resume follows the mount at once: no second read
            self._just_built = False
            return
        self.refresh_agenda()

    def refresh_if_shown(self) -> None:
        """The minute's refresh, only while Today is on top: under a run or a dialog it would
        rebuild the agenda on the UI thread between two key presses (Today reads it again
        when it is back on top)."""
        if self.is_active:
            self.refresh_agenda()

    def tick(self) -> None:
        """Advance the incidents' elapsed clocks (the journal is not re-read for that)."""
        if not self.is_current or not self.agenda or not self.agenda.incidents:
            return
        options = self.query_one("#agenda", OptionList)
        now = self.services.now()
        current = options.highlighted_option.id if options.highlighted_option else None
        for run in self.agenda.incidents:
            key = f"incident:{run.run_id}"
            self._bodies[key] = self._incident_line(run, now)
            with contextlib.suppress(OptionDoesNotExist):
                options.replace_option_prompt(key, with_cursor(self._bodies[key], key == current))

    @on(JournalChanged)
    def refresh_agenda(self) -> None:
        """Re-read the agenda and redraw, keeping the highlighted row."""
        s = self.services
        try:
            self.agenda = agenda = build_agenda(s.ledger)
        except (JournalError, ActionError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        if not s.recorder.journal.readonly:
            self.run_worker(
                lambda: self._write_in_background(agenda), thread=True, group="sightings", exclusive=True
            )
        now = s.now()
        _year, week, _ = now.isocalendar()
        demo = f" · {s.t('demo')}" if s.demo else ""
        header = (
            f" soptui · {s.t('today')} · {weekday(now)} {now:%Y-%m-%d} · W{week:02d}{demo}{'':4}{s.operator}"
        )
        self.query_one("#today-header", Static).update(plain(header, newlines=False))
        options = self.query_one("#agenda", OptionList)
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        # Incidents first: at 60x20 an open incident must never fall below the fold.
        self._bodies = {}
        rows: list[Option | None] = []
        if agenda.incidents:
            rows.append(Option(styled(f"{s.t('incidents')}", "bold"), id="h:incidents", disabled=True))
            for run in agenda.incidents:
                self._bodies[f"incident:{run.run_id}"] = self._incident_line(run, now)
        rows += [Option(self._bodies[key], id=key) for key in self._bodies]
        rows.append(Option(styled(f"{s.t('routines')}", "bold"), id="h:routines", disabled=True))
        for item in agenda.routines:
            key = f"routine:{item.entry.playbook.id}"
            self._bodies[key] = self._routine_line(item, now, self._who(item.run))
            rows.append(Option(self._bodies[key], id=key))
        if agenda.journeys:
            rows.append(Option(styled(s.t("journeys"), "bold"), id="h:journeys", disabled=True))
            for journey in agenda.journeys:
                key = f"journey:{journey.run.run_id}"
                self._bodies[key] = self._journey_line(journey, now)
                rows.append(Option(self._bodies[key], id=key))
        if not agenda.incidents:
            rows.append(Option(plain(f"  {s.t('no-incidents')}"), id="h:none", disabled=True))
        rows += self._followup_rows(now)
        self._ring_for_new_attention(agenda, now)
        options.clear_options()
        options.add_options(rows)
        ids = [o.id for o in rows if o is not None]
        if highlighted in ids:
            options.highlighted = ids.index(highlighted)
        elif len(ids) > 1:
            options.highlighted = 1
        self._mark_cursor()
        missed = [
            f"{visible(i.entry.playbook.title, newlines=False)} ×{len(i.missed)}"
            for i in agenda.routines
            if i.missed
        ]
        lines = [f" {s.t('missed')}: " + " · ".join(missed)] if missed else []
        if agenda.flagged:  # a finding flagged these groups: they stay here until a later "no"
            groups = " · ".join(f"{name} ({title})" for name, title in agenda.flagged)
            lines.append(f" ⚑ {s.t('flagged')}: {groups}")
        for note in agenda.day_notes[-3:]:  # the day's log, newest last (the review lists them all)
            text = " ".join(str(note.payload.get("text", "")).split())
            lines.append(f" ✎ {note.at.astimezone(s.zone):%H:%M} {note.operator}: {text}")
        self.query_one("#today-missed", Static).update(plain("\n".join(lines)))

    def action_day_note(self) -> None:
        """A note for the day's log (not tied to a run), like `soptui note "…"`."""
        s = self.services

        def add(text: str | None) -> None:
            if not text:
                return
            try:
                s.recorder.note(None, text)
            except (ActionError, JournalError) as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.refresh_agenda()

        self.app.push_screen(Prompt(s.t("day-note"), multiline=True), add)

    @on(OptionList.OptionHighlighted, "#agenda")
    def _mark_cursor(self) -> None:
        """Draw the cursor glyph on the highlighted row only (the selection must read without colour)."""
        options = self.query_one("#agenda", OptionList)
        current = options.highlighted_option.id if options.highlighted_option else None
        for key, body in self._bodies.items():
            prompt = with_cursor(body, key == current)
            with contextlib.suppress(OptionDoesNotExist):
                if str(options.get_option(key).prompt) != prompt.plain:
                    options.replace_option_prompt(key, prompt)

    def _width(self) -> int:
        """Cells a row may use: the terminal less the list's border and padding and the cursor column."""
        return max(self.app.size.width - 6, 40)

    def _who(self, run: RunState | None) -> str:
        """Who is on a run in progress: claims (✋), then who acted or has it open now."""
        if run is None or run.is_closed:
            return ""
        claimed = [f"✋{c.operator}" for c in run.claims.values()]
        names = dict.fromkeys(
            [*run.acted(), *(op for op, _step in self.services.recorder.others_here(run.run_id))]
        )
        for claim in run.claims.values():
            names.pop(claim.operator, None)
        others = list(names)
        shown = [*claimed, *others[:2]] + ([f"+{len(others) - 2}"] if len(others) > 2 else [])
        return " ".join(shown)

    def _followup_rows(self, now: datetime) -> list[Option | None]:
        """This operator's open action items (from every team meeting), oldest due first."""
        try:
            items = [i for i in self.coordinator.action_items() if i.status == "open"]
        except JournalError:
            return []
        mine = [i for i in items if i.owner == self.coordinator.login]
        if not mine:
            return []
        rows: list[Option | None] = [
            Option(styled(self.services.t("my-followups"), "bold"), id="h:followups", disabled=True)
        ]
        for item in mine:
            key = f"followup:{item.id}"
            self._bodies[key] = self._followup_line(item, now)
            rows.append(Option(self._bodies[key], id=key))
        return rows

    def _followup_line(self, item: ActionItem, now: datetime) -> Content:
        s = self.services
        late = item.overdue(now.date())
        state = f"{s.t('overdue')} {item.due:%m-%d}" if late else f"{s.t('due')} {item.due:%m-%d}"
        title = pad(visible(item.what, newlines=False), max(self._width() - 4 - cell_len(state), 10))
        text = f"{'!' if late else '□'} {title} {state}"
        return Content.styled(text, "bold $error") if late else Content(text)

    def _ring_for_new_attention(self, agenda: Agenda, now: datetime) -> None:
        """Ring the terminal bell once when an overdue routine or an incident escalation appears."""
        keys = {f"overdue:{i.entry.playbook.id}" for i in agenda.routines if i.overdue}
        keys |= {f"overdue:{j.run.run_id}" for j in agenda.journeys if j.overdue}
        for run in agenda.incidents:
            keys |= {f"escalated:{run.run_id}:{step}" for step in escalations(run, now)}
        if keys - (self._attention or set()):
            self.app.bell()
        self._attention = keys | (self._attention or set())

    def _show_handovers(self) -> None:
        """The hand-over notes left for this operator, once per start, until acknowledged."""
        if self._handovers_asked or self.services.recorder.journal.readonly:
            return
        self._handovers_asked = True
        try:
            notes = self.coordinator.waiting_handovers()
        except JournalError:
            return
        if notes:
            from soptui.tui.screens.followups import HandoverScreen

            self.app.push_screen(HandoverScreen(self.services, notes))

    def action_hand_over(self) -> None:
        s = self.services

        def leave(text: str | None) -> None:
            if not text:
                return
            try:
                self.coordinator.hand_over(text)
            except (ActionError, JournalError) as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify(s.t("handover-noted"), markup=False)

        self.app.push_screen(Prompt(s.t("handover-prompt"), multiline=True), leave)

    def action_followups(self, mine: bool = False) -> None:
        from soptui.tui.screens.followups import FollowUpsScreen

        self.app.push_screen(FollowUpsScreen(self.services, mine=mine))

    def action_claim(self) -> None:
        """Claim the highlighted run (routine, journey or incident); on a run you claimed, release it."""
        option = self.query_one("#agenda", OptionList).highlighted_option
        kind, _sep, key = (option.id or "").partition(":") if option else ("", "", "")
        recorder = self.services.recorder
        try:
            if kind == "routine":
                run_id = recorder.routine_run(key).run_id
            elif kind in ("incident", "journey"):
                run_id = key
            else:
                return
            state = recorder.state(run_id)
            mine = self.coordinator.login in state.claims
            (self.coordinator.release if mine else self.coordinator.claim)(run_id)
        except (ActionError, JournalError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(self.services.t("released" if mine else "claimed"), markup=False)
        self.refresh_agenda()

    def _routine_line(self, item: AgendaItem, now: datetime, who: str = "") -> Content:
        s = self.services
        run = item.run
        word = item.state_word
        if word == "done":
            mark, style = "✓", "$success"
        elif item.overdue:
            mark, style = "!", "bold $error"
        elif word == "in progress":
            mark, style = "▶", "$warning"
        else:
            mark, style = "·", ""
        steps = f"{run.done_count}/{run.total}" if run else f"0/{len(item.entry.playbook.steps)}"
        if run and run.is_closed and run.closed_at:
            closed = run.closed_at.astimezone(s.zone)
            state = f"{run.closed_by} · {weekday(closed)} {closed:%H:%M}"
        elif item.overdue:
            state = f"{s.t('overdue')} {span(now - item.due, s.t)}"
        else:
            due = item.due.astimezone(s.zone)
            when = f"{due:%H:%M}" if due.date() == now.date() else f"{weekday(due)} {due:%H:%M}"
            state = f"{s.t(word)} · {s.t('due')} {when}" if word == "not started" else f"{s.t(word)} · {when}"
        width = self._width()
        cadence = s.t(item.entry.playbook.cadence)
        room = width - (2 + 1 + cell_len(cadence) + 1 + 5 + 2 + cell_len(state))
        if who and room - cell_len(who) - 3 >= 12:  # who is on it, when the title keeps 12 cells
            state = f"{state} · {who}"
        # The title takes what the other columns leave, so a row never wraps (60x20 included).
        fixed = 2 + 1 + cell_len(cadence) + 1 + 5 + 2 + cell_len(state)
        title = pad(visible(item.entry.playbook.title, newlines=False), max(width - fixed, 10))
        text = f"{mark} {title} {cadence} {steps:>5}  {state}"
        return Content.styled(text, style) if style else Content(text)

    def _write_in_background(self, agenda: Agenda) -> None:
        if _record_quietly(self.services, agenda):
            self.app.call_from_thread(self.refresh_agenda)

    def _journey_line(self, journey: JourneyItem, now: datetime) -> Content:
        """A dated journey: every step overdue (how late the first is), else every step due on
        the next day with any, and then what comes after."""
        s = self.services
        late, upcoming = journey.overdue, journey.next_due
        parts: list[str] = []
        if late:
            labels = ", ".join(step.label for step in late)
            parts.append(f"{labels} {s.t('overdue')} {span(journey.late(late[0]), s.t)}")
            mark, style = "!", "bold $error"
        else:
            mark, style = ("◆", "") if upcoming else ("✓", "$success")
        if upcoming:
            labels = ", ".join(step.label for step in upcoming)
            parts.append(f"{labels} {s.t('due')} {self._when(upcoming[0].due, now)}")
        if not parts:
            parts.append(s.t("done"))
        state = " · ".join(parts)
        fixed = 2 + 1 + cell_len(state)
        title = pad(visible(journey.title, newlines=False), max(self._width() - fixed, 10))
        text = f"{mark} {title} {state}"
        return Content.styled(text, style) if style else Content(text)

    def _when(self, moment: datetime, now: datetime) -> str:
        due = moment.astimezone(self.services.zone)
        clock = f"{due:%H:%M}"
        if clock == "00:00":  # due by the end of a day: say so on that day, not at the next one's start
            due, clock = due - timedelta(minutes=1), "24:00"
        return clock if due.date() == now.date() else f"{weekday(due)} {due:%m-%d} {clock}"

    def _incident_line(self, run: RunState, now: datetime) -> Content:
        late = escalations(run, now)
        escalated = f"  ⚠{len(late)}" if late else ""  # steps past their escalate_after
        title = pad(visible(run.title or "", newlines=False), max(self._width() - 26 - len(escalated), 10))
        elapsed = hms(run.elapsed(now))
        text = f"● {run.severity or ''} {title} {elapsed}  {run.done_count}/{run.total}{escalated}"
        return Content.styled(text, "bold $error" if cell_len(text) else "")

    def action_cursor_down(self) -> None:
        self.query_one("#agenda", OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#agenda", OptionList).action_cursor_up()

    @on(OptionList.OptionSelected, "#agenda")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option.id)

    def action_open(self) -> None:
        option = self.query_one("#agenda", OptionList).highlighted_option
        if option is not None:
            self._open(option.id)

    def _open(self, option_id: str | None) -> None:
        if not option_id or ":" not in option_id:
            return
        kind, key = option_id.split(":", 1)
        if kind == "routine":
            self.post_message(OpenRoutine(key))
        elif kind in ("incident", "journey"):
            self.post_message(OpenRun(key))
        elif kind == "followup":
            self.action_followups(mine=True)

    def action_incident(self) -> None:
        self.post_message(StartIncident())

    def action_preview(self) -> None:
        """Preview the highlighted row's playbook (a routine's, an incident's or a journey's)."""
        option = self.query_one("#agenda", OptionList).highlighted_option
        kind, _sep, key = (option.id or "").partition(":") if option else ("", "", "")
        runs = [*self.agenda.incidents, *(j.run for j in self.agenda.journeys)] if self.agenda else []
        found = key if kind == "routine" else next((r.playbook.id for r in runs if r.run_id == key), None)
        if found:
            self.post_message(PreviewPlaybook(found))
