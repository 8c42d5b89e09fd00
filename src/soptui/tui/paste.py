"""A bracketed paste is text, whatever it contains.

Textual's terminal parser reads an ESC inside a bracketed paste as the start of an escape
sequence: the paste ends early and the rest arrives as key presses, so bindings fire (a
pasted "\\x1b[31m…" could skip a step). :class:`PasteSafeParser` takes everything between
the paste's start and end markers as one ``Paste`` event before the key parser sees it.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual._xterm_parser import XTermParser
from textual.message import Message

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"


def _held_back(data: str, marker: str) -> int:
    """How many trailing characters of ``data`` could begin ``marker`` (wait for the rest)."""
    for size in range(min(len(marker) - 1, len(data)), 1, -1):
        if marker.startswith(data[-size:]):
            return size
    return 0


class PasteSafeParser(XTermParser):
    """The xterm parser, with bracketed pastes cut out of the stream as they arrive."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._paste: list[str] | None = None  # the paste being received, if any
        self._tail = ""  # a possible marker split across two reads

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input
            yield from super().feed(data)
            return
        data, self._tail = self._tail + data, ""
        while data:
            if self._paste is not None:
                end = data.find(PASTE_END)
                if end == -1:
                    keep = _held_back(data, PASTE_END)
                    self._paste.append(data[: len(data) - keep])
                    self._tail = data[len(data) - keep :]
                    return
                self._paste.append(data[:end])
                text = "".join(self._paste).replace("\x00", "")
                self._paste = None
                yield events.Paste(text)
                data = data[end + len(PASTE_END) :]
                continue
            start = data.find(PASTE_START)
            if start == -1:
                keep = _held_back(data, PASTE_START)
                self._tail = data[len(data) - keep :]
                if len(data) > keep:
                    yield from super().feed(data[: len(data) - keep])
                return
            if start:
                yield from super().feed(data[:start])
            self._paste = []
            data = data[start + len(PASTE_START) :]


def install() -> None:
    """Make the Unix drivers build :class:`PasteSafeParser` (they name the class at read time)."""
    from textual.drivers import linux_driver, linux_inline_driver

    linux_driver.XTermParser = PasteSafeParser  # type: ignore[attr-defined]
    linux_inline_driver.XTermParser = PasteSafeParser  # type: ignore[attr-defined]
