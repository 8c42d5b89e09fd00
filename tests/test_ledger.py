"""The read side: run ids written and parsed in one place, and a Ledger that reads runs
without a Recorder (read-only commands build one; nothing here can write)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soptui.agenda import build_agenda
from soptui.coordination import Coordinator
from soptui.journal import Journal
from soptui.ledger import ActionError, Ledger
from soptui.review import build_review, week_range
from soptui.review.build import ReviewRange
from soptui.run_ids import (
    incident_run_id,
    instance_key,
    instance_run_id,
    parse_run_id,
    routine_period,
    routine_run_id,
)
from soptui.schedule import cadence_of, is_iso_week
from tests.helpers import DAILY, SHANGHAI, WEEKLY, Clock, library_from, recorder_for
from tests.pg_support import Backend

playbook_ids = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@given(playbook_ids, st.dates(date(1971, 1, 1), date(9998, 1, 1)), st.integers(1, 99))
def test_an_instance_id_parses_back_to_its_parts(playbook_id: str, anchor: date, number: int) -> None:
    run_id = instance_run_id(playbook_id, anchor, number)
    parsed = parse_run_id(run_id)
    assert parsed is not None
    assert (parsed.playbook_id, parsed.kind, parsed.anchor, parsed.number) == (
        playbook_id,
        "instance",
        anchor,
        number,
    )
    assert instance_key(run_id) == run_id[len(playbook_id) :]
    assert routine_period(run_id) is None


@given(playbook_ids, st.sampled_from(["2026-11-23", "2026-W48", "2026-11"]))
def test_a_routine_id_parses_back_to_its_period(playbook_id: str, period: str) -> None:
    run_id = routine_run_id(playbook_id, period)
    parsed = parse_run_id(run_id)
    assert parsed is not None and (parsed.playbook_id, parsed.kind, parsed.period) == (
        playbook_id,
        "routine",
        period,
    )
    assert routine_period(run_id) == period
    assert instance_key(run_id) is None


def test_incident_ids_and_foreign_ids() -> None:
    parsed = parse_run_id(incident_run_id("outage", "0a1b2c3d"))
    assert parsed is not None and (parsed.kind, parsed.token) == ("incident", "0a1b2c3d")
    assert instance_key("outage#0a1b2c3d") is None
    assert parse_run_id("imported-run") is None
    assert parse_run_id("journey~not-a-day") is None
    assert parse_run_id("journey~2026-02-30") is None


def test_a_period_says_its_cadence_and_a_week_is_told_by_its_days() -> None:
    assert [cadence_of(p) for p in ("2026-11-23", "2026-W48", "2026-11")] == ["daily", "weekly", "monthly"]
    assert week_range("2026-W48").is_week
    assert is_iso_week(date(2026, 11, 23), date(2026, 11, 29), "2026-W48")
    # A custom range whose label happens to contain "-W" is not a week.
    assert not ReviewRange(date(2026, 11, 24), date(2026, 11, 30), "my-Week").is_week
    assert not is_iso_week(date(2026, 11, 23), date(2026, 11, 30), "2026-W48")
    assert week_range("2026-W48").previous().label == "2026-W47"


def test_a_ledger_reads_what_a_recorder_wrote_from_a_read_only_journal(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    library = library_from(tmp_path, morning=DAILY, weekly=WEEKLY)
    recorder = recorder_for(tmp_path, library, clock=clock)
    run_id = recorder.routine_run("morning").run_id
    written = recorder.complete(run_id, "welcome")
    recorder.journal.close()

    journal = Journal.open(tmp_path / "journal.sqlite3", readonly=True)
    ledger = Ledger(journal, library, SHANGHAI, clock)
    state = ledger.state(run_id)
    assert state.steps["welcome"].status == written.steps["welcome"].status == "done"
    assert ledger.current_period(library.entries["weekly"].playbook) == "2026-W48"
    agenda = build_agenda(ledger)
    assert [item.run.run_id for item in agenda.routines if item.run] == [run_id]
    review = build_review(ledger, week_range("2026-W48"))
    assert review.is_week and review.label == "2026-W48"
    with pytest.raises(ActionError, match="did you mean 'morning'"):
        ledger.entry("mornin")
    with pytest.raises(ActionError, match="no run"):
        ledger.state("morning@2026-11-24")


def test_an_action_that_leaves_the_run_open_does_not_rewrite_its_row(tmp_path: Path) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY))
    run_id = recorder.routine_run("morning").run_id
    writes: list[object] = []
    journal = recorder.journal
    original = journal.set_run_closed

    def counted(run: str, closed: datetime | None) -> None:
        writes.append(closed)
        original(run, closed)

    journal.set_run_closed = counted  # type: ignore[method-assign]
    recorder.complete(run_id, "welcome")
    recorder.note(run_id, "fine", "welcome")
    assert writes == []
    finished = recorder.finish(run_id)
    assert writes == [finished.closed_at] and journal.run(run_id).closed_at is not None  # type: ignore[union-attr]
    recorder.undo(run_id)
    assert writes[-1] is None and journal.run(run_id).closed_at is None  # type: ignore[union-attr]


def test_a_review_folds_a_run_again_only_when_something_was_appended_to_it(
    tmp_path: Path, backend: Backend
) -> None:
    """The ledger keeps the runs a review folded: the same week again reads no event, and a
    run that gained an event since (a correction, a late note) is folded again, so the
    figures always say what the journal holds."""
    clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    recorder = recorder_for(
        tmp_path, library_from(tmp_path, morning=DAILY), clock=clock, journal=backend.open()
    )
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "new-members", "5")
    ledger = recorder.ledger
    reads: list[list[str]] = []
    read_runs = ledger._read_runs

    def counted(stale: list[Any]) -> Any:
        reads.append([row.run_id for row, _playbook, _groups in stale])
        return read_runs(stale)

    ledger._read_runs = counted  # type: ignore[method-assign]
    week = week_range("2026-W48")

    def members() -> float | None:
        return next(m.value for m in build_review(ledger, week).metrics if m.metric == "members.new")

    assert members() == 5 and reads == [[run_id]]
    first = ledger.fold_rows([ledger.journal.run(run_id)])[0]  # type: ignore[list-item]
    assert members() == 5 and reads == [[run_id]]  # nothing appended: nothing read
    assert ledger.fold_rows([ledger.journal.run(run_id)])[0] is first  # type: ignore[list-item]
    Coordinator(recorder).amend(run_id, "new-members", "typo", "7")
    assert members() == 7 and reads == [[run_id], [run_id]]
    recorder.note(run_id, "late", "welcome")
    assert ledger.fold_rows([ledger.journal.run(run_id)])[0].steps["welcome"].notes  # type: ignore[list-item]
    assert len(reads) == 3


def test_runs_folded_for_figures_in_batches_say_what_one_fold_says_without_their_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fold_rows reads a batch of runs at a time and lets their events go once folded; each
    state is the one fold_row gives, but for ``events`` (what undo and the timeline need)."""
    import dataclasses

    import soptui.ledger as ledger_module

    clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY, weekly=WEEKLY), clock=clock)
    run_ids = []
    for day in range(23, 30):
        clock.now = datetime(2026, 11, day, 1, 0, tzinfo=UTC)
        run_id = recorder.routine_run("morning").run_id
        recorder.complete(run_id, "new-members", str(day))
        recorder.skip(run_id, "topic", "busy")
        run_ids.append(run_id)
    run_ids.append(recorder.routine_run("weekly").run_id)
    rows = [recorder.journal.run(run_id) for run_id in run_ids]
    monkeypatch.setattr(ledger_module, "FOLD_BATCH", 3)
    reads: list[int] = []
    read_runs = recorder.ledger._read_runs

    def counted(stale: list[Any]) -> Any:
        reads.append(len(stale))
        return read_runs(stale)

    recorder.ledger._read_runs = counted  # type: ignore[method-assign]
    states = recorder.ledger.fold_rows(rows)  # type: ignore[arg-type]
    assert reads == [3, 3, 2]
    for state, run_id in zip(states, run_ids, strict=True):
        whole = recorder.ledger.state(run_id)
        assert whole.events and state.events == []
        assert dataclasses.replace(state, events=whole.events) == whole


def test_a_run_of_the_librarys_version_is_folded_without_reading_its_stored_copy(tmp_path: Path) -> None:
    """The stored copy of a playbook version is named by its hash: a run whose hash is the
    library's own playbook's needs no read of it (a review meets hundreds of such runs)."""
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY))
    run_id = recorder.routine_run("morning").run_id
    ledger = Ledger(recorder.journal, recorder.library, recorder.zone, recorder.clock)
    reads: list[str] = []
    version = recorder.journal.version

    def counted(content_hash: str) -> str | None:
        reads.append(content_hash)
        return version(content_hash)

    recorder.journal.version = counted  # type: ignore[method-assign]
    assert ledger.state(run_id).playbook is recorder.library.entries["morning"].playbook
    assert reads == []
