"""Turning untrusted text into Textual content that is never parsed as markup."""

from __future__ import annotations

from textual.content import Content
from textual.markup import escape

from soptui.text import visible


def plain(text: str, *, newlines: bool = True) -> Content:
    """Content that shows ``text`` literally, with control characters made visible."""
    return Content(visible(text, newlines=newlines))


def styled(text: str, style: str) -> Content:
    """Literal text in one style (the style is ours, the text may be anyone's)."""
    return Content.styled(visible(text, newlines=False), style)


def as_markup(text: str) -> str:
    """``text`` for an API that parses markup (the command palette): shown literally, one line."""
    return escape(visible(text, newlines=False))


CURSOR = "›"
"""Marks the highlighted row in a list, so the selection reads without colour too."""


def with_cursor(body: Content, highlighted: bool) -> Content:
    """A list row: a cursor column, then the row's own text."""
    return Content(f"{CURSOR} " if highlighted else "  ") + body
