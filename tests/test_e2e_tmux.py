"""End to end: the installed ``soptui`` in a real terminal (tmux, 80x24), keys via send-keys."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.tmux_support import SOPTUI, Tmux
from tests.ui_support import FIXTURES

pytestmark = pytest.mark.slow


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
    tmux.start(command, 80, 24)
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
