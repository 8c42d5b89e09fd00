"""The ``[keymap]`` setting: binding ids get other keys; mistakes are positioned warnings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from soptui.config import load_settings
from soptui.tui.keymap import bad_key, binding_ids, checked_keymap
from soptui.tui.screens.review import ReviewScreen
from soptui.tui.screens.today import TodayScreen
from tests.conftest import write
from tests.ui_support import build_app

REPO = Path(__file__).resolve().parents[1]

CONFIG = """\
operator = "alice"

[keymap]
"today.review" = "v"
"today.reveiw" = "x"
"run.undo" = "ctlr+u"
"run.done" = "space, enter"
"""


async def test_a_remapped_key_works_and_the_old_one_no_longer_does(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    app.services.keymap = {"today.review": "v"}
    app.set_keymap(app.services.keymap)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)  # r is no longer the review
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


async def test_the_services_keymap_is_applied_when_the_app_is_built(tmp_path: Path) -> None:
    from soptui.tui.app import make_app

    app, _recorder = build_app(tmp_path)
    app.services.keymap = {"today.review": "v"}
    app = make_app(app.services)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


async def test_a_key_taken_from_another_binding_moves_to_the_remapped_one(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    app.set_keymap({"today.review": "q"})  # q was quit
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.is_running


def test_mistakes_are_warnings_at_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "config.toml", CONFIG)
    settings, problems = load_settings(path)
    assert not problems and len(settings.keymap) == 4
    usable, warnings = checked_keymap(settings.keymap, path)
    assert usable == {"today.review": "v", "run.done": "space,enter"}
    assert [(w.line, w.severity) for w in warnings] == [(5, "warning"), (6, "warning")]
    assert "unknown binding id 'today.reveiw'" in str(warnings[0])
    assert "'ctlr+u' is not a key" in str(warnings[1])
    assert str(warnings[0]).startswith(f"{path}:5:1: warning: ")


def test_a_keymap_that_is_not_a_table_is_ignored_with_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "config.toml", 'operator = "alice"\nkeymap = "v"\n')
    settings, problems = load_settings(path)
    assert settings.keymap == {} and settings.operator == "alice"
    assert [(p.line, p.key) for p in problems] == [(2, "keymap")]


@pytest.mark.parametrize("key", ["v", "R", "?", "ctrl+r", "f5", "question_mark", "shift+tab", "alt+enter"])
def test_keys(key: str) -> None:
    assert not bad_key(key)


@pytest.mark.parametrize("key", ["", "ctrl+", "ctlr+r", "a b", "no-such-key", "ctrl+nothing"])
def test_not_keys(key: str) -> None:
    assert bad_key(key)


def test_every_binding_has_an_id_listed_in_the_docs() -> None:
    ids = binding_ids()
    assert {"today.review", "run.done", "app.quit"} <= set(ids)
    listed = re.findall(r"^\| `([a-z0-9.-]+)` \|", (REPO / "docs" / "keys.md").read_text(), re.M)
    assert listed == ids
