"""The run screen's actions that ask first: a reason, a note, a confirmation, a corrected value,
a group's value, a snippet's blanks; and what they show: a step's history, a copied snippet.

Each opens a dialog and records the answer through :meth:`RunScreen.record
<soptui.tui.screens.run.RunScreen.record>`, so a refusal or a busy journal is handled as for
every action, and the new state is drawn by the screen's watchers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from soptui.coordination import Coordinator
from soptui.i18n import _
from soptui.journal import JournalError
from soptui.playbooks.inputs import show_value
from soptui.playbooks.snippets import fill, placeholders
from soptui.text import visible
from soptui.tui.groups import GroupPanel
from soptui.tui.messages import RunClosed
from soptui.tui.screens.modals import Confirm, Pick, Prompt, ShowText, SnippetForm

if TYPE_CHECKING:
    from soptui.tui.screens.run import RunScreen


class RunDialogs:
    """The dialogs of one run screen (its ``s``, ``n``, ``h``, ``f``, ``R``, ``e``, ``c`` and group keys)."""

    def __init__(self, screen: RunScreen) -> None:
        self.screen = screen

    def skip(self) -> None:
        """Skip the step: an optional one at once, any other with a reason."""
        screen = self.screen
        step = screen.step
        if step is None:
            return
        recorder = screen.services.recorder
        if step.step.optional:
            draft = {"kind": "step.skipped", "step": step.step.id, "reason": None}
            if (
                screen.record(lambda e: recorder.skip(screen.state.run_id, step.step.id, event_id=e), draft)
                == "done"
            ):
                screen.advance()
            return

        def skip(reason: str | None) -> None:
            draft = {"kind": "step.skipped", "step": step.step.id, "reason": reason}
            if (
                reason
                and screen.record(
                    lambda e: recorder.skip(screen.state.run_id, step.step.id, reason, event_id=e), draft
                )
                == "done"
            ):
                screen.advance()

        screen.app.push_screen(Prompt(screen.services.t("skip-reason")), skip)

    def note(self) -> None:
        """A note on the selected step, drafted as it is typed (a dropped link keeps it)."""
        screen = self.screen
        step_id = screen.selected
        drafts = screen.services.drafts
        typing_key = screen.typing_key(step_id)

        def typed(text: str) -> None:
            if text.strip():
                drafts.save(
                    typing_key, {"kind": "typing", "run": screen.state.run_id, "step": step_id, "text": text}
                )

        def add(text: str | None) -> None:
            if not text:
                return  # cancelled: the draft stays until the note is in the journal
            outcome = screen.record(
                lambda e: screen.services.recorder.note(screen.state.run_id, text, step_id, event_id=e),
                {"kind": "note", "step": step_id, "text": text},
            )
            if outcome != "refused":
                drafts.discard(typing_key)

        prompt = Prompt(
            screen.services.t("note-prompt"),
            value=screen.typing_draft(step_id),
            on_change=typed,
            multiline=True,
        )
        screen.app.push_screen(prompt, add)

    def history(self) -> None:
        """The step's earlier values: sparklines of the last 30 and 90 and a table (plain text)."""
        from soptui.search import HISTORY_LIMITS, history_text, step_history

        screen = self.screen
        step, state = screen.step, screen.state
        if step is None or step.step.input is None:
            screen.notify(_("this step records no value, so it has no history"), markup=False)
            return
        try:
            history = step_history(
                screen.services.ledger.journal, state.playbook.id, step.step.id, max(HISTORY_LIMITS)
            )
        except JournalError as error:
            screen.notify(str(error), severity="error", markup=False)
            return
        title = f"{state.playbook.title} · {step.step.input.label or step.step.title}"
        text = (
            history_text(history, screen.services.zone, step.per_group)
            if history
            else _("no values recorded yet")
        )
        screen.app.push_screen(ShowText(title, text))

    def finish(self) -> None:
        """Finish the run now (asking first while steps are pending); its summary follows."""
        screen = self.screen
        pending = [s for s in screen.state.steps.values() if s.status == "pending"]

        def finish(confirmed: bool | None) -> None:
            if (
                confirmed
                and screen.record(lambda _e: screen.services.recorder.finish(screen.state.run_id)) == "done"
            ):
                screen.post_message(RunClosed(screen.state))

        if pending:
            s = screen.services
            screen.app.push_screen(
                Confirm(s.t("confirm-finish", n=len(pending)), s.t("yes"), s.t("no")), finish
            )
        else:
            finish(True)

    def resolve(self, confirmed: bool = False) -> None:
        """Resolve the incident with a summary (asking first while steps are pending)."""
        screen = self.screen
        s = screen.services
        pending = [st for st in screen.state.steps.values() if st.status == "pending"]
        if pending and not confirmed:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.resolve(confirmed=True)

            screen.app.push_screen(
                Confirm(s.t("confirm-resolve", n=len(pending)), s.t("yes"), s.t("no")), answered
            )
            return

        def resolve(summary: str | None) -> None:
            resolve_ = s.recorder.resolve
            if summary and screen.record(lambda _e: resolve_(screen.state.run_id, summary)) == "done":
                screen.post_message(RunClosed(screen.state))

        screen.app.push_screen(Prompt(s.t("summary-prompt")), resolve)

    def amend(self) -> None:
        """Correct the current step's completion: why (required), then the value or retract it."""
        screen = self.screen
        step = screen.step
        if step is None or step.status != "done" or step.per_group:
            screen.notify(
                _("only a done step can be corrected (per-group: soptui amend --group)"), markup=False
            )
            return
        coordinator, step_id = Coordinator(screen.services.recorder), step.step.id

        def with_value(reason: str, value: str | None) -> None:
            if value is None:
                return
            retract = value.strip() == "-" or step.step.input is None
            screen.record(
                lambda _e: coordinator.amend(
                    screen.state.run_id, step_id, reason, None if retract else value, retract=retract
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
            screen.app.push_screen(Prompt(title), lambda value: with_value(reason, value))

        screen.app.push_screen(Prompt(_("Why is the record wrong? (kept with the correction)")), why)

    def groups(self, event: GroupPanel.Act) -> None:
        """Tick, skip or tick-all groups of the selected per-group step (asking what it needs)."""
        screen = self.screen
        step = screen.step
        if step is None:
            return
        s, step_id, recorder = screen.services, step.step.id, screen.services.recorder
        if event.kind == "claim":
            coordinator, group = Coordinator(recorder), event.groups[0]
            claim = step.group_claims.get(group)
            change = coordinator.release if claim and claim.login == coordinator.login else coordinator.claim
            screen.record(lambda _e: change(screen.state.run_id, step_id, [group]))
            self._after_group()
            return

        def tick(value: str | None) -> None:
            if event.kind == "all":
                screen.record(
                    lambda _e: recorder.complete_groups(screen.state.run_id, step_id, event.groups, value)
                )
            else:
                group = event.groups[0]
                draft = {"kind": "step.done", "step": step_id, "value": value, "group": group}
                done = lambda e: recorder.complete(  # noqa: E731
                    screen.state.run_id, step_id, value, event_id=e, group=group
                )
                if screen.record(done, draft) != "refused":
                    screen.detail.groups.advance()
            self._after_group()

        def skip(reason: str | None) -> None:
            if not reason:
                return
            group = event.groups[0]
            draft = {"kind": "step.skipped", "step": step_id, "reason": reason, "group": group}
            skipped = lambda e: recorder.skip(  # noqa: E731
                screen.state.run_id, step_id, reason, event_id=e, group=group
            )
            screen.record(skipped, draft)
            self._after_group()

        def with_value() -> None:
            spec = step.step.input
            if spec is None or not spec.required:
                tick(None)
                return
            label = spec.label or step.step.title
            names = ", ".join(self._group_name(g) for g in event.groups[:3])
            ask = Prompt(s.t("group-value", label=label, groups=names))
            screen.app.push_screen(ask, lambda value: tick(value) if value else None)

        if event.kind == "skip":
            screen.app.push_screen(Prompt(s.t("group-skip", group=self._group_name(event.groups[0]))), skip)
        elif event.kind == "all":
            question = s.t("confirm-all-groups", n=len(event.groups), step=step.step.title)
            screen.app.push_screen(
                Confirm(question, s.t("yes"), s.t("no")), lambda yes: with_value() if yes else None
            )
        else:
            with_value()

    def _group_name(self, group_id: str) -> str:
        group = self.screen.services.library.roster.group(group_id)
        return group.name if group else group_id

    def _after_group(self) -> None:
        """A group recorded (drawn with the state): once the step is resolved, on to the next."""
        step = self.screen.step
        if step is not None and step.status != "pending":
            self.screen.advance()

    def copy(self) -> None:
        """Copy one of the step's snippets (picked, if it has several), its blanks filled."""
        screen = self.screen
        step = screen.step
        if step is None or not step.step.snippets:
            screen.notify(screen.services.t("no-snippet"), markup=False)
            return
        snippets = step.step.snippets
        if len(snippets) == 1:
            self._fill_and_copy(snippets[0].text)
            return

        def picked(key: str | None) -> None:
            if key is not None:
                self._fill_and_copy(snippets[int(key)].text)

        screen.app.push_screen(
            Pick(screen.services.t("copy"), [(str(i), sn.label) for i, sn in enumerate(snippets)]),
            picked,
        )

    def _fill_and_copy(self, text: str) -> None:
        """Copy a snippet: the run's recorded inputs fill their placeholders; the others are
        asked for in one form (pre-filled with what was typed earlier in this run)."""
        screen = self.screen
        services = screen.services
        # The roster fills {lead}, {admin}, {agent} …; the run's recorded inputs win over it.
        known = services.library.roster.placeholders()
        known |= {k: show_value(v) for k, v in screen.state.values().items()}
        if not [name for name in placeholders(text) if name not in known]:
            self._copy(fill(text, known))
            return
        remembered = services.snippet_values.setdefault(screen.state.run_id, {})

        def answered(values: dict[str, str] | None) -> None:
            if values is not None:
                remembered.update(values)
                self._copy(fill(text, known | values))

        screen.app.push_screen(SnippetForm(services.t("copy"), text, known, remembered), answered)

    def _copy(self, filled: str) -> None:
        app = self.screen.app
        app.copy_to_clipboard(visible(filled))
        app.push_screen(ShowText(self.screen.services.t("copied"), filled))
