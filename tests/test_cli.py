"""The command line: exit statuses, messages, help for every command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from soptui.cli import build_parser, main
from tests.conftest import REPO, write
from tests.helpers import REVIEW_JSON_KEYS

Run = tuple[int, str, str]


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, sub in commands.items():
        assert sub.description, name
        with pytest.raises(SystemExit) as exit_:
            main([name, "--help"])
        assert exit_.value.code == 0
        assert "usage: soptui" in capsys.readouterr().out


def test_version_and_usage_errors(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("soptui ")
    code, _, err = cli("frobnicate")
    assert code == 2 and "invalid choice" in err
    code, _, err = cli("done", "morning")
    assert code == 2


def test_check_list_schema(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("list", "--json")
    assert code == 0
    ids = {p["id"]: p for p in json.loads(out)["playbooks"]}
    assert ids["morning"]["origin"] == str(tmp_path / "pbs")
    assert ids["morning"]["steps"] == 5
    bad = write(
        tmp_path / "bad",
        "broken.toml",
        'title = "x"\ncadence = "hourly"\n[[steps]]\nid="a"\ntitle="b"\n',
    )
    code, out, _err = cli("check", str(bad))
    assert code == 1
    assert f"{bad}:2:1: cadence: input should be" in out
    code, out, _ = cli("check", str(tmp_path / "pbs"))
    assert code == 0 and out == ""
    code, out, _ = cli("schema")
    assert code == 0 and json.loads(out)["title"].startswith("soptui playbook")


def test_new_writes_a_valid_starter_and_never_overwrites(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for cadence in ("daily", "weekly", "monthly", "incident"):
        code, out, _ = cli("new", f"my-{cadence}", "--cadence", cadence, "--dir", str(tmp_path / "new"))
        assert code == 0, out
    code, out, err = cli("check", str(tmp_path / "new"))
    assert code == 0, out
    code, _, err = cli("new", "my-daily", "--cadence", "daily", "--dir", str(tmp_path / "new"))
    assert code == 1 and "already exists; not overwriting" in err
    code, _, err = cli("new", "Bad Id", "--cadence", "daily")
    assert code == 1 and "not a valid id" in err


def test_done_skip_note_due_export_import(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("done", "morning", "welcome")[0] == 0
    code, _, err = cli("done", "morning", "new-members", "--value", "many")
    assert code == 1 and "'many' is not a whole number" in err
    code, _, err = cli("skip", "morning", "found-negative")
    assert code == 1 and "needs a reason" in err
    assert cli("done", "morning", "found-negative", "--value", "是", "--note", "两条差评")[0] == 0
    code, _, err = cli("done", "nope", "x")
    assert code == 1 and "no playbook 'nope'" in err
    code, _, err = cli("done", "morning", "welcome", "--at", "tomorrow")
    assert code == 2 and "ISO 8601" in err
    assert cli("note", "free text for the day")[0] == 0
    code, out, _ = cli("due", "--json")
    agenda = json.loads(out)
    morning = next(r for r in agenda["routines"] if r["playbook"] == "morning")
    assert (morning["done"], morning["total"], morning["state"]) == (2, 5, "in progress")
    assert agenda["notes"][0]["text"] == "free text for the day"
    code, out, _ = cli("incident", "open", "spam", "--title", "bots", "--severity", "P1")
    run_id = out.split(":")[0]
    code, out, _ = cli("due")
    assert "● P1 bots" in out
    assert cli("incident", "resolve", run_id[:10], "--summary", "banned")[0] == 0
    export = tmp_path / "export.jsonl"
    assert cli("journal", "export", "-o", str(export))[0] == 0
    kinds = [json.loads(line).get("kind") for line in export.read_text().splitlines()]
    assert kinds.count("step.done") == 2 and "incident.resolved" in kinds
    fresh = tmp_path / "fresh.sqlite3"
    code, out, _ = cli("--journal", str(fresh), "journal", "import", str(export))
    assert code == 0 and out.startswith("imported 7 new event(s)")
    code, out, _ = cli("--journal", str(fresh), "journal", "import", str(export))
    assert "imported 0 new event(s); 7 already present" in out
    code, _, err = cli("journal", "backup", str(tmp_path / "b.sqlite3"))
    assert code == 0
    code, _, err = cli("journal", "backup", str(tmp_path / "b.sqlite3"))
    assert code == 1 and "already exists" in err


def test_export_never_writes_through_a_symlink(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("done", "morning", "welcome")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "out.jsonl").symlink_to(victim)
    code, _, err = cli("journal", "export", "-o", str(tmp_path / "out.jsonl"))
    assert code == 1 and "is a symbolic link" in err  # refused, never followed (issue 11)
    assert victim.read_text() == "keep me"
    assert (tmp_path / "out.jsonl").is_symlink()


def test_bad_journal_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "j.sqlite3"
    bad.write_bytes(b"garbage" * 1000)
    result = subprocess.run(
        [sys.executable, "-m", "soptui", "--journal", str(bad), "due"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "damaged" in result.stderr or "not a database" in result.stderr


def test_review_formats_and_usage(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("done", "morning", "welcome")
    code, out, _ = cli("review", "--format", "json")
    assert code == 0
    assert list(json.loads(out)) == REVIEW_JSON_KEYS
    code, out, _ = cli("review", "--format", "markdown", "--week", "2026-W48")
    assert code == 0 and out.startswith("# Review 2026-W48")
    code, out, _ = cli("review", "--format", "csv", "--section", "people")
    assert code == 0 and out.splitlines()[0] == "login,operator,names,actions,overridden,imported"
    code, _, err = cli("review", "--format", "text", "--week", "2026-48")
    assert code == 2 and "ISO week" in err
    code, _, err = cli("review", "--format", "text", "--week", "2026-W48", "--from", "2026-11-01")
    assert code == 2
    code, _, err = cli("review", "--format", "json", "--section", "people")
    assert code == 2 and "--section applies to --format csv" in err
    target = tmp_path / "week.md"
    code, _, err = cli("review", "--format", "markdown", "-o", str(target))
    assert code == 0 and target.read_text().startswith("# Review")


def test_every_review_section_prints_as_csv(cli) -> None:  # type: ignore[no-untyped-def]
    from soptui.review_sections import SECTIONS

    cli("done", "morning", "welcome")
    for section in SECTIONS:  # the one list the CLI's --section and the renderer share
        code, out, _ = cli("review", "--format", "csv", "--section", section)
        assert code == 0 and out.strip(), section


def test_app_needs_a_terminal_and_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "soptui", "--journal", str(tmp_path / "j.sqlite3")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "needs an interactive terminal" in result.stderr and "Traceback" not in result.stderr


def test_non_utf8_terminal_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from soptui.commands.app_commands import terminal_problem

    class Tty(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty(io.BytesIO(), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", Tty(io.BytesIO(), encoding="latin-1"))
    problem = terminal_problem()
    assert problem is not None and "not UTF-8" in problem and "LANG=C.UTF-8" in problem
    monkeypatch.setattr(sys, "stdout", Tty(io.BytesIO(), encoding="utf-8"))
    assert terminal_problem() is None
