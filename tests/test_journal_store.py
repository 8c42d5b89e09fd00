"""The journal file: permissions, refusals that never alter the file, exchange, backup."""

from __future__ import annotations

import json
import re
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soptui.journal import Journal, JournalError
from soptui.journal.exchange import export_jsonl, import_events, parse_lines
from soptui.journal.schema import MIGRATIONS, SCHEMA_VERSION
from soptui.journal.store import network_filesystem
from tests.helpers import DAILY, library_from, recorder_for
from tests.pg_support import Backend


def test_new_journal_is_private_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "journal.sqlite3"
    with Journal.open(path) as journal:
        assert not journal.readonly
        assert journal._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert journal._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_group_shared_directory_gives_group_access(tmp_path: Path) -> None:
    shared = tmp_path / "team"
    shared.mkdir()
    shared.chmod(0o2770)
    with Journal.open(shared / "journal.sqlite3"):
        pass
    assert stat.S_IMODE((shared / "journal.sqlite3").stat().st_mode) == 0o660


def test_newer_schema_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path):
        pass
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 9")
    db.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match="written by a newer soptui .schema 9"):
        Journal.open(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_corrupt_file_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(content)
    with pytest.raises(JournalError, match="damaged|not a database|cannot open"):
        Journal.open(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.sqlite3"]


def test_symlink_and_directory_are_refused(tmp_path: Path) -> None:
    (tmp_path / "real.sqlite3").write_bytes(b"")
    (tmp_path / "link.sqlite3").symlink_to(tmp_path / "real.sqlite3")
    with pytest.raises(JournalError, match="symbolic link"):
        Journal.open(tmp_path / "link.sqlite3")
    with pytest.raises(JournalError, match="is a directory"):
        Journal.open(tmp_path)


def test_explicit_read_only_refuses_writes(backend: Backend) -> None:
    backend.open().close()
    journal = backend.open(readonly=True)
    with pytest.raises(JournalError, match="read-only"), journal.writing():
        pass


def test_network_filesystem_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/x {tmp_path} nfs4 rw 0 0\n")
    real = Path.read_text

    def fake(self: Path, *args: object, **kwargs: object) -> str:
        return real(mounts) if str(self) == "/proc/mounts" else real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", fake)
    assert network_filesystem(tmp_path / "journal.sqlite3") == "nfs4"
    journal = Journal.open(tmp_path / "journal.sqlite3")
    assert any("network filesystem (nfs4)" in w for w in journal.warnings)


def test_export_import_round_trip_is_idempotent(tmp_path: Path, backend: Backend) -> None:
    library = library_from(tmp_path, morning=DAILY)
    source = recorder_for(tmp_path / "a", library, journal=backend.open("a"))
    run_id = source.routine_run("morning").run_id
    source.complete(run_id, "welcome")
    source.note(run_id, "第一条 note")
    lines = list(export_jsonl(source.journal, None, None))
    assert json.loads(lines[0])["type"] == "playbook-version"
    assert [json.loads(line)["kind"] for line in lines[1:]] == ["run.opened", "step.done", "note"]
    target = recorder_for(tmp_path / "b", library, journal=backend.open("b"))
    versions, events = parse_lines(lines, "export.jsonl")
    first = import_events(target.journal, versions, events, lambda r: target.state(r).closed_at)
    again = import_events(target.journal, versions, events, lambda r: target.state(r).closed_at)
    assert (first.added, first.already) == (3, 0)
    assert (again.added, again.already) == (0, 3)
    assert target.state(run_id).steps["welcome"].status == "done"
    assert list(export_jsonl(target.journal, None, None)) == lines


def test_import_refuses_a_bad_line_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="in.jsonl:2: unknown event kind 'boom'"):
        parse_lines(['{"type":"event"}\n' if False else "", '{"kind":"boom"}'], "in.jsonl")
    with pytest.raises(ValueError, match="in.jsonl:1: "):
        parse_lines(["{not json"], "in.jsonl")


def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    library = library_from(tmp_path, morning=DAILY)
    recorder = recorder_for(tmp_path, library)
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "welcome")
    target = tmp_path / "backup.sqlite3"
    recorder.journal.backup(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with Journal.open(target) as copy:
        assert copy.event_count() == 2
        assert copy.integrity_problems() == []
    with pytest.raises(JournalError, match="cannot create"):
        recorder.journal.backup(target)


def test_version_1_journal_migrates_forward_keeping_events(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute(
        "INSERT INTO events (uuid, at, recorded_at, operator, login, host, kind, payload) "
        "VALUES ('00000000-0000-4000-8000-000000000000', '2026-11-01T00:00:00.000000Z', "
        "'2026-11-01T00:00:00.000000Z', 'alice', 'alice', 'h', 'note', '{\"text\": \"old\"}')"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Journal.open(path) as journal:
        assert journal._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [e.payload["text"] for e in journal.events_between()] == ["old"]
        journal.set_presence("s1", "alice", "alice", "h", "r", None, datetime.now(UTC))


def test_review_and_agenda_queries_use_indexes(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        queries = [
            "SELECT * FROM runs WHERE period IN ('2026-11-16', '2026-W47')",
            "SELECT * FROM runs WHERE playbook_id = 'x' AND period IN ('a', 'b')",
            "SELECT * FROM events WHERE run_id IN ('a', 'b') ORDER BY seq",
            "SELECT * FROM events WHERE at >= '2026' AND at < '2027' AND kind = 'note'",
            "SELECT * FROM runs WHERE period IS NULL AND closed_at IS NULL",
        ]
        for query in queries:
            plan = " ".join(str(r[3]) for r in journal._db.execute("EXPLAIN QUERY PLAN " + query))
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (query, plan)


def test_the_reviews_own_queries_use_indexes(tmp_path: Path) -> None:
    """The statements the journal really runs for a review and Today (captured, not copied):
    none walks the whole events or runs table (five years hold millions of events)."""
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        ran: list[tuple[str, tuple[object, ...]]] = []
        query = journal._query

        def captured(sql: str, params: tuple[object, ...] = ()) -> list[object]:
            ran.append((sql, params))
            return query(sql, params)  # type: ignore[arg-type, return-value]

        journal._query = captured  # type: ignore[method-assign, assignment]
        journal.instance_runs()
        journal.last_seqs(["a@2026-11-23", "b@2026-11-23"])
        journal.events_and_ticks_of_runs(["a@2026-11-23"])
        journal.action_completions([("team-sync", "assign-actions")])
        start = datetime(2026, 11, 23, tzinfo=UTC)
        journal.recorded_values(
            start, start + timedelta(days=7), start + timedelta(days=36), [("2026-11-23", "2026-11-29")]
        )
        journal.recorded_values(start - timedelta(days=30), start, steps=[("morning", "new-members")])
        journal.value_steps(start - timedelta(days=30), start)
        journal.first_periods(["morning", "weekly"])
        assert len(ran) >= 7, ran
        for sql, params in ran:
            plan = " ".join(str(r[3]) for r in journal._db.execute("EXPLAIN QUERY PLAN " + sql, params))
            # SEARCH through an index; a SCAN, even along an index, reads every row.
            assert not re.search(r"\bSCAN (events|runs)\b", plan), (sql, plan)


def test_each_connection_keeps_a_small_page_cache(tmp_path: Path) -> None:
    """The file is in the operating system's cache already: SQLite's own, per connection,
    stays at PAGE_CACHE_KIB (the app holds three or four connections)."""
    from soptui.journal.store import PAGE_CACHE_KIB

    with Journal.open(tmp_path / "j.sqlite3") as journal:
        journal.run("morning@2026-11-23")  # opens the reading connection too
        assert journal._db.execute("PRAGMA cache_size").fetchone()[0] == -PAGE_CACHE_KIB
        assert journal._read_db is not None
        assert journal._read_db.execute("PRAGMA cache_size").fetchone()[0] == -PAGE_CACHE_KIB
    with Journal.open(tmp_path / "j.sqlite3", readonly=True) as reader:
        assert reader._db.execute("PRAGMA cache_size").fetchone()[0] == -PAGE_CACHE_KIB


def test_payloads_read_the_same_whatever_their_spacing() -> None:
    from soptui.journal.store import _loads

    assert _loads('{"value":3,"unit":"人"}') == {"value": 3, "unit": "人"}
    assert _loads(' { "value" : 3 } ') == {"value": 3}  # written by hand or another tool
    assert _loads('{"value":3} ') == {"value": 3}
    assert _loads("{}") == {} and _loads("[1]") == {} and _loads("7") == {}
    for broken in ('{"value":3}{', '{"value":', "not json", ""):
        with pytest.raises(ValueError):
            _loads(broken)
