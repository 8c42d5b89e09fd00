"""Writing files (issue 11): -o targets, backups, empty journals, journal check, new, CSV, snippets."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import soptui.journal.store as store
from soptui.cli import main
from soptui.journal import Journal, JournalError
from soptui.playbooks.snippets import fill
from tests.conftest import REPO
from tests.helpers import DAILY, library_from, recorder_for

Run = tuple[int, str, str]
Cli = Callable[..., Run]


@pytest.fixture
def journal_with_events(cli: Cli) -> Cli:
    assert cli("done", "morning", "welcome")[0] == 0
    assert cli("note", "morning", 'two\nlines, a comma and a "quote"')[0] == 0
    return cli


# -- 1. -o FILE -------------------------------------------------------------------------------

OUTPUT_COMMANDS = {
    "export": ("journal", "export"),
    "export-csv": ("journal", "export", "--format", "csv"),
    "review": ("review", "--format", "markdown"),
}


def _device(tmp_path: Path, minor: int) -> Path:
    """A character device to aim -o at: a private node as root, else the system's own."""
    system = Path("/dev/full" if minor == 7 else "/dev/null")
    if os.geteuid() != 0:
        return system  # refused before anything is created; we could not replace it anyway
    node = tmp_path / system.name
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except OSError:
        pytest.skip("cannot create a device node here")
    return node


def _special(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A non-regular path of ``kind`` and the words the refusal must use."""
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        return path, "FIFO"
    if kind == "null":
        return _device(tmp_path, 3), "character device"
    if kind == "full":
        return _device(tmp_path, 7), "character device"
    if kind == "directory":
        path = tmp_path / "adir"
        path.mkdir()
        return path, "directory"
    if kind == "socket":
        monkeypatch.chdir(tmp_path)  # AF_UNIX paths are short: bind a relative name
        server = socket.socket(socket.AF_UNIX)
        server.bind("sock")
        return tmp_path / "sock", "socket"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = tmp_path / "link.txt"
    path.symlink_to(victim)
    return path, "symbolic link"


def _listing(directory: Path) -> list[str]:
    """The names in ``directory`` but SQLite's own -wal and -shm beside the journal (a
    read-only connection creates them and cannot remove them)."""
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(("-wal", "-shm")))


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
@pytest.mark.parametrize("kind", ["fifo", "null", "full", "directory", "socket", "symlink"])
def test_output_refuses_anything_but_a_regular_file(
    journal_with_events: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, kind: str
) -> None:
    path, words = _special(kind, tmp_path, monkeypatch)
    before = os.lstat(path)
    listing = _listing(path.parent) if path.parent != Path("/dev") else None
    code, _, err = journal_with_events(*OUTPUT_COMMANDS[command], "-o", str(path))
    assert code == 1, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot write {path}: it is a" in err and words in err and "refusing to replace it" in err
    after = os.lstat(path)
    assert (after.st_mode, after.st_ino, after.st_dev) == (before.st_mode, before.st_ino, before.st_dev)
    if listing is not None:
        assert _listing(path.parent) == listing  # no temporary file left
    if kind == "symlink":
        assert (tmp_path / "victim.txt").read_text() == "keep me"


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_output_replaces_a_regular_file_keeping_its_mode(
    journal_with_events: Cli, tmp_path: Path, command: str
) -> None:
    existing = tmp_path / "report.out"
    existing.write_text("old")
    existing.chmod(0o644)
    code, _, err = journal_with_events(*OUTPUT_COMMANDS[command], "-o", str(existing))
    assert code == 0, err
    assert existing.read_text() not in ("old", "")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644
    fresh = tmp_path / "fresh.out"
    assert journal_with_events(*OUTPUT_COMMANDS[command], "-o", str(fresh))[0] == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_output_dash_means_stdout(
    journal_with_events: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = journal_with_events(*OUTPUT_COMMANDS[command], "-o", "-")
    assert code == 0, err
    assert out and "wrote" not in err
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EIO])
def test_failed_write_leaves_the_target_untouched(
    journal_with_events: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: int
) -> None:
    target = tmp_path / "out" / "export.jsonl"
    target.parent.mkdir()
    target.write_text("the previous export")

    def broken_fsync(fd: int) -> None:
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr("soptui.files.os.fsync", broken_fsync)
    code, _, err = journal_with_events("journal", "export", "-o", str(target))
    assert code == 1
    assert err == f"soptui: error: cannot write {target}: {os.strerror(failure)}\n"
    assert target.read_text() == "the previous export"
    assert [p.name for p in target.parent.iterdir()] == ["export.jsonl"]


# -- 5. CSV line endings ----------------------------------------------------------------------


def _assert_crlf_only(data: bytes) -> None:
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")


def test_journal_csv_uses_crlf_throughout(journal_with_events: Cli, tmp_path: Path) -> None:
    target = tmp_path / "events.csv"
    assert journal_with_events("journal", "export", "--format", "csv", "-o", str(target))[0] == 0
    data = target.read_bytes()
    _assert_crlf_only(data)
    rows = data.split(b"\r\n")[:-1]
    assert len(rows) == 1 + 3  # the header, then run.opened, step.done and the note
    assert b"two\\nlines" in data  # the note's newline is escaped in its JSON cell, never raw
    code, out, _ = journal_with_events("journal", "export", "--format", "csv")
    assert code == 0 and out.encode() == data


def test_review_csv_uses_crlf_throughout(journal_with_events: Cli, tmp_path: Path) -> None:
    for section in ("routines", "notes", "incidents"):
        target = tmp_path / f"{section}.csv"
        code, _, err = journal_with_events(
            "review", "--format", "csv", "--section", section, "-o", str(target)
        )
        assert code == 0, err
        _assert_crlf_only(target.read_bytes())


# -- 2. backup --------------------------------------------------------------------------------


class _FailingBackup:
    """A connection whose backup copies one page, then fails as on a full disk."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def backup(self, target: sqlite3.Connection, **_: Any) -> None:
        self.real.backup(target, pages=1, progress=self._fail)

    def _fail(self, status: int, remaining: int, total: int) -> None:
        raise sqlite3.OperationalError("database or disk is full")


def _busy_journal(tmp_path: Path, notes: int = 50) -> Journal:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY))
    run_id = recorder.routine_run("morning").run_id
    for n in range(notes):
        recorder.note(run_id, f"note {n} " + "x" * 400)
    return recorder.journal


def test_backup_is_verified_and_named_only_when_complete(tmp_path: Path) -> None:
    journal = _busy_journal(tmp_path)
    target = tmp_path / "copies" / "backup.sqlite3"
    target.parent.mkdir()
    journal.backup(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["backup.sqlite3"]  # no temp, -wal or -shm
    with Journal.open(target, readonly=True) as copy:
        assert copy.event_count() == journal.event_count()
    with pytest.raises(JournalError, match="already exists"):
        journal.backup(target)


def test_backup_failing_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    journal = _busy_journal(tmp_path)
    target = tmp_path / "copies" / "backup.sqlite3"
    target.parent.mkdir()
    real = journal._db
    journal._db = _FailingBackup(real)  # type: ignore[assignment]
    with pytest.raises(JournalError, match="full"):
        journal.backup(target)
    assert list(target.parent.iterdir()) == []  # no 0-byte or partial file blocks the retry
    journal._db = real
    journal.backup(target)
    assert Journal.open(target, readonly=True).event_count() == journal.event_count()


KILLED_BACKUP = """
import sqlite3, sys, time
from pathlib import Path
from soptui.journal import Journal

class Slow:
    def __init__(self, real):
        self.real = real
    def __getattr__(self, name):
        return getattr(self.real, name)
    def backup(self, target, **_):
        def progress(status, remaining, total):
            print("copying", flush=True)
            time.sleep(0.2)
        self.real.backup(target, pages=1, progress=progress)

journal = Journal.open(Path(sys.argv[1]), readonly=True)
journal._db = Slow(journal._db)
journal.backup(Path(sys.argv[2]))
"""


def test_backup_killed_midway_leaves_no_file_under_the_final_name(tmp_path: Path, cli: Cli) -> None:
    _busy_journal(tmp_path, notes=100).close()
    source = tmp_path / "journal.sqlite3"
    target = tmp_path / "copies" / "backup.sqlite3"
    target.parent.mkdir()
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_BACKUP, str(source), str(target)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "copying"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    worker.stdout.close()
    assert not target.exists()
    code, _, err = cli("--journal", str(source), "journal", "backup", str(target))
    assert code == 0, err
    assert Journal.open(target, readonly=True).integrity_problems() == []


# -- 2. an empty journal file is never reinitialised ------------------------------------------


def test_empty_journal_file_is_refused_and_left_alone(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    path.write_bytes(b"")
    started = time.monotonic()
    code, _, err = cli("done", "morning", "welcome")
    assert code == 1
    assert "is empty (0 bytes)" in err and "interrupted copy" in err and err.count("\n") == 1
    assert path.read_bytes() == b""
    assert not (tmp_path / "j.sqlite3-wal").exists()
    assert time.monotonic() - started < 10
    with pytest.raises(JournalError, match="is empty"):
        Journal.open(path, readonly=True)


def test_new_journal_still_works_and_a_journal_being_created_is_waited_for(tmp_path: Path) -> None:
    model = tmp_path / "model.sqlite3"
    Journal.open(model).close()  # a brand-new journal: created empty, then initialised
    assert model.stat().st_size > 0
    being_created = tmp_path / "new.sqlite3"
    being_created.write_bytes(b"")

    def creator() -> None:
        time.sleep(0.3)
        being_created.write_bytes(model.read_bytes())

    thread = threading.Thread(target=creator)
    thread.start()
    with Journal.open(being_created) as journal:
        assert journal.event_count() == 0
    thread.join()


# -- 3. soptui journal check ------------------------------------------------------------------


def test_journal_check_intact_and_damaged(journal_with_events: Cli, tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    code, out, err = journal_with_events("journal", "check")
    assert code == 0, err
    assert out == f"the journal {path} is intact: 3 event(s)\n"
    with Journal.open(path) as journal:  # fold the WAL in, so the file holds every page
        journal.checkpoint()
    (tmp_path / "big").mkdir()
    _busy_journal(tmp_path / "big").close()
    big = tmp_path / "big" / "journal.sqlite3"
    data = bytearray(big.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[3 * page : 5 * page] = b"\xa5" * (2 * page)  # two pages of garbage inside the file
    big.write_bytes(bytes(data))
    code, out, err = journal_with_events("--journal", str(big), "journal", "check")
    assert code == 1
    assert out.startswith(f"the journal {big} is damaged:\n  ")
    assert "Keep a copy" in err and ".recover" in err and err.count("\n") == 1
    assert big.read_bytes() == bytes(data)
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    code, out, err = journal_with_events("--journal", str(empty), "journal", "check")
    assert code == 1 and "empty (0 bytes)" in out


def test_large_journal_writes_point_at_journal_check(
    journal_with_events: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "QUICK_CHECK_LIMIT", 1024)
    code, _, err = journal_with_events("done", "morning", "topic")
    assert code == 0, err
    assert "only its header and schema were checked" in err and "soptui journal check" in err
    code, out, err = journal_with_events("journal", "check")
    assert code == 0 and "is intact" in out
    assert "checking" in err  # progress for a large file goes to stderr
    code, _, err = journal_with_events("journal", "export", "-o", "-")
    assert "soptui journal check" not in err  # reading is not nagged


# -- 4. soptui new ----------------------------------------------------------------------------


@pytest.fixture
def bundled_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> Run:
        try:
            code = main(["--language", "en", *args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _bundled(cli: Cli, playbook_id: str) -> dict[str, Any]:
    _, out, _ = cli("list", "--json")
    found: dict[str, Any] = {p["id"]: p for p in json.loads(out)["playbooks"]}[playbook_id]
    return found


def test_new_refuses_to_shadow_a_bundled_playbook(bundled_cli: Cli) -> None:
    bundled = _bundled(bundled_cli, "morning-round")
    code, _, err = bundled_cli("new", "morning-round", "--cadence", "daily")
    assert code == 1 and err.count("\n") == 1
    assert repr(bundled["title"]) in err and bundled["path"] in err and "--force" in err
    assert _bundled(bundled_cli, "morning-round")["path"] == bundled["path"]
    code, _, err = bundled_cli("new", "morning-round", "--cadence", "daily", "--force")
    assert code == 0, err
    assert _bundled(bundled_cli, "morning-round")["origin"] == "user"


def test_new_from_copies_a_playbook_to_customise(bundled_cli: Cli) -> None:
    bundled = _bundled(bundled_cli, "morning-round")
    code, out, err = bundled_cli("new", "morning-round", "--from", "morning-round")
    assert code == 0, err
    copy = Path(out.removeprefix("wrote ").strip())
    assert copy.read_text(encoding="utf-8").endswith(Path(bundled["path"]).read_text(encoding="utf-8")[-200:])
    mine = _bundled(bundled_cli, "morning-round")
    assert mine["origin"] == "user" and mine["steps"] == bundled["steps"] and mine["path"] == str(copy)
    code, out, err = bundled_cli("new", "our-round", "--from", "morning-round", "--title", "Our round")
    assert code == 0, err
    ours = _bundled(bundled_cli, "our-round")
    assert ours["title"] == "Our round" and ours["steps"] == bundled["steps"]
    code, out, err = bundled_cli("check", str(copy.parent))
    assert code == 0, out
    assert bundled_cli("new", "x", "--from", "no-such-playbook")[0] == 1
    assert bundled_cli("new", "x")[0] == 2


def test_new_starter_points_at_no_external_schema(bundled_cli: Cli, tmp_path: Path) -> None:
    code, _, err = bundled_cli("new", "my-sop", "--cadence", "weekly", "--dir", str(tmp_path / "new"))
    assert code == 0, err
    text = (tmp_path / "new" / "my-sop.toml").read_text(encoding="utf-8")
    assert "http" not in text.split("[", 1)[0]
    assert not text.startswith("#:schema")
    assert "soptui schema > playbook.schema.json" in text


# -- 6. snippets ------------------------------------------------------------------------------

SNIPPET = DAILY.replace(
    'checklist = ["greet", "pin rules"]',
    'checklist = ["greet", "pin rules"]\n'
    '[[steps.snippets]]\nlabel = "Welcome"\ntext = """\nHi {name},\nwelcome!\n"""',
)


def test_copied_snippet_has_no_trailing_newline(tmp_path: Path) -> None:
    library = library_from(tmp_path, morning=SNIPPET)
    playbook = library.get("morning")
    assert playbook is not None
    text = playbook.steps[0].snippets[0].text
    assert text.endswith("\n")  # what TOML gives
    assert fill(text, {"name": "Ann"}) == "Hi Ann,\nwelcome!"
    assert fill("one line", {}) == "one line"
    assert fill("two\n\n", {}) == "two\n"  # only the one newline TOML adds


def test_a_command_closes_the_journal_it_opened(cli: Cli, tmp_path: Path) -> None:
    """Closed when the command ends, not whenever the garbage collector gets to it: the last
    connection to close folds SQLite's -wal back into the journal and removes it."""
    assert cli("done", "morning", "welcome")[0] == 0
    assert cli("note", "morning", "closed after")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("j.")) == ["j.sqlite3"]
