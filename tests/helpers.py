"""Builders shared by the domain tests: a library from text, a recorder on a temp journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from soptui.journal import Journal, JournalStore
from soptui.playbooks.library import Library, Source, load_library
from soptui.recorder import Identity, Recorder

SHANGHAI = ZoneInfo("Asia/Shanghai")

DAILY = """\
title = "Morning round"
cadence = "daily"
[due]
time = "10:00"

[[steps]]
id = "welcome"
title = "Welcome newcomers"
estimate = "5m"
checklist = ["greet", "pin rules"]

[[steps]]
id = "found-negative"
title = "Moderation sweep"
[steps.input]
type = "yes-no"

[[steps]]
id = "escalate"
title = "Escalate"
when = "found-negative"

[[steps]]
id = "topic"
title = "Post a topic"
optional = true

[[steps]]
id = "new-members"
title = "Count new members"
[steps.input]
type = "integer"
min = 0
metric = "members.new"
aggregate = "sum"
"""

WEEKLY = """\
title = "Weekly review"
cadence = "weekly"
[due]
weekday = "fri"
time = "17:00"
[[steps]]
id = "review"
title = "Review the week"
"""

INCIDENT = """\
title = "Spam flood"
cadence = "incident"
severities = ["P1", "P2"]
[[steps]]
id = "contain"
title = "Contain"
escalate_after = "5m"
[[steps]]
id = "clean"
title = "Clean up"
"""


def library_from(tmp_path: Path, **files: str) -> Library:
    directory = tmp_path / "playbooks"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / f"{name.replace('_', '-')}.toml").write_text(text, encoding="utf-8")
    library = load_library([Source(directory, "test")])
    assert library.problems == [], library.problems
    return library


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def recorder_for(
    tmp_path: Path,
    library: Library,
    operator: str = "alice",
    clock: Clock | None = None,
    journal: JournalStore | None = None,
) -> Recorder:
    journal = journal or Journal.open(tmp_path / "journal.sqlite3")
    clock = clock or Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    return Recorder(journal, library, SHANGHAI, Identity(operator, operator, "test-host"), clock)


REVIEW_JSON_KEYS = [
    "range",
    "routines",
    "steps",
    "metrics",
    "goals",
    "incidents",
    "notes",
    "people",
    "groups",
    "group_owners",
    "group_metrics",
    "journeys",
    "journey_instances",
    "handovers",
    "amendments",
    "followups",
]
"""The top-level keys of the public JSON review (docs/review.md), in order."""
