"""Permission checks run as real non-root users (root ignores file permissions).

The child processes are forked from the test process and then drop to another uid, so they
already hold the interpreter and soptui in memory (root's home is private on CI machines).
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from soptui.journal import Journal, JournalError
from soptui.playbooks.library import Source, load_library
from soptui.recorder import ActionError, Identity, Recorder
from soptui.team import init_team
from tests.ui_support import FIXTURES

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")

NOBODY, NOGROUP = 65534, 65534  # the team member: nobody, whose primary group is nogroup
DAEMON = 1  # an outsider: daemon, not in nogroup


def as_user(uid: int, gid: int, work: Callable[[], str]) -> str:
    """Run ``work`` in a forked child that has become ``uid``; return what it returned or raised."""
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = context.Queue()

    def child() -> None:
        try:
            os.setgroups([gid])
            os.setgid(gid)
            os.setuid(uid)
            os.umask(0o007)
            queue.put(work())
        except BaseException as error:  # report, never hang the test
            queue.put(f"{type(error).__name__}: {error}")

    process = context.Process(target=child)
    process.start()
    process.join(60)
    return queue.get(timeout=5)


LIBRARY = load_library([Source(FIXTURES / "en", "test")])  # loaded as root, before the fork


def record_as(journal_path: Path, operator: str) -> str:
    library = LIBRARY
    journal = Journal.open(journal_path)
    recorder = Recorder(
        journal,
        library,
        ZoneInfo("Asia/Shanghai"),
        Identity(operator, operator, "h"),
        lambda: datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
    )
    run = recorder.routine_run("morning").run_id
    try:
        recorder.note(run, f"note from {operator}")
    except (ActionError, JournalError) as error:
        return f"refused: {error} (readonly={journal.readonly})"
    return "recorded"


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="soptui-users-"))
    directory.chmod(0o755)  # traversable by the other users
    yield directory


def test_team_members_share_the_journal_and_outsiders_cannot_read(shared_tmp: Path) -> None:
    team = shared_tmp / "team"
    init_team(team, "nogroup", "Asia/Shanghai", "en")
    journal = team / "journal.sqlite3"
    assert journal.stat().st_gid == NOGROUP and stat.S_IMODE(journal.stat().st_mode) == 0o660
    assert as_user(NOBODY, NOGROUP, lambda: record_as(journal, "nobody")) == "recorded"
    # Files the member's process created (the WAL) stay group-readable and group-owned.
    for extra in team.glob("journal.sqlite3-*"):
        assert extra.stat().st_gid == NOGROUP and extra.stat().st_mode & stat.S_IRGRP
    outsider = as_user(DAEMON, DAEMON, lambda: record_as(journal, "daemon"))
    assert outsider.startswith("JournalError") and "Permission" not in outsider.split(":")[0]
    with Journal.open(journal) as opened:  # root, another team member, sees the member's note
        notes = [e.payload["text"] for e in opened.events_between() if e.kind == "note"]
        assert notes == ["note from nobody"]


def test_read_only_directory_opens_read_only_for_a_user(shared_tmp: Path) -> None:
    directory = shared_tmp / "ro"
    directory.mkdir()
    journal = directory / "journal.sqlite3"
    library = LIBRARY
    with Journal.open(journal) as opened:
        Recorder(opened, library, ZoneInfo("UTC"), Identity("root", "root", "h")).routine_run("morning")
    journal.chmod(0o644)
    directory.chmod(0o755)  # nobody can read but not write here

    def look() -> str:
        opened = Journal.open(journal)
        warning = opened.warnings[0]
        runs = opened.event_count()
        try:
            with opened.writing():
                pass
        except JournalError as error:
            return f"{runs}|{warning}|{error}"
        return "wrote?"

    runs, warning, refusal = as_user(NOBODY, NOGROUP, look).split("|")
    assert runs == "1"
    assert "read-only here: you can look, but actions cannot be saved" in warning
    assert "read-only; nothing can be recorded" in refusal


def test_a_member_cannot_delete_or_rename_the_journal_or_the_team_config(shared_tmp: Path) -> None:
    team = shared_tmp / "team"
    init_team(team, "nogroup", "Asia/Shanghai", "en")  # owned by root, like the lead's set-up
    journal, config = team / "journal.sqlite3", team / "config.toml"

    def vandalise() -> str:
        results = []
        for action in (
            lambda: journal.unlink(),
            lambda: journal.rename(team / "gone.sqlite3"),
            lambda: config.unlink(),
            lambda: (team / "x").write_text("x") and config.replace(team / "x"),
        ):
            try:
                action()
                results.append("done")
            except PermissionError:
                results.append("refused")
        return ",".join(results)

    assert as_user(NOBODY, NOGROUP, vandalise) == "refused,refused,refused,refused"
    assert journal.exists() and config.exists()
    # Members still record, one after another, in the sticky directory (the WAL comes and goes).
    assert as_user(NOBODY, NOGROUP, lambda: record_as(journal, "nobody")) == "recorded"
    assert as_user(65533, NOGROUP, lambda: record_as(journal, "other")) == "recorded"
