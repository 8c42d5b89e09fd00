"""The ``when`` condition language: a tiny parser of our own, never ``eval``.

Grammar (whitespace between tokens is free)::

    condition := ["not"] STEP_ID
               | STEP_ID OP LITERAL
    OP        := "==" | "!=" | "<" | "<=" | ">" | ">="
    LITERAL   := NUMBER | '"' text '"' | "'" text "'"

A bare ``STEP_ID`` is true when that step's yes-no input was answered yes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from soptui.i18n import _

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "yes", "no"]
Value = bool | int | float | str

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>==|!=|<=|>=|<|>)
      | (?P<number>-?\d+(?:\.\d+)?)
      | "(?P<dq>[^"\\]*)"
      | '(?P<sq>[^'\\]*)'
      | (?P<word>[a-z0-9]+(?:-[a-z0-9]+)*)
    )""",
    re.VERBOSE,
)


class ConditionError(ValueError):
    """A ``when`` text that does not parse."""


@dataclass(frozen=True)
class Condition:
    """A parsed ``when``: compare the input of ``step`` with ``literal`` using ``op``."""

    step: str
    op: Operator
    literal: Value | None = None

    def evaluate(self, value: Value | None) -> bool:
        """Apply the condition to the referenced step's recorded value.

        A step without a value (skipped, or answered nothing) makes every condition false,
        so a conditional step never applies on missing information.
        """
        if value is None:
            return False
        if self.op == "yes":
            return value is True
        if self.op == "no":
            return value is False
        literal = self.literal
        if isinstance(literal, str) or isinstance(value, str):
            if self.op == "==":
                return str(value) == str(literal)
            if self.op == "!=":
                return str(value) != str(literal)
            return False
        assert literal is not None
        left, right = float(value), float(literal)
        return {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[self.op]

    def __str__(self) -> str:
        if self.op == "yes":
            return self.step
        if self.op == "no":
            return f"not {self.step}"
        literal = f'"{self.literal}"' if isinstance(self.literal, str) else str(self.literal)
        return f"{self.step} {self.op} {literal}"


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ConditionError(
                _("cannot read {text!r} in condition").format(text=text[position:].strip()[:20])
            )
        kind = match.lastgroup or ""
        tokens.append(("string" if kind in ("dq", "sq") else kind, match.group(kind)))
        position = match.end()
    return tokens


def parse_condition(text: str) -> Condition:
    """Parse a ``when`` text, raising :class:`ConditionError` with a reason."""
    tokens = _tokens(text)
    kinds = [kind for kind, _ in tokens]
    if kinds == ["word"] and tokens[0][1] != "not":
        return Condition(tokens[0][1], "yes")
    if kinds == ["word", "word"] and tokens[0][1] == "not":
        return Condition(tokens[1][1], "no")
    if len(tokens) == 3 and kinds[0] == "word" and kinds[1] == "op":
        kind, raw = tokens[2]
        literal: Value
        if kind == "number":
            literal = float(raw) if "." in raw else int(raw)
        elif kind == "string":
            literal = raw
        else:
            raise ConditionError(_("compare with a number or a quoted string"))
        return Condition(tokens[0][1], tokens[1][1], literal)  # type: ignore[arg-type]
    raise ConditionError(_('expected "STEP", "not STEP" or "STEP OP VALUE" (OP one of == != < <= > >=)'))
