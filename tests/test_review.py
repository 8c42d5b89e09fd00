"""Review figures from a journal with a known history, checked by hand.

Team zone Asia/Shanghai (UTC+8). The routine was first seen Monday 2026-11-16 (W47); the
review is of W48 (Mon 11-23 to Sun 11-29), as of Monday 11-30 10:00.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soptui.review import build_review, week_range
from soptui.review.model import Review
from soptui.review.render import render_csv, render_json, render_markdown, render_text, to_json
from tests.conftest import write
from tests.helpers import (
    DAILY,
    INCIDENT,
    REVIEW_JSON_KEYS,
    SHANGHAI,
    WEEKLY,
    Clock,
    library_from,
    recorder_for,
)
from tests.pg_support import Backend

GOALS = """\
[[goals]]
id = "members-1000"
title = "+1000 members"
metric = "members.new"
target = 1000
start = 2026-11-16
by = 2027-02-15
"""


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def review(tmp_path: Path, backend: Backend) -> Review:
    write(tmp_path / "playbooks", "goals.toml", GOALS)
    library = library_from(tmp_path, morning=DAILY, weekly=WEEKLY, spam=INCIDENT)
    clock = Clock(local(16, 8))
    alice = recorder_for(tmp_path, library, "alice", clock, journal=backend.open())
    bob = recorder_for(tmp_path, library, "bob", clock, journal=alice.journal)
    with alice.journal.writing():
        alice.journal.mark_seen(["morning", "weekly"], clock.now)

    def day_run(
        day: int,
        opened: tuple[int, int],
        closed_at: datetime,
        value: int,
        found: str = "no",
        welcome_reason: str | None = None,
        topic_done: bool = False,
    ) -> None:
        clock.now = local(day, *opened)
        run = alice.routine_run("morning").run_id
        if welcome_reason:
            alice.skip(run, "welcome", welcome_reason)
        else:
            alice.complete(run, "welcome")
        alice.complete(run, "found-negative", found)
        if topic_done:
            alice.complete(run, "topic")
        else:
            alice.skip(run, "topic")
        clock.now = closed_at
        alice.complete(run, "new-members", str(value))

    # Backfill onto last Sunday (W47): counts for the previous week, not this one.
    backfill = local(22, 20)
    clock.now = local(30, 9)
    alice.complete(alice.routine_run("morning", backfill).run_id, "new-members", "5", at=backfill)
    day_run(23, (9, 30), local(23, 9, 50), 10)  # Mon: 20 min, on time
    day_run(24, (9, 0), local(24, 11, 0), 20)  # Tue: 120 min, late
    # Wed 25: missed.                                             # Thu: across midnight, 60 min
    day_run(26, (23, 30), local(27, 0, 30), 30)
    clock.now = local(26, 23, 40)
    alice.note("morning@2026-11-26", "late one | # not a heading", "welcome")
    day_run(27, (9, 0), local(27, 9, 40), 40, welcome_reason="busy", topic_done=True)  # Fri: 40 min
    clock.now = local(28, 9, 0)  # Sat: finished early, 30 min
    saturday = alice.routine_run("morning").run_id
    alice.complete(saturday, "welcome")
    clock.now = local(28, 9, 30)
    alice.finish(saturday)
    alice.note(None, "quiet Saturday")
    # Sun 29: missed.
    clock.now = local(27, 16, 0)
    weekly = bob.routine_run("weekly").run_id
    bob.complete(weekly, "review")
    clock.now = local(24, 14, 0)
    incident = bob.open_incident("spam", "bots", "P1").run_id
    clock.now = local(24, 14, 10)
    bob.complete(incident, "contain")  # 10 min: past its 5 min
    clock.now = local(24, 14, 20)
    bob.complete(incident, "clean")
    clock.now = local(24, 14, 42)
    bob.resolve(incident, "banned")
    clock.now = local(30, 10)
    return build_review(alice.ledger, week_range("2026-W48"))


def test_routines(review: Review) -> None:
    morning, weekly = review.routines
    assert morning.playbook_id == "morning"
    assert morning.expected == [f"2026-11-{d}" for d in range(23, 30)]
    assert morning.completed == ["2026-11-23", "2026-11-24", "2026-11-26", "2026-11-27", "2026-11-28"]
    assert morning.on_time == ["2026-11-23", "2026-11-27", "2026-11-28"]
    assert morning.missed == ["2026-11-25", "2026-11-29"]
    assert morning.rate == pytest.approx(5 / 7)
    assert morning.median_duration == timedelta(minutes=40)  # 20, 30, 40, 60, 120
    assert "".join(morning.strip) == "✓✓!✓✓✓!"  # ! missed (✗ is for a skipped step)
    assert (weekly.expected, weekly.completed, weekly.on_time) == (["2026-W48"], ["2026-W48"], ["2026-W48"])


def test_steps(review: Review) -> None:
    assert [(s.step_id, s.count, s.reasons) for s in review.skipped] == [
        ("topic", 3, [("(optional)", 3)]),
        ("welcome", 1, [("busy", 1)]),
    ]
    assert sorted(s.step_id for s in review.left) == ["escalate", "found-negative", "new-members", "topic"]
    # welcome has a 5 min estimate: Mon took 0 min after opening... only runs slower than it are listed
    assert all(s.mean > s.estimate for s in review.slow)


def test_metrics(review: Review) -> None:
    [metric] = review.metrics
    assert metric.metric == "members.new" and metric.aggregate == "sum"
    assert metric.value == 100  # 10 + 20 + 30 (recorded after midnight, counts for Thursday) + 40
    assert metric.previous == 5  # the backfilled Sunday of W47
    assert metric.change == 95
    assert metric.change_pct == pytest.approx(1900)
    assert metric.per_period == [10, 20, None, 30, 40, None, None]


def test_goals(review: Review) -> None:
    [goal] = review.goals
    assert goal.value == 105  # 5 in W47 + 100 in W48, since start 11-16
    assert goal.progress == pytest.approx(0.105)
    assert goal.time_elapsed == pytest.approx(14 / 91)
    assert goal.on_track is False
    assert goal.needed_per_week == pytest.approx((1000 - 105) / (78 / 7))


def test_incidents_notes_people(review: Review) -> None:
    [incident] = review.incidents
    assert (incident.severity, incident.title, incident.escalations) == ("P1", "bots", 1)
    assert incident.time_to_resolve == timedelta(minutes=42)
    assert [n.text for n in review.notes] == ["late one | # not a heading", "quiet Saturday"]
    assert [(p.login, p.names, p.actions, p.overridden) for p in review.people] == [
        ("alice", ["alice"], 25, 0),
        ("bob", ["bob"], 6, 0),
    ]


def test_every_format_shows_the_same_figures(review: Review) -> None:
    data = json.loads(render_json(review))
    assert list(data) == REVIEW_JSON_KEYS
    assert data == json.loads(json.dumps(to_json(review)))
    morning = data["routines"][0]
    assert (morning["completed"], morning["expected"], morning["on_time"]) == (5, 7, 3)
    assert morning["median_duration_minutes"] == 40
    assert data["metrics"][0]["value"] == 100 and data["metrics"][0]["change_pct"] == 1900
    markdown = render_markdown(review)
    text = render_text(review)
    for rendered in (markdown, text):
        assert "✓✓!✓✓✓!" in rendered and "5/7" in rendered and "3/5" in rendered and "40 min" in rendered
        assert "100" in rendered and "+1900.0%" in rendered and "behind" in rendered
        assert "✗ behind" not in rendered  # ✗ means skipped, nothing else
    # A note is in a list item, mid-line: it can add neither a table nor a heading, so its text
    # stays as typed (chat tools show a needless backslash).
    assert "late one | # not a heading" in markdown
    assert "<" not in markdown.replace("\\<", "")
    rows = list(csv.DictReader(io.StringIO(render_csv(review, "routines"))))
    assert rows[0]["completed"] == "5" and rows[0]["missed"] == "2026-11-25; 2026-11-29"
    people = list(csv.DictReader(io.StringIO(render_csv(review, "people"))))
    assert [(p["login"], p["operator"], p["actions"]) for p in people] == [
        ("alice", "alice", "25"),
        ("bob", "bob", "6"),
    ]


def test_empty_week_and_unknown_playbooks_render_cleanly(tmp_path: Path, backend: Backend) -> None:
    library = library_from(tmp_path, morning=DAILY)
    recorder = recorder_for(tmp_path, library, journal=backend.open())
    empty = build_review(recorder.ledger, week_range("2026-W40"))
    assert all(r.expected == [] for r in empty.routines) and empty.goals == []
    for rendered in (render_text(empty), render_markdown(empty), render_json(empty)):
        assert "W40" in rendered
    assert render_csv(empty, "incidents").startswith("# no incidents")
    run = recorder.routine_run("morning").run_id
    recorder.complete(run, "welcome")
    recorder.journal.close()
    (tmp_path / "playbooks" / "morning.toml").unlink()
    gone = recorder_for(tmp_path, library_from(tmp_path), journal=backend.open())
    review = build_review(gone.ledger, week_range("2026-W48"))
    assert [r.playbook_id for r in review.routines] == ["morning"]
    assert "Morning round" in render_markdown(review)


def test_playbook_edited_mid_week_and_incident_spanning_weeks(tmp_path: Path, backend: Backend) -> None:
    library = library_from(tmp_path, morning=DAILY, spam=INCIDENT)
    clock = Clock(local(23, 9))
    recorder = recorder_for(tmp_path, library, "alice", clock, journal=backend.open())
    with recorder.journal.writing():
        recorder.journal.mark_seen(["morning"], local(16, 8))
    for day in (23, 24):
        clock.now = local(day, 9)
        run = recorder.routine_run("morning").run_id
        recorder.finish(run)
    clock.now = local(22, 23)  # an incident opened on Sunday of W47, resolved on Monday of W48
    incident = recorder.open_incident("spam", "weekend bots").run_id
    clock.now = local(23, 1)
    recorder.resolve(incident, "done")
    recorder.journal.close()
    edited = DAILY.replace('title = "Morning round"', 'title = "Morning round v2"')
    (tmp_path / "playbooks" / "morning.toml").write_text(edited, encoding="utf-8")
    recorder = recorder_for(tmp_path, library_from(tmp_path), "alice", clock, journal=backend.open())
    for day in (25, 26, 27, 28, 29):
        clock.now = local(day, 9)
        recorder.finish(recorder.routine_run("morning").run_id)
    clock.now = local(30, 10)
    w48 = build_review(recorder.ledger, week_range("2026-W48"))
    [morning] = w48.routines
    assert morning.title == "Morning round v2" and len(morning.completed) == 7  # one routine, both versions
    assert w48.incidents == []  # opened in W47
    w47 = build_review(recorder.ledger, week_range("2026-W47"))
    [spanning] = w47.incidents
    assert spanning.time_to_resolve == timedelta(hours=2)


def test_a_value_recorded_after_the_week_counts_for_its_runs_period_only(
    tmp_path: Path, backend: Backend
) -> None:
    """Values recorded after the range are read only for runs of periods inside it: a daily
    run's value typed in twelve days late counts on its day; a weekly run's, on the week's
    last day; a later run's value recorded the same day counts for no day of the range."""
    weekly = (
        WEEKLY
        + '[[steps]]\nid = "reach"\ntitle = "Reach"\n[steps.input]\ntype = "integer"\nmetric = "reach"\n'
    )
    library = library_from(tmp_path, morning=DAILY, weekly=weekly)
    clock = Clock(local(23, 9))
    alice = recorder_for(tmp_path, library, "alice", clock, journal=backend.open())
    monday = alice.routine_run("morning").run_id
    week = alice.routine_run("weekly").run_id
    clock.now = local(5, 9, month=12)
    alice.complete(monday, "new-members", "7")
    alice.complete(week, "reach", "300")
    alice.complete(alice.routine_run("morning").run_id, "new-members", "99")
    review = build_review(alice.ledger, week_range("2026-W48"), now=local(6, 9, month=12))
    members = next(m for m in review.metrics if m.metric == "members.new")
    reach = next(m for m in review.metrics if m.metric == "reach")
    assert members.value == 7 and members.per_period == [7, None, None, None, None, None, None]
    assert reach.value == 300 and reach.per_period == [None] * 6 + [300]


def test_a_goal_counts_values_from_before_the_compared_week_in_the_version_they_were_recorded_with(
    tmp_path: Path, backend: Backend
) -> None:
    """Before the compared week only values that measure a goal are read: which step measured
    it is looked up in the playbook version each value was recorded with (here the step was
    renamed since), and a value that measures no goal changes nothing."""
    write(tmp_path / "playbooks", "goals.toml", GOALS.replace("start = 2026-11-16", "start = 2026-11-02"))
    weekly = (
        WEEKLY
        + '[[steps]]\nid = "reach"\ntitle = "Reach"\n[steps.input]\ntype = "integer"\nmetric = "reach"\n'
    )
    old_morning = DAILY.replace('id = "new-members"', 'id = "joined"')
    library = library_from(tmp_path, morning=old_morning, weekly=weekly)
    clock = Clock(local(5, 9))
    recorder = recorder_for(tmp_path, library, "alice", clock, journal=backend.open())
    recorder.complete(recorder.routine_run("morning").run_id, "joined", "7")  # W45, old step id
    recorder.complete(recorder.routine_run("weekly").run_id, "reach", "300")  # W45, measures no goal
    recorder.journal.close()
    (tmp_path / "playbooks" / "morning.toml").write_text(DAILY, encoding="utf-8")
    recorder = recorder_for(tmp_path, library_from(tmp_path), "alice", clock, journal=backend.open())
    for day, value in ((10, 4), (20, 5), (24, 10)):  # W46, W47 (compared), W48
        clock.now = local(day, 9)
        recorder.complete(recorder.routine_run("morning").run_id, "new-members", str(value))
    clock.now = local(30, 10)
    review = build_review(recorder.ledger, week_range("2026-W48"))
    [goal] = review.goals
    assert goal.value == 7 + 4 + 5 + 10
    members = next(m for m in review.metrics if m.metric == "members.new")
    assert (members.value, members.previous) == (10, 5)
    reach = next(m for m in review.metrics if m.metric == "reach")
    assert (reach.value, reach.previous) == (None, None)
