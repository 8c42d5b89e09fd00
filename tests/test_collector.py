"""The garbage collector held back while a command starts, and released for long sessions."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from soptui import collector
from soptui.cli import main
from tests.ui_support import build_app


@pytest.fixture(autouse=True)
def usual_pace() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_held_back_collects_rarely_inside_and_as_before_after() -> None:
    with collector.held_back():
        assert gc.get_threshold() == (collector.HELD_BACK_YOUNG, 10, 10)
        with collector.held_back():
            assert gc.get_threshold()[0] == collector.HELD_BACK_YOUNG
        assert gc.get_threshold()[0] == collector.HELD_BACK_YOUNG
        collector.release()
        assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)
    collector.release()  # no hold: nothing to release
    assert gc.get_threshold() == (700, 10, 10)


def test_a_command_runs_held_back_and_leaves_the_pace_as_it_found_it(
    isolated_env: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int, int]] = []
    import soptui.commands.playbook_commands as commands

    real = commands.check

    def check(*args: object, **kwargs: object) -> int:
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(commands, "check", check)
    assert main(["check"]) == 0
    assert seen == [(collector.HELD_BACK_YOUNG, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


async def test_the_app_collects_at_the_usual_pace_after_its_first_frame(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    with collector.held_back():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.get_threshold() == (700, 10, 10)
