"""The run engine through the recorder: every action one committed event, state derived."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from soptui.agenda import build_agenda, record_sightings
from soptui.journal import Journal
from soptui.recorder import ActionError
from tests.helpers import DAILY, INCIDENT, WEEKLY, Clock, library_from, recorder_for
from tests.pg_support import Backend


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai


def test_routine_run_is_one_per_period_in_team_zone(tmp_path: Path, backend: Backend, clock: Clock) -> None:
    recorder = recorder_for(
        tmp_path, library_from(tmp_path, morning=DAILY, weekly=WEEKLY), clock=clock, journal=backend.open()
    )
    run = recorder.routine_run("morning")
    assert run.run_id == "morning@2026-11-23"
    assert recorder.routine_run("morning").run_id == run.run_id
    assert recorder.routine_run("weekly").run_id == "weekly@2026-W48"
    clock.now = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # 00:30 on the 24th in Shanghai
    assert recorder.routine_run("morning").run_id == "morning@2026-11-24"
    events = recorder.journal.run_events("morning@2026-11-23")
    assert [e.kind for e in events] == ["run.opened"]


def test_complete_skip_conditions_and_finish(tmp_path: Path, backend: Backend, clock: Clock) -> None:
    recorder = recorder_for(
        tmp_path, library_from(tmp_path, morning=DAILY), clock=clock, journal=backend.open()
    )
    run_id = recorder.routine_run("morning").run_id
    state = recorder.complete(run_id, "welcome")
    assert state.steps["welcome"].status == "done"
    assert state.steps["welcome"].by == "alice"
    assert state.current() is not None and state.current().step.id == "found-negative"  # type: ignore[union-attr]
    with pytest.raises(ActionError, match="a value is required"):
        recorder.complete(run_id, "found-negative")
    with pytest.raises(ActionError, match="answer yes or no"):
        recorder.complete(run_id, "found-negative", "maybe")
    state = recorder.complete(run_id, "found-negative", "否")
    assert state.steps["found-negative"].value is False
    assert state.steps["escalate"].status == "n/a"
    assert state.total == 4
    with pytest.raises(ActionError, match="already done by alice at 09:00"):
        recorder.skip(run_id, "welcome")
    with pytest.raises(ActionError, match="already done by alice"):
        recorder.complete(run_id, "welcome")
    state = recorder.skip(run_id, "topic")  # optional: no reason needed
    assert state.steps["topic"].status == "skipped"
    assert not state.is_closed
    state = recorder.complete(run_id, "new-members", "12")
    assert state.steps["new-members"].value == 12
    assert state.is_closed
    assert recorder.journal.run(run_id).closed_at == clock.now  # type: ignore[union-attr]


def test_skip_needs_reason_unless_optional(tmp_path: Path, backend: Backend) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), journal=backend.open())
    run_id = recorder.routine_run("morning").run_id
    with pytest.raises(ActionError, match="needs a reason"):
        recorder.skip(run_id, "welcome", "  ")
    state = recorder.skip(run_id, "welcome", "no newcomers today")
    assert state.steps["welcome"].reason == "no newcomers today"


def test_yes_makes_conditional_step_apply(tmp_path: Path, backend: Backend) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), journal=backend.open())
    run_id = recorder.routine_run("morning").run_id
    assert recorder.state(run_id).steps["escalate"].status == "pending"
    state = recorder.complete(run_id, "found-negative", "yes")
    assert state.steps["escalate"].status == "pending"
    assert state.total == 5


def test_undo_is_an_event_and_restores(tmp_path: Path, backend: Backend) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), journal=backend.open())
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "welcome")
    recorder.complete(run_id, "found-negative", "yes")
    state, undone = recorder.undo(run_id)
    assert undone.step_id == "found-negative"
    assert state.steps["found-negative"].status == "pending"
    assert state.steps["escalate"].status == "pending"
    state, undone = recorder.undo(run_id)
    assert state.steps["welcome"].status == "pending"
    with pytest.raises(ActionError, match="nothing of yours to undo"):
        recorder.undo(run_id)
    kinds = [e.kind for e in recorder.journal.run_events(run_id)]
    assert kinds == ["run.opened", "step.done", "step.done", "undo", "undo"]


def test_undo_only_undoes_own_actions(tmp_path: Path, backend: Backend) -> None:
    library = library_from(tmp_path, morning=DAILY)
    alice = recorder_for(tmp_path, library, "alice", journal=backend.open())
    bob = recorder_for(tmp_path, library, "bob", journal=alice.journal)
    run_id = alice.routine_run("morning").run_id
    alice.complete(run_id, "welcome")
    bob.complete(run_id, "found-negative", "no")
    state, undone = alice.undo(run_id)
    assert undone.operator == "alice"
    assert state.steps["found-negative"].status == "done"


def test_finish_early_records_left_steps(tmp_path: Path, backend: Backend) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), journal=backend.open())
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "welcome")
    state = recorder.finish(run_id)
    assert state.is_closed
    assert state.left == ["found-negative", "escalate", "topic", "new-members"]
    with pytest.raises(ActionError, match="already finished"):
        recorder.complete(run_id, "topic")
    state = recorder.note(run_id, "late note is fine")  # type: ignore[assignment]
    assert state.notes[0].payload["text"] == "late note is fine"


def test_notes_checklist_and_day_log(tmp_path: Path, backend: Backend) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), journal=backend.open())
    run_id = recorder.routine_run("morning").run_id
    state = recorder.tick(run_id, "welcome", 1)
    assert state.steps["welcome"].ticked == {1}
    state = recorder.tick(run_id, "welcome", 1, ticked=False)
    assert state.steps["welcome"].ticked == set()
    with pytest.raises(ActionError, match="no checklist item 3"):
        recorder.tick(run_id, "welcome", 2)
    state = recorder.note(run_id, "[bold]not markup[/]", "welcome")  # type: ignore[assignment]
    assert state.steps["welcome"].notes[0].payload["text"] == "[bold]not markup[/]"
    assert recorder.note(None, "quiet morning") is None
    with pytest.raises(ActionError, match="empty"):
        recorder.note(run_id, "   ")
    with pytest.raises(ActionError, match="longer than 64 KiB"):
        recorder.note(run_id, "x" * (64 * 1024 + 1))
    agenda = build_agenda(recorder.ledger)
    assert [n.payload["text"] for n in agenda.day_notes] == ["quiet morning"]


def test_incidents(tmp_path: Path, backend: Backend, clock: Clock) -> None:
    recorder = recorder_for(
        tmp_path, library_from(tmp_path, spam=INCIDENT, morning=DAILY), clock=clock, journal=backend.open()
    )
    with pytest.raises(ActionError, match="severity must be one of P1, P2"):
        recorder.open_incident("spam", "wave", "P3")
    with pytest.raises(ActionError, match="not an incident playbook"):
        recorder.open_incident("morning", "x")
    with pytest.raises(ActionError, match="incident playbook: open it with a title"):
        recorder.routine_run("spam")
    first = recorder.open_incident("spam", "wave one", "P1")
    second = recorder.open_incident("spam", "wave two")
    assert second.severity == "P2"  # the least severe by default
    assert first.run_id != second.run_id
    assert [r.run_id for r in recorder.journal.open_incidents()] == [first.run_id, second.run_id]
    clock.advance(minutes=42)
    recorder.complete(first.run_id, "contain")
    resolved = recorder.resolve(first.run_id, "banned 30 accounts")
    assert resolved.summary == "banned 30 accounts"
    assert resolved.elapsed(clock.now).total_seconds() == 42 * 60
    assert [r.run_id for r in recorder.journal.open_incidents()] == [second.run_id]


def test_backfill_goes_to_the_period_of_the_instant(tmp_path: Path, backend: Backend, clock: Clock) -> None:
    recorder = recorder_for(
        tmp_path, library_from(tmp_path, morning=DAILY), clock=clock, journal=backend.open()
    )
    # 23:30 on the 21st in Shanghai is 15:30 UTC the same day; the 22nd in UTC+8 starts at 16:00.
    at = datetime(2026, 11, 21, 15, 30, tzinfo=UTC)
    run = recorder.routine_run("morning", at)
    assert run.run_id == "morning@2026-11-21"
    state = recorder.complete(run.run_id, "welcome", at=at)
    assert state.steps["welcome"].at == at


def test_resume_after_reopen_equals_state(tmp_path: Path, backend: Backend) -> None:
    library = library_from(tmp_path, morning=DAILY)
    recorder = recorder_for(tmp_path, library, journal=backend.open())
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "welcome")
    recorder.note(run_id, "n1", "welcome")
    before = recorder.state(run_id)
    recorder.journal.close()
    again = recorder_for(tmp_path, library, journal=backend.open())
    after = again.state(run_id)
    assert {k: (s.status, s.value) for k, s in after.steps.items()} == {
        k: (s.status, s.value) for k, s in before.steps.items()
    }
    assert [e.uuid for e in after.events] == [e.uuid for e in before.events]


def test_history_reads_right_after_playbook_changes(tmp_path: Path, backend: Backend) -> None:
    library = library_from(tmp_path, morning=DAILY)
    recorder = recorder_for(tmp_path, library, journal=backend.open())
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "welcome")
    recorder.journal.close()
    (tmp_path / "playbooks" / "morning.toml").unlink()
    empty = library_from(tmp_path)
    again = recorder_for(tmp_path, empty, journal=backend.open())
    state = again.state(run_id)
    assert state.playbook.title == "Morning round"
    assert state.steps["welcome"].status == "done"


def test_agenda_states_overdue_and_missed(tmp_path: Path, backend: Backend, clock: Clock) -> None:
    library = library_from(tmp_path, morning=DAILY, weekly=WEEKLY)
    recorder = recorder_for(tmp_path, library, clock=clock, journal=backend.open())
    agenda = build_agenda(recorder.ledger)  # first sighting: Monday 09:00
    assert agenda.unseen == ["morning", "weekly"]
    record_sightings(recorder, agenda)  # the app does this in a worker; `due` never does
    assert build_agenda(recorder.ledger).unseen == []
    morning = next(i for i in agenda.routines if i.entry.playbook.id == "morning")
    assert morning.state_word == "not started"
    assert not morning.overdue and morning.missed == []
    clock.advance(hours=2)  # 11:00, past due 10:00
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "welcome")
    morning = next(i for i in build_agenda(recorder.ledger).routines if i.entry.playbook.id == "morning")
    assert morning.overdue and morning.state_word == "in progress"
    clock.advance(days=3)  # Thursday: Tue and Wed were missed, Mon still unfinished
    morning = next(i for i in build_agenda(recorder.ledger).routines if i.entry.playbook.id == "morning")
    assert morning.missed == ["2026-11-24", "2026-11-25"]
    assert isinstance(Journal, type)


def test_demo_history_is_realistic_and_consistent(tmp_path: Path, backend: Backend) -> None:
    from soptui.demo import fill_demo
    from soptui.playbooks.library import bundled_source, load_library
    from soptui.review import build_review, week_range
    from tests.helpers import SHANGHAI

    library = load_library([bundled_source("en")])
    journal = backend.open("demo")
    now = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
    fill_demo(journal, library, SHANGHAI, now, "en")
    assert journal.integrity_problems() == []
    assert journal.event_count() > 500
    recorder = recorder_for(tmp_path, library, journal=journal, clock=Clock(now))
    review = build_review(recorder.ledger, week_range("2026-W47"))
    daily = [r for r in review.routines if r.cadence == "daily"]
    assert all(r.expected for r in daily) and any(r.completed for r in daily)
    assert any(m.value is not None for m in review.metrics)
    assert len({p.login for p in review.people}) >= 3
