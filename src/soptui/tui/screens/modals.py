"""Small dialogs: ask for text, confirm, pick one, show text. Keyboard first, mouse welcome.

A dialog's keys are on it (or in its footer): its commands stay out of the command palette.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from soptui.i18n import _
from soptui.playbooks.snippets import fill, placeholders
from soptui.text import has_unsafe, strip_unsafe
from soptui.tui.commands import Command, bindings_of
from soptui.tui.plain import plain, styled
from soptui.tui.widgets import NoteBox, TextField
from soptui.tui.words import N_, localise_bindings

CANCEL_COMMANDS = (
    Command(
        "modal.cancel",
        "escape,ctrl+g",
        "dismiss_none",
        N_("cancel"),
        N_("Close without saving"),
        palette=False,
    ),
)
CANCEL = bindings_of(CANCEL_COMMANDS)


class Prompt(ModalScreen[str | None]):
    """Ask for text (one line, or a multi-line note); enter submits, escape cancels."""

    USER_COMMANDS = CANCEL_COMMANDS
    BINDINGS = CANCEL

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        required: bool = True,
        max_bytes: int = 64 * 1024,
        notice: str = N_("Control characters were removed from the pasted text"),
        on_change: Callable[[str], None] | None = None,
        multiline: bool = False,
    ) -> None:
        super().__init__()
        localise_bindings(self)
        self.multiline = multiline
        self.title_text = title
        self.value = value
        self.required = required
        self.max_bytes = max_bytes
        self.notice = _(notice)
        self.on_change = on_change

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            if self.multiline:
                yield NoteBox(self.value, id="prompt-input")
            else:
                yield TextField(self.value, id="prompt-input")
            yield Static("", id="prompt-error", classes="error")

    @on(Input.Changed, "#prompt-input")
    def _clean_paste(self, event: Input.Changed) -> None:
        # What is stored is what was shown: strip controls and bidi overrides as they arrive.
        if has_unsafe(event.value):
            event.input.value = strip_unsafe(event.value)
            self.notify(self.notice, severity="warning", markup=False)
            return
        if self.on_change is not None:
            self.on_change(event.value)

    @on(TextArea.Changed, "#prompt-input")
    def _note_changed(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        if has_unsafe(text.replace("\t", " ")):
            event.text_area.text = strip_unsafe(text)
            self.notify(self.notice, severity="warning", markup=False)
            return
        if self.on_change is not None:
            self.on_change(text)

    @on(NoteBox.Submitted, "#prompt-input")
    def _submit_note(self, event: NoteBox.Submitted) -> None:
        self._finish(event.box.text)

    @on(Input.Submitted, "#prompt-input")
    def _submit(self, event: Input.Submitted) -> None:
        self._finish(event.value)

    def _finish(self, value: str) -> None:
        text = value.strip()
        error = self.query_one("#prompt-error", Static)
        if self.required and not text:
            error.update("⚠ " + _("required"))
            return
        if len(text.encode()) > self.max_bytes:
            error.update("⚠ " + _("longer than {size} KiB").format(size=self.max_bytes // 1024))
            return
        self.dismiss(text)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question: y or enter for yes, n or escape for no."""

    USER_COMMANDS = (
        Command("confirm.yes", "y", "answer(True)", N_("yes"), palette=False),
        Command("confirm.no", "n,escape", "answer(False)", N_("no"), palette=False),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, question: str, yes: str = N_("Yes"), no: str = N_("No")) -> None:
        super().__init__()
        localise_bindings(self)
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.question), classes="dialog-title")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class Pick(ModalScreen[str | None]):
    """Pick one of several options (id, label); ``details`` adds a dimmed line of words beside
    an option (a severity's meaning)."""

    USER_COMMANDS = CANCEL_COMMANDS
    BINDINGS = CANCEL

    def __init__(
        self, title: str, options: list[tuple[str, str]], details: Mapping[str, str | None] | None = None
    ) -> None:
        super().__init__()
        localise_bindings(self)
        self.title_text = title
        self.options = options
        self.details = dict(details or {})

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield OptionList(
                *[Option(self._prompt(key, label), id=key) for key, label in self.options],
                id="pick-list",
            )

    def _prompt(self, key: str, label: str) -> Content:
        detail = self.details.get(key)
        shown = plain(label, newlines=False)
        return shown + Content("  ") + styled(detail, "dim") if detail else shown

    @on(OptionList.OptionSelected, "#pick-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ShowText(ModalScreen[bool]):
    """Show a text (a copied snippet, a report); ``s`` saves when the caller allows it.

    Its keys are in a footer at the bottom of the terminal, so they stay in view however long
    the text is (a hint under the text was cut off at 80x24).
    """

    USER_COMMANDS = (
        Command("modal.cancel", "escape,ctrl+g", "dismiss_none", N_("cancel"), show=False, palette=False),
        Command("show.close", "enter,q", "dismiss_none", N_("close"), palette=False),
        Command("show.save", "s", "save", N_("save Markdown"), palette=False),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, title: str, text: str, can_save: bool = False) -> None:
        super().__init__()
        localise_bindings(self)
        self.title_text, self.text, self.can_save = title, text, can_save

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(plain(self.title_text), classes="dialog-title")
            with VerticalScroll(classes="show-text"):
                yield Static(plain(self.text), id="shown-text")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # No save key (in the footer either) where there is nothing to save.
        return self.can_save or action != "save"

    def action_dismiss_none(self) -> None:
        self.dismiss(False)

    def action_save(self) -> None:
        if self.can_save:
            self.dismiss(True)


class SnippetForm(ModalScreen[dict[str, str] | None]):
    """Fill in a snippet's placeholders in one form, with a live preview of the text to copy.

    One field per placeholder that no input of the run answers; ``remembered`` pre-fills them
    (what was typed for an earlier copy in the same run). Enter moves to the next field and, on
    the last one, copies; esc cancels. The preview is plain text: the snippet's own words.
    """

    USER_COMMANDS = CANCEL_COMMANDS
    BINDINGS = CANCEL

    def __init__(
        self, title: str, text: str, known: Mapping[str, str], remembered: Mapping[str, str]
    ) -> None:
        super().__init__()
        localise_bindings(self)
        self.title_text, self.text, self.known = title, text, dict(known)
        self.names = [name for name in placeholders(text) if name not in known]
        self.remembered = dict(remembered)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(plain(self.title_text), classes="dialog-title")
            with VerticalScroll(classes="snippet-fields"):
                for index, name in enumerate(self.names):
                    yield Label(plain(name, newlines=False), classes="field-label")
                    yield TextField(self.remembered.get(name, ""), id=f"snippet-field-{index}")
            yield Static("", id="snippet-error", classes="error")
            yield Label(_("Preview"), classes="field-label")
            with VerticalScroll(classes="snippet-preview"):
                yield Static(plain(self.preview()), id="snippet-preview")
            yield Label(_("enter next field, on the last one copy · esc cancel"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#snippet-field-0", TextField).focus()  # type where you look

    def values(self) -> dict[str, str]:
        """What is typed in each field now, by placeholder name."""
        return {
            name: self.query_one(f"#snippet-field-{index}", TextField).value.strip()
            for index, name in enumerate(self.names)
        }

    def preview(self) -> str:
        typed = self.values() if self.is_mounted else self.remembered
        return fill(self.text, self.known | {k: v for k, v in typed.items() if v})

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if has_unsafe(event.value):  # what is copied is what was shown: no controls or bidi tricks
            event.input.value = strip_unsafe(event.value)
            return
        self.query_one("#snippet-error", Static).update("")
        self.query_one("#snippet-preview", Static).update(plain(self.preview()))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = list(self.query(TextField))
        position = fields.index(event.input) if event.input in fields else len(fields) - 1
        if position + 1 < len(fields):
            fields[position + 1].focus()
            return
        values = self.values()
        empty = [index for index, name in enumerate(self.names) if not values[name]]
        if empty:
            name = self.names[empty[0]]
            self.query_one("#snippet-error", Static).update(
                plain("⚠ " + _("Fill in {name}").format(name=name), newlines=False)
            )
            self.query_one(f"#snippet-field-{empty[0]}", TextField).focus()
            return
        self.dismiss(values)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
