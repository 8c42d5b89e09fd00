"""Working days: weekends, Chinese public holidays with their 调休 working weekends, and the
team's own days off (``calendar.toml`` beside the playbooks).

The public holidays come from the ``chinesecalendar`` package (module ``chinese_calendar``),
which follows the State Council's yearly notice, including the weekend days that become
working days (调休). For a year the package does not know yet, only weekends (and the team's
days off) are days off: update the package once the year's notice is out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from soptui.i18n import _
from soptui.playbooks.cache import ValidatedCache
from soptui.playbooks.loader import load_plain
from soptui.playbooks.models import Plain
from soptui.playbooks.positions import Path as KeyPath
from soptui.playbooks.problems import Problem

CALENDAR_FILE = "calendar.toml"
MAX_DAYS_OFF = 2000
SEARCH_LIMIT = 60
"""How many days a due day may move to reach a working day (春节 plus weekends is ~10)."""


@dataclass(frozen=True)
class DayOff(Plain):
    """A day the team does not work, beyond weekends and public holidays."""

    date: date
    name: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DayOff:
        return cls(date.fromisoformat(data["date"]), data["name"])


@dataclass(frozen=True)
class CalendarFile(Plain):
    """calendar.toml: the team's own days off."""

    days_off: list[DayOff] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CalendarFile:
        return cls([DayOff.from_data(d) for d in data["days_off"]])


def _calendar_rules(file: CalendarFile) -> list[tuple[KeyPath, str]]:
    found: list[tuple[KeyPath, str]] = []
    seen: dict[date, int] = {}
    for index, day in enumerate(file.days_off):
        if day.date in seen:
            found.append(
                (
                    ("days_off", index, "date"),
                    _("{date} is listed twice (also days_off[{value}])").format(
                        date=day.date.isoformat(), value=seen[day.date]
                    ),
                )
            )
        seen.setdefault(day.date, index)
    return found


def public_holiday_status(day: date) -> bool | None:
    """Whether ``day`` is a working day by the Chinese calendar (调休 weekends are), or None when
    the installed ``chinesecalendar`` has no data for its year."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass
class WorkCalendar:
    """Which days are working days for the team."""

    days_off: dict[date, str] = field(default_factory=dict)
    """The team's own days off (calendar.toml), with their names."""
    file: Path | None = None

    def is_working_day(self, day: date) -> bool:
        if day in self.days_off:
            return False
        known = public_holiday_status(day)
        return day.weekday() < 5 if known is None else known

    def knows_year(self, year: int) -> bool:
        """Whether the public holidays of ``year`` are known (else only weekends count)."""
        return public_holiday_status(date(year, 1, 1)) is not None

    def move(self, day: date, forward: bool) -> date:
        """``day`` if it is a working day, else the nearest working day after (``forward``) or
        before it; ``day`` itself when none is found within SEARCH_LIMIT days."""
        step = timedelta(days=1 if forward else -1)
        candidate = day
        for _tries in range(SEARCH_LIMIT):
            try:
                if self.is_working_day(candidate):
                    return candidate
                candidate += step
            except OverflowError:
                break
        return day


def load_calendar(
    path: Path | None, cache: ValidatedCache | None = None
) -> tuple[WorkCalendar, list[Problem]]:
    """The team's calendar from ``path`` (None: no calendar.toml, weekends and holidays only).
    A file with problems is not used at all."""
    if path is None:
        return WorkCalendar(), []
    loaded, problems = load_plain(path, CalendarFile, _calendar_rules, cache)
    if loaded is None:
        return WorkCalendar(), problems
    return WorkCalendar({d.date: d.name or "" for d in loaded.days_off}, path), problems
