"""The soptui Textual app: Today, runs, incidents. Build it with :func:`make_app`."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, SystemCommand
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import Screen

if TYPE_CHECKING:
    from soptui.playbooks.library import Library
    from soptui.playbooks.watch import Stamp
    from soptui.review import ReviewRange

from soptui import collector, severities
from soptui.files import write_private
from soptui.i18n import N_, _, activate, duration_text
from soptui.journal import JournalError
from soptui.playbooks.diff import describe_changes
from soptui.playbooks.inputs import show_value
from soptui.playbooks.models import Playbook
from soptui.recorder import ActionError
from soptui.runs import RunState
from soptui.schedule import parse_anchor
from soptui.text import visible
from soptui.timeline import incident_report
from soptui.tui.commands import Command, bindings_of, keys_for, palette_commands, with_keys
from soptui.tui.messages import (
    JournalChanged,
    OpenPlaybook,
    OpenRoutine,
    OpenRun,
    PreviewPlaybook,
    RunClosed,
    StartIncident,
)
from soptui.tui.plain import as_markup
from soptui.tui.screens.modals import Pick, Prompt, ShowText
from soptui.tui.screens.small import TooSmallScreen
from soptui.tui.screens.today import TodayScreen
from soptui.tui.services import Services
from soptui.tui.words import localise_bindings

MIN_WIDTH, MIN_HEIGHT = 60, 20
# The longest a key press may wait for another writer's lock; after that the action is kept as
# a pending draft and written by a worker once the journal is free (docs/reliability.md).
UI_WRITE_WAIT = 0.2
LIBRARY_WATCH = 3.0
"""Seconds between looks at the playbook and roster files (a stat of each: cheap)."""


# Textual's own commands in the palette.
TEXTUAL_COMMANDS = (
    N_("Change the current theme"),
    N_("Hide the keys and widget help panel"),
    N_("Keys"),
    N_("Maximize the focused widget"),
    N_("Maximize"),
    N_("Minimize the widget and restore to normal size"),
    N_("Minimize"),
    N_("Quit the application as soon as possible"),
    N_("Quit"),
    N_("Save an SVG 'screenshot' of the current screen"),
    N_("Screenshot"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Theme"),
    N_("palette"),
    N_("Open the command palette"),
    N_("Search for commands…"),
)


class SoptuiApp(App[int]):
    """Run the team's SOPs: the agenda, guided runs, incidents."""

    CSS_PATH = "app.tcss"
    TITLE = "soptui"
    ENABLE_COMMAND_PALETTE = True
    USER_COMMANDS = (Command("app.quit", "ctrl+c", "quit", N_("quit"), show=False, palette=False),)
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(
        self, services: Services, start_playbook: str | None = None, review: ReviewRange | None = None
    ) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        if services.keymap:
            self.set_keymap(services.keymap)
        self.start_playbook = start_playbook
        self.start_review = review
        self._too_small: TooSmallScreen | None = None
        self._screens_ready = False
        self.notices: list[str] = []
        """What soptui had to say at start-up; ``!`` on Today (and the palette) lists them all."""
        self._library_stamp: Stamp | None = None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification is plain text with control characters made visible."""
        super().notify(
            visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
        )

    def on_mount(self) -> None:
        self.services.recorder.write_wait = UI_WRITE_WAIT
        self.push_screen(TodayScreen(self.services))
        for draft in self.services.drafts.notes():
            text = str(draft.get("text", ""))
            if text.strip():
                self.notices.append(self.services.t("unsaved-note", run=draft.get("run"), text=text[:60]))
        self.set_interval(1.0, self._replay_drafts)
        journal = self.services.recorder.journal
        if not journal.readonly:
            journal.checkpoint_in_background()
            self.set_interval(
                10.0,
                lambda: self.run_worker(journal.checkpoint, thread=True, group="checkpoint", exclusive=True),
            )
        if not journal.checked_at_open and not journal.readonly:
            # Large journals are checked page by page in the background instead of at open.
            self.run_worker(self._check_journal, thread=True, group="integrity")
        self._data_version = self._journal_version()
        self.set_interval(1.0, self._watch_journal)
        if self.services.sources:
            self.run_worker(self._stamp_library, thread=True, group="library")
            self.set_interval(LIBRARY_WATCH, self._watch_library)
        if not journal.readonly:
            self.run_worker(self._clear_ghosts, thread=True, group="presence")
        self.notices += self.services.warnings
        if self.services.recorder.journal.readonly:
            self.notices.append(self.services.t("readonly"))
        self._announce_notices()
        if self.start_playbook:
            self.open_playbook(self.start_playbook)
        elif self.start_review:
            from soptui.tui.screens.review import ReviewScreen

            self.push_screen(ReviewScreen(self.services, self.start_review))
        self._screens_ready = True
        self._check_size(self.size.width, self.size.height)
        # What start-up built lives as long as the app: keep it out of the garbage collector's full
        # passes, which otherwise stall a key press now and then (135 ms, ticking 200 groups),
        # and collect at the usual pace from now on (soptui.collector held it back).
        self.call_after_refresh(self._settle_collector)

    def _check_journal(self) -> None:
        journal = self.services.recorder.journal
        problems = journal.integrity_problems_separately()
        if problems:
            journal.refuse_writes()
            message = _(
                "the journal {path} is damaged ({problems}); it is now read-only and was not "
                "changed. Recover what is readable: sqlite3 {path} '.recover' | sqlite3 recovered.sqlite3"
            ).format(path=journal.location, problems="; ".join(problems)[:160])
            self.call_from_thread(self.notify, message, severity="error", timeout=30)

    def _clear_ghosts(self) -> None:
        with contextlib.suppress(JournalError):
            self.services.recorder.clear_ghosts()

    def _journal_version(self) -> int | None:
        try:
            return self.services.ledger.journal.data_version()
        except JournalError:
            return -1

    def _watch_journal(self) -> None:
        """Show other operators' actions within a second: PRAGMA data_version changes only
        when another connection commits, so polling it costs no table read."""
        version = self._journal_version()
        if version is None or version == self._data_version:
            return  # None: our own write is in progress; look again next second
        self._data_version = version
        self.screen.post_message(JournalChanged())

    def _stamp_library(self) -> None:
        from soptui.playbooks.watch import stamp

        self._library_stamp = stamp(self.services.sources)

    def _watch_library(self) -> None:
        self.run_worker(self._reload_if_changed, thread=True, group="library", exclusive=True)

    def _reload_if_changed(self) -> None:
        """Off the UI thread: when a playbook or roster file changed, load the library again."""
        library = self._changed_library()
        if library is not None:
            self.call_from_thread(self._swap_library, library)

    def _reload_if_changed_now(self) -> None:
        """The same, on the UI thread (tests; a reload is rare and takes milliseconds)."""
        library = self._changed_library()
        if library is not None:
            self._swap_library(library)

    def _changed_library(self) -> Library | None:
        from soptui.playbooks.library import load_library
        from soptui.playbooks.watch import stamp

        now, before = stamp(self.services.sources), self._library_stamp
        self._library_stamp = now
        if before is None or before == now:
            return None
        # Through the same cache as start-up: only the files that changed are validated again.
        return load_library(self.services.sources, cache=self.services.library.cache)

    def _swap_library(self, library: Library) -> None:
        from soptui.playbooks.watch import changes

        said = changes(self.services.recorder.library, library)
        self.services.recorder.library = library
        if said:
            self.notify(visible("\n".join(said)), title=_("Playbooks reloaded"), markup=False, timeout=8)
        self.screen.post_message(JournalChanged())

    @staticmethod
    def _settle_collector() -> None:
        gc.freeze()
        collector.release()

    def on_unmount(self) -> None:
        gc.unfreeze()
        with contextlib.suppress(JournalError):
            if not self.services.recorder.journal.readonly:
                self.services.recorder.leave()

    def _replay_drafts(self) -> None:
        """Write pending actions in a worker: the lock they wait for must not freeze the screen."""
        drafts = self.services.drafts
        if not drafts.pending() or self.services.recorder.journal.readonly:
            return
        self.run_worker(self._replay_in_thread, thread=True, group="drafts", exclusive=True)

    def _replay_in_thread(self) -> None:
        saved: list[bool] = []

        def report(message: str, ok: bool) -> None:
            saved.append(ok)
            self.call_from_thread(
                self.notify,
                self.services.t("draft-saved") if ok else message,
                severity="information" if ok else "warning",
            )

        self.services.drafts.replay(self.services.recorder, report)
        if saved:
            self.call_from_thread(self._after_replay)

    def _after_replay(self) -> None:
        self.screen.post_message(JournalChanged())

    # -- what screens ask of the app (messages: tui/messages.py) ------------------------
    @on(OpenRoutine)
    def _open_routine_asked(self, message: OpenRoutine) -> None:
        self.open_routine(message.playbook_id)

    @on(OpenRun)
    def _open_run_asked(self, message: OpenRun) -> None:
        self.open_run(message.run_id, message.step_id)

    @on(StartIncident)
    def _start_incident_asked(self, message: StartIncident) -> None:
        self.start_incident(message.playbook_id)

    @on(OpenPlaybook)
    def _open_playbook_asked(self, message: OpenPlaybook) -> None:
        self.open_playbook(message.playbook_id)

    @on(PreviewPlaybook)
    def _preview_asked(self, message: PreviewPlaybook) -> None:
        self.open_preview(message.playbook_id)

    @on(RunClosed)
    def _run_closed(self, message: RunClosed) -> None:
        if message.state.is_incident:
            self.show_incident_report(message.state)
        else:
            self.show_summary(message.state)

    def on_resize(self, event: Resize) -> None:
        if self._screens_ready:  # before mount the Today screen is not there yet to cover
            self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        message = self.services.t("too-small", w=width, h=height)
        if small and self._too_small is None:
            self._too_small = TooSmallScreen(message)
            self.push_screen(self._too_small)
        elif small and self._too_small is not None:
            self._too_small.update(message)
        elif not small and self._too_small is not None:
            if self.screen is self._too_small:
                self.pop_screen()
            self._too_small = None

    def _announce_notices(self) -> None:
        """One notice stays as it is; several become one summary that ``!`` opens (they would
        otherwise pile up and push each other off the screen)."""
        if len(self.notices) == 1:
            self.notify(self.notices[0], severity="warning", timeout=20)
        elif self.notices:
            summary = self.services.t("notices-summary", n=len(self.notices))
            self.notify(summary, severity="warning", timeout=20)

    def action_notices(self) -> None:
        """Every start-up notice in full, as plain text."""
        s = self.services
        text = "\n\n".join(f"• {notice}" for notice in self.notices) or s.t("no-notices")
        self.push_screen(ShowText(s.t("notices"), text))

    # -- commands shared by keys and the palette -----------------------------------
    def action_command_palette(self) -> None:
        """Textual's command palette, with its placeholder in the app's language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(CommandPalette(placeholder=_("Search for commands…"), id="--command-palette"))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            yield command._replace(title=_(command.title), help=_(command.help))
        # The screen's own commands (tui/commands.py): "Today: review", with their keys.
        language = self.services.language
        yield from palette_commands(self, screen, language)
        notices_keys = keys_for(self, screen, "app.notices")
        yield SystemCommand(
            self.services.t("notices"),
            with_keys(language, self.services.t("notices-help"), notices_keys),
            self.action_notices,
        )
        incidents_help = _("Open and resolved incidents, newest first")
        yield SystemCommand(
            _("Incidents: all"),
            with_keys(language, incidents_help, keys_for(self, screen, "app.incidents")),
            self.action_incidents,
        )
        for entry in self.services.library:
            playbook = entry.playbook
            verb = (
                _("Incident")
                if playbook.is_incident
                else (_("Start") if playbook.cadence == "sequence" else _("Run"))
            )
            # The palette parses titles and help as markup: playbook text must stay inert.
            yield SystemCommand(
                as_markup(_("{verb}: {title}").format(verb=verb, title=playbook.title)),
                as_markup(playbook.summary or playbook.id),
                lambda pid=playbook.id: self.open_playbook(pid),
            )
        for entry in self.services.library:
            playbook = entry.playbook
            yield SystemCommand(
                as_markup(_("{verb}: {title}").format(verb=_("Preview"), title=playbook.title)),
                as_markup(_("Steps, roles, estimates and inputs, before starting")),
                lambda pid=playbook.id: self.open_preview(pid),
            )

    # The review and help screens pull in heavier widgets (DataTable, Markdown): imported when
    # first opened, so they cost nothing at start-up.
    def action_review(self) -> None:
        from soptui.tui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen(self.services))

    def action_incidents(self) -> None:
        from soptui.tui.screens.incidents import IncidentsScreen

        self.push_screen(IncidentsScreen(self.services))

    def open_preview(self, playbook_id: str) -> None:
        """The playbook's preview: its steps, roles, estimates, inputs; what changed since you
        last ran it. Imported when first opened, like the review."""
        from soptui.tui.screens.preview import PreviewScreen

        if playbook_id not in self.services.library.entries:
            self.notify(_("no playbook {id!r}").format(id=playbook_id), severity="error", markup=False)
            return
        self.push_screen(PreviewScreen(self.services, playbook_id))

    def action_help(self) -> None:
        from soptui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.services.language, self.screen))

    def open_playbook(self, playbook_id: str) -> None:
        playbook = self.services.library.get(playbook_id)
        if playbook is None:
            self.notify(_("no playbook {id!r}").format(id=playbook_id), severity="error", markup=False)
        elif playbook.is_incident:
            self.start_incident(playbook_id)
        elif playbook.cadence == "sequence":
            self.start_journey(playbook_id)
        else:
            self.open_routine(playbook_id)

    def start_journey(self, playbook_id: str) -> None:
        """Start a dated journey: ask its anchor (a date, with a time for an event) and a title."""
        s = self.services

        def with_anchor(text: str | None) -> None:
            if not text:
                return
            try:
                anchor, at = parse_anchor(text)
            except ValueError as error:
                self.notify(str(error), severity="error", markup=False)
                return

            def with_title(title: str | None) -> None:
                try:
                    state = s.recorder.start_instance(playbook_id, anchor, at, title or None)
                except (ActionError, JournalError) as error:
                    self.notify(str(error), severity="error", markup=False)
                    return
                self._show_run(state, [])

            self.push_screen(Prompt(s.t("journey-title"), required=False), with_title)

        self.push_screen(Prompt(s.t("journey-anchor")), with_anchor)

    def open_routine(self, playbook_id: str) -> None:
        recorder = self.services.recorder
        previous = self._previous_version(playbook_id)
        try:
            state = recorder.routine_run(playbook_id)
        except (ActionError, JournalError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        changes = describe_changes(previous, state.playbook) if previous else []
        self._show_run(state, changes)

    def _previous_version(self, playbook_id: str) -> Playbook | None:
        ledger = self.services.ledger
        try:
            digest = ledger.journal.last_hash_used_by(self.services.operator, playbook_id)
            return ledger.playbook_version(digest, playbook_id) if digest else None
        except (ActionError, JournalError):
            return None

    def open_run(self, run_id: str, step_id: str | None = None) -> None:
        """Open a run (at ``step_id``, when given: search results open at their step)."""
        try:
            state = self.services.ledger.state(run_id)
        except (ActionError, JournalError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self._show_run(state, [], step_id)

    def action_open_search(self) -> None:
        from soptui.tui.screens.find import SearchScreen

        self.push_screen(SearchScreen(self.services))

    def _show_run(self, state: RunState, changes: list[str], step_id: str | None = None) -> None:
        # Imported on first use, as the search, review and help screens are: it is a fifth of
        # what soptui imports before its first frame (measured 19 ms).
        from soptui.tui.screens.run import RunScreen

        self.push_screen(RunScreen(self.services, state, changes, step_id))
        if state.is_closed and not state.is_incident:
            self.show_summary(state)

    @work(group="start-incident")
    async def start_incident(self, playbook_id: str | None = None) -> None:
        """Open an incident: its playbook (asked unless given), a title, a severity (each
        question may be cancelled, which stops here); then show its run."""
        s = self.services
        incidents = [e.playbook for e in s.library if e.playbook.is_incident]
        if not incidents:
            self.notify(_("no incident playbooks in the library"), severity="warning", markup=False)
            return
        if playbook_id is None:
            chooser = Pick(s.t("playbook"), [(p.id, p.title) for p in incidents])
            playbook_id = await self.push_screen_wait(chooser)
        playbook = s.library.get(playbook_id or "")
        if playbook is None:
            return
        title = await self.push_screen_wait(Prompt(s.t("incident-title")))
        if not title:
            return
        levels = severities.described(playbook.severities, s.severities)
        picker = Pick(s.t("severity"), [(v, v) for v, _m in levels], dict(levels))
        severity = await self.push_screen_wait(picker)
        if severity is None:
            return
        try:
            state = s.recorder.open_incident(playbook.id, title, severity)
        except (ActionError, JournalError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self._show_run(state, [])

    def show_summary(self, state: RunState) -> None:
        s = self.services
        lines = [
            f"{state.playbook.title} · {state.period}",
            f"{state.closed_by or ''} · {duration_text(state.elapsed(s.clock()))}",
        ]
        for step in state.steps.values():
            if step.status == "skipped":
                lines.append(f"✗ {step.step.title}: {step.reason or ''}")
            if step.value is not None:
                lines.append(f"= {step.step.title}: {show_value(step.value)}")
            lines += [f"✎ {step.step.title}: {n.payload.get('text', '')}" for n in step.notes]
        lines += [f"✎ {n.payload.get('text', '')}" for n in state.notes]
        if state.left:
            # The journal keeps step ids (never words): name them in the viewer's language.
            left = [state.steps[i].step.title if i in state.steps else i for i in state.left]
            lines.append(_("left: {steps}").format(steps=", ".join(left)))
        self.push_screen(ShowText(s.t("run-finished"), "\n".join(lines)))

    def show_incident_report(self, state: RunState) -> None:
        s = self.services
        report = incident_report(state, s.zone, s.clock())

        def save(wanted: bool | None) -> None:
            if not wanted:
                return
            target = s.reports_dir / f"incident-{date.today():%Y%m%d}-{state.run_id.replace('#', '-')}.md"
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_private(target, report)
            except OSError as error:
                self.notify(
                    _("cannot save {path}: {error}").format(path=target, error=error.strerror or error),
                    severity="error",
                    markup=False,
                )
                return
            self.notify(s.t("saved", path=target), markup=False, timeout=10)

        self.push_screen(ShowText(s.t("report"), report, can_save=True), save)


def make_app(
    services: Services, start_playbook: str | None = None, review: ReviewRange | None = None
) -> SoptuiApp:
    """The one way to build the app, for the CLI and the tests alike (in the services' language)."""
    activate(services.language)
    return SoptuiApp(services, start_playbook, review)
