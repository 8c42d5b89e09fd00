"""Putting user text into Markdown so that it reads as text and cannot break the document.

Reports are pasted into chat tools (WeCom, DingTalk, Feishu) that show a backslash before
ordinary punctuation literally, so only what would change the rendering is escaped:

- anywhere: a backtick (code), ``*``/``_``/``~`` that could open or close emphasis or
  strikethrough, ``[``/``]`` that could make a link, ``<`` that could start HTML or an
  autolink, ``&`` that could start an entity, and a backslash before punctuation;
- in a table cell (``table=True``, the default): ``|``;
- at the start of a line (:func:`escape_block`): ``#``, ``>``, ``-``, ``+``, ``*``, ``=``,
  and ``1.``/``1)`` (headings, quotes, lists, rules).

A heading or list can only start a line, so ``#`` or ``+1000`` inside a line is left alone.
"""

from __future__ import annotations

import re

from soptui.text import visible

_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_LINE_START = re.compile(
    r"#{1,6}(\s|$)"  # a heading
    r"|>"  # a quote
    r"|[-+*](\s|$)"  # a list item
    r"|([-*_]\s*){3,}$|=+\s*$"  # a rule, or a heading underline
)
_NUMBERED = re.compile(r"\d{1,9}(?=[.)](\s|$))")


def _flanked(text: str, index: int) -> bool:
    """Whether the character at ``index`` touches non-space text on either side (so it can
    open or close emphasis)."""
    before = text[index - 1] if index > 0 else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    return not (before.isspace() and after.isspace())


def _intraword(text: str, index: int) -> bool:
    before = text[index - 1] if index > 0 else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    return before.isalnum() and after.isalnum()


def _inline(text: str, table: bool) -> str:
    out: list[str] = []
    opens = text.count("[")
    closes = text.count("]")
    for index, char in enumerate(text):
        escape = False
        if char == "`":
            escape = True
        elif char == "\\":
            escape = index + 1 < len(text) and text[index + 1] in _PUNCTUATION
        elif char == "*":
            escape = _flanked(text, index)
        elif char == "_":
            escape = _flanked(text, index) and not _intraword(text, index)
        elif char == "~":
            escape = "~" in text[max(index - 1, 0) : index] + text[index + 1 : index + 2]
        elif char == "[":
            escape = closes > 0
        elif char == "]":
            escape = opens > 0
        elif char == "<":
            following = text[index + 1 : index + 2]
            escape = following.isalpha() or following in ("/", "!", "?")
        elif char == "&":
            escape = _ENTITY.match(text, index) is not None
        elif char == "|":
            escape = table
        out.append("\\" + char if escape else char)
    return "".join(out)


def escape_md(text: str, *, table: bool = True) -> str:
    """Inline-safe Markdown for text inside a line (a table cell, or after a list marker):
    control characters shown, one line, only rendering syntax escaped. ``table=False`` for
    text outside a table, where ``|`` is plain."""
    return _inline(visible(text, newlines=False), table)


def escape_line_start(line: str, *, table: bool = True) -> str:
    """:func:`escape_md` for text that begins a line: it cannot become a heading, quote, list
    or rule either."""
    escaped = _inline(visible(line, newlines=False), table).lstrip()
    if _LINE_START.match(escaped):
        return "\\" + escaped
    number = _NUMBERED.match(escaped)
    if number:
        return escaped[: number.end()] + "\\" + escaped[number.end() :]
    return escaped


def escape_block(text: str) -> str:
    """Like :func:`escape_line_start` but keeps line breaks (as Markdown hard breaks)."""
    return "  \n".join(escape_line_start(line) for line in text.split("\n"))
