"""The run screen's widgets on their own (a step list, a step's detail, the header), and the
screen's reactive run state: assigning a state draws it everywhere."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Static

from soptui.events import Event
from soptui.i18n import t
from soptui.playbooks.library import Library
from soptui.playbooks.models import Playbook
from soptui.runs import RunState, fold
from soptui.tui.run_header import RunHeader, header_parts
from soptui.tui.screens.run import RunScreen
from soptui.tui.step_detail import StepDetail
from soptui.tui.step_list import StepList
from tests.helpers import DAILY, SHANGHAI, library_from, recorder_for
from tests.ui_support import MONDAY_9AM, build_app

RUN = "morning@2026-11-23"


def words(key: str) -> str:
    return t("en", key)


def event(kind: str, step: str | None = None, minutes: int = 0, **payload: Any) -> Event:
    at = MONDAY_9AM + timedelta(minutes=minutes)
    return Event(kind, at, "Alice", "alice", "h", "morning", "x", RUN, step, None, payload)


def morning(tmp_path: Path) -> tuple[Library, Playbook]:
    library = library_from(tmp_path, morning=DAILY)
    playbook = library.get("morning")
    assert playbook is not None
    return library, playbook


def state_after(playbook: Playbook, *events: Event) -> RunState:
    return fold(RUN, playbook, [event("run.opened", period="2026-11-23"), *events])


class Alone(App[None]):
    """A tiny app holding one widget, as a screen would."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def rows(steps: StepList) -> list[str]:
    return [str(steps.get_option_at_index(i).prompt) for i in range(steps.option_count)]


def shown(widget: Widget, selector: str) -> str:
    return str(widget.query_one(selector, Static).render())


async def test_the_step_list_shows_marks_cursor_queued_late_and_due(tmp_path: Path) -> None:
    _library, playbook = morning(tmp_path)
    state = state_after(
        playbook,
        event("step.done", "welcome", 3),
        event("step.skipped", "topic", 4, reason="nobody new"),
    )
    steps = StepList(words)
    async with Alone(steps).run_test(size=(80, 12)):
        steps.show(state, "found-negative", queued={"new-members"}, due={"welcome": "T-1 11-22 10:00"})
        assert rows(steps) == [
            "  ✓ 1 Welcome newcomers · T-1 11-22 10:00",
            "› ▶ 2 Moderation sweep",  # the current step, with the cursor
            "  · 3 Escalate",
            "  ✗ 4 Post a topic (nobody new)",
            "  ⧗ 5 Count new members",  # its action waits in a draft
        ]
        assert steps.highlighted == 1
        first = steps.get_option_at_index(0)
        steps.show(state, "topic", late={"found-negative": timedelta(minutes=15)})
        assert rows(steps)[1:4] == [
            "  ! 2 Moderation sweep +15 min",
            "  · 3 Escalate",
            "› ✗ 4 Post a topic (nobody new)",
        ]
        assert rows(steps)[4] == "  · 5 Count new members"
        assert steps.highlighted == 3
        assert steps.get_option_at_index(0) is first  # same steps: rows changed in place


async def test_an_optional_step_says_so_until_it_is_resolved(tmp_path: Path) -> None:
    _library, playbook = morning(tmp_path)
    steps = StepList(words)
    async with Alone(steps).run_test(size=(80, 12)):
        steps.show(state_after(playbook), None)
        assert rows(steps)[3] == "  · 4 Post a topic (opt.)"
        assert rows(steps)[0] == "  ▶ 1 Welcome newcomers"  # no cursor without a selection


async def test_the_step_detail_shows_a_step_and_keeps_what_was_typed(tmp_path: Path) -> None:
    library, playbook = morning(tmp_path)
    state = state_after(
        playbook,
        event("checklist.ticked", "welcome", 1, item=0, ticked=True),
        event("note", "welcome", 2, text="[bold]two[/] joined"),
    )
    detail = StepDetail(words, SHANGHAI, library.roster, "alice")
    async with Alone(detail).run_test(size=(80, 24)) as pilot:
        detail.show(state, "welcome")
        assert shown(detail, "#step-title") == "1 · Welcome newcomers"
        assert shown(detail, "#step-meta") == "~5 min"
        assert shown(detail, "#step-checklist") == " [x] 1. greet\n [ ] 2. pin rules"
        assert shown(detail, "#step-extra") == "✎ Alice 09:02: [bold]two[/] joined"  # literally
        assert not detail.value_box.display and not detail.groups.display

        detail.show(state, "new-members")  # a number is typed in the box
        box = detail.value_box
        assert box.display and shown(detail, "#step-title") == "5 · Count new members"
        assert "whole number" in box.placeholder
        box.value = "12"
        await pilot.pause()
        detail.show(state, "found-negative")  # a yes-no is picked, never typed
        assert not box.display and box.value == ""
        assert shown(detail, "#value-error") == "⏎ choose: Yes / No"
        detail.show(state, "new-members")
        assert box.value == "12"  # what was typed for the step came back with it
        assert detail.unsaved() == {"new-members": "12"}
        detail.show_error("not a whole number")
        assert shown(detail, "#value-error") == "⚠ not a whole number"
        detail.forget("new-members")
        assert box.value == "" and detail.unsaved() == {}

        done = state_after(playbook, event("step.done", "new-members", 5, value=12))
        detail.show(done, "new-members")
        assert shown(detail, "#step-meta") == "✓ Alice 09:05 = 12"
        assert not box.display and shown(detail, "#value-error") == ""


async def test_the_step_detail_updates_only_the_lines_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library, playbook = morning(tmp_path)
    detail = StepDetail(words, SHANGHAI, library.roster, "alice")
    async with Alone(detail).run_test(size=(80, 24)):
        detail.show(state_after(playbook), "welcome")
        updated: list[str | None] = []
        original = Static.update

        def update(self: Static, *args: Any, **kwargs: Any) -> None:
            updated.append(self.id)
            original(self, *args, **kwargs)

        monkeypatch.setattr(Static, "update", update)
        detail.show(state_after(playbook, event("note", "welcome", 1, text="ok")), "welcome")
        assert updated == ["step-extra"]  # updating a Static lays the whole screen out again
        updated.clear()
        detail.show(state_after(playbook, event("note", "welcome", 1, text="ok")), "welcome")
        assert updated == []


async def test_the_header_is_updated_only_when_its_text_changes(tmp_path: Path) -> None:
    _library, playbook = morning(tmp_path)
    state = state_after(playbook, event("step.done", "welcome", 3))
    header = RunHeader()
    async with Alone(header).run_test(size=(80, 3)):
        now = MONDAY_9AM + timedelta(minutes=10)
        header.show(header_parts(state, now, words, ["with bob @2"]), 80)
        assert header.shown == " Morning round · 1/5 · 10 min elapsed · 2026-11-23 · with bob @2"
        content = header.content
        header.show(header_parts(state, now, words, ["with bob @2"]), 80)
        assert header.content is content
        header.show(header_parts(state, now, words, ["with bob @2"]), 30)
        assert header.shown == " Morning round · 1/5"  # shortened by meaning


async def test_assigning_the_screens_state_redraws_it(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        steps = screen.query_one("#steps", StepList)
        assert rows(steps)[0] == "› ▶ 1 Welcome newcomers"
        # Another operator completes the step the cursor is on, in another session.
        bob = recorder_for(tmp_path, recorder.library, "bob", recorder.clock, recorder.journal)
        screen.state = bob.complete(RUN, "welcome")
        assert rows(steps)[:2] == ["› ✓ 1 Welcome newcomers", "  ▶ 2 Moderation sweep"]
        assert str(screen.query_one("#step-meta", Static).render()).endswith("✓ bob 09:00")
        assert "1/5" in str(screen.query_one("#run-header", Static).render())
        screen.selected = "new-members"  # the cursor follows the selection, and the detail
        assert steps.highlighted == 4 and rows(steps)[4].startswith("› ")
        assert str(screen.query_one("#step-title", Static).render()) == "5 · Count new members"
        assert screen.query_one("#value-input", Input).display


async def test_the_journal_changing_redraws_the_run(tmp_path: Path) -> None:
    from soptui.tui.messages import JournalChanged

    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        bob = recorder_for(tmp_path, recorder.library, "bob", recorder.clock, recorder.journal)
        bob.skip(RUN, "topic", "no time")
        screen.post_message(JournalChanged())
        await pilot.pause()
        assert rows(screen.query_one("#steps", StepList))[3] == "  ✗ 4 Post a topic (no time)"
        assert screen.state.steps["topic"].status == "skipped"


async def test_who_else_is_here_is_read_on_a_timer_never_on_a_key_press(tmp_path: Path) -> None:
    """Presence is a query: a key press draws the header from the last read, and the
    screen's own timer reads it again and shows an operator who came in."""
    from soptui.tui.screens import run as run_module

    app, recorder = build_app(tmp_path)
    reads: list[str] = []
    others_here = recorder.others_here

    def counted(run_id: str) -> list[tuple[str, str | None]]:
        reads.append(run_id)
        return others_here(run_id)

    recorder.others_here = counted  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        bob = recorder_for(tmp_path, recorder.library, "bob", recorder.clock, recorder.journal)
        bob.here(RUN, "found-negative")
        before = len(reads)
        await pilot.press("down", "down", "down", "space")  # complete "Post a topic"
        assert screen.state.steps["topic"].status == "done"
        assert len(reads) == before  # the header was drawn again, from the last read
        header = screen.query_one("#run-header", Static)
        for _ in range(int(run_module.PRESENCE_READ_EVERY * 10) + 20):
            if "with bob" in str(header.render()):
                break
            await pilot.pause(0.1)
        assert "with bob @2" in str(header.render())
        assert len(reads) > before
