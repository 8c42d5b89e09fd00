"""Several processes on one journal: nothing lost, nothing duplicated, no lock errors, no corruption."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from tests.conftest import REPO
from tests.helpers import DAILY
from tests.pg_support import Backend


def spawn(backend: Backend, mode: str, name: str, count: int = 0) -> subprocess.Popen[str]:
    tmp_path = backend.tmp_path
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir(exist_ok=True)
    (playbooks / "morning.toml").write_text(DAILY, encoding="utf-8")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.workers",
            mode,
            str(backend.location()),
            str(playbooks),
            name,
            str(count),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_eight_processes_append_concurrently(backend: Backend) -> None:
    workers = [spawn(backend, "append", f"op{i}", 40) for i in range(8)]
    for worker in workers:
        _out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert "locked" not in err
    with backend.open() as journal:
        events = journal.run_events("morning@2026-11-23")
        assert [e.kind for e in events].count("run.opened") == 1
        notes = [e.payload["text"] for e in events if e.kind == "note"]
        assert len(notes) == 8 * 40
        assert set(notes) == {f"op{i} note {n}" for i in range(8) for n in range(40)}
        assert journal.integrity_problems() == []


def test_two_operators_complete_one_step_once(backend: Backend) -> None:
    workers = [spawn(backend, "race", f"op{i}") for i in range(4)]
    results = [w.communicate(timeout=60)[0].strip() for w in workers]
    assert sorted(r.split(":")[0] for r in results) == ["lost", "lost", "lost", "won"]
    assert all("already done by op" in r for r in results if r.startswith("lost"))
    with backend.open() as journal:
        done = [e for e in journal.run_events("morning@2026-11-23") if e.kind == "step.done"]
        assert len(done) == 1


def test_sigkill_at_random_points_loses_nothing_committed(backend: Backend) -> None:
    rng = random.Random(7)
    committed: list[str] = []
    for _ in range(5):
        worker = spawn(backend, "kill", "op")
        assert worker.stdout is not None
        fd = worker.stdout.fileno()
        os.set_blocking(fd, False)
        # A PostgreSQL worker first imports psycopg and connects: give it that time too.
        deadline = time.monotonic() + rng.uniform(0.5, 1.5) + (1.5 if backend.is_postgres else 0.0)
        buffer = b""
        while time.monotonic() < deadline:
            try:
                buffer += os.read(fd, 65536)
            except BlockingIOError:
                time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        os.set_blocking(fd, True)
        buffer += os.read(fd, 1 << 20)
        # Only complete lines: a uuid is printed after its commit returned.
        lines = buffer.decode().split("\n")[:-1]
        committed += [line for line in lines if len(line) == 36]
    assert len(committed) > 10
    with backend.open() as journal:
        assert journal.integrity_problems() == []
        stored = {e.uuid for e in journal.events_between()}
        missing = [u for u in committed if u not in stored]
        assert missing == []
