"""Values and files that must not break a command (issue 11): each one a clear line, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from soptui.cli import main
from soptui.events import Event, dumps, utc_text
from soptui.journal import Journal
from soptui.playbooks.library import Source, load_library
from soptui.playbooks.loader import load_playbook
from soptui.review import build_review, week_range
from tests.conftest import write
from tests.helpers import DAILY, library_from, recorder_for

Run = Callable[..., tuple[int, str, str]]

BASE = """\
title = "A"
cadence = "{cadence}"
{extra}
[[steps]]
id = "one"
title = "One"
{step}
"""


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("soptui: error:")]
    assert len(lines) == 1, err
    return lines[0]


# -- 1. durations and dates in playbooks --------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "extra", "step", "key", "line"),
    [
        ("daily", 'estimate = "99999999999999d"', "", "estimate", 3),
        ("daily", 'estimate = "367d"', "", "estimate", 3),
        ("incident", "", 'escalate_after = "999999999d"', "steps[0].escalate_after", 7),
        ("daily", 'reviewed = 9999-12-31\nreview_every = "30d"', "", "reviewed", 3),
        ("daily", "reviewed = 0001-01-01", "", "reviewed", 3),
        ("daily", 'reviewed = 2026-01-01\nreview_every = "99999d"', "", "review_every", 4),
        ("daily", "", '[steps.input]\ntype = "number"\nmax = inf', "steps[0].input.max", 9),
        ("daily", "", '[steps.input]\ntype = "number"\nmin = -1e300', "steps[0].input.min", 9),
    ],
)
def test_out_of_range_playbook_values_are_positioned_problems(
    tmp_path: Path, cadence: str, extra: str, step: str, key: str, line: int
) -> None:
    path = write(tmp_path, "a.toml", BASE.format(cadence=cadence, extra=extra, step=step))
    loaded, problems = load_playbook(path, datetime(2026, 11, 23).date())
    assert loaded is None
    assert [(p.key, p.line) for p in problems] == [(key, line)], problems
    assert str(problems[0]).startswith(f"{path}:{line}:")


def test_bad_goal_values_are_problems(tmp_path: Path) -> None:
    directory = tmp_path / "pbs"
    write(directory, "morning.toml", DAILY)
    write(
        directory,
        "goals.toml",
        '[[goals]]\nid = "g"\ntitle = "G"\nmetric = "members.new"\ntarget = nan\nby = 0001-01-01\n',
    )
    library = load_library([Source(directory, "test")])
    assert {p.key for p in library.problems} == {"goals[0].target", "goals[0].by"}


def test_the_bad_playbook_breaks_no_command(cli: Run, tmp_path: Path) -> None:
    write(
        tmp_path / "pbs",
        "bad.toml",
        BASE.format(cadence="daily", extra='estimate = "99999999999999d"', step=""),
    )
    code, out, err = cli("check")
    assert code == 1 and "bad.toml:3:1: estimate: a duration must be at most 366 days" in out + err
    assert cli("due")[0] == 0
    assert cli("done", "morning", "welcome")[0] == 0


def test_an_invalid_stored_version_falls_back_to_the_library(tmp_path: Path) -> None:
    library = library_from(tmp_path, morning=DAILY)
    recorder = recorder_for(tmp_path, library)
    run = recorder.routine_run("morning")
    recorder.complete(run.run_id, "welcome")
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    body = json.loads(db.execute("SELECT body FROM playbook_versions").fetchone()[0])
    body["estimate"] = "99999999999999d"  # accepted by an older soptui
    db.execute("UPDATE playbook_versions SET body = ?", (json.dumps(body),))
    db.commit()
    db.close()
    fresh = recorder_for(tmp_path, library, journal=Journal.open(tmp_path / "journal.sqlite3"))
    assert fresh.state(run.run_id).done_count == 1  # folded with the library's playbook
    week = week_range("2026-W48")
    assert build_review(fresh.ledger, week).routines  # and the review renders


# -- 2. FIFOs and other non-regular files --------------------------------------------------


def test_fifo_and_socket_in_a_playbook_directory_are_problems_not_hangs(tmp_path: Path) -> None:
    directory = tmp_path / "pbs"
    write(directory, "morning.toml", DAILY)
    os.mkfifo(directory / "fifo.toml")
    os.mkfifo(directory / "goals.toml")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(directory / "sock.toml"))
    try:
        library = load_library([Source(directory, "test")])
    finally:
        server.close()
    assert "morning" in library.entries
    messages = {Path(p.file).name: p.message for p in library.problems}
    for name in ("fifo.toml", "goals.toml", "sock.toml"):
        assert "not a regular file" in messages[name]


def test_config_toml_fifo_does_not_hang(tmp_path: Path, isolated_env: Path, cli: Run) -> None:
    config = isolated_env / "config"
    config.mkdir(parents=True, exist_ok=True)
    os.mkfifo(config / "config.toml")
    assert cli("list")[0] == 0  # config.py skips what is not a regular file before reading


# -- 3. what the journal accepts -------------------------------------------------------------


def test_at_before_1970_is_a_usage_error(cli: Run) -> None:
    code, _, err = cli("note", "hello", "--at", "0999-01-01")
    assert code == 2 and "outside the supported range 1970-01-01..9999-12-31" in one_line_error(err)


def test_utc_text_pads_the_year() -> None:
    assert utc_text(datetime(999, 1, 1, tzinfo=UTC)).startswith("0999-01-01T")


@pytest.mark.parametrize("value", ["1" * 400, "1e16", "nan", "-inf"])
def test_huge_or_non_finite_values_are_refused(cli: Run, value: str) -> None:
    code, _, err = cli("done", "morning", "new-members", f"--value={value}")
    assert code == 1 and "Count new members:" in one_line_error(err)


def test_event_json_never_holds_nan() -> None:
    with pytest.raises(ValueError):
        dumps({"value": float("nan")})


def test_a_bad_stored_value_is_reported_not_called_damage(cli: Run, tmp_path: Path) -> None:
    assert cli("done", "morning", "new-members", "--value", "3")[0] == 0
    db = sqlite3.connect(tmp_path / "j.sqlite3")
    db.execute("UPDATE events SET payload = '{\"value\":Infinity}' WHERE kind = 'step.done'")
    db.commit()
    db.close()
    code, _, err = cli("review", "--format", "json")
    line = one_line_error(err)
    assert code == 1 and "itself is fine" in line and "damaged" not in line
    db = sqlite3.connect(tmp_path / "j.sqlite3")
    db.execute("UPDATE events SET payload = '{}', at = 'yesterday' WHERE kind = 'step.done'")
    db.commit()
    db.close()
    code, _, err = cli("journal", "export")
    line = one_line_error(err)
    assert code == 1 and "event " in line and "itself is fine" in line


def test_a_huge_value_stored_by_an_older_soptui_does_not_break_the_review(cli: Run, tmp_path: Path) -> None:
    assert cli("done", "morning", "new-members", "--value", "3")[0] == 0
    db = sqlite3.connect(tmp_path / "j.sqlite3")
    db.execute("UPDATE events SET payload = ? WHERE kind = 'step.done'", ('{"value":' + "9" * 400 + "}",))
    db.commit()
    db.close()
    code, out, _ = cli("review", "--format", "json")
    assert code == 0 and "Infinity" not in out and "NaN" not in out


# -- 4. journal import -----------------------------------------------------------------------


def _exported(cli: Run, tmp_path: Path) -> list[dict[str, object]]:
    assert cli("done", "morning", "welcome")[0] == 0
    assert cli("note", "a note")[0] == 0
    code, out, _ = cli("journal", "export")
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


def _import(
    cli: Run, tmp_path: Path, lines: list[str], journal: str = "other.sqlite3"
) -> tuple[int, str, str]:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cli("--journal", str(tmp_path / journal), "journal", "import", str(path))


def _count(path: Path) -> int:
    if not path.exists():
        return 0
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        db.close()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: e.update(kind="undo", payload={"target": ["x"]}), "payload.target"),
        (lambda e: e["payload"].update(value=10**400), "outside"),
        (lambda e: e.update(at="0001-01-01T00:00:00Z"), "outside 1970-01-01"),
        (lambda e: e["payload"].update(period="2026-11-23") if e["kind"] == "run.opened" else None, "period"),
    ],
)
def test_bad_events_refuse_the_whole_import(
    cli: Run, tmp_path: Path, mutate: Callable[[dict[str, object]], None], expected: str
) -> None:
    rows = _exported(cli, tmp_path)
    events = [r for r in rows if r["type"] == "event"]
    target = events[0]
    if expected == "period":  # an incident opened with a period
        code, _, _ = cli("incident", "open", "spam", "--title", "spam wave")
        rows = [json.loads(line) for line in cli("journal", "export")[1].splitlines()]
        target = next(r for r in rows if r["type"] == "event" and str(r["run"]).startswith("spam#"))
    mutate(target)
    code, _, err = _import(cli, tmp_path, [json.dumps(r) for r in rows])
    line = one_line_error(err)
    assert code == 1 and "in.jsonl:" in line and expected in line and "nothing was imported" in line
    assert _count(tmp_path / "other.sqlite3") == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type":"event","uuid":"x","value":NaN}', "NaN is not a JSON value"),
        ('{"type":"event","value":Infinity}', "Infinity is not a JSON value"),
        ('{"type":"event","value":1e999}', "not a finite number"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (
            '{"type":"playbook-version","hash":"h","playbook":"p","body":{"title":"x"}}',
            "not a valid playbook",
        ),
        ('{"type":"playbook-version","hash":"h","playbook":"p","body":[]}', "object body"),
    ],
)
def test_unreadable_lines_are_one_clear_line(cli: Run, tmp_path: Path, text: str, expected: str) -> None:
    code, _, err = _import(cli, tmp_path, [text])
    line = one_line_error(err)
    assert code == 1 and "in.jsonl:1:" in line and expected in line


def test_invalid_playbook_body_names_the_key(cli: Run, tmp_path: Path) -> None:
    rows = _exported(cli, tmp_path)
    version = next(r for r in rows if r["type"] == "playbook-version")
    version["body"]["estimate"] = "99999999999999d"  # type: ignore[index]
    code, _, err = _import(cli, tmp_path, [json.dumps(r) for r in rows])
    assert code == 1 and "estimate" in one_line_error(err)


def test_non_regular_import_files_are_refused(cli: Run, tmp_path: Path) -> None:
    code, _, err = cli("journal", "import", "/dev/zero")
    assert code == 1 and "not a regular file" in one_line_error(err)
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    code, _, err = cli("journal", "import", str(fifo))
    assert code == 1 and "not a regular file" in one_line_error(err)


def test_an_endless_line_is_refused(cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("soptui.journal.exchange.MAX_LINE_CHARS", 1024 * 1024)
    path = tmp_path / "zeros.jsonl"
    path.write_bytes(b"0" * (1024 * 1024 + 10))
    code, _, err = cli("journal", "import", str(path))
    assert code == 1 and "zeros.jsonl:1: line is longer than" in one_line_error(err)


def test_conflicts_are_reported_and_imports_are_marked(cli: Run, tmp_path: Path) -> None:
    rows = _exported(cli, tmp_path)
    lines = [json.dumps(r) for r in rows]
    code, out, _ = _import(cli, tmp_path, lines)
    assert code == 0 and "imported 3 new event(s)" in out
    other = Journal.open(tmp_path / "other.sqlite3", readonly=True)
    imported = [e.payload["imported"] for e in other.events_between()]
    other.close()
    assert all(m["by"] and m["file"] == "in.jsonl" and m["at"] for m in imported)
    # the same file again: already present, not conflicts
    code, out, err = _import(cli, tmp_path, lines)
    assert "0 new event(s); 3 already present" in out and "conflicting" not in out
    # one event changed under its UUID: a conflict, reported and not imported
    note = next(r for r in rows if r.get("kind") == "note")
    note["payload"] = {"text": "rewritten"}
    code, out, err = _import(cli, tmp_path, [json.dumps(r) for r in rows])
    assert code == 0 and "1 conflicting event(s) not imported" in out and str(note["uuid"]) in err
    code, out, _ = cli("--journal", str(tmp_path / "other.sqlite3"), "review", "--format", "json")
    notes = json.loads(out)["notes"]
    assert [n["text"] for n in notes] == ["a note"] and notes[0]["imported_by"]
    code, out, _ = cli("--journal", str(tmp_path / "other.sqlite3"), "review", "--format", "text")
    assert "a note (imported by " in out
    # a playbook version rewritten under its hash: reported, the stored body kept
    version = next(r for r in rows if r.get("type") == "playbook-version")
    version["body"]["title"] = "forged"
    code, out, err = _import(cli, tmp_path, [json.dumps(r) for r in rows])
    assert code == 0 and "1 conflicting playbook version(s) kept as stored" in out
    assert version["hash"][:12] in err
    with Journal.open(tmp_path / "other.sqlite3", readonly=True) as other:
        assert "forged" not in (other.version(version["hash"]) or "")


# -- 5. date options at the edges -------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("journal", "export", "--until", "9999-12-31"),
        ("journal", "export", "--since", "0001-01-01"),
        ("review", "--week", "9999-W52", "--format", "json"),
        ("review", "--from", "0001-01-01", "--format", "json"),
        ("review", "--until", "9999-12-31", "--format", "json"),
        ("due", "--date", "0001-01-01"),
        ("due", "--date", "9999-12-31"),
    ],
)
def test_date_edges_are_usage_errors(cli: Run, args: tuple[str, ...]) -> None:
    assert cli("note", "so the journal exists")[0] == 0
    code, _, err = cli(*args)
    assert code == 2 and "outside the supported range 1970-01-01..9998-12-31" in one_line_error(err)


@pytest.mark.parametrize(
    "args",
    [
        ("journal", "export", "--since", "1970-01-01", "--until", "9998-12-31"),
        ("review", "--week", "9998-W52", "--format", "json"),
        ("due", "--date", "9998-12-31", "--json"),
        ("due", "--date", "1970-01-01"),
    ],
)
def test_the_range_ends_work(cli: Run, args: tuple[str, ...]) -> None:
    assert cli("note", "so the journal exists")[0] == 0
    assert cli(*args)[0] == 0


# -- 6. a journal the user cannot read -------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
@pytest.mark.parametrize("args", [("journal", "export"), ("review", "--format", "json"), ("due",)])
def test_unreadable_journal_is_the_usual_message(tmp_path: Path, args: tuple[str, ...]) -> None:
    from tests.test_as_other_users import NOBODY, NOGROUP, as_user

    top = Path(tempfile.mkdtemp(prefix="soptui-bad-values-"))
    top.chmod(0o755)  # traversable by nobody
    shared = top / "shared"
    shared.mkdir()
    shared.chmod(0o700)  # the journal's directory: root's only
    journal = shared / "j.sqlite3"
    Journal.open(journal).close()
    config = top / "cfg"
    config.mkdir()
    config.chmod(0o777)

    def work() -> str:
        import contextlib
        import io

        os.environ.update(
            SOPTUI_JOURNAL=str(journal), SOPTUI_CONFIG_DIR=str(config), SOPTUI_DATA_DIR=str(config)
        )
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(list(args))
        return f"{code}|{err.getvalue()}"

    try:
        code, _, err = as_user(NOBODY, NOGROUP, work).partition("|")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    assert code == "1", err
    assert "cannot open the journal" in err and "Permission denied" in err


def test_event_from_json_refuses_out_of_range_instants() -> None:
    base = Event("note", datetime(2026, 1, 1, tzinfo=UTC), "a", "a", "h").to_json()
    for at in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-05:00", "1969-12-31T23:59:59Z"):
        with pytest.raises(ValueError, match="outside"):
            Event.from_json({**base, "at": at})


def test_a_fifo_config_is_reported_not_read(tmp_path: Path) -> None:
    from soptui.config import load_settings

    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    settings, problems = load_settings(fifo)  # returns at once: never blocks on the FIFO
    assert settings.timezone is None
    assert [p.message for p in problems] == [
        "not a regular file (a FIFO, socket or device); refusing to read it"
    ]
