"""End to end: the installed ``soptui`` in a real terminal (tmux, 80x24), keys via send-keys."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.tmux_support import SOPTUI, Tmux

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
    command = f"env {exports} {SOPTUI} --language en; echo $? > {status}; sleep 60"
    tmux.start(command, 80, 24)
    tmux.wait_for("Routines")
    tmux.keys("Enter")  # the first routine: the bundled daily data report
    tmux.wait_for("1 · Record total members")
    values = ["3000", "37", "5", "32", "512", "1200", "17.1", "4000", "120", "5.5", "12"]
    for number, value in enumerate(values, start=1):
        # No key first: on a step that takes a value the cursor is already in its box.
        if number == 2:  # a wrong value is refused next to the field, nothing recorded
            tmux("send-keys", "-t", "e2e", "-l", "lots")
            tmux.keys("Enter")
            tmux.wait_for("is not a whole number")
            tmux.keys("C-u")
        tmux("send-keys", "-t", "e2e", "-l", value)
        tmux.keys("Enter")
        tmux.wait_for(f"{number + 1} · ")
    tmux.keys("Space")  # a choice is picked from a list, not typed
    tmux.wait_for("00–07")
    tmux.keys("Down", "Down", "Down", "Down", "Down", "Enter")  # 20–22
    tmux.wait_for("13 · ")
    tmux.keys("Escape", "n")  # out of the value box, then a note
    tmux.wait_for("Note")
    tmux("send-keys", "-t", "e2e", "-l", "campaign day, 活动日")
    tmux.keys("Enter")
    tmux.wait_for("✎ erin")
    tmux.keys("s")  # "Note anomalies" is optional: skipped without a reason
    tmux.wait_for("This run is finished")
    tmux.keys("Enter", "Escape")
    screen = tmux.wait_for("✓ Daily data report")
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
    # the routine's own run (an auto-started newcomer cohort may open beside it)
    events = [e for e in events if e["type"] != "event" or str(e.get("run", "")).startswith("daily-data@")]
    kinds = [(e.get("kind"), e.get("step")) for e in events if e["type"] == "event"]
    steps = [
        "record-total-members",
        "record-new-members",
        "record-leaves",
        "record-net-growth",
        "record-active-members",
        "record-messages",
        "record-activity-rate",
        "record-content-reads",
        "record-content-shares",
        "record-interaction-rate",
        "record-first-response",
        "peak-time",
    ]
    assert kinds == [
        ("run.opened", None),
        *[("step.done", step) for step in steps],
        ("note", "note-anomalies"),
        ("step.skipped", "note-anomalies"),
    ]
    values = {e["step"]: e["payload"].get("value") for e in events if e.get("kind") == "step.done"}
    assert values["record-new-members"] == 37 and values["record-activity-rate"] == 17.1
    assert values["peak-time"] == "20–22"
    assert all(e["operator"] == "erin" for e in events if e["type"] == "event")
    note = next(e for e in events if e.get("kind") == "note")
    assert note["payload"]["text"] == "campaign day, 活动日"


def test_ticking_groups_down_a_scrolling_list_keeps_the_cursor_mark(tmux: Tmux, tmp_path: Path) -> None:
    """Each tick renders again only the rows it changed (soptui.tui.rows) while the list scrolls
    down with the cursor: in a real terminal the ticked group shows ✓ and the next one the mark ›.
    (A repaint of the changed lines alone once left a stale mark on bench/groups.py's 200-group
    list; this smaller list has not reproduced that, so the whole list is repainted.)"""
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    groups = "".join(f'[[groups]]\nid = "g{n:02d}"\nname = "会员{n:02d}群"\n\n' for n in range(30))
    (playbooks / "groups.toml").write_text(groups, encoding="utf-8")
    (playbooks / "round.toml").write_text(
        'title = "Round"\ncadence = "daily"\n\n'
        '[[steps]]\nid = "welcome"\ntitle = "Welcome"\nper_group = true\n'
        'details = "Greet each newcomer.\\n\\nPin the rules.\\n\\nAnswer questions."\n',
        encoding="utf-8",
    )
    env = {
        "SOPTUI_JOURNAL": str(tmp_path / "journal.sqlite3"),
        "SOPTUI_CONFIG_DIR": str(tmp_path / "cfg"),
        "SOPTUI_DATA_DIR": str(tmp_path / "data"),
        "SOPTUI_OPERATOR": "erin",
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "TZ": "Asia/Shanghai",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    tmux.start(f"env {exports} {SOPTUI} --language en --playbooks {playbooks} run round; sleep 60", 80, 24)
    tmux.wait_for("› · 会员00群")
    for n in range(20):  # well past the rows the list shows at once
        tmux.keys("Space", pause=0.05)
        screen = tmux.wait_for(f"› · 会员{n + 1:02d}群")  # the next group, under the cursor
        assert f"✓ 会员{n:02d}群" in screen
        assert screen.count("›") == 2, screen  # one in the step list, one in the group list
