"""Periods and due times: plain date arithmetic in the team's time zone.

A routine has one run per period: daily ``2026-11-23``, weekly ISO week ``2026-W48``,
monthly ``2026-11``. Instants are stored in UTC; periods are computed in the team's zone.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from soptui.errors import UsageError
from soptui.i18n import _
from soptui.playbooks.models import WEEKDAYS, Playbook, Step

if TYPE_CHECKING:
    from soptui.playbooks.workdays import WorkCalendar

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


def cadence_of(period: str) -> Routine:
    """Which cadence a period belongs to: ``2026-11-23`` daily, ``2026-W48`` weekly,
    ``2026-11`` monthly (the one place that tells them apart by their form)."""
    if "-W" in period:
        return "weekly"
    return "daily" if period.count("-") == 2 else "monthly"


def is_iso_week(start: date, end: date, label: str) -> bool:
    """Whether a range of days labelled ``label`` is one ISO week (Monday to Sunday)."""
    return end == start + timedelta(days=6) and label == period_of("weekly", start)


def next_period(period: str) -> str:
    cadence = cadence_of(period)
    return period_of(cadence, period_end(period))


def previous_period(period: str) -> str:
    cadence = cadence_of(period)
    return period_of(cadence, period_start(period) - timedelta(days=1))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def due_at(playbook: Playbook, period: str, zone: ZoneInfo, calendar: WorkCalendar | None = None) -> datetime:
    """When the routine's run for ``period`` is due (aware, in ``zone``).

    Without ``due`` the run is due at the end of the period; without ``due.time`` at
    the end of the due day. With ``calendar`` and ``working_days``, a weekly or monthly
    routine's due day moves back to the period's last working day before it.
    """
    start, end = period_start(period), period_end(period)
    due = playbook.due
    day = end - timedelta(days=1)
    if due is not None:
        if playbook.cadence == "weekly" and due.weekday:
            day = start + timedelta(days=WEEKDAYS.index(due.weekday))
        elif playbook.cadence == "monthly" and due.day is not None:
            day = day if due.day == "last" else start.replace(day=int(due.day))
    if calendar is not None and playbook.working_days and playbook.cadence != "daily":
        moved = calendar.move(day, forward=False)
        day = moved if moved >= start else day
    if due is not None and due.time is not None:
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


# -- sequences: steps at offsets from an instance's anchor ----------------------------------

ANCHOR_MARGIN = timedelta(days=400)
"""An anchor stays this far inside FIRST_DAY..LAST_DAY: offsets reach 366 days either way, and
a due day may move a few more days to reach a working day."""


def parse_anchor(text: str) -> tuple[date, time | None]:
    """An instance's anchor: ``2026-12-12``, or with the event's time ``2026-12-12T20:00``
    (also ``2026-12-12 20:00``). ValueError with a reason when it is not one."""
    cleaned = text.strip().replace(" ", "T", 1)
    day_text, _sep, time_text = cleaned.partition("T")
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", day_text)
    if match is None:
        raise ValueError(_("use YYYY-MM-DD, or YYYY-MM-DDTHH:MM for an event's time"))
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(_why_not_a_date(day_text, week=False) or _("not a date")) from None
    at: time | None = None
    if time_text:
        hm = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", time_text)
        if hm is None:
            raise ValueError(_("{text!r} is not a time of day; write e.g. 20:00").format(text=time_text))
        at = time(int(hm[1]), int(hm[2]))
    if day < FIRST_DAY + ANCHOR_MARGIN or day > LAST_DAY - ANCHOR_MARGIN:
        first, last = FIRST_DAY + ANCHOR_MARGIN, LAST_DAY - ANCHOR_MARGIN
        raise ValueError(_("an anchor must lie within {first}..{last}").format(first=first, last=last))
    return day, at


def anchor_text(day: date, at: time | None) -> str:
    """The inverse of :func:`parse_anchor`, as stored in ``run.opened``."""
    return day.isoformat() if at is None else f"{day.isoformat()}T{at:%H:%M}"


def step_due(
    playbook: Playbook,
    step: Step,
    anchor: date,
    anchor_time: time | None,
    zone: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> datetime:
    """When a sequence step is due in an instance anchored at ``anchor`` (aware, in ``zone``).

    A whole-day offset is due on anchor + offset at the step's ``at``, else at the end of
    that day. An offset with hours or minutes is due at the anchor's time (midnight when
    the anchor has none) plus the offset, in local wall-clock time. With ``working_days``
    the due day moves off days off: to the working day before for a negative offset, after
    for a zero or positive one (the time of day is kept).
    """
    offset = step.offset or timedelta()
    forward = offset >= timedelta()
    moves = calendar is not None and playbook.on_working_days(step)
    if not offset % timedelta(days=1):
        day = anchor + timedelta(days=offset.days)
        if moves and calendar is not None:
            day = calendar.move(day, forward)
        if step.at is not None:
            return datetime.combine(day, step.at, zone)
        return local_midnight(day + timedelta(days=1), zone)
    moment = datetime.combine(anchor, anchor_time or time(0), zone) + offset
    if moves and calendar is not None:
        moved = calendar.move(moment.date(), forward)
        if moved != moment.date():
            moment = datetime.combine(moved, moment.time(), zone)
    return moment


def period_index(period: str | None) -> int:
    """A period's place in an endless count (days, ISO weeks or months): rotations key on it."""
    if not period:
        return 0
    try:
        if "-W" in period:
            year, week = period.split("-W")
            return int(year) * 53 + int(week)
        if len(period) == 7:
            year, month = period.split("-")
            return int(year) * 12 + int(month)
        return date.fromisoformat(period).toordinal()
    except ValueError:
        return 0  # an instance's "~anchor" period or a damaged one: no rotation
