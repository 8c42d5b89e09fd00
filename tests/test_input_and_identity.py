"""Issue 11: nothing typed is lost or doubled, ownership is the login, the UI never waits on a lock."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from textual import events

from soptui.agenda import build_agenda
from soptui.cli import main
from soptui.drafts import Drafts
from soptui.journal import Journal, JournalBusy
from soptui.recorder import ActionError, Identity, Recorder
from soptui.review import build_review, week_range
from soptui.review.render import render_json, render_text
from soptui.tui.paste import PasteSafeParser
from soptui.tui.screens.modals import Confirm, Prompt
from soptui.tui.screens.run import RunScreen
from soptui.tui.widgets import NoteBox
from tests.conftest import write
from tests.helpers import DAILY, INCIDENT, Clock, library_from, recorder_for
from tests.ui_support import MONDAY_9AM, build_app

RUN = "morning@2026-11-23"


@contextmanager
def another_writer(path: Path) -> Iterator[None]:
    """Another process's write transaction holding the journal's lock (a long import, a stopped process)."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def recorded(journal: Journal) -> list[tuple[str, str | None]]:
    return [(e.kind, e.step_id) for e in journal.events_between()]


# -- input lost or doubled -------------------------------------------------------------


def test_done_with_a_bad_note_records_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "pb", "morning.toml", DAILY)
    journal = tmp_path / "j.sqlite3"
    base = ["--journal", str(journal), "--playbooks", str(tmp_path / "pb")]
    assert main([*base, "done", "morning", "welcome", "--note", "   "]) == 1
    assert "the note is empty" in capsys.readouterr().err
    assert main([*base, "done", "morning", "welcome", "--note", "x" * (65 * 1024)]) == 1
    assert "longer than 64 KiB" in capsys.readouterr().err
    with Journal.open(journal) as opened:
        assert recorded(opened) == []  # no step done, not even a run opened
    assert main([*base, "done", "morning", "welcome", "--note", "fine"]) == 0
    with Journal.open(journal) as opened:
        assert recorded(opened) == [("run.opened", None), ("step.done", "welcome"), ("note", "welcome")]


def test_a_draft_replayed_by_two_sessions_is_recorded_once(tmp_path: Path) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY))
    run_id = recorder.routine_run("morning").run_id
    directory = tmp_path / "drafts"
    Drafts(directory).save(
        "pending-1", {"kind": "note", "run": run_id, "step": None, "text": "once", "uuid": "u-1"}
    )
    Drafts(directory).save(
        "pending-2",
        {"kind": "step.done", "run": run_id, "step": "welcome", "value": None, "uuid": "u-2", "queued": "2"},
    )
    first, second = Drafts(directory), Drafts(directory)  # two app sessions loaded the same files
    reports: list[tuple[str, bool]] = []
    first.replay(recorder, lambda m, ok: reports.append((m, ok)))
    second.replay(recorder, lambda m, ok: reports.append((m, ok)))
    state = recorder.state(run_id)
    assert [n.payload["text"] for n in state.notes] == ["once"]
    assert [e.kind for e in state.events].count("step.done") == 1
    assert all(ok for _, ok in reports), reports  # the second replay is not an "already done" refusal


def test_the_loser_of_a_race_is_told_their_value_was_not_recorded(tmp_path: Path) -> None:
    library = library_from(tmp_path, morning=DAILY)
    alice = recorder_for(tmp_path, library)
    bob = Recorder(alice.journal, library, alice.zone, Identity("bob", "bob", "h2"), alice.clock)
    run_id = alice.routine_run("morning").run_id
    alice.complete(run_id, "new-members", "37")
    with pytest.raises(ActionError) as refused:
        bob.complete(run_id, "new-members", "41")
    message = str(refused.value)
    assert "already done by alice" in message and "= 37" in message
    assert "your value '41' was not recorded" in message


def test_a_note_after_finishing_never_moves_the_end_of_the_run(tmp_path: Path) -> None:
    clock = Clock(MONDAY_9AM)
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), clock=clock)
    run_id = recorder.routine_run("morning").run_id
    for step, value in [("welcome", None), ("found-negative", "no"), ("topic", None), ("new-members", "3")]:
        clock.advance(minutes=5)
        recorder.complete(run_id, step, value)
    closed = recorder.state(run_id).closed_at
    assert closed is not None
    clock.advance(hours=3)
    recorder.note(run_id, "a late thought")
    assert recorder.state(run_id).closed_at == closed
    assert recorder.journal.run(run_id).closed_at == closed  # type: ignore[union-attr]


# -- identity ---------------------------------------------------------------------------


def test_undo_belongs_to_the_login_not_the_display_name(tmp_path: Path) -> None:
    library = library_from(tmp_path, morning=DAILY)
    alice = recorder_for(tmp_path, library)
    run_id = alice.routine_run("morning").run_id
    alice.complete(run_id, "welcome")
    impostor = Recorder(alice.journal, library, alice.zone, Identity("alice", "mallory", "h"), alice.clock)
    with pytest.raises(ActionError, match="nothing of yours to undo"):
        impostor.undo(run_id)
    renamed = Recorder(alice.journal, library, alice.zone, Identity("Alice W.", "alice", "h"), alice.clock)
    _state, undone = renamed.undo(run_id)  # the same login under another display name: hers
    assert undone.step_id == "welcome"


def test_the_review_counts_people_by_login_and_shows_the_name_beside_it(tmp_path: Path) -> None:
    library = library_from(tmp_path, morning=DAILY)
    alice = recorder_for(tmp_path, library)
    run_id = alice.routine_run("morning").run_id
    alice.complete(run_id, "welcome")
    mallory = Recorder(alice.journal, library, alice.zone, Identity("alice", "mallory", "h"), alice.clock)
    mallory.note(run_id, "posing as alice")
    review = build_review(alice.ledger, week_range("2026-W48"))
    people = {p.login: p for p in review.people}
    assert set(people) == {"alice", "mallory"}
    assert (people["alice"].actions, people["alice"].overridden) == (2, 0)  # opened the run, completed
    assert (people["mallory"].label, people["mallory"].overridden) == ("mallory (alice)", 1)
    data = json.loads(render_json(review))
    assert {p["login"] for p in data["people"]} == {"alice", "mallory"}
    assert data["notes"][0]["login"] == "mallory" and data["notes"][0]["operator"] == "alice"
    assert "alice [mallory]" in render_text(review)


def test_ghost_presence_of_a_dead_session_is_cleared(tmp_path: Path) -> None:
    library = library_from(tmp_path, morning=DAILY)
    alice = recorder_for(tmp_path, library)
    run_id = alice.routine_run("morning").run_id
    ghost = Recorder(alice.journal, library, alice.zone, alice.identity, alice.clock)
    ghost.session = "999999999-deadbeef"  # a process id that is not running
    ghost.here(run_id, "welcome")
    live = Recorder(
        alice.journal, library, alice.zone, Identity("bob", "bob", alice.identity.host), alice.clock
    )
    live.here(run_id, "topic")
    assert alice.others_here(run_id) == [("bob", "topic")]
    alice.clear_ghosts()
    sessions = [s for s, *_ in alice.journal.presence(None, MONDAY_9AM.replace(year=2000))]
    assert ghost.session not in sessions and live.session in sessions


# -- waiting on another writer ---------------------------------------------------------------


def test_reads_never_queue_behind_a_writer_and_writes_give_up_in_time(tmp_path: Path) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY))
    run_id = recorder.routine_run("morning").run_id
    recorder.write_wait = 0.2
    with another_writer(recorder.journal.path):
        started = time.monotonic()
        agenda = build_agenda(recorder.ledger)
        assert recorder.state(run_id).run_id == run_id
        assert time.monotonic() - started < 1.0
        assert [i.entry.playbook.id for i in agenda.routines] == ["morning"]
        started = time.monotonic()
        with pytest.raises(JournalBusy):
            recorder.complete(run_id, "welcome")
        assert time.monotonic() - started < 1.5
    recorder.complete(run_id, "welcome")


def test_due_never_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "pb", "morning.toml", DAILY)
    journal = tmp_path / "j.sqlite3"
    base = ["--journal", str(journal), "--playbooks", str(tmp_path / "pb")]
    assert main([*base, "note", "hello"]) == 0
    with Journal.open(journal) as opened:
        before = (opened.event_count(), opened.first_seen())
    with another_writer(journal):  # a writer holds the lock: `due` still answers at once
        assert main([*base, "due", "--json"]) == 0
    with Journal.open(journal) as opened:
        assert (opened.event_count(), opened.first_seen()) == before


async def test_an_action_while_another_program_writes_is_queued_then_saved_once(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    app.services.drafts = Drafts(tmp_path / "drafts")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1", "2")  # the checklist ticked
        with another_writer(recorder.journal.path):
            started = time.monotonic()
            await pilot.press("space")  # Welcome newcomers: done, but the journal is locked
            await pilot.press("down")  # the screen still answers
            assert time.monotonic() - started < 2.0
            steps = [str(o.prompt) for o in app.screen.query_one("#steps").options]  # type: ignore[attr-defined]
            assert steps[0].startswith("  ⧗ 1") and steps[2].startswith("› ")  # moved on, then down
            pending = app.services.drafts.pending(RUN)
            assert len(pending) == 1 and pending[0]["uuid"]
            assert list((tmp_path / "drafts").glob("*.json"))
        app._replay_drafts()
        # Wait for the replay itself: other workers (sightings, presence) may be cancelled by
        # their exclusive successors meanwhile, which wait_for_complete reports as an error.
        for _ in range(100):
            if not app.services.drafts.pending():
                break
            await pilot.pause(0.05)
        await pilot.pause()
        state = recorder.state(RUN)
        assert state.steps["welcome"].status == "done"
        assert [e.uuid for e in state.events if e.kind == "step.done"] == [pending[0]["uuid"]]
        assert app.services.drafts.pending() == []


# -- the incident note box and note drafts ------------------------------------------------------


async def open_incident(pilot, app) -> RunScreen:  # type: ignore[no-untyped-def]
    await pilot.press("i", "enter", *"spam", "enter", "enter")
    screen = app.screen
    assert isinstance(screen, RunScreen) and screen.state.is_incident
    return screen


async def test_incident_note_paste_is_kept_whole_and_double_enter_records_once(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_incident(pilot, app)
        box = screen.query_one("#note-input", NoteBox)
        await box._on_paste(events.Paste("first line\r\nsecond line"))
        await pilot.press("enter", "enter")  # a double press
        state = recorder.state(screen.state.run_id)
        assert [n.payload["text"] for n in state.notes] == ["first line\nsecond line"]
        assert state.steps["contain"].status == "pending"  # the second enter completed nothing
        assert box.text == ""


async def test_a_paste_holding_escape_sequences_is_text_not_keys() -> None:
    parser = PasteSafeParser()
    tokens = [*parser.feed("\x1b[200~keep \x1b[31ms\x1bOP u f\x1b[20"), *parser.feed("1~q")]
    kinds = [type(t).__name__ for t in tokens]
    assert kinds == ["Paste", "Key"]
    assert tokens[0].text == "keep \x1b[31ms\x1bOP u f"  # type: ignore[attr-defined]
    assert tokens[1].key == "q"  # type: ignore[attr-defined]


async def test_incident_note_is_drafted_and_offered_back(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    app.services.drafts = Drafts(tmp_path / "drafts")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_incident(pilot, app)
        run_id = screen.state.run_id
        await pilot.press(*"half a thought")
    # The session ended (a dropped SSH link) before enter: the next one offers the text back.
    again, _ = build_app(tmp_path, journal=recorder.journal)
    again.services.drafts = Drafts(tmp_path / "drafts")
    async with again.run_test(size=(80, 24)) as pilot:
        again.open_run(run_id)
        await pilot.pause()
        box = again.screen.query_one("#note-input", NoteBox)
        assert box.text == "half a thought"
        await pilot.press(*" done", "enter")
        assert [n.payload["text"] for n in recorder.state(run_id).notes] == ["half a thought done"]
        assert again.services.drafts.notes() == []


async def test_recovered_step_note_continues_at_the_end_and_survives_cancel(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    app.services.drafts = Drafts(tmp_path / "drafts")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "n", *"first part")
        await pilot.press("escape")  # cancelled: the draft stays
        assert len(app.services.drafts.notes()) == 1
        await pilot.press("n")
        assert isinstance(app.screen, Prompt)
        await pilot.press(*" and more", "enter")  # the first key did not erase the draft
        notes = recorder.state(RUN).steps["welcome"].notes
        assert [n.payload["text"] for n in notes] == ["first part and more"]
        assert app.services.drafts.notes() == []


# -- untrusted text in every widget, the palette included -----------------------------------------

HOSTILE = "[@click=app.quit]Q[/] \x1b]0;pwned\x07\x1b[2J\u202e"


async def test_hostile_playbook_text_is_inert_everywhere(tmp_path: Path) -> None:
    escaped = "".join(c if c.isprintable() and c != "\u202e" else f"\\u{ord(c):04x}" for c in HOSTILE)
    hostile = DAILY.replace('title = "Morning round"', f'title = "{escaped}"')
    hostile = hostile.replace('title = "Post a topic"', 'title = "[b]topic[/b] \\u001b[31m"')
    library = library_from(tmp_path, morning=hostile, spam=INCIDENT)
    app, recorder = build_app(tmp_path)
    recorder.library = library
    async with app.run_test(size=(100, 30)) as pilot:
        shots = [app.export_screenshot()]
        await pilot.press("ctrl+p")
        await pilot.press(*"Run")
        await pilot.pause(0.3)
        shots.append(app.export_screenshot())
        await pilot.press("escape")
        await pilot.press("enter")  # the hostile routine
        await pilot.press("down", "down", "down")
        shots.append(app.export_screenshot())
        await pilot.press("escape", "r")
        await pilot.pause()
        shots.append(app.export_screenshot())
        assert app.is_running  # [@click=app.quit] never became a live link
    for shot in shots:
        assert "\x1b" not in shot and "\x07" not in shot
    assert any("[@click=app.quit]Q[/]" in shot.replace("&#160;", " ") for shot in shots[:2])
    assert "␛]0;pwned" in shots[1].replace("&#160;", " ")  # the palette shows it as text


# -- type where you look; keys typed ahead ----------------------------------------------------------


async def test_keys_typed_ahead_apply_in_order_to_the_row_they_reach(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        # A slow SSH link delivers these together: nothing runs between them.
        for key in ("down", "down", "down", "space"):
            app.post_message(events.Key(key, " " if key == "space" else None))
        await pilot.pause()
        await pilot.pause()
        state = recorder.state(RUN)
        assert state.steps["topic"].status == "done"  # the row three downs reached
        assert state.steps["welcome"].status == "pending"
        for key in ("up", "up", "up", "1"):
            app.post_message(events.Key(key, "1" if key == "1" else None))
        await pilot.pause()
        await pilot.pause()
        assert recorder.state(RUN).steps["welcome"].ticked == {0}


async def test_typing_on_a_value_step_goes_into_its_box(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        for key in ("down", "down", "down", "down"):  # to "Count new members" (a number)
            await pilot.press(key)
        box = screen.query_one("#value-input")
        assert app.focused is box
        await pilot.press("3", "7", "a", "b", "c", "s", "n", "u", "f")  # none of these is a binding here
        assert box.value == "37abcsnuf"  # type: ignore[attr-defined]
        assert isinstance(app.screen, RunScreen) and recorder.state(RUN).steps["welcome"].ticked == set()
        await pilot.press("escape")  # leaves the box, not the run; the text stays
        assert isinstance(app.screen, RunScreen) and app.focused is screen.query_one("#steps")
        assert box.value == "37abcsnuf"  # type: ignore[attr-defined]
        await pilot.press("up", "1")  # from the list, digits tick the checklist again
        await pilot.press("escape")  # leaving the run with a typed value: asked first
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert isinstance(app.screen, RunScreen)
        assert recorder.state(RUN).steps["welcome"].ticked == set()  # "1" on row 4: no checklist


def test_headers_are_shortened_by_meaning_not_cut() -> None:
    from soptui.tui.screens.run import fit_parts

    parts = [("● P1 bots in group 3", 0), ("00:18:00", 0), ("Spam or scam flood", 3), ("alice, bob", 4)]
    assert fit_parts(parts, 80) == "● P1 bots in group 3 · 00:18:00 · Spam or scam flood · alice, bob"
    assert fit_parts(parts, 55) == "● P1 bots in group 3 · 00:18:00 · Spam or scam flood"  # people go first
    assert fit_parts(parts, 30) == "● P1 bots in group 3 · 00:18:00"  # never "… · Spam or sc"


def test_a_routine_first_seen_after_its_due_time_is_not_overdue(tmp_path: Path) -> None:
    """A new journal does not call a monthly routine the team never started "13 days late"."""
    from soptui.agenda import record_sightings

    monthly = DAILY.replace('cadence = "daily"', 'cadence = "monthly"').replace(
        '[due]\ntime = "10:00"', '[due]\nday = 10\ntime = "10:00"'
    )
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=monthly))  # Monday 2026-11-23
    agenda = build_agenda(recorder.ledger)
    record_sightings(recorder, agenda)
    [item] = build_agenda(recorder.ledger).routines
    assert not item.overdue and item.missed == []


async def test_the_incident_timeline_keeps_the_newest_entry_in_view(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    state = recorder.open_incident("spam", "bots", "P1")
    for number in range(30):
        recorder.note(state.run_id, f"entry {number}")
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_run(state.run_id)
        await pilot.pause()
        box = app.screen.query_one("#timeline-box")
        assert box.max_scroll_y > 0 and box.scroll_y == box.max_scroll_y  # type: ignore[attr-defined]
