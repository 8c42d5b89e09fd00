"""Turning what an operator typed into a step's input value, with a clear reason on refusal."""

from __future__ import annotations

import math

from soptui.playbooks.fields import MAX_NUMBER
from soptui.playbooks.models import InputSpec

InputValue = bool | int | float | str

YES = frozenset({"yes", "y", "true", "是", "对", "有"})
NO = frozenset({"no", "n", "false", "否", "不", "没有", "无"})
MAX_TEXT = 4000
MAX_NUMBER_CHARS = 64
"""A number longer than this is refused before it is parsed."""


class InputError(ValueError):
    """The typed value does not fit the step's input."""


def parse_value(spec: InputSpec, raw: str | None) -> InputValue | None:
    """Validate ``raw`` against ``spec``; ``None`` or blank means "no value"."""
    text = (raw or "").strip()
    if not text:
        if spec.required:
            raise InputError("a value is required")
        return None
    if spec.type == "yes-no":
        lowered = text.lower()
        if lowered in YES:
            return True
        if lowered in NO:
            return False
        raise InputError("answer yes or no (y/n, true/false, 是/否)")
    if spec.type == "choice":
        for choice in spec.choices or []:
            if text == choice or text.casefold() == choice.casefold():
                return choice
        raise InputError("choose one of: " + ", ".join(spec.choices or []))
    if spec.type == "text":
        if len(text) > MAX_TEXT:
            raise InputError(f"text is limited to {MAX_TEXT} characters")
        return text
    return _number(spec, text)


def _number(spec: InputSpec, text: str) -> int | float:
    cleaned = text.replace(",", "").replace("_", "").removesuffix("%").strip()
    value: int | float
    kind = "a whole number" if spec.type == "integer" else "a number"
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise InputError(f"{_short(text)!r} is not {kind} between {-MAX_NUMBER:.0e} and {MAX_NUMBER:.0e}")
    try:
        value = int(cleaned) if spec.type == "integer" else float(cleaned)
    except ValueError:
        raise InputError(f"{text!r} is not {kind}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError("enter a finite number")
    if abs(value) > MAX_NUMBER:
        raise InputError(f"must be between {-MAX_NUMBER:.0e} and {MAX_NUMBER:.0e}")
    if spec.min is not None and value < spec.min:
        raise InputError(f"must be at least {_plain(spec.min)}")
    if spec.max is not None and value > spec.max:
        raise InputError(f"must be at most {_plain(spec.max)}")
    return value


def _short(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def show_value(value: InputValue | None) -> str:
    """A recorded value as an operator reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _plain(value)
    return str(value)
