"""Team mode: a shared directory, live updates between operators, trust checks, identity."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soptui.cli import main
from soptui.context import CommandError, Context
from soptui.journal import Journal
from soptui.team import check_team, init_team
from tests.conftest import MINIMAL, REPO
from tests.helpers import Clock
from tests.ui_support import FIXTURES, MONDAY_9AM, build_app

NOBODY = 65534


def test_team_init_layout_and_permissions(tmp_path: Path) -> None:
    root = tmp_path / "team"
    init_team(root, None, "Asia/Shanghai", "zh")
    assert stat.S_IMODE(root.stat().st_mode) == 0o3770  # setgid and sticky
    assert stat.S_IMODE((root / "playbooks").stat().st_mode) == 0o2770
    assert stat.S_IMODE((root / "journal.sqlite3").stat().st_mode) == 0o660
    assert stat.S_IMODE((root / "config.toml").stat().st_mode) == 0o660
    assert 'timezone = "Asia/Shanghai"' in (root / "config.toml").read_text()
    assert check_team(root) == []
    with pytest.raises(Exception, match="not an empty directory"):
        init_team(root, None, None, None)


def test_members_point_at_the_team_with_soptui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "team"
    init_team(root, None, "Asia/Shanghai", "en")
    (root / "playbooks" / "ours.toml").write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("SOPTUI_HOME", str(root))
    context = Context.create()
    assert context.journal_path == root / "journal.sqlite3"
    assert str(context.zone) == "Asia/Shanghai" and context.language == "en"
    assert context.library.origins["ours"] == "team"


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_untrusted_team_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "team"
    init_team(root, None, None, None)
    monkeypatch.setenv("SOPTUI_HOME", str(root))
    playbooks = root / "playbooks"
    (playbooks / "good.toml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "elsewhere.toml").write_text(MINIMAL.replace("Minimal", "Planted"), encoding="utf-8")
    (playbooks / "planted.toml").symlink_to(tmp_path / "elsewhere.toml")
    (playbooks / "foreign.toml").write_text(MINIMAL, encoding="utf-8")
    os.chown(playbooks / "foreign.toml", NOBODY, -1)
    library = Context.create().library
    assert "good" in library.entries and "planted" not in library.entries and "foreign" not in library.entries
    messages = " | ".join(str(p) for p in library.problems)
    assert "symbolic link in a shared directory" in messages
    assert "owned by nobody, who is not in the team group" in messages
    (playbooks / "foreign.toml").unlink()
    root.chmod(0o2777)
    with pytest.raises(CommandError, match="writable by everyone"):
        Context.create()
    root.chmod(0o2770)
    os.chown(root / "journal.sqlite3", NOBODY, -1)
    with pytest.raises(CommandError, match="journal.sqlite3 is owned by nobody"):
        Context.create()


def test_operator_override_is_recorded_next_to_the_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOPTUI_JOURNAL", str(tmp_path / "j.sqlite3"))
    assert (
        main(["--playbooks", str(FIXTURES / "en"), "--operator", "carol", "done", "morning", "welcome"]) == 0
    )
    assert main(["journal", "export"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()[1:] if '"event"' in line]
    done = next(e for e in events if e["kind"] == "step.done")
    assert done["operator"] == "carol"
    assert done["login"] == Context.create().login
    assert done["payload"]["operator_override"] is True


async def test_another_operators_actions_appear_live(tmp_path: Path) -> None:
    from soptui.tui.screens.run import RunScreen

    app, _alice = build_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        bob, _ = build_app(
            tmp_path,
            operator="bob",
            journal=Journal.open(tmp_path / "journal.sqlite3"),
            clock=Clock(MONDAY_9AM),
        )
        bob.services.recorder.here(screen.state.run_id, "found-negative")
        started = time.monotonic()
        bob.services.recorder.complete(screen.state.run_id, "welcome")
        while screen.state.steps["welcome"].status != "done" and time.monotonic() - started < 3:
            await pilot.pause(0.1)
        latency = time.monotonic() - started
        assert latency < 2.0
        assert screen.state.steps["welcome"].by == "bob"
        header = screen.query_one("#run-header")
        while "with bob" not in str(header.render()) and time.monotonic() - started < 5:
            await pilot.pause(0.1)  # who else is here is read on its own 2 s timer
        assert "with bob @2" in str(header.render())


async def test_a_second_process_shows_up_within_two_seconds(tmp_path: Path) -> None:
    from soptui.tui.screens.today import TodayScreen

    app, _ = build_app(tmp_path, clock=Clock(MONDAY_9AM))
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, TodayScreen)
        env = {**os.environ, "SOPTUI_JOURNAL": str(tmp_path / "journal.sqlite3"), "SOPTUI_OPERATOR": "bob"}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "soptui",
                "--playbooks",
                str(FIXTURES / "en"),
                "--language",
                "en",
                "incident",
                "open",
                "spam",
                "--title",
                "bots from bob",
                "--severity",
                "P1",
            ],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        started = time.monotonic()

        def shown() -> bool:
            options = app.screen.query_one("#agenda")._options  # type: ignore[attr-defined]
            return any("bots from bob" in str(o.prompt) for o in options)

        while not shown() and time.monotonic() - started < 3:
            await pilot.pause(0.1)
        assert shown() and time.monotonic() - started < 2.0
