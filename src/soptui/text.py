"""Showing untrusted text safely: notes, playbook strings and names are data, never commands.

Control characters, escape sequences and bidi overrides would let one operator's note
repaint another operator's terminal; they are shown as visible placeholders instead.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def _placeholder(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control picture": ␛ for ESC, ␀ for NUL
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def visible(text: str, *, newlines: bool = True) -> str:
    """``text`` with every control or bidi character replaced by a visible placeholder."""
    shown = _UNSAFE.sub(_placeholder, text)
    if not newlines:
        shown = shown.replace("\n", "\u2424").replace("\t", " ")
    return shown


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds characters :func:`visible` would replace."""
    return _UNSAFE.search(text) is not None


def strip_unsafe(text: str) -> str:
    """``text`` without control or bidi characters (newlines and tabs kept)."""
    return _UNSAFE.sub("", text)


@lru_cache(maxsize=4096)
def _char_cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """Terminal cells ``text`` takes (CJK characters two), without importing a terminal library."""
    return sum(_char_cells(char) for char in text)


def pad(text: str, width: int) -> str:
    """Pad or cut ``text`` to ``width`` terminal cells (CJK characters take two)."""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…" + " " * (width - 1 - cell_len(out))


def table(rows: list[list[str]], gap: int = 2) -> str:
    """A plain-text table with columns aligned by terminal cells."""
    if not rows:
        return ""
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [pad(cell, w) for cell, w in zip(row, widths, strict=True)]
        lines.append((" " * gap).join(cells).rstrip())
    return "\n".join(lines)


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029]")


def safe_json(data: object, **options: object) -> str:
    """JSON text (UTF-8, readable CJK) in which no control or bidi character appears raw.

    ``json.dumps`` escapes C0 controls but leaves DEL, C1 controls and bidi overrides as
    they are; here they become ``\\uXXXX`` escapes, so the data round-trips exactly while
    the bytes are safe to print or paste.
    """
    import json

    options.setdefault("allow_nan", False)  # NaN and Infinity are not JSON: refuse, never write them
    text = json.dumps(data, ensure_ascii=False, **options)  # type: ignore[arg-type]
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
