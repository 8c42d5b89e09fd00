"""Driving the installed ``soptui`` in a real terminal: tmux send-keys and capture-pane."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SOPTUI = shutil.which("soptui", path=str(Path(sys.executable).parent)) or shutil.which("soptui")


class Tmux:
    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, timeout=30
        )
        return result.stdout

    def start(self, command: str, width: int, height: int) -> None:
        """Start ``command`` in a window of exactly width x height (no status line)."""
        self(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            str(width),
            "-y",
            str(height),
            command,
            ";",
            "set-option",
            "-g",
            "status",
            "off",
        )

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
    """A private tmux server for one test."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is required for the end-to-end test (.ci/run installs it)")
    tmux = Tmux(tmp_path / "tmux.sock")
    yield tmux
    tmux("kill-server")
