"""Putting user text into Markdown so that it reads as text and cannot break the document."""

from __future__ import annotations

import re

from soptui.text import visible

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def escape_md(text: str) -> str:
    """Inline-safe Markdown: control characters shown, syntax characters escaped, one line."""
    shown = visible(text, newlines=False)
    return _SPECIAL.sub(r"\\\1", shown)


def escape_block(text: str) -> str:
    """Like :func:`escape_md` but keeps line breaks (as Markdown hard breaks)."""
    lines = [_SPECIAL.sub(r"\\\1", visible(line, newlines=False)) for line in text.split("\n")]
    return "  \n".join(lines)
