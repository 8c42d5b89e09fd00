"""The values of the file formats, in plain Python: ids, durations, offsets, times of day.

Each parser checks the text an operator writes; :mod:`soptui.playbooks.spec` builds its
pydantic field types (with the JSON Schema that says the same thing, so editors that read
``#:schema`` complain about the same mistakes) from these functions. This module imports no
pydantic: the plain models use the same parsers to rebuild cached playbooks.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

from soptui.i18n import _

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
DURATION_PATTERN = r"^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}

MAX_DURATION_DAYS = 366
"""Estimates and escalations: at most a year (366 days)."""
MAX_INTERVAL_DAYS = 3660
"""Review intervals (``review_every``): at most ten years."""
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(9999, 12, 31)
MAX_NUMBER = 1e15
"""Numbers in playbooks, goals and recorded values stay within ±1e15 (exact in a double)."""


def parse_duration(value: Any, max_days: int = MAX_DURATION_DAYS) -> timedelta:
    """Turn ``"90s"``, ``"25m"``, ``"1h30m"`` or ``"90d"`` into a timedelta (at most ``max_days``)."""
    if isinstance(value, timedelta):
        if not timedelta(0) < value <= timedelta(days=max_days):
            raise ValueError(
                _("a duration must be longer than zero and at most {max_days} days").format(max_days=max_days)
            )
        return value
    if not isinstance(value, str):
        raise ValueError(_('expected a duration such as "90s", "25m", "1h30m" or "90d"'))
    return _duration_of(value, max_days)


@lru_cache(maxsize=1024)
def _duration_of(value: str, max_days: int) -> timedelta:
    """The text's duration, each text parsed once (a library of 200 playbooks repeats a few
    estimates thousands of times); a refusal is not cached, so its message is in the language
    of the moment."""
    text = value.strip()
    if not text or not re.fullmatch(DURATION_PATTERN, text):
        raise ValueError(
            _('{value!r} is not a duration; write e.g. "90s", "25m", "1h30m" or "90d"').format(value=value)
        )
    parts = _DURATION_PART.findall(text)
    if any(len(n) > 12 for n, _ in parts):  # no need to build a huge number to refuse it
        raise ValueError(_("a duration must be at most {max_days} days").format(max_days=max_days))
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in parts)
    if seconds == 0:
        raise ValueError(_("a duration must be longer than zero"))
    if seconds > max_days * 86400:
        raise ValueError(_("a duration must be at most {max_days} days").format(max_days=max_days))
    return timedelta(seconds=seconds)


OFFSET_PATTERN = r"^[+-]?(\d+d)?(\d+h)?(\d+m)?$"


def parse_offset(value: Any) -> timedelta:
    """A sequence step's offset from its instance's anchor: ``"-14d"``, ``"0d"``, ``"+3d"``,
    ``"-1h"``, ``"+1d2h"`` (days, hours, minutes; no sign means after). At most
    MAX_DURATION_DAYS either way."""
    if isinstance(value, timedelta):
        if abs(value) > timedelta(days=MAX_DURATION_DAYS):
            raise ValueError(
                _("an offset must be at most {value} days either way").format(value=MAX_DURATION_DAYS)
            )
        return value
    if not isinstance(value, str):
        raise ValueError(
            _('{value!r} is not an offset; write e.g. "-14d", "0d", "+3d" or "-1h"').format(value=value)
        )
    return _offset_of(value)


@lru_cache(maxsize=1024)
def _offset_of(value: str) -> timedelta:
    """The text's offset, each text parsed once (see :func:`_duration_of`)."""
    text = value.strip()
    if not text or text in ("+", "-") or not re.fullmatch(OFFSET_PATTERN, text):
        raise ValueError(
            _('{value!r} is not an offset; write e.g. "-14d", "0d", "+3d" or "-1h"').format(value=value)
        )
    parts = _DURATION_PART.findall(text)
    if any(len(n) > 12 for n, _ in parts):
        raise ValueError(
            _("an offset must be at most {value} days either way").format(value=MAX_DURATION_DAYS)
        )
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in parts)
    if seconds > MAX_DURATION_DAYS * 86400:
        raise ValueError(
            _("an offset must be at most {value} days either way").format(value=MAX_DURATION_DAYS)
        )
    return timedelta(seconds=-seconds if text.startswith("-") else seconds)


def format_offset(delta: timedelta) -> str:
    """The inverse of :func:`parse_offset`: ``"-14d"``, ``"+3d"``, ``"0d"``, ``"-1h"``."""
    if not delta:
        return "0d"
    sign = "-" if delta < timedelta() else "+"
    return sign + format_duration(abs(delta))


def interval(value: Any) -> timedelta:
    """A ``review_every``: a duration of at most MAX_INTERVAL_DAYS."""
    return parse_duration(value, MAX_INTERVAL_DAYS)


def format_duration(delta: timedelta) -> str:
    """The inverse of :func:`parse_duration` (``timedelta(minutes=90)`` -> ``"1h30m"``)."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in _UNIT_SECONDS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def bounded_date(value: date) -> date:
    """``value`` if it lies between FIRST_DATE and LAST_DATE."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(
            _("a date must be between {FIRST_DATE} and {LAST_DATE}").format(
                FIRST_DATE=FIRST_DATE, LAST_DATE=LAST_DATE
            )
        )
    return value


def parse_time_of_day(value: Any) -> time:
    """Accept ``"10:00"`` (a string) or a TOML local time ``10:00:00``."""
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hours, minutes = (int(p) for p in value.strip().split(":"))
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ValueError(_('{value!r} is not a time of day; write e.g. "10:00" or "17:30"').format(value=value))
