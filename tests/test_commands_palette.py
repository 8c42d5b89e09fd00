"""One set of commands feeds the key bindings and the command palette (tui/commands.py): the
palette finds every command of the screen in front, with its key in force, and runs what
the key runs, only when the screen allows it."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.content import Content

from soptui.i18n import Language
from soptui.tui.app import make_app
from soptui.tui.commands import GROUPS, Command, bindings_of
from soptui.tui.keymap import MODULES
from soptui.tui.screens.help import HelpScreen, help_markdown
from soptui.tui.screens.preview import PreviewScreen
from soptui.tui.screens.review import ReviewScreen
from soptui.tui.screens.today import TodayScreen
from tests.ui_support import build_app


def palette(app, screen=None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The palette's entries on ``screen`` (the one in front): title -> help."""
    return {str(c.title): str(c.help) for c in app.get_system_commands(screen or app.screen)}


@pytest.mark.parametrize(("language", "typed"), [("en", "review"), ("zh", "回顾")])
async def test_the_palette_finds_a_command_of_today_and_runs_it(
    tmp_path: Path, language: Language, typed: str
) -> None:
    app, _recorder = build_app(tmp_path, language)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("ctrl+p", *typed)
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


@pytest.mark.parametrize(
    ("language", "entries"),
    [
        (
            "en",
            {
                "Today: review": "The week's review · key r",
                "Today: search": "Search the journal · key /",
                "Today: hand over": "Leave a hand-over note for the next shift · key H",
                "Today: follow-ups": "The team's open action items · key a",
                "Today: help": "Keys of this screen · key ?, f1",
            },
        ),
        ("zh", {"今日：回顾": "本周回顾 · 按键 r", "今日：交接": "给下一班留交接说明 · 按键 H"}),
    ],
)
async def test_every_command_of_today_is_in_the_palette_with_its_key(
    tmp_path: Path, language: Language, entries: dict[str, str]
) -> None:
    app, _recorder = build_app(tmp_path, language)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = palette(app)
        assert entries.items() <= shown.items()
        offered = [c for c in TodayScreen.USER_COMMANDS if c.palette]
        assert len([title for title in shown if title.startswith(("Today: ", "今日："))]) == len(offered)
        # Movement and quitting are not commands to look for (Textual's own "Quit" is there).
        assert not any("move" in title for title in shown)
        # The entries the app lists on every screen keep their titles and say their key here.
        notices = shown["Notices" if language == "en" else "提示"]
        assert notices.endswith(" !")


async def test_a_remapped_key_is_the_key_the_palette_and_the_help_show(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    app.services.keymap = {"today.review": "v", "today.notices": "N"}
    app = make_app(app.services)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = palette(app)
        assert shown["Today: review"] == "The week's review · key v"
        assert shown["Notices"].endswith("· key N")
        assert "| v | the week's review |" in help_markdown(app.screen, "en")
        await pilot.press("ctrl+p", *"Today: review")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


async def test_a_key_taken_by_a_remapped_binding_is_gone_from_the_other_entry(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    app.set_keymap({"today.help": "a"})  # a was the follow-ups' key
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = palette(app)
        assert shown["Today: help"] == "Keys of this screen · key a"
        assert shown["Today: follow-ups"] == "The team's open action items"  # no key left


async def test_a_command_the_screen_disables_is_neither_offered_nor_run(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_preview("morning")
        await pilot.pause()
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        start = next(c for c in app.get_system_commands(app.screen) if c.title == "Preview: start")
        recorder.journal.refuse_writes()  # starting records: not on a read-only journal
        shown = palette(app)
        assert "Preview: start" not in shown and "Preview: help" in shown
        await start.callback()  # an entry offered before: the screen still refuses it
        await pilot.pause()
        assert app.screen is preview


async def test_the_help_from_the_palette_is_the_help_of_the_screen_in_front(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        expected = help_markdown(app.screen, "en")
        assert isinstance(app.screen, ReviewScreen)
        shown = palette(app)
        assert "Review: prev" in shown and not any(title.startswith("Today: ") for title in shown)
        await pilot.press("ctrl+p", *"Review: help")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.text == expected


async def test_a_command_of_another_screen_runs_on_it(tmp_path: Path) -> None:
    from soptui.tui.screens.followups import FollowUpsScreen

    app, _recorder = build_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, FollowUpsScreen)
        shown = palette(app)
        assert shown["Follow-ups: mine only"] == "Only your items · key ^o"
        await pilot.press("ctrl+p", *"Follow-ups: mine only")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FollowUpsScreen) and app.screen.mine


def _classes_with_bindings() -> list[tuple[str, type]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in vars(cls):
                found.append((name, cls))
    return found


@pytest.mark.parametrize(("module", "cls"), _classes_with_bindings(), ids=lambda x: getattr(x, "__name__", x))
def test_every_binding_comes_from_a_command(module: str, cls: type) -> None:
    """The bindings and the palette cannot drift: a class's BINDINGS are its commands'."""
    commands: tuple[Command, ...] = vars(cls).get("USER_COMMANDS", ())
    assert commands, f"{cls.__name__} has BINDINGS but no USER_COMMANDS"
    bindings = [b for b in vars(cls)["BINDINGS"] if isinstance(b, Binding)]
    assert len(bindings) == len(vars(cls)["BINDINGS"])  # no bare tuples either
    assert bindings == bindings_of(commands)
    assert all(b.id for b in bindings)


def test_every_palette_command_has_a_group_and_words() -> None:
    for _module, cls in _classes_with_bindings():
        for command in vars(cls).get("USER_COMMANDS", ()):
            assert command.id.count(".") == 1, command.id
            if command.palette:
                assert command.group in GROUPS, command.id
                assert command.label and command.help, command.id


async def test_palette_words_stay_text_when_a_key_is_markup_like(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    app.set_keymap({"today.review": "left_square_bracket"})  # shown as "["
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = palette(app)  # the palette parses titles and help as markup
        assert Content.from_markup(shown["Today: review"]).plain == "The week's review · key ["
        assert all(Content.from_markup(title).plain == title for title in shown if ": " in title)
