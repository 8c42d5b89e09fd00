"""Snippet placeholders: ``{name}`` in a ready-made text, filled from inputs or asked for."""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"\{([a-z0-9_-]+)\}")
_STRAY_BRACE = re.compile(r"[{}]")


def placeholders(text: str) -> list[str]:
    """The placeholder names in ``text``, first occurrence order, without repeats."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def stray_brace(text: str) -> int | None:
    """Offset of a brace that is not part of a ``{placeholder}``, if any."""
    stripped = PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), text)
    match = _STRAY_BRACE.search(stripped)
    return match.start() if match else None


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace each known placeholder; unknown ones stay as they are for the operator to see.

    A TOML multi-line string ends with a newline after its last line; that one newline is
    dropped, so pasting the text does not also send (or add) an empty line.
    """
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
