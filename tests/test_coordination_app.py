"""Team coordination in the app, with two operators on one journal (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import DataTable

from soptui.coordination import Coordinator
from soptui.journal import Journal
from soptui.playbooks.library import Library
from soptui.recorder import Identity, Recorder
from soptui.tui.app import SoptuiApp, make_app
from soptui.tui.screens.followups import FollowUpsScreen, HandoverScreen
from soptui.tui.screens.modals import Prompt
from soptui.tui.screens.run import RunScreen
from soptui.tui.screens.today import TodayScreen
from soptui.tui.services import Services
from tests.helpers import DAILY, SHANGHAI, Clock, library_from
from tests.test_app_flows import options_text, text_of
from tests.test_coordination import PEOPLE, SYNC
from tests.ui_support import MONDAY_9AM, build_app

RUN = "morning@2026-11-23"


def app_on(library: Library, journal: Journal, login: str, clock: Clock) -> tuple[SoptuiApp, Recorder]:
    recorder = Recorder(journal, library, SHANGHAI, Identity(login, login, "host"), clock)
    return make_app(Services(recorder, "en", journal.path.parent / "reports", [])), recorder


def team_library(tmp_path: Path) -> Library:
    (tmp_path / "playbooks").mkdir(exist_ok=True)
    (tmp_path / "playbooks" / "people.toml").write_text(PEOPLE, encoding="utf-8")
    return library_from(tmp_path, daily=DAILY, sync=SYNC)


async def test_a_hand_over_greets_the_next_operator_until_acknowledged(tmp_path: Path) -> None:
    clock = Clock(MONDAY_9AM)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    alice, _recorder = build_app(tmp_path, clock=clock, journal=journal)
    async with alice.run_test(size=(80, 24)) as pilot:
        await pilot.press("H")
        assert isinstance(alice.screen, Prompt)
        await pilot.press(*"[red]group 3 muted[/]", "enter")
        assert isinstance(alice.screen, TodayScreen)
    bob, _recorder = build_app(tmp_path, clock=clock, journal=journal, operator="bob")
    async with bob.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(bob.screen, HandoverScreen)
        shown = " ".join(str(w.render()) for w in bob.screen.query(".handover-text"))
        assert "[red]group 3 muted[/]" in shown  # plain text, never markup
        await pilot.press("escape")  # later: asked again at the next start
    bob, _recorder = build_app(tmp_path, clock=clock, journal=journal, operator="bob")
    async with bob.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(bob.screen, HandoverScreen)
        await pilot.press("enter")
        assert isinstance(bob.screen, TodayScreen)
    bob, _recorder = build_app(tmp_path, clock=clock, journal=journal, operator="bob")
    async with bob.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(bob.screen, TodayScreen)


async def test_a_claim_shows_on_every_operators_today(tmp_path: Path) -> None:
    clock = Clock(MONDAY_9AM)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    alice, recorder = build_app(tmp_path, clock=clock, journal=journal)
    async with alice.run_test(size=(100, 24)) as pilot:
        await pilot.press("m")
        assert list(recorder.state(RUN).claims) == ["alice"]
        assert any("Morning round" in r and "✋alice" in r for r in options_text(alice, "#agenda"))
    bob, bob_recorder = build_app(tmp_path, clock=clock, journal=journal, operator="bob")
    async with bob.run_test(size=(100, 24)) as pilot:
        assert any("Morning round" in r and "✋alice" in r for r in options_text(bob, "#agenda"))
        await pilot.press("enter", "m")  # bob claims it too, from the run
        assert isinstance(bob.screen, RunScreen)
        assert list(bob_recorder.state(RUN).claims) == ["alice", "bob"]
        await pilot.press("m")  # again: released
        assert list(bob_recorder.state(RUN).claims) == ["alice"]


async def test_a_done_step_is_corrected_with_a_reason_and_shows_both_values(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    run = recorder.routine_run("morning").run_id
    recorder.complete(run, "new-members", "12")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, RunScreen)
        app.screen._select("new-members")
        app.screen.set_focus(app.screen.query_one("#steps"))
        await pilot.press("e")
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"counted twice", "enter")
        await pilot.press(*"21", "enter")
        assert isinstance(app.screen, RunScreen)
        step = recorder.state(run).steps["new-members"]
        assert (step.value, step.amended) == (21, True)
        assert "alice corrected 12 → 21: counted twice" in text_of(app, "#step-extra")


async def test_follow_ups_show_on_their_owners_today_and_close_from_the_list(tmp_path: Path) -> None:
    library = team_library(tmp_path)
    clock = Clock(datetime(2026, 11, 30, 3, 0, tzinfo=UTC))  # Monday 11:00
    journal = Journal.open(tmp_path / "journal.sqlite3")
    app, recorder = app_on(library, journal, "bob", clock)
    sync = recorder.routine_run("sync").run_id
    recorder.complete(sync, "assign", "post the FAQ @bob 11-28; tidy tags @李博 12-04; plan @chen 12-04")
    async with app.run_test(size=(100, 30)) as pilot:
        rows = options_text(app, "#agenda")
        mine = [r for r in rows if "post the FAQ" in r or "tidy tags" in r]
        assert len(mine) == 2 and "overdue" in mine[0] and "plan" not in " ".join(rows)
        await pilot.press("a")
        assert isinstance(app.screen, FollowUpsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 3
        await pilot.press("d")  # the first, most overdue item: done
        assert table.row_count == 2
        await pilot.press("v")
        await pilot.press(*"+7d", "enter")
        items = {i.what: i for i in Coordinator(recorder).action_items()}
        assert items["post the FAQ"].status == "done" and items["post the FAQ"].closed_by == "bob"
        assert str(items["tidy tags"].due) == "2026-12-07"
        await pilot.press("escape")
        assert isinstance(app.screen, TodayScreen)


async def test_the_bell_rings_once_when_a_routine_becomes_overdue(tmp_path: Path) -> None:
    clock = Clock(MONDAY_9AM)
    app, _recorder = build_app(tmp_path, clock=clock)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        assert rings == []  # nothing overdue at 09:00
        clock.advance(hours=2)  # the morning round was due at 10:00
        today = app.screen
        assert isinstance(today, TodayScreen)
        today.refresh_agenda()
        await pilot.pause()
        assert rings == [1]
        today.refresh_agenda()
        assert rings == [1]  # once, not at every refresh


async def test_an_edited_team_playbook_reloads_in_the_running_app_and_says_what_changed(
    tmp_path: Path,
) -> None:
    from soptui.playbooks.library import Source, load_library

    directory = tmp_path / "team-playbooks"
    directory.mkdir()
    (directory / "daily.toml").write_text(DAILY, encoding="utf-8")
    sources = [Source(directory, "team")]
    library = load_library(sources)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    recorder = Recorder(journal, library, SHANGHAI, Identity("alice", "alice", "host"), Clock(MONDAY_9AM))
    run = recorder.routine_run("daily").run_id  # in progress: keeps its version
    services = Services(recorder, "en", tmp_path / "reports", [], sources=sources)
    app = make_app(services)
    said: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        app.notify = lambda message, **options: said.append(message)  # type: ignore[assignment,method-assign]
        await pilot.pause()
        app._stamp_library()
        edited = DAILY.replace("Morning round", "Morning sweep")
        (directory / "daily.toml").write_text(edited, encoding="utf-8")
        (directory / "sync.toml").write_text(SYNC, encoding="utf-8")
        app._reload_if_changed_now()
        await pilot.pause()
        assert said and "new playbook: Team sync" in said[-1]
        assert "playbook changed: Morning sweep" in said[-1]
        assert recorder.library.get("daily").title == "Morning sweep"  # type: ignore[union-attr]
        assert recorder.state(run).playbook.title == "Morning round"  # the run keeps its version
        assert any("Morning sweep" in r for r in options_text(app, "#agenda"))


async def test_a_library_reload_validates_only_the_files_that_changed(tmp_path: Path) -> None:
    """The running app reloads the library through the same validated cache as start-up: an
    edited playbook is validated again, the unchanged ones come from the cache."""
    from soptui.playbooks.cache import ValidatedCache
    from soptui.playbooks.library import Source, load_library

    directory = tmp_path / "team-playbooks"
    directory.mkdir()
    (directory / "daily.toml").write_text(DAILY, encoding="utf-8")
    (directory / "sync.toml").write_text(SYNC, encoding="utf-8")
    sources = [Source(directory, "team")]
    cache = ValidatedCache.open(tmp_path / "cache")
    library = load_library(sources, cache=cache)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    recorder = Recorder(journal, library, SHANGHAI, Identity("alice", "alice", "host"), Clock(MONDAY_9AM))
    app = make_app(Services(recorder, "en", tmp_path / "reports", [], sources=sources))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app._stamp_library()
        hits, misses = cache.hits, cache.misses
        (directory / "daily.toml").write_text(
            DAILY.replace("Morning round", "Morning sweep"), encoding="utf-8"
        )
        app._reload_if_changed_now()
        await pilot.pause()
        assert recorder.library.get("daily").title == "Morning sweep"  # type: ignore[union-attr]
        assert recorder.library.cache is cache
        assert cache.hits > hits  # sync.toml, unchanged
        assert cache.misses == misses + 1  # daily.toml, edited
