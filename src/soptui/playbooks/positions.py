"""Where each key of a TOML document sits, so validation errors can name line and column.

``tomllib`` gives values without positions. This scanner walks a document that ``tomllib``
has already accepted and records, for every key path it meets (``("steps", 2, "input",
"type")``), the 1-based line and column of the key. It is forgiving by design: on anything
it does not understand it stops and returns what it has, and callers fall back to the
nearest enclosing key, so a scanner gap can cost precision but never a crash.
"""

from __future__ import annotations

import bisect
import contextlib
import re

Path = tuple[str | int, ...]
Position = tuple[int, int]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")
_MAX_DEPTH = 64


class _Stop(Exception):
    """The scanner met something it does not model; keep what was found."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self.positions: dict[Path, Position] = {}
        self.aot_counts: dict[Path, int] = {}

    # -- helpers -------------------------------------------------------------
    def where(self, index: int) -> Position:
        line = bisect.bisect_right(self.line_starts, index) - 1
        return line + 1, index - self.line_starts[line] + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def record(self, path: Path, index: int) -> None:
        self.positions.setdefault(path, self.where(index))

    def skip_space(self, newlines: bool = False) -> None:
        chars = " \t\r\n" if newlines else " \t"
        while self.i < len(self.text):
            char = self.text[self.i]
            if char in chars:
                self.i += 1
            elif char == "#" and newlines:
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end < 0 else end
            else:
                return

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.i):
            raise _Stop
        self.i += len(token)

    # -- keys ----------------------------------------------------------------
    def key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_space()
            char = self.peek()
            if char in ('"', "'"):
                start = self.i
                self.string()
                parts.append(_quoted_key(self.text[start : self.i]))
            else:
                match = _BARE_KEY.match(self.text, self.i)
                if not match:
                    raise _Stop
                parts.append(match.group(0))
                self.i = match.end()
            self.skip_space()
            if self.peek() != ".":
                return parts
            self.i += 1

    def resolve(self, parts: list[str]) -> Path:
        """A header's dotted key -> concrete path, entering the newest array-of-tables item."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self.aot_counts:
                path = (*path, self.aot_counts[path] - 1)
        return path

    # -- values --------------------------------------------------------------
    def string(self) -> None:
        for quote in ('"""', "'''"):
            if self.text.startswith(quote, self.i):
                end = self.i + 3
                while True:
                    found = self.text.find(quote, end)
                    if found < 0:
                        raise _Stop
                    if quote == '"""' and _escaped(self.text, found):
                        end = found + 1
                        continue
                    self.i = found + 3
                    while self.peek() == quote[0]:  # up to two quotes may end the content
                        self.i += 1
                    return
        quote = self.peek()
        self.i += 1
        while self.i < len(self.text):
            char = self.text[self.i]
            if char == "\\" and quote == '"':
                self.i += 2
                continue
            self.i += 1
            if char == quote:
                return
            if char == "\n":
                break
        raise _Stop

    def value(self, path: Path, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise _Stop
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "{":
            self.i += 1
            self.skip_space()
            while self.peek() != "}":
                start = self.i
                parts = self.key()
                self.record_key(path, parts, start)
                self.expect("=")
                self.skip_space()
                self.value((*path, *parts), depth + 1)
                self.skip_space()
                if self.peek() == ",":
                    self.i += 1
                    self.skip_space()
            self.i += 1
        elif char == "[":
            self.i += 1
            index = 0
            self.skip_space(newlines=True)
            while self.peek() != "]":
                self.record((*path, index), self.i)
                self.value((*path, index), depth + 1)
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.i += 1
                    index += 1
                    self.skip_space(newlines=True)
                elif self.peek() != "]":
                    raise _Stop
            self.i += 1
        else:
            match = _SCALAR_END.search(self.text, self.i)
            end = len(self.text) if match is None else match.start()
            if end == self.i:
                raise _Stop
            self.i = end

    def record_key(self, table: Path, parts: list[str], start: int) -> None:
        for n in range(1, len(parts) + 1):
            self.record((*table, *parts[:n]), start)

    # -- document --------------------------------------------------------------
    def document(self) -> None:
        table: Path = ()
        while True:
            self.skip_space(newlines=True)
            if self.i >= len(self.text):
                return
            start = self.i
            if self.text.startswith("[[", self.i):
                self.i += 2
                parts = self.key()
                self.expect("]]")
                base = (*self.resolve(parts[:-1]), parts[-1])
                count = self.aot_counts.get(base, 0)
                self.aot_counts[base] = count + 1
                table = (*base, count)
                self.record(base, start)
                self.record(table, start)
            elif self.peek() == "[":
                self.i += 1
                parts = self.key()
                self.expect("]")
                table = self.resolve(parts)
                self.record(table, start)
            else:
                parts = self.key()
                self.record_key(table, parts, start)
                self.expect("=")
                self.skip_space()
                self.value((*table, *parts), 0)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _quoted_key(quoted: str) -> str:
    """A quoted TOML key as its text (TOML's own rules for escapes)."""
    import tomllib

    key: str = tomllib.loads("k = " + quoted)["k"]
    return key


def key_positions(text: str) -> dict[Path, Position]:
    """Map each key path of an already-parsed TOML document to its (line, column)."""
    import tomllib  # here, not at the top: a warm start imports this module but scans nothing

    scanner = _Scanner(text)
    with contextlib.suppress(_Stop, tomllib.TOMLDecodeError, IndexError, RecursionError):
        scanner.document()
    return scanner.positions


def locate(positions: dict[Path, Position], path: Path) -> Position:
    """The position of ``path``, else of its nearest recorded ancestor, else 1:1."""
    for end in range(len(path), 0, -1):
        found = positions.get(path[:end])
        if found:
            return found
    return 1, 1
