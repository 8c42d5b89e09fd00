"""Hostile text, broken disks, dropped sessions: clear messages and nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from soptui.drafts import Drafts
from soptui.journal import Journal, JournalError
from soptui.journal.exchange import export_csv, export_jsonl
from soptui.text import safe_json, visible
from soptui.tui.screens.modals import Prompt
from soptui.tui.widgets import NoteBox
from tests.conftest import REPO
from tests.helpers import DAILY, library_from, recorder_for
from tests.ui_support import build_app

HOSTILE = (
    "a\x1b]52;c;aGVsbG8=\x07b\x1b[2J\x1b]0;title\x07\x1b]8;;http://x\x07link\x1b]8;;\x07\x9b31m\u202eevil\x00"
)


def test_visible_shows_every_control_and_bidi_character() -> None:
    shown = visible(HOSTILE)
    assert not any(ord(c) < 0x20 and c not in "\n\t" for c in shown)
    assert "\x9b" not in shown and "\u202e" not in shown
    assert "␛]52;c;aGVsbG8=␇" in shown and "<U+202E>" in shown and "<U+009B>" in shown and "␀" in shown


def test_exports_never_carry_control_bytes(tmp_path: Path) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), operator="eve\x1b[31m")
    run = recorder.routine_run("morning").run_id
    recorder.note(run, HOSTILE)
    for line in export_jsonl(recorder.journal, None, None):
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in line)
    note = [json.loads(line) for line in export_jsonl(recorder.journal, None, None)][-1]
    assert note["payload"]["text"] == HOSTILE.strip()  # exact round trip through the escapes
    for line in export_csv(recorder.journal, None, None):
        assert "\x1b" not in line and "\u202e" not in line
    assert "\\u202e" in safe_json({"t": "\u202e"})


async def test_hostile_note_and_markup_render_literally(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    run = recorder.routine_run("morning").run_id
    recorder.note(run, "[@click=app.quit]x[/] [link=http://evil]y[/link] " + HOSTILE, "welcome")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        shown = str(app.screen.query_one("#step-extra").render())
        assert "[@click=app.quit]x[/]" in shown and "[link=http://evil]" in shown
        assert "\x1b" not in shown and "␛" in shown
        app.notify("[bold]not bold[/] \x1b[2J")
        await pilot.pause()
        assert list(app._notifications)[-1].message == "[bold]not bold[/] ␛[2J"
        assert app.is_running


async def test_pasted_controls_are_removed_with_a_notice(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "n")
        assert isinstance(app.screen, Prompt)
        app.screen.query_one("#prompt-input", NoteBox).insert("hi\x1b[31m\u202ethere")
        await pilot.pause()
        await pilot.press("enter")
        assert recorder.state("morning@2026-11-23").steps["welcome"].notes[0].payload["text"] == "hi[31mthere"
        assert any("Control characters were removed" in str(n.message) for n in app._notifications)


async def test_failed_write_is_kept_as_a_draft_and_saved_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, recorder = build_app(tmp_path)
    app.services.drafts = Drafts(tmp_path / "drafts")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        real = recorder.journal.writing

        def full(*args: object, **kwargs: object) -> None:
            raise JournalError("the disk holding journal.sqlite3 is full; free some space and try again")

        monkeypatch.setattr(recorder.journal, "writing", full)
        await pilot.press("n", *"keep me", "enter")
        await pilot.press("space", "y")
        assert any("is full" in str(n.message) and "draft" in str(n.message) for n in app._notifications)
        assert len(app.services.drafts.pending()) == 2
        assert len(list((tmp_path / "drafts").glob("*.json"))) == 2
        monkeypatch.setattr(recorder.journal, "writing", real)
        app._replay_drafts()
        await app.workers.wait_for_complete()
        await pilot.pause()
        state = recorder.state("morning@2026-11-23")
        assert state.steps["welcome"].status == "done"
        assert state.steps["welcome"].notes[0].payload["text"] == "keep me"
        assert app.services.drafts.pending() == []
        assert list((tmp_path / "drafts").glob("*.json")) == []
        assert recorder.journal.integrity_problems() == []


def test_real_disk_full_gives_a_message_and_loses_nothing(tmp_path: Path) -> None:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "morning.toml").write_text(DAILY, encoding="utf-8")
    journal_path = tmp_path / "journal.sqlite3"
    with Journal.open(journal_path):
        pass
    result = subprocess.run(
        [sys.executable, "-m", "tests.workers", "fill", str(journal_path), str(playbooks), "op"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("ERROR ")
    assert "full" in lines[-1] or "I/O" in lines[-1]
    committed = [line for line in lines if len(line) == 36]
    assert len(committed) > 3  # several committed before the disk filled (fewer since the search index)
    with Journal.open(journal_path) as journal:
        assert journal.integrity_problems() == []
        stored = {e.uuid for e in journal.events_between()}
        assert set(committed) <= stored


def test_damaged_page_is_detected_at_open_and_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY))
    run = recorder.routine_run("morning").run_id
    for n in range(300):
        recorder.note(run, f"note {n} " + "y" * 200)
    recorder.journal.close()
    with Journal.open(path) as journal:  # fold the WAL into the file
        journal._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 5 : page * 5 + 600] = b"\xde\xad" * 300  # damage a page in the middle
    path.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="damaged.*recover"):
        Journal.open(path)
    assert path.read_bytes() == bytes(data)


async def test_read_only_journal_still_shows_agenda_and_review(tmp_path: Path) -> None:
    from soptui.tui.screens.review import ReviewScreen

    app, recorder = build_app(tmp_path)
    recorder.complete(recorder.routine_run("morning").run_id, "welcome")
    recorder.journal.close()
    readonly = Journal.open(tmp_path / "journal.sqlite3", readonly=True)
    app, recorder = build_app(tmp_path, journal=readonly)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("read-only" in str(n.message) for n in app._notifications)
        rows = [str(o.prompt) for o in app.screen.query_one("#agenda")._options]  # type: ignore[attr-defined]
        assert any("1/5" in r for r in rows)
        await pilot.press("enter", "down", "space", "down", "enter")  # the yes-no step: "No"
        await pilot.pause()
        assert any("read-only; nothing can be recorded" in str(n.message) for n in app._notifications)
        assert recorder.state("morning@2026-11-23").steps["found-negative"].status == "pending"
        await pilot.press("escape", "r")
        assert isinstance(app.screen, ReviewScreen) and app.screen.review is not None


async def test_large_journal_is_checked_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import soptui.journal.store as store

    app, recorder = build_app(tmp_path)
    run = recorder.routine_run("morning").run_id
    for n in range(300):
        recorder.note(run, f"note {n} " + "z" * 200)
    recorder.journal._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    recorder.journal.close()
    path = tmp_path / "journal.sqlite3"
    data = bytearray(path.read_bytes())
    data[4096 * 5 : 4096 * 5 + 600] = b"\xde\xad" * 300
    path.write_bytes(bytes(data))
    monkeypatch.setattr(store, "QUICK_CHECK_LIMIT", 1024)  # "large": not checked at open
    journal = Journal.open(path)
    app, recorder = build_app(tmp_path, journal=journal)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if journal.readonly:
                break
        await pilot.pause()
        assert journal.readonly
        assert any(
            "is damaged" in str(n.message) and ".recover" in str(n.message) for n in app._notifications
        )
    assert path.read_bytes() == bytes(data)
