"""Text fields that keep what was typed or pasted, whole and once.

Textual's ``Input`` keeps only the first line of a paste and selects its whole value on
focus (so a recovered draft is erased by the first key). Every text field of the app is one
of these two instead: a single-line :class:`TextField` and a multi-line :class:`NoteBox`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import Input, TextArea

from soptui.text import strip_unsafe
from soptui.tui.commands import Command, bindings_of
from soptui.tui.words import N_, localise_bindings


def _one_line(text: str) -> str:
    """A paste for a one-line field: its lines joined by spaces, controls removed."""
    return " ".join(part.strip() for part in strip_unsafe(text).splitlines() if part.strip())


class TextField(Input):
    """A one-line field: a multi-line paste is kept whole (lines joined), never cut."""

    def __init__(self, value: str = "", **kwargs: object) -> None:
        super().__init__(value=value, select_on_focus=False, **kwargs)  # type: ignore[arg-type]

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        if event.text:
            self.insert_text_at_cursor(_one_line(event.text))


class NoteBox(TextArea):
    """A multi-line note: enter submits it, ctrl+j (or alt+enter) starts a new line.

    A paste is inserted as text whatever it contains (line breaks kept, controls removed),
    so nothing in it can act as a key press.
    """

    USER_COMMANDS = (
        Command("note.newline", "ctrl+j,alt+enter", "newline", N_("new line"), show=False, palette=False),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    @dataclass
    class Submitted(Message):
        """The operator pressed enter; ``text`` is the note as typed (maybe empty)."""

        box: NoteBox
        text: str

        @property
        def control(self) -> NoteBox:
            return self.box

    def __init__(self, text: str = "", *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(
            text,
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            compact=True,
            placeholder=placeholder,
        )
        localise_bindings(self)

    def on_mount(self) -> None:
        self.move_cursor(self.document.end)  # a recovered draft continues where it stopped

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        if event.text and not self.read_only:
            self.insert(strip_unsafe(event.text.replace("\r\n", "\n").replace("\r", "\n")))

    def action_newline(self) -> None:
        self.insert("\n")
