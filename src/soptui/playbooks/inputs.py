"""Turning what an operator typed into a step's input value, with a clear reason on refusal."""

from __future__ import annotations

import math

from soptui.i18n import _
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
            raise InputError(_("a value is required"))
        return None
    if spec.type == "yes-no":
        lowered = text.lower()
        if lowered in YES:
            return True
        if lowered in NO:
            return False
        raise InputError(_("answer yes or no (y/n, true/false, 是/否)"))
    if spec.type == "choice":
        for choice in spec.choices or []:
            if text == choice or text.casefold() == choice.casefold():
                return choice
        raise InputError(_("choose one of: {choices}").format(choices=", ".join(spec.choices or [])))
    if spec.type in ("text", "actions"):
        # Action items are read into what/owner/due by soptui.followups, which needs the
        # team's roster and today's date; here they are text like any other.
        if len(text) > MAX_TEXT:
            raise InputError(_("text is limited to {limit} characters").format(limit=MAX_TEXT))
        return text
    return _number(spec, text)


def _number(spec: InputSpec, text: str) -> int | float:
    cleaned = text.replace(",", "").replace("_", "").removesuffix("%").strip()
    value: int | float
    whole = spec.type == "integer"
    low, high = f"{-MAX_NUMBER:.0e}", f"{MAX_NUMBER:.0e}"
    if len(cleaned) > MAX_NUMBER_CHARS:
        message = (
            _("{text!r} is not a whole number between {low} and {high}")
            if whole
            else _("{text!r} is not a number between {low} and {high}")
        )
        raise InputError(message.format(text=_short(text), low=low, high=high))
    try:
        value = int(cleaned) if whole else float(cleaned)
    except ValueError:
        message = _("{text!r} is not a whole number") if whole else _("{text!r} is not a number")
        raise InputError(message.format(text=text)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(_("enter a finite number"))
    if abs(value) > MAX_NUMBER:
        raise InputError(_("must be between {low} and {high}").format(low=low, high=high))
    if spec.min is not None and value < spec.min:
        raise InputError(_("must be at least {min}").format(min=_plain(spec.min)))
    if spec.max is not None and value > spec.max:
        raise InputError(_("must be at most {max}").format(max=_plain(spec.max)))
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
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return _plain(value)
    return str(value)
