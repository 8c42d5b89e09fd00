"""Periods and due times: plain date arithmetic in the team's time zone.

A routine has one run per period: daily ``2026-11-23``, weekly ISO week ``2026-W48``,
monthly ``2026-11``. Instants are stored in UTC; periods are computed in the team's zone.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from soptui.errors import UsageError
from soptui.playbooks.models import WEEKDAYS, Playbook

Routine = str  # "daily" | "weekly" | "monthly"

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 31)
"""The days a date option may name. Reviews and agendas look up to a few weeks (and a
review's previous/next range up to a year) beyond the days asked for, and every instant
must stay inside 1970..9999 in any time zone, so the last year is kept free."""


def parse_date_option(option: str, text: str, *, week: bool = False) -> date:
    """The day a date option names (``--since``, ``--until``, ``--date``, ``--from``), or with
    ``week`` the Monday of an ISO week (``--week 2026-W48``); UsageError if it is not one
    or lies outside FIRST_DAY..LAST_DAY (the whole week must)."""
    cleaned = text.strip()
    try:
        if week:
            match = re.fullmatch(r"(\d{4})-W(\d{2})", cleaned)
            if match is None:
                raise ValueError(cleaned)
            first = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        else:
            first = date.fromisoformat(cleaned)
    except (ValueError, OverflowError):
        reason = _why_not_a_date(cleaned, week=week)
        if reason is not None and week:
            raise UsageError(f"{option} {text!r} is not an ISO week: {reason}") from None
        if reason is not None:
            raise UsageError(f"{option} {text!r} is not a date: {reason}") from None
        example = "an ISO week such as 2026-W48" if week else "YYYY-MM-DD"
        raise UsageError(f"{option} {text!r}: use {example}") from None
    if first < FIRST_DAY or first > LAST_DAY - timedelta(days=6 if week else 0):
        raise UsageError(f"{option} {text!r} is outside the supported range {FIRST_DAY}..{LAST_DAY}")
    return first


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""English month names for messages (``calendar.month_name`` follows the C locale setting)."""


def _why_not_a_date(text: str, *, week: bool) -> str | None:
    """What is wrong with a date (or ISO week) written in the right shape, e.g. 2026-11-31;
    None when the text does not have that shape (or the year itself is unusable)."""
    if week:
        match = re.fullmatch(r"(\d{4})-W(\d{2})", text)
        if match is None or int(match[1]) < 1:
            return None
        year, number = int(match[1]), int(match[2])
        weeks = date(year, 12, 28).isocalendar()[1]
        return None if 1 <= number <= weeks else f"{year} has weeks 01 to {weeks}"
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match is None or int(match[1]) < 1:
        return None
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if 1 <= day <= days:
        return None
    # February's length depends on the year; the other months' never do.
    name = f"February {year}" if month == 2 else _MONTHS[month - 1]
    return f"{name} has {days} days"


def period_of(cadence: Routine, day: date) -> str:
    """The period containing ``day``."""
    if cadence == "daily":
        return day.isoformat()
    if cadence == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if cadence == "monthly":
        return f"{day.year}-{day.month:02d}"
    raise ValueError(f"{cadence!r} has no periods")


def period_start(period: str) -> date:
    """The first day of a period text."""
    if "-W" in period:
        year, week = period.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    parts = [int(p) for p in period.split("-")]
    return date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)


def period_end(period: str) -> date:
    """The day after the last day of a period (exclusive end)."""
    start = period_start(period)
    if "-W" in period:
        return start + timedelta(days=7)
    if period.count("-") == 2:
        return start + timedelta(days=1)
    days = calendar.monthrange(start.year, start.month)[1]
    return start + timedelta(days=days)


def next_period(period: str) -> str:
    cadence = "weekly" if "-W" in period else ("daily" if period.count("-") == 2 else "monthly")
    return period_of(cadence, period_end(period))


def previous_period(period: str) -> str:
    cadence = "weekly" if "-W" in period else ("daily" if period.count("-") == 2 else "monthly")
    return period_of(cadence, period_start(period) - timedelta(days=1))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def due_at(playbook: Playbook, period: str, zone: ZoneInfo) -> datetime:
    """When the routine's run for ``period`` is due (aware, in ``zone``).

    Without ``due`` the run is due at the end of the period; without ``due.time`` at
    the end of the due day.
    """
    start, end = period_start(period), period_end(period)
    due = playbook.due
    day = end - timedelta(days=1)
    if due is not None:
        if playbook.cadence == "weekly" and due.weekday:
            day = start + timedelta(days=WEEKDAYS.index(due.weekday))
        elif playbook.cadence == "monthly" and due.day is not None:
            day = day if due.day == "last" else start.replace(day=int(due.day))
        if due.time is not None:
            return datetime.combine(day, due.time, zone)
    return local_midnight(day + timedelta(days=1), zone)


def periods_between(cadence: Routine, first: date, last: date, limit: int = 400) -> list[str]:
    """Periods from the one containing ``first`` to the one containing ``last`` (inclusive)."""
    found: list[str] = []
    period = period_of(cadence, first)
    final = period_of(cadence, last)
    while len(found) < limit:
        found.append(period)
        if period == final:
            break
        period = next_period(period)
    return found
