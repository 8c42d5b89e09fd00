"""Team coordination in the domain: claims, amendments, hand-overs and follow-ups (issue 17)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from soptui.coordination import Coordinator
from soptui.followups import FollowUpError, parse_due, parse_items
from soptui.journal import Journal
from soptui.playbooks.library import Library
from soptui.recorder import ActionError, Recorder
from tests.helpers import DAILY, Clock, library_from, recorder_for

SYNC = """\
title = "Team sync"
cadence = "weekly"
[due]
weekday = "mon"
time = "11:00"
[[steps]]
id = "review-actions"
title = "Last week's actions"
open_actions = true
[[steps]]
id = "assign"
title = "Assign actions"
[steps.input]
type = "actions"
"""

PEOPLE = """\
[[people]]
id = "alice"
name = "王小丽"
roles = ["社群经理"]
[[people]]
id = "bob"
name = "李博"
roles = ["客服"]
[[people]]
id = "chen"
name = "陈晨"
"""

TODAY = date(2026, 11, 23)


@pytest.fixture
def library(tmp_path: Path) -> Library:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "people.toml").write_text(PEOPLE, encoding="utf-8")
    return library_from(tmp_path, daily=DAILY, sync=SYNC)


def team(tmp_path: Path, library: Library, clock: Clock | None = None) -> dict[str, Recorder]:
    """alice, bob and chen on one journal and one clock."""
    journal = Journal.open(tmp_path / "journal.sqlite3")
    clock = clock or Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    return {name: recorder_for(tmp_path, library, name, clock, journal) for name in ("alice", "bob", "chen")}


# -- typed action items ----------------------------------------------------------------
def test_items_read_what_owner_and_due_in_any_order_of_the_last_words() -> None:
    people = {"alice": "王小丽", "bob": "李博"}
    items = parse_items(
        "更新群公告 @李博 12-05；整理反馈 +3d @alice\n发周报 2026-12-01", TODAY, "chen", people
    )
    assert [(i.what, i.owner, i.due) for i in items] == [
        ("更新群公告", "bob", date(2026, 12, 5)),
        ("整理反馈", "alice", date(2026, 11, 26)),
        ("发周报", "chen", date(2026, 12, 1)),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@bob 12-05", "item 1: say what is to be done"),
        ("post the report @bob", "item 1: give a due date"),
        ("ok 12-05; post @nobody 12-06", "item 2: nobody called 'nobody' in people.toml"),
    ],
)
def test_items_that_cannot_be_read_name_the_item_and_why(text: str, message: str) -> None:
    with pytest.raises(FollowUpError, match=message):
        parse_items(text, TODAY, "alice", {"alice": "王小丽", "bob": "李博"})


def test_due_dates_typed_short_roll_into_next_year_and_relative_ones_count_days_and_weeks() -> None:
    december = date(2026, 12, 20)
    assert parse_due("01-05", december) == date(2027, 1, 5)
    assert parse_due("+2w", december) == date(2027, 1, 3)
    assert parse_due("+3天", december) == date(2026, 12, 23)
    assert parse_due("02-30", december) is None
    assert parse_due("soon", december) is None


# -- follow-ups through the recorder ---------------------------------------------------
def test_action_items_stay_open_until_closed_and_moving_keeps_the_old_date(
    tmp_path: Path, library: Library
) -> None:
    people = team(tmp_path, library)
    run = people["alice"].routine_run("sync")
    state = people["alice"].complete(run.run_id, "assign", "更新群公告 @bob 11-25; 整理反馈 @chen +7d")
    assert state.steps["assign"].value == "更新群公告 @bob 2026-11-25; 整理反馈 @chen 2026-11-30"

    bob = Coordinator(people["bob"])
    items = bob.action_items()
    assert [(i.what, i.owner, i.status) for i in items] == [
        ("更新群公告", "bob", "open"),
        ("整理反馈", "chen", "open"),
    ]
    assert items[0].overdue(date(2026, 11, 26)) and not items[0].overdue(date(2026, 11, 25))

    moved = bob.close_action(items[0].id[:8] + ":0", "moved", date(2026, 11, 28))
    assert (moved.status, moved.due, moved.moves) == ("open", date(2026, 11, 28), [date(2026, 11, 25)])
    done = bob.close_action(items[0].id, "done")
    assert (done.status, done.closed_by) == ("done", "bob")
    with pytest.raises(ActionError, match="already closed"):
        bob.close_action(items[0].id, "dropped")


def test_an_undone_completion_takes_its_action_items_with_it(tmp_path: Path, library: Library) -> None:
    alice = recorder_for(tmp_path, library)
    run = alice.routine_run("sync")
    alice.complete(run.run_id, "assign", "发周报 @alice 12-01")
    assert len(Coordinator(alice).action_items()) == 1
    alice.undo(run.run_id)
    assert Coordinator(alice).action_items() == []


def test_an_actions_input_refuses_items_it_cannot_read(tmp_path: Path, library: Library) -> None:
    alice = recorder_for(tmp_path, library)
    run = alice.routine_run("sync")
    with pytest.raises(ActionError, match="give a due date"):
        alice.complete(run.run_id, "assign", "发周报 @alice")
    assert alice.state(run.run_id).steps["assign"].status == "pending"


# -- claims ------------------------------------------------------------------------------
def test_claims_show_who_is_on_a_run_and_release_by_login(tmp_path: Path, library: Library) -> None:
    people = team(tmp_path, library)
    run = people["alice"].routine_run("daily").run_id
    Coordinator(people["alice"]).claim(run)
    state = Coordinator(people["bob"]).claim(run)
    assert [c.operator for c in state.claims.values()] == ["alice", "bob"]
    with pytest.raises(ActionError, match="already claimed"):
        Coordinator(people["bob"]).claim(run)
    state = Coordinator(people["alice"]).release(run)
    assert list(state.claims) == ["bob"]
    with pytest.raises(ActionError, match="not claimed"):
        Coordinator(people["chen"]).release(run)


# -- corrections -----------------------------------------------------------------------
def test_an_amendment_keeps_the_old_value_the_new_one_who_and_why(tmp_path: Path, library: Library) -> None:
    people = team(tmp_path, library)
    run = people["bob"].routine_run("daily").run_id
    people["bob"].complete(run, "new-members", "12")
    state = Coordinator(people["bob"]).amend(run, "new-members", "counted twice", "21")
    step = state.steps["new-members"]
    assert (step.value, step.amended, step.status) == (21, True, "done")
    [amendment] = state.amendments
    assert (amendment.old, amendment.new, amendment.reason, amendment.event.login) == (
        12,
        21,
        "counted twice",
        "bob",
    )
    assert people["bob"].journal.event_by_uuid(amendment.target) is not None  # the old one stays


def test_only_the_recorder_the_opener_or_a_lead_may_amend_and_a_reason_is_required(
    tmp_path: Path, library: Library
) -> None:
    people = team(tmp_path, library)
    run = people["bob"].routine_run("daily").run_id  # bob opens the run
    people["chen"].complete(run, "new-members", "5")
    with pytest.raises(ActionError, match="the reason is empty"):
        Coordinator(people["chen"]).amend(run, "new-members", "  ", "6")
    Coordinator(people["chen"]).amend(run, "new-members", "typo", "6")  # their own
    Coordinator(people["bob"]).amend(run, "new-members", "recount", "7")  # the run's opener
    state = Coordinator(people["alice"]).amend(run, "new-members", "lead's check", retract=True)  # the lead
    assert state.steps["new-members"].status == "pending"
    people["chen"].complete(run, "welcome")
    other = recorder_for(tmp_path, library, "dana", journal=people["bob"].journal)
    with pytest.raises(ActionError, match="may correct this"):
        Coordinator(other).amend(run, "welcome", "wrong", retract=True)


def test_a_display_name_never_grants_the_right_to_correct(tmp_path: Path, library: Library) -> None:
    people = team(tmp_path, library)
    run = people["bob"].routine_run("daily").run_id
    people["bob"].complete(run, "new-members", "5")
    impostor = recorder_for(tmp_path, library, "chen", journal=people["bob"].journal)
    impostor.identity = type(impostor.identity)("bob", "chen", "test-host")  # calls itself bob
    with pytest.raises(ActionError, match="may correct this"):
        Coordinator(impostor).amend(run, "new-members", "mine really", "9")
    with pytest.raises(ActionError, match="nothing of yours to undo"):
        impostor.undo(run)


def test_undoing_an_amendment_restores_the_value(tmp_path: Path, library: Library) -> None:
    bob = recorder_for(tmp_path, library, "bob")
    run = bob.routine_run("daily").run_id
    bob.complete(run, "new-members", "12")
    Coordinator(bob).amend(run, "new-members", "typo", "13")
    state, _undone = bob.undo(run)
    assert (state.steps["new-members"].value, state.amendments) == (12, [])


# -- hand-overs ------------------------------------------------------------------------
def test_a_hand_over_waits_for_each_other_operator_until_acknowledged_for_a_week(
    tmp_path: Path, library: Library
) -> None:
    clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    people = team(tmp_path, library, clock)
    note = Coordinator(people["alice"]).hand_over("晚班：3群有人刷屏，已禁言，明早复查")
    assert Coordinator(people["alice"]).waiting_handovers() == []  # not to its writer
    bob = Coordinator(people["bob"])
    assert [e.payload["text"] for e in bob.waiting_handovers()] == ["晚班：3群有人刷屏，已禁言，明早复查"]
    bob.acknowledge(bob.waiting_handovers())
    assert bob.waiting_handovers() == []
    assert [e.uuid for e in Coordinator(people["chen"]).waiting_handovers()] == [note.uuid]
    clock.advance(days=8)
    assert Coordinator(people["chen"]).waiting_handovers() == []
