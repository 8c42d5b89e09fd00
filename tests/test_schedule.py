from __future__ import annotations

from datetime import date, datetime

from soptui.playbooks.models import Playbook
from soptui.schedule import (
    due_at,
    next_period,
    period_end,
    period_of,
    period_start,
    periods_between,
    previous_period,
)
from tests.helpers import SHANGHAI


def test_periods() -> None:
    day = date(2026, 11, 23)
    assert period_of("daily", day) == "2026-11-23"
    assert period_of("weekly", day) == "2026-W48"
    assert period_of("monthly", day) == "2026-11"
    assert period_of("weekly", date(2027, 1, 1)) == "2026-W53"  # ISO week-year, not calendar year


def test_period_bounds() -> None:
    assert period_start("2026-W48") == date(2026, 11, 23)
    assert period_end("2026-W48") == date(2026, 11, 30)
    assert period_start("2026-11") == date(2026, 11, 1)
    assert period_end("2026-12") == date(2027, 1, 1)
    assert period_end("2026-11-30") == date(2026, 12, 1)
    assert next_period("2026-W53") == "2027-W01"
    assert previous_period("2027-01") == "2026-12"


def playbook(cadence: str, due: dict[str, object] | None) -> Playbook:
    data: dict[str, object] = {
        "id": "p",
        "title": "P",
        "cadence": cadence,
        "steps": [{"id": "s", "title": "S"}],
    }
    if due is not None:
        data["due"] = due
    return Playbook.model_validate(data)


def test_due_times() -> None:
    at = lambda y, m, d, h=0, mi=0: datetime(y, m, d, h, mi, tzinfo=SHANGHAI)  # noqa: E731
    assert due_at(playbook("daily", {"time": "10:00"}), "2026-11-23", SHANGHAI) == at(2026, 11, 23, 10)
    assert due_at(playbook("daily", None), "2026-11-23", SHANGHAI) == at(2026, 11, 24)
    weekly = playbook("weekly", {"weekday": "fri", "time": "17:00"})
    assert due_at(weekly, "2026-W48", SHANGHAI) == at(2026, 11, 27, 17)
    assert due_at(playbook("weekly", None), "2026-W48", SHANGHAI) == at(2026, 11, 30)
    assert due_at(playbook("monthly", {"day": "last"}), "2026-02", SHANGHAI) == at(2026, 3, 1)
    assert due_at(playbook("monthly", {"day": 5, "time": "09:30"}), "2026-11", SHANGHAI) == at(
        2026, 11, 5, 9, 30
    )


def test_periods_between() -> None:
    assert periods_between("daily", date(2026, 11, 20), date(2026, 11, 23)) == [
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
        "2026-11-23",
    ]
    assert periods_between("monthly", date(2026, 11, 5), date(2027, 1, 2)) == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]
