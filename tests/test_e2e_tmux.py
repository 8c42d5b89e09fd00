"""End to end: the installed ``soptui`` in a real terminal (tmux, 80x24), keys via send-keys."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui_support import FIXTURES

pytestmark = pytest.mark.slow
SOPTUI = shutil.which("soptui", path=str(Path(sys.executable).parent)) or shutil.which("soptui")


class Tmux:
    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, timeout=30
        )
        return result.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def keys(self, *keys: str, pause: float = 0.4) -> None:
        for key in keys:
            self("send-keys", "-t", "e2e", key)
            time.sleep(pause)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is required for the end-to-end test (.ci/run installs it)")
    tmux = Tmux(tmp_path / "tmux.sock")
    yield tmux
    tmux("kill-server")


def test_operator_completes_a_routine_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    assert SOPTUI, "the soptui command is not installed"
    journal = tmp_path / "journal.sqlite3"
    env = {
        "SOPTUI_JOURNAL": str(journal),
        "SOPTUI_CONFIG_DIR": str(tmp_path / "cfg"),
        "SOPTUI_DATA_DIR": str(tmp_path / "data"),
        "SOPTUI_OPERATOR": "erin",
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "TZ": "Asia/Shanghai",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    status = tmp_path / "status"
    command = (
        f"env {exports} {SOPTUI} --language en --playbooks {FIXTURES / 'en'}; echo $? > {status}; sleep 60"
    )
    tmux("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", command)
    tmux.wait_for("Routines")
    tmux.keys("Enter")
    tmux.wait_for("1 · Welcome newcomers")
    tmux.keys("Space")  # welcome: done
    tmux.wait_for("2 · Moderation sweep")
    tmux.keys("Space", "n", "o", "Enter")  # the yes-no field
    tmux.wait_for("4 · Post a topic")
    tmux.keys("n")
    tmux.wait_for("Note")
    tmux("send-keys", "-t", "e2e", "-l", "quiet morning, 安静的早上")
    tmux.keys("Enter")
    tmux.wait_for("erin")
    tmux.keys("s")  # optional: skipped without a reason
    tmux.wait_for("5 · Count new members")
    tmux.keys("Space", "1", "2", "Enter")
    tmux.wait_for("This run is finished")
    tmux.keys("Enter", "Escape")
    screen = tmux.wait_for("✓ Morning round")
    assert "erin" in screen
    tmux.keys("q")
    deadline = time.monotonic() + 15
    while not status.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status.read_text().strip() == "0"
    export = subprocess.run(
        [SOPTUI, "--journal", str(journal), "journal", "export"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    events = [json.loads(line) for line in export.stdout.splitlines()]
    kinds = [(e.get("kind"), e.get("step")) for e in events if e["type"] == "event"]
    assert kinds == [
        ("run.opened", None),
        ("step.done", "welcome"),
        ("step.done", "found-negative"),
        ("note", "topic"),
        ("step.skipped", "topic"),
        ("step.done", "new-members"),
    ]
    values = {e["step"]: e["payload"].get("value") for e in events if e.get("kind") == "step.done"}
    assert values == {"welcome": None, "found-negative": False, "new-members": 12}
    assert all(e["operator"] == "erin" for e in events if e["type"] == "event")
    note = next(e for e in events if e.get("kind") == "note")
    assert note["payload"]["text"] == "quiet morning, 安静的早上"
