"""Option values that several commands share, parsed once: ``--since``/``--until`` day ranges."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from soptui.errors import UsageError
from soptui.i18n import _
from soptui.schedule import parse_date_option


def day_range(
    since: str | None, until: str | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """``--since`` and ``--until`` (team-local days, ``--until`` inclusive) as [start, end)
    instants; an inverted range is a usage error, since nothing could match."""
    start = _midnight(since, zone, "--since")
    end = _midnight(until, zone, "--until")
    if start is not None and end is not None and start > end:
        raise UsageError(
            _("--since {value} is after --until {value2}: nothing could match; swap the two dates").format(
                value=start.date(), value2=end.date()
            )
        )
    return start, (end + timedelta(days=1) if end else None)


def _midnight(text: str | None, zone: ZoneInfo, option: str) -> datetime | None:
    if text is None:
        return None
    return datetime.combine(parse_date_option(option, text), time(0), zone)
