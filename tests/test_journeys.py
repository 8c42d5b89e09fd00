"""Dated journeys (issue 15): sequence playbooks, instances, working days, auto-started cohorts."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from soptui.agenda import build_agenda, record_sightings
from soptui.cli import main
from soptui.journal import Journal
from soptui.journal.exchange import ImportProblem, export_jsonl, import_events, parse_lines
from soptui.journeys import cohort_anchors, instances, start_due_cohorts, step_label
from soptui.playbooks.library import Library, Source, load_library
from soptui.playbooks.loader import load_playbook
from soptui.playbooks.models import Playbook, Step
from soptui.playbooks.workdays import WorkCalendar, load_calendar
from soptui.recorder import ActionError, Recorder
from soptui.schedule import step_due
from tests.helpers import SHANGHAI, Clock, library_from, recorder_for

LAUNCH = """\
title = "直播倒计时"
cadence = "sequence"

[[steps]]
id = "plan"
title = "Fix the plan"
offset = "-14d"

[[steps]]
id = "announce"
title = "Announce"
offset = "-7d"
at = "10:00"

[[steps]]
id = "remind"
title = "Remind an hour before"
offset = "-1h"

[[steps]]
id = "live"
title = "Go live"
offset = "0d"
at = "20:00"

[[steps]]
id = "recap"
title = "Recap"
offset = "+3d"
"""

NEWCOMER = """\
title = "新人旅程"
cadence = "sequence"
auto_start = "daily"

[[steps]]
id = "welcome"
title = "Welcome"
offset = "0d"

[[steps]]
id = "perk"
title = "Send the perk"
offset = "+1d"
at = "10:00"

[[steps]]
id = "check"
title = "Check in"
offset = "+7d"
"""

HOLIDAY_ROUTINE = """\
title = "Daily post"
cadence = "daily"
working_days = true
[due]
time = "10:00"
[[steps]]
id = "post"
title = "Post"
"""

PLAIN_ROUTINE = HOLIDAY_ROUTINE.replace("working_days = true\n", "").replace("Daily post", "Daily check")


def _library(tmp_path: Path, **files: str) -> Library:
    directory = tmp_path / "playbooks"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        filename = name if name.endswith(".toml") else f"{name.replace('_', '-')}.toml"
        (directory / filename).write_text(text, encoding="utf-8")
    library = load_library([Source(directory, "test")])
    assert library.problems == [], library.problems
    return library


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def _problems(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    loaded, problems = load_playbook(path)
    assert loaded is None
    return [(p.line, p.key, p.message) for p in problems]


def _at(clock_day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(clock_day, time(hour, minute), SHANGHAI)


# -- format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle", "key", "words"),
    [
        (
            'title = "x"\ncadence = "sequence"\n[[steps]]\nid = "a"\ntitle = "A"\n',
            "[[steps]]",
            "steps[0]",
            "needs an offset",
        ),
        (
            'title = "x"\ncadence = "daily"\n[[steps]]\nid = "a"\ntitle = "A"\noffset = "-1d"\n',
            "offset =",
            "steps[0].offset",
            'cadence = "sequence" only',
        ),
        (
            'title = "x"\ncadence = "weekly"\n[[steps]]\nid = "a"\ntitle = "A"\nat = "10:00"\n',
            "at =",
            "steps[0].at",
            'cadence = "sequence" only',
        ),
        (
            'title = "x"\ncadence = "sequence"\n[[steps]]\nid = "a"\ntitle = "A"\n'
            'offset = "-1h"\nat = "10:00"\n',
            "at =",
            "steps[0].at",
            "whole-day offsets only",
        ),
        (
            'title = "x"\ncadence = "sequence"\n[[steps]]\nid = "a"\ntitle = "A"\noffset = "-14x"\n',
            "offset =",
            "steps[0].offset",
            "is not an offset",
        ),
        (
            'title = "x"\ncadence = "sequence"\n[[steps]]\nid = "a"\ntitle = "A"\noffset = "-367d"\n',
            "offset =",
            "steps[0].offset",
            "at most 366 days",
        ),
        (
            'title = "x"\ncadence = "daily"\nauto_start = "daily"\n[[steps]]\nid = "a"\ntitle = "A"\n',
            "auto_start",
            "auto_start",
            'cadence = "sequence" only',
        ),
        (
            'title = "x"\ncadence = "sequence"\nauto_start = "monthly"\n[[steps]]\nid = "a"\ntitle = "A"\n'
            'offset = "0d"\n',
            "auto_start",
            "auto_start",
            "daily",
        ),
        (
            'title = "x"\ncadence = "sequence"\n[due]\ntime = "10:00"\n[[steps]]\nid = "a"\ntitle = "A"\n'
            'offset = "0d"\n',
            "[due]",
            "due",
            "has no [due]",
        ),
        (
            'title = "x"\ncadence = "incident"\nworking_days = true\n[[steps]]\nid = "a"\ntitle = "A"\n',
            "working_days",
            "working_days",
            "not incidents",
        ),
    ],
)
def test_format_errors_are_positioned(tmp_path: Path, text: str, needle: str, key: str, words: str) -> None:
    problems = _problems(tmp_path, text)
    assert len(problems) == 1, problems
    line, found_key, message = problems[0]
    assert line == _line_of(text, needle), problems
    assert found_key == key and words in message, problems


def test_a_valid_sequence_loads_and_round_trips(tmp_path: Path) -> None:
    library = _library(tmp_path, launch=LAUNCH)
    playbook = library.get("launch")
    assert playbook is not None and playbook.is_sequence and not playbook.is_routine
    offsets = [s.offset for s in playbook.steps]
    assert offsets == [
        timedelta(days=-14),
        timedelta(days=-7),
        timedelta(hours=-1),
        timedelta(),
        timedelta(days=3),
    ]
    again = Playbook.model_validate_json(playbook.model_dump_json())
    assert again == playbook
    assert json.loads(playbook.model_dump_json())["steps"][2]["offset"] == "-1h"
    assert [step_label(playbook, s) for s in playbook.steps] == ["T-14", "T-7", "T-1h", "T0", "T+3"]


# -- due times ------------------------------------------------------------------------------


def _step(offset: str, at: str | None = None, working_days: bool | None = None) -> Step:
    data: dict[str, Any] = {"id": "s", "title": "S", "offset": offset}
    if at:
        data["at"] = at
    if working_days is not None:
        data["working_days"] = working_days
    return Step.model_validate(data)


def _due(offset: str, anchor: date, *, at: str | None = None, anchor_time: time | None = None,
         working_days: bool = False, calendar: WorkCalendar | None = None) -> datetime:  # fmt: skip
    step = _step(offset, at)
    playbook = Playbook.model_validate(
        {"id": "p", "title": "P", "cadence": "sequence", "working_days": working_days, "steps": [step]}
    )
    return step_due(playbook, playbook.steps[0], anchor, anchor_time, SHANGHAI, calendar or WorkCalendar())


def test_offsets_in_days_hours_and_at() -> None:
    anchor = date(2026, 12, 12)
    # A whole-day offset without `at` is due at the end of its day.
    assert _due("-14d", anchor) == _at(date(2026, 11, 29), 0)
    assert _due("+3d", anchor) == _at(date(2026, 12, 16), 0)
    assert _due("0d", anchor, at="20:00") == _at(anchor, 20)
    assert _due("-7d", anchor, at="10:00") == _at(date(2026, 12, 5), 10)
    # Hours count from the anchor's time (the event's), else from its midnight.
    assert _due("-1h", anchor, anchor_time=time(20)) == _at(anchor, 19)
    assert _due("-1h", anchor) == _at(date(2026, 12, 11), 23)
    assert _due("+1d2h", anchor, anchor_time=time(20)) == _at(date(2026, 12, 13), 22)


def test_working_days_across_a_weekend() -> None:
    saturday = date(2026, 12, 12)
    # -7d is Saturday 12-05: back to Friday 12-04. +1d is Sunday 12-13: on to Monday 12-14.
    assert _due("-7d", saturday, at="10:00", working_days=True) == _at(date(2026, 12, 4), 10)
    assert _due("+1d", saturday, at="10:00", working_days=True) == _at(date(2026, 12, 14), 10)
    # Without working_days nothing moves.
    assert _due("-7d", saturday, at="10:00") == _at(date(2026, 12, 5), 10)
    # A step may opt out of the playbook's working_days.
    step = _step("-7d", "10:00", working_days=False)
    playbook = Playbook.model_validate(
        {"id": "p", "title": "P", "cadence": "sequence", "working_days": True, "steps": [step]}
    )
    assert step_due(playbook, playbook.steps[0], saturday, None, SHANGHAI, WorkCalendar()) == _at(
        date(2026, 12, 5), 10
    )


def test_working_days_across_national_day_and_spring_festival() -> None:
    # 国庆 2025: 10-01..10-08 off; +7d from 09-24 lands on 10-01 and moves on to Thursday 10-09.
    assert _due("+7d", date(2025, 9, 24), at="10:00", working_days=True) == _at(date(2025, 10, 9), 10)
    # 春节 2026: 02-15..02-23 off, Saturday 02-14 is a 调休 working day: -7d from 02-24 lands on
    # 02-17 and moves back to that Saturday, not to Friday 02-13.
    assert _due("-7d", date(2026, 2, 24), at="10:00", working_days=True) == _at(date(2026, 2, 14), 10)
    # Saturday 2026-10-10 is a 调休 working day: a step due then stays there.
    assert _due("+1d", date(2026, 10, 9), at="10:00", working_days=True) == _at(date(2026, 10, 10), 10)
    calendar = WorkCalendar()
    assert calendar.is_working_day(date(2026, 2, 14)) and not calendar.is_working_day(date(2026, 2, 17))
    assert calendar.knows_year(2026)


def test_calendar_toml_days_off(tmp_path: Path) -> None:
    text = '[[days_off]]\ndate = 2026-12-24\nname = "年会"\n\n[[days_off]]\ndate = 2026-12-31\n'
    library = _library(tmp_path, **{"calendar.toml": text, "launch": LAUNCH})
    calendar = library.calendar
    assert calendar.days_off == {date(2026, 12, 24): "年会", date(2026, 12, 31): ""}
    assert not calendar.is_working_day(date(2026, 12, 24))
    # Thursday 12-24 is the team's day off: +7d from 12-17 moves on to Friday 12-25.
    assert _due("+7d", date(2026, 12, 17), at="10:00", working_days=True, calendar=calendar) == _at(
        date(2026, 12, 25), 10
    )
    assert "calendar" not in library.entries  # not a playbook


@pytest.mark.parametrize(
    ("text", "needle", "words"),
    [
        (
            "[[days_off]]\ndate = 2026-12-24\n[[days_off]]\ndate = 2026-12-24\n",
            "date = 2026-12-24",
            "listed twice",
        ),
        ('[[days_off]]\ndate = 2026-12-24\nwhy = "x"\n', "why", "unknown key"),
        ('[[days_off]]\ndate = "tomorrow"\n', "date =", "date"),
    ],
)
def test_calendar_toml_problems_are_positioned(tmp_path: Path, text: str, needle: str, words: str) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    calendar, problems = load_calendar(path)
    assert calendar.days_off == {} and len(problems) == 1, problems
    expected = 4 if "twice" in words else _line_of(text, needle)  # twice: the second one
    assert problems[0].line == expected and words in problems[0].message, problems


# -- instances ------------------------------------------------------------------------------


def test_start_two_instances_of_one_playbook(tmp_path: Path) -> None:
    library = _library(tmp_path, launch=LAUNCH)
    clock = Clock(_at(date(2026, 11, 20), 9).astimezone(UTC))
    recorder = recorder_for(tmp_path, library, clock=clock)
    first = recorder.start_instance("launch", date(2026, 12, 12), time(20), "双12直播")
    second = recorder.start_instance("launch", date(2026, 12, 12), time(19), "第二场")
    other = recorder.start_instance("launch", date(2026, 12, 24), time(20), "圣诞")
    assert [first.run_id, second.run_id, other.run_id] == [
        "launch~2026-12-12",
        "launch~2026-12-12-2",
        "launch~2026-12-24",
    ]
    opened = first.events[0]
    assert opened.kind == "run.opened"
    assert opened.payload["anchor"] == "2026-12-12T20:00" and opened.payload["title"] == "双12直播"
    # T-14 (11-28) is still ahead on 11-20 for the 12-12 event, so nothing passed.
    assert first.steps["plan"].status == "pending" and not first.is_incident
    active = instances(recorder.ledger)
    assert [i.title for i in active] == ["第二场", "双12直播", "圣诞"]
    assert [s.label for s in active[1].next_due] == ["T-14"]
    # Each instance is its own run: completing a step in one leaves the others alone.
    recorder.complete(first.run_id, "plan")
    assert recorder.state(second.run_id).steps["plan"].status == "pending"
    # Finishing one ends it; the list of active instances drops it, --all keeps it.
    recorder.finish(second.run_id)
    assert [i.run.run_id for i in instances(recorder.ledger)] == ["launch~2026-12-12", "launch~2026-12-24"]
    assert len(instances(recorder.ledger, everything=True)) == 3
    # Routine commands refuse a journey; start refuses what is not one.
    with pytest.raises(ActionError, match="dated journey"):
        recorder.routine_run("launch")


def test_a_late_start_marks_passed_steps_not_applicable(tmp_path: Path) -> None:
    library = _library(tmp_path, launch=LAUNCH, morning=PLAIN_ROUTINE)
    clock = Clock(_at(date(2026, 12, 8), 9).astimezone(UTC))
    recorder = recorder_for(tmp_path, library, clock=clock)
    state = recorder.start_instance("launch", date(2026, 12, 12), time(20))
    assert state.steps["plan"].status == "n/a" and state.steps["announce"].status == "n/a"
    assert state.steps["remind"].status == "pending" and state.total == 3
    item = instances(recorder.ledger)[0]
    assert item.overdue == [] and item.title == "直播倒计时 2026-12-12"
    with pytest.raises(ActionError, match="before this instance started"):
        recorder.complete(state.run_id, "plan")
    with pytest.raises(ActionError, match="not a dated journey"):
        recorder.start_instance("morning", date(2026, 12, 12))
    with pytest.raises(ActionError, match="event's time"):
        recorder.start_instance("launch", date(2026, 12, 20))
    # Overdue after its due time passes; done when every step is resolved.
    clock.now = _at(date(2026, 12, 12), 19, 30).astimezone(UTC)
    item = instances(recorder.ledger)[0]
    assert [s.step.id for s in item.overdue] == ["remind"]
    assert item.late(item.overdue[0]) == timedelta(minutes=30)
    for step in ("remind", "live", "recap"):
        recorder.complete(state.run_id, step)
    assert recorder.state(state.run_id).is_closed and instances(recorder.ledger) == []


def test_per_group_steps_inside_an_instance(tmp_path: Path) -> None:
    groups = '[[groups]]\nid = "new-1"\nname = "新人1群"\n\n[[groups]]\nid = "new-2"\nname = "新人2群"\n'
    journey = NEWCOMER.replace('offset = "0d"', 'offset = "0d"\nper_group = true')
    library = _library(tmp_path, **{"groups.toml": groups, "newcomer": journey})
    clock = Clock(_at(date(2026, 11, 23), 9).astimezone(UTC))
    recorder = recorder_for(tmp_path, library, clock=clock)
    state = recorder.start_instance("newcomer", date(2026, 11, 23), title="11-23 新人")
    assert state.steps["welcome"].expected == ["new-1", "new-2"]
    state = recorder.complete(state.run_id, "welcome", group="new-1")
    assert state.steps["welcome"].status == "pending" and state.steps["welcome"].groups_left == ["new-2"]
    with pytest.raises(ActionError, match="per group"):
        recorder.complete(state.run_id, "welcome")
    state = recorder.skip(state.run_id, "welcome", "群已解散", group="new-2")
    assert state.steps["welcome"].status == "done"
    assert [s.step.id for s in instances(recorder.ledger)[0].next_due] == ["perk"]


# -- auto-started cohorts -------------------------------------------------------------------


def test_auto_start_cohorts_day_after_day(tmp_path: Path) -> None:
    library = _library(tmp_path, newcomer=NEWCOMER)
    clock = Clock(_at(date(2026, 11, 23), 9).astimezone(UTC))
    recorder = recorder_for(tmp_path, library, clock=clock)
    # Building the agenda reads only: no cohort is started by it.
    agenda = build_agenda(recorder.ledger)
    assert agenda.journeys == [] and agenda.unseen == ["newcomer"]
    started = start_due_cohorts(recorder)
    assert [s.run_id for s in started] == ["newcomer~2026-11-23"]
    assert started[0].events[0].payload == {"anchor": "2026-11-23", "auto": "daily"}
    assert start_due_cohorts(recorder) == []  # once per day
    agenda = build_agenda(recorder.ledger)
    assert [j.run.run_id for j in agenda.journeys] == ["newcomer~2026-11-23"]
    assert [(s.label, s.step.id) for s in agenda.journeys[0].next_due] == [("D0", "welcome")]
    # Three days without anyone opening soptui: the missing cohorts start, oldest first, and the
    # first cohort's D1 step is overdue (missed unless done late), not "not applicable".
    clock.advance(days=3)
    started = start_due_cohorts(recorder)
    assert [s.run_id for s in started] == [
        "newcomer~2026-11-24",
        "newcomer~2026-11-25",
        "newcomer~2026-11-26",
    ]
    first = next(i for i in instances(recorder.ledger) if i.run.run_id == "newcomer~2026-11-23")
    assert [s.step.id for s in first.overdue] == ["welcome", "perk"]
    assert all(s.status == "pending" for s in first.run.steps.values())
    assert len(instances(recorder.ledger)) == 4


def test_weekly_cohorts_anchor_on_monday(tmp_path: Path) -> None:
    library = _library(tmp_path, newcomer=NEWCOMER.replace('auto_start = "daily"', 'auto_start = "weekly"'))
    clock = Clock(_at(date(2026, 11, 26), 9).astimezone(UTC))  # a Thursday
    recorder = recorder_for(tmp_path, library, clock=clock)
    assert [s.run_id for s in start_due_cohorts(recorder)] == ["newcomer~2026-11-23"]
    playbook = library.get("newcomer")
    assert playbook is not None
    seen = recorder.journal.first_seen()["newcomer"]
    clock.advance(days=14)
    # The 11-23 cohort's journey (+7d) is over: only cohorts with steps ahead are (re)considered.
    assert cohort_anchors(recorder, playbook, clock(), seen) == [date(2026, 11, 30), date(2026, 12, 7)]
    assert [s.run_id for s in start_due_cohorts(recorder)] == ["newcomer~2026-11-30", "newcomer~2026-12-07"]


def test_a_read_only_journal_starts_nothing(tmp_path: Path) -> None:
    library = _library(tmp_path, newcomer=NEWCOMER)
    recorder_for(tmp_path, library).journal.close()
    readonly = Journal.open(tmp_path / "journal.sqlite3", readonly=True)
    recorder = recorder_for(tmp_path, library, journal=readonly)
    assert start_due_cohorts(recorder) == []


# -- routines on working days ---------------------------------------------------------------


def test_a_working_days_routine_is_not_due_on_spring_festival(tmp_path: Path) -> None:
    library = _library(tmp_path, post=HOLIDAY_ROUTINE, check=PLAIN_ROUTINE)
    clock = Clock(_at(date(2026, 2, 12), 8).astimezone(UTC))
    recorder = recorder_for(tmp_path, library, clock=clock)
    record_sightings(recorder, build_agenda(recorder.ledger))
    clock.now = _at(date(2026, 2, 17), 15).astimezone(UTC)  # 初一, a public holiday
    items = {i.entry.playbook.id: i for i in build_agenda(recorder.ledger).routines}
    post, check = items["post"], items["check"]
    assert post.not_due and post.state_word == "not due" and not post.overdue
    assert not check.not_due and check.overdue
    # Missed: only the working days, including Saturday 02-14 (调休), never the holiday.
    assert post.missed == ["2026-02-13", "2026-02-14"]
    assert check.missed == ["2026-02-13", "2026-02-14", "2026-02-15", "2026-02-16"]
    clock.now = _at(date(2026, 2, 25), 15).astimezone(UTC)
    assert {i.entry.playbook.id: i for i in build_agenda(recorder.ledger).routines}["post"].missed == [
        "2026-02-13",
        "2026-02-14",
        "2026-02-24",
    ]


# -- export and import ----------------------------------------------------------------------


def test_instances_survive_export_and_import(tmp_path: Path) -> None:
    library = _library(tmp_path, launch=LAUNCH, newcomer=NEWCOMER)
    clock = Clock(_at(date(2026, 11, 20), 9).astimezone(UTC))
    recorder = recorder_for(tmp_path, library, clock=clock)
    state = recorder.start_instance("launch", date(2026, 12, 12), time(20), "双12直播")
    recorder.complete(state.run_id, "plan")
    start_due_cohorts(recorder)
    text = "".join(
        line if line.endswith("\n") else line + "\n" for line in export_jsonl(recorder.journal, None, None)
    )
    fresh = Journal.open(tmp_path / "fresh.sqlite3")
    versions, events = parse_lines(io.StringIO(text).read().splitlines(), "export.jsonl")
    other = Recorder(fresh, library, SHANGHAI, recorder.identity, clock)
    import_events(fresh, versions, events, lambda run_id: other.state(run_id).closed_at)
    before = [(i.run.run_id, i.title, i.run.anchor, i.run.done_count) for i in instances(recorder.ledger)]
    after = [(i.run.run_id, i.title, i.run.anchor, i.run.done_count) for i in instances(other.ledger)]
    assert after == before and len(after) == 2
    assert fresh.open_incidents() == []  # an instance is never taken for an incident


def test_an_instance_event_without_anchor_is_refused_on_import(tmp_path: Path) -> None:
    library = _library(tmp_path, launch=LAUNCH)
    recorder = recorder_for(tmp_path, library, clock=Clock(_at(date(2026, 11, 20)).astimezone(UTC)))
    recorder.start_instance("launch", date(2026, 12, 12), time(20))
    lines = list(export_jsonl(recorder.journal, None, None))
    broken = [line.replace('"anchor":"2026-12-12T20:00"', '"anchor":"soon"') for line in lines]
    with pytest.raises(ValueError, match="anchor"):
        parse_lines(broken, "export.jsonl")


# -- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    directory = tmp_path / "pbs"
    directory.mkdir()
    today = date.today()
    journey = (
        'title = "活动倒计时"\ncadence = "sequence"\n'
        '[[steps]]\nid = "remind"\ntitle = "Remind"\noffset = "-1d"\nat = "10:00"\n'
        '[[steps]]\nid = "live"\ntitle = "Go live"\noffset = "0d"\nat = "20:00"\n'
        '[[steps]]\nid = "recap"\ntitle = "Recap"\noffset = "+1d"\n'
    )
    (directory / "event.toml").write_text(journey, encoding="utf-8")
    (directory / "morning.toml").write_text(PLAIN_ROUTINE, encoding="utf-8")
    monkeypatch.setenv("SOPTUI_PLAYBOOKS", str(directory))
    monkeypatch.setenv("SOPTUI_JOURNAL", str(tmp_path / "j.sqlite3"))
    monkeypatch.setenv("SOPTUI_OPERATOR", "alice")
    monkeypatch.setenv("TZ", "Asia/Shanghai")

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    run.today = today  # type: ignore[attr-defined]
    return run


def test_cli_start_instances_and_due_json(cli) -> None:  # type: ignore[no-untyped-def]
    today: date = cli.today
    anchor = today + timedelta(days=2)
    code, out, err = cli("start", "event", "--anchor", anchor.isoformat(), "--title", "双12直播")
    assert code == 0, err
    assert f"event~{anchor.isoformat()}" in out and "双12直播" in out and "T-1 Remind" in out
    code, out, _ = cli("start", "event", "--anchor", anchor.isoformat(), "--title", "第二场")
    assert code == 0 and f"event~{anchor.isoformat()}-2" in out
    code, out, _ = cli("instances", "--json")
    # the bundled newcomer-journey starts a cohort of its own (auto_start): look at "event" only
    listed = [i for i in json.loads(out)["instances"] if i["playbook"] == "event"]
    assert [i["title"] for i in listed] == ["双12直播", "第二场"]
    assert listed[0]["anchor"] == anchor.isoformat() and listed[0]["done"] == 0 and listed[0]["total"] == 3
    code, out, _ = cli("instances")
    assert code == 0 and "双12直播" in out and "T-1 Remind" in out
    # As of the anchor day at noon: T-1 (yesterday 10:00) is 26 hours overdue; T0 is next.
    code, out, _ = cli("due", "--json", "--date", anchor.isoformat())
    journeys = [j for j in json.loads(out)["journeys"] if j["playbook"] == "event"]
    assert [j["run"] for j in journeys] == [f"event~{anchor.isoformat()}", f"event~{anchor.isoformat()}-2"]
    overdue = journeys[0]["overdue"][0]
    assert (overdue["step"], overdue["label"], overdue["offset"], overdue["state"]) == (
        "remind",
        "T-1",
        "-1d",
        "overdue",
    )
    assert (overdue["late"], overdue["late_minutes"]) == ("26h00m", 26 * 60)
    assert [s["step"] for s in journeys[0]["next"]] == ["live"]
    code, out, _ = cli("due", "--date", anchor.isoformat())
    assert "◆ 双12直播" in out and "26h00m" in out
    # done/skip on a journey with two instances need --run; with it, they act on that instance.
    code, _, err = cli("done", "event", "remind")
    assert code == 1 and "2 active instances" in err
    code, out, err = cli("done", "event", "remind", "--run", f"event~{anchor.isoformat()}-2")
    assert code == 0, err
    assert "1/3" in out
    code, _, err = cli("start", "morning", "--anchor", anchor.isoformat())
    assert code == 1 and "not a dated journey" in err
    code, _, err = cli("start", "event", "--anchor", "2026-02-30")
    assert code == 2 and "February 2026 has 28 days" in err


def test_cli_journey_with_one_instance_needs_no_run(cli) -> None:  # type: ignore[no-untyped-def]
    today: date = cli.today
    code, _, err = cli("done", "event", "remind")
    assert code == 1 and "no active instance" in err
    assert cli("start", "event", "--anchor", (today + timedelta(days=5)).isoformat())[0] == 0
    code, out, err = cli("skip", "event", "remind", "--reason", "不需要")
    assert code == 0 and "1/3" in out, err
    code, out, _ = cli("instances", "--all", "--json")
    [event] = [i for i in json.loads(out)["instances"] if i["playbook"] == "event"]  # not the bundled cohort
    assert event["done"] == 1


async def test_today_starts_the_cohort_and_lists_the_journey(tmp_path: Path) -> None:
    """The app starts the day's cohort off the UI thread, then shows it under Journeys."""
    from soptui.tui.screens.run import RunScreen

    app = journey_app(tmp_path, newcomer=NEWCOMER)
    async with app.run_test(size=(100, 30)) as pilot:
        options = app.screen.query_one("#agenda")
        rows: list[str] = []
        for _ in range(50):  # the worker commits, then the agenda is rebuilt on the UI thread
            await pilot.pause(0.05)
            rows = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]  # type: ignore[attr-defined]
            if "Journeys" in rows:
                break
        assert "Journeys" in rows
        row = next(i for i, r in enumerate(rows) if "新人旅程" in r)
        assert "D0 due 24:00" in rows[row]  # "Welcome" is due by the end of the cohort's first day
        options.highlighted = row  # type: ignore[attr-defined]
        await pilot.press("enter")
        assert isinstance(app.screen, RunScreen) and "~2026-11-23" in app.screen.state.run_id


async def test_the_app_starts_a_countdown_from_the_palette(tmp_path: Path) -> None:
    from soptui.tui.screens.modals import Prompt
    from soptui.tui.screens.run import RunScreen

    app = journey_app(tmp_path, launch=LAUNCH)
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [str(c.title) for c in app.get_system_commands(app.screen)]
        assert any(t.startswith("Start: ") for t in titles)  # the palette offers it
        app.open_playbook("launch")
        await pilot.pause()
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"2026-12-12 20:00", "enter")
        await pilot.press(*"双12直播", "enter")
        assert isinstance(app.screen, RunScreen)
        assert app.screen.state.run_id == "launch~2026-12-12" and app.screen.state.title == "双12直播"
        rows = [str(o.prompt) for o in app.screen.query_one("#steps").options]  # type: ignore[attr-defined]
        assert any("Announce" in r and "T-7 12-05 10:00" in r for r in rows), rows  # label and due


def test_the_review_counts_journey_steps_by_hand(tmp_path: Path) -> None:
    import json as json_

    from soptui.review import build_review, week_range
    from soptui.review.render import render_csv, render_json, render_text
    from tests.ui_support import MONDAY_9AM

    clock = Clock(MONDAY_9AM)  # Monday 2026-11-23 09:00, week 48
    recorder = recorder_for(tmp_path, library_from(tmp_path, launch=LAUNCH), clock=clock)
    state = recorder.start_instance("launch", date(2026, 11, 27), time(20, 0), "双12直播")
    # T-14 and T-7 had passed when it started: not applicable, never missed. T+3 is next week.
    clock.now = datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI)
    recorder.complete(state.run_id, "remind")  # due 19:00: on time
    clock.now = datetime(2026, 11, 27, 21, 0, tzinfo=SHANGHAI)
    recorder.complete(state.run_id, "live")  # due 20:00: late
    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI)
    review = build_review(recorder.ledger, week_range("2026-W48"))
    rows = {j.label: (j.on_time, j.late, j.missed, j.pending) for j in review.journeys}
    assert rows == {"T-1h": (1, 0, 0, 0), "T0": (0, 1, 0, 0)}
    assert review.journey_counts is not None
    assert (review.journey_counts.active, review.journey_counts.started, review.journey_counts.finished) == (
        1,
        1,
        0,
    )
    data = json_.loads(render_json(review))
    assert data["journey_instances"] == {"active": 1, "started": 1, "finished": 0}
    assert "直播倒计时 T0: 0 on time, 1 late, 0 missed, 0 to come" in render_text(review)
    assert render_csv(review, "journeys").splitlines()[0].startswith("playbook,title,label,on_time")


def test_offsets_are_wall_clock_across_a_dst_change() -> None:
    """In a zone with daylight saving, a day offset keeps the time of day and an hours offset
    counts wall-clock hours from the anchor (documented in docs/playbook-format.md)."""
    from zoneinfo import ZoneInfo

    from soptui.playbooks.models import Playbook
    from soptui.schedule import step_due

    berlin = ZoneInfo("Europe/Berlin")  # summer time starts 2026-03-29 02:00 -> 03:00
    playbook = Playbook.model_validate(
        {
            "id": "launch",
            "title": "Launch",
            "cadence": "sequence",
            "steps": [
                {"id": "eve", "title": "Eve", "offset": "-1d", "at": "10:00"},
                {"id": "next", "title": "Next", "offset": "+1d", "at": "10:00"},
                {"id": "before", "title": "Before", "offset": "-2h"},
            ],
        }
    )
    anchor, at = date(2026, 3, 29), time(3, 30)
    eve, nxt, before = (step_due(playbook, s, anchor, at, berlin) for s in playbook.steps)
    assert (eve.date(), eve.time(), eve.utcoffset()) == (date(2026, 3, 28), time(10), timedelta(hours=1))
    assert (nxt.date(), nxt.time(), nxt.utcoffset()) == (date(2026, 3, 30), time(10), timedelta(hours=2))
    assert before.replace(tzinfo=None) == datetime(2026, 3, 29, 1, 30)  # wall clock: 03:30 - 2 h
    day_before = step_due(playbook, playbook.steps[0], anchor, at, SHANGHAI)  # no DST: the same rule
    assert (day_before.date(), day_before.time()) == (date(2026, 3, 28), time(10))


def journey_app(tmp_path: Path, **playbooks: str):  # type: ignore[no-untyped-def]
    """The app on these playbooks, a fresh journal and a frozen Monday-morning clock."""
    from soptui.journal import Journal
    from soptui.recorder import Identity, Recorder
    from soptui.tui.app import make_app
    from soptui.tui.services import Services
    from tests.ui_support import MONDAY_9AM

    journal = Journal.open(tmp_path / "journal.sqlite3")
    library = library_from(tmp_path, **playbooks)
    recorder = Recorder(journal, library, SHANGHAI, Identity("alice", "alice", "h"), Clock(MONDAY_9AM))
    return make_app(Services(recorder, "en", tmp_path / "reports", []))


@pytest.mark.parametrize(
    ("run_id", "refused"),
    [
        ("launch~2026-12-12", False),
        ("launch~2026-12-12-2", False),
        ("launch~2026-12-13", True),  # another day than its anchor
        ("launch~2026-12-12-0", True),  # instances are numbered from 2
        ("launch~2026-12-1", True),
    ],
)
def test_an_imported_instance_must_be_named_after_its_anchor_day(
    tmp_path: Path, run_id: str, refused: bool
) -> None:
    library = _library(tmp_path, launch=LAUNCH)
    recorder = recorder_for(tmp_path, library)
    state = recorder.start_instance("launch", date(2026, 12, 12), time(20))
    lines = [line.replace(state.run_id, run_id) for line in export_jsonl(recorder.journal, None, None)]
    if refused:
        with pytest.raises(ImportProblem, match="must be named after its anchor day 2026-12-12"):
            parse_lines(lines, "export.jsonl")
    else:
        _versions, events = parse_lines(lines, "export.jsonl")
        assert {e.run_id for e in events if e.kind == "run.opened"} == {run_id}


def test_the_review_folds_only_the_instances_that_can_count_in_its_week(tmp_path: Path) -> None:
    """A journey finished before the week counts only for its steps due in the week; one over
    long ago is not even folded (five years of journeys would be folded for every review)."""
    from soptui.review import build_review, week_range

    clock = Clock(datetime(2026, 9, 1, 9, tzinfo=SHANGHAI))
    recorder = recorder_for(tmp_path, library_from(tmp_path, launch=LAUNCH), clock=clock)
    old = recorder.start_instance("launch", date(2026, 9, 20), time(20), "over in September")
    early = recorder.start_instance("launch", date(2026, 11, 24), time(20), "done ahead of time")
    for state in (old, early):
        for step in ("plan", "announce", "remind", "live", "recap"):
            recorder.complete(state.run_id, step)
        assert recorder.ledger.state(state.run_id).is_closed
    clock.now = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)
    running = recorder.start_instance("launch", date(2026, 12, 24), time(20), "running")
    folded: list[str] = []
    fold_rows = recorder.ledger.fold_rows

    def counting(rows):  # type: ignore[no-untyped-def]
        folded.extend(row.run_id for row in rows)
        return fold_rows(rows)

    recorder.ledger.fold_rows = counting  # type: ignore[method-assign]
    clock.now = datetime(2026, 11, 30, 10, tzinfo=SHANGHAI)
    review = build_review(recorder.ledger, week_range("2026-W48"))
    assert old.run_id not in folded and {early.run_id, running.run_id} <= set(folded)
    rows = {j.label: (j.on_time, j.late, j.missed, j.pending) for j in review.journeys}
    assert rows == {"T-1h": (1, 0, 0, 0), "T0": (1, 0, 0, 0), "T+3": (1, 0, 0, 0)}  # done ahead: on time
    assert review.journey_counts is not None
    counts = review.journey_counts
    assert (counts.active, counts.started, counts.finished) == (1, 1, 0)  # the running one, started on Monday
    september = build_review(recorder.ledger, week_range("2026-W38"))  # 09-14 … 09-20
    assert {j.label for j in september.journeys} == {"T-1h", "T0"}
    assert old.run_id in folded
