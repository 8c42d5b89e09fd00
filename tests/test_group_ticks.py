"""Issue 14 at scale: the review reads a per-group run's ticks and skips apart, in compact form
(:class:`soptui.runs.GroupTick`, through ``events_and_ticks_of_runs``). Folding a run that way
must give the state folding every event gives, whatever the history: undos, a group ticked
twice, corrections of overwritten ticks, ticks of unknown steps, times out of order. Both
journal backends."""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soptui.events import Event
from soptui.journal import JournalStore
from soptui.playbooks.library import Library, Source, load_library
from soptui.playbooks.loader import content_hash
from soptui.review import build_review, week_range
from soptui.review.render import render_csv, render_json
from soptui.runs import RunState, expected_groups, fold
from tests.conftest import write
from tests.helpers import Clock, recorder_for
from tests.pg_support import Backend
from tests.test_groups import ROUND

GROUPS = """\
[[groups]]
id = "sh-1"
name = "上海会员1群"
owner = "alice"
tags = ["城市群"]

[[groups]]
id = "new-1"
name = "新人1群"
owner = "bob"
tags = ["新人群"]

[[groups]]
id = "vip"
name = "VIP群"
owner = "alice"
tags = ["VIP群"]
"""

PEOPLE = """\
[[people]]
id = "alice"
name = "Alice"

[[people]]
id = "bob"
name = "Bob"
"""

STEPS = ["welcome", "sweep", "report", "gone"]  # "gone": a step the playbook does not have
GROUP_IDS = ["sh-1", "new-1", "vip", "old"]  # "old": a group the roster does not have
RUNS = itertools.count()


def library_for(tmp_path: Path) -> Library:
    directory = tmp_path / "playbooks"
    write(directory, "morning.toml", ROUND)
    write(directory, "groups.toml", GROUPS)
    write(directory, "people.toml", PEOPLE)
    library = load_library([Source(directory, "team")])
    assert not library.problems, library.problems
    return library


def without_events(state: RunState) -> RunState:
    """The state but its event list (which holds the ticks only when they were not apart)."""
    return dataclasses.replace(state, events=[])


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["done", "skip", "done", "step", "undo", "amend", "retract", "note", "claim"]),
        st.sampled_from(STEPS),
        st.sampled_from(GROUP_IDS),
        st.integers(min_value=-30, max_value=90),  # minutes from the previous action: back in time too
        st.integers(min_value=0, max_value=40),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_folding_ticks_apart_gives_the_same_state(
    tmp_path_factory: pytest.TempPathFactory, backend: Backend, actions: list[tuple[str, str, str, int, int]]
) -> None:
    library = library_for(tmp_path_factory.mktemp("team"))
    playbook = library.entries["morning"].playbook
    digest = content_hash(playbook)
    journal = backend.open()
    run_id = f"morning@t{next(RUNS)}"
    at = datetime(2026, 11, 23, 1, tzinfo=UTC)

    who = "Alice"

    def event(kind: str, step: str | None, group: str | None, payload: dict[str, object]) -> Event:
        return Event(kind, at, who, who.lower(), "h", "morning", digest, run_id, step, group, payload)

    written = [event("run.opened", None, None, {"period": "2026-11-23"})]
    for kind, step, group, minutes, number in actions:
        at += timedelta(minutes=minutes)
        who = ("Alice", "Bob", "陈")[number % 3]  # who acted, first first, is part of the state
        targets = [e for e in written if e.kind != "run.opened" and e.kind != "undo"]
        if kind == "done":
            written.append(event("step.done", step, group, {"value": number} if number % 3 else {}))
        elif kind == "skip":
            written.append(event("step.skipped", step, group, {"reason": "群已解散"}))
        elif kind == "step":
            written.append(event("step.done", step, None, {}))
        elif kind == "note":
            written.append(event("note", step, None, {"text": "ok"}))
        elif kind == "claim":
            written.append(event("run.claimed", step, None, {"groups": [group]}))
        elif targets:
            target = targets[number % len(targets)]
            if kind == "undo":
                written.append(event("undo", None, None, {"target": target.uuid}))
            else:
                retract = kind == "retract"
                payload = {"target": target.uuid, "reason": "typo", "retract": retract}
                written.append(
                    event("amend", target.step_id, None, payload | ({} if retract else {"new": number}))
                )
    with journal.writing():
        for item in written:
            journal.insert_event(item)

    groups = expected_groups(playbook, library.roster)
    everything = journal.run_events(run_id)
    events, ticks = journal.events_and_ticks_of_runs([run_id, "nothing"])[run_id]
    is_tick = [e.group_id is not None and e.kind in ("step.done", "step.skipped") for e in everything]
    assert events == [e for e, tick in zip(everything, is_tick, strict=True) if not tick]
    assert [(t.uuid, t.seq, t.kind, t.step_id, t.group_id, t.operator, t.at, t.payload) for t in ticks] == [
        (e.uuid, e.seq, e.kind, e.step_id, e.group_id, e.operator, e.at, e.payload)
        for e, tick in zip(everything, is_tick, strict=True)
        if tick
    ]
    whole = fold(run_id, playbook, everything, groups)
    apart = fold(run_id, playbook, events, groups, ticks)
    assert without_events(apart) == without_events(whole)
    assert apart.closed_at == whole.closed_at and apart.events == events


def test_a_run_without_ticks_and_an_unknown_run(tmp_path: Path, backend: Backend) -> None:
    journal = backend.open()
    recorder = recorder_for(tmp_path, library_for(tmp_path), journal=journal)
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "report")
    found = journal.events_and_ticks_of_runs([run_id, "nothing"])
    assert found["nothing"] == ([], [])
    assert found[run_id] == (journal.run_events(run_id), [])
    assert journal.events_and_ticks_of_runs([]) == {}


def _one_tick_at_a_time(journal: JournalStore) -> None:
    """Make ``journal`` hand the review every event, as it read them before the compact form."""

    def read(run_ids: list[str]) -> dict[str, tuple[list[Event], list[object]]]:
        return {run_id: (events, []) for run_id, events in journal.events_of_runs(run_ids).items()}

    journal.events_and_ticks_of_runs = read  # type: ignore[method-assign,assignment]


def test_the_review_is_the_same_read_either_way(tmp_path: Path, backend: Backend) -> None:
    """A week of group ticks, skips, undos and corrections, reviewed through the compact read
    and through every event: the same JSON and the same groups CSV."""
    from soptui.coordination import Coordinator

    clock = Clock(datetime(2026, 11, 23, 1, tzinfo=UTC))
    journal = backend.open()
    recorder = recorder_for(tmp_path, library_for(tmp_path), "alice", clock, journal=journal)
    for day in range(5):
        run_id = recorder.routine_run("morning").run_id
        for number, group in enumerate(["sh-1", "new-1", "vip"][: 3 - day % 2]):
            recorder.complete(run_id, "sweep", str(number + day), group=group)
            clock.advance(minutes=3)
        recorder.skip(run_id, "welcome", "群已解散", group="new-1")
        recorder.complete(run_id, "welcome", group="sh-1")
        if day == 1:
            recorder.undo(run_id)  # the welcome of sh-1
        if day == 2:
            Coordinator(recorder).amend(run_id, "sweep", "typo", "9", group="vip")
        if day == 3:
            Coordinator(recorder).amend(run_id, "sweep", "wrong group", retract=True, group="sh-1")
        clock.advance(days=1)
    week = week_range("2026-W48")
    compact = build_review(recorder.ledger, week)
    _one_tick_at_a_time(journal)
    whole = build_review(recorder.ledger, week)
    assert render_json(compact) == render_json(whole)
    assert render_csv(compact, "groups") == render_csv(whole, "groups")
    groups = {g["group"]: (g["done"], g["skipped"]) for g in json.loads(render_json(compact))["groups"]}
    assert groups == {"sh-1": (8, 0), "new-1": (5, 5), "vip": (3, 0)}


def test_the_recorder_reads_only_what_was_appended_and_stays_right(tmp_path: Path, backend: Backend) -> None:
    """Two operators (two journal connections) tick, skip and undo groups in turns; one tick-all
    is rolled back. The recorder keeps the run it last read and reads only the events appended
    since (``run_events_after``): every state it returns and checks against must be the state a
    full read of the journal folds."""
    from soptui.recorder import ActionError

    library = library_for(tmp_path)
    alice = recorder_for(tmp_path, library, "alice", journal=backend.open())
    bob = recorder_for(tmp_path, library, "bob", journal=backend.open())
    run_id = alice.routine_run("morning").run_id
    opened = alice.journal.run_events(run_id)
    assert alice.journal.run_events_after(run_id, 0) == opened
    assert alice.journal.run_events_after(run_id, opened[-1].seq) == []

    def same(state: RunState) -> None:
        fresh = alice.state(run_id)
        assert without_events(state) == without_events(fresh)
        assert [e.uuid for e in state.events] == [e.uuid for e in fresh.events]

    same(alice.complete(run_id, "welcome", group="sh-1"))
    same(alice.complete(run_id, "sweep", "3", group="sh-1"))  # nothing new: no read back, no fold
    same(bob.complete(run_id, "welcome", group="new-1"))
    with pytest.raises(ActionError, match="already done by bob"):
        alice.complete(run_id, "welcome", group="new-1")  # bob's tick was read
    with pytest.raises(ActionError):
        alice.complete_groups(run_id, "sweep", ["new-1", "vip", "sh-1"], "2")  # sh-1 done: rolled back
    same(alice.skip(run_id, "sweep", "群已解散", group="vip"))  # the rolled-back ticks are not kept
    same(bob.undo(run_id)[0])
    same(alice.complete(run_id, "welcome", group="new-1"))  # open again after bob's undo
    same(bob.complete(run_id, "sweep", "5", group="new-1"))
    state = alice.complete(run_id, "report")
    same(state)
    assert state.steps["sweep"].status == "done" and state.steps["welcome"].status == "done"
    assert {g: m.by for g, m in state.steps["sweep"].groups.items()} == {
        "sh-1": "alice",
        "vip": "alice",
        "new-1": "bob",
    }
