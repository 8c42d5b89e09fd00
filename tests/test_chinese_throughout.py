"""With language "zh", every screen, report and CLI message is Chinese: no English word is left
but ids, units, key names and names, listed below."""

from __future__ import annotations

import contextlib
import getpass
import html
import re
from pathlib import Path

import pytest

from soptui.cli import main
from soptui.i18n import activate
from soptui.review.build import build_review, week_range
from soptui.review.render import render_markdown, render_text
from tests.conftest import write
from tests.helpers import Clock
from tests.ui_support import FIXTURES, MONDAY_9AM, build_app

ALLOWED = {
    # the program, formats and standards
    "soptui",
    "osc",
    "markdown",
    "json",
    "jsonl",
    "csv",
    "utf",
    "iso",
    "iana",
    "sqlite",
    "uuid",
    "toml",
    "yyyy",
    "www",
    "svg",
    "bom",
    "kib",
    "fifo",
    "unix",
    "setgid",
    "umask",
    "sops",
    "asia",
    "shanghai",
    "sop",
    "docs",
    "members",
    "review",
    "journal",
    "team",
    "config",
    "goals",
    "groups",
    "people",
    # key names shown in footers and help
    "esc",
    "escape",
    "enter",
    "space",
    "ctrl",
    "tab",
    "alt",
    "up",
    "down",
    "left",
    "right",
    # names, metavars and ids from the fixtures and the commands
    "alice",
    "spam",
    "wave",
    "literal",
    "note",
    "bold",
    "morning",
    "welcome",
    "found",
    "negative",
    "contain",
    "playbook",
    "playbooks",
    "step",
    "text",
    "file",
    "path",
    "dir",
    "name",
    "time",
    "date",
    "command",
    "search",
    "history",
    "query",
    "journeys",
    "instance",
    "action",
    "run",
    "zone",
    "value",
    "reason",
    "summary",
    "title",
    "severity",
    "cadence",
    "format",
    "section",
    "output",
    "week",
    "until",
    "from",
    "force",
    "operator",
    "language",
    "demo",
    "version",
    "help",
    "excel",
    "group",
    "timezone",
    "paths",
    "check",
    "list",
    "show",
    "schema",
    "new",
    "done",
    "skip",
    "incident",
    # team coordination commands and options (issue 17)
    "claim",
    "release",
    "handover",
    "ack",
    "amend",
    "retract",
    "actions",
    "mine",
    "all",
    "item",
    "drop",
    "move",
    "handovers",
    "followups",
    "amendments",
    "open",
    "resolve",
    "due",
    "start",
    "instances",
    "export",
    "import",
    "backup",
    "init",
    "serve",
    "remind",
    "since",
    "words",
    "nope",
    "soptui_journal",
    "recover",
    "recovered",
    "pdf",
    "integrity_check",
    "quick_check",
    "profile",
    "soptui_home",
    "daily",
    "weekly",
    "monthly",
    "yes",
    "usage",
    "routines",
    "skipped",
    "slow",
    "metrics",
    "incidents",
    "notes",
}
# "daily"/"weekly"/"monthly"/"yes"… appear above only as argument values (--cadence daily,
# --format text, yes/no): choices the user types, not prose.

WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")


METRIC = re.compile(r"\b[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+\b")  # metric ids: members.new
PATH = re.compile(r"[^\s'\"（）()]*/[^\s'\"（）()]*")


def english_words(text: str, ids: frozenset[str] = frozenset()) -> set[str]:
    """The words of ``text`` not in ALLOWED, file paths and ``ids`` (never translated) left out."""
    for identifier in sorted(ids, key=len, reverse=True):
        text = text.replace(identifier, " ")
    text = METRIC.sub(" ", PATH.sub(" ", text))
    login = getpass.getuser().lower()  # the login recorded beside the operator's name
    # A name behind a modal may show cut ("lice" of "alice"): a tail of an allowed name is a name.
    names = (login, "alice", "bob")
    return {
        w
        for w in WORD.findall(text)
        if w.lower() not in ALLOWED and not any(n.endswith(w.lower()) for n in names)
    }


def svg_text(svg: str) -> str:
    """The visible text of a Textual SVG screenshot, one line per row."""
    body = svg.split("</style>", 1)[-1]
    rows = re.findall(r"<text[^>]*>(.*?)</text>", body, flags=re.S)
    return html.unescape("\n".join(re.sub(r"<[^>]+>", "", row) for row in rows)).replace("\xa0", " ")


def prepared(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = Clock(MONDAY_9AM)
    app, recorder = build_app(tmp_path, "zh", clock=clock)
    run = recorder.routine_run("morning")
    recorder.complete(run.run_id, "welcome")
    recorder.skip(run.run_id, "found-negative", "群里很安静")
    incident = recorder.open_incident("spam", "广告刷屏", "P2")
    clock.advance(minutes=3)
    recorder.complete(incident.run_id, "contain")
    recorder.note(incident.run_id, "已禁言")
    clock.advance(minutes=15)
    return app, recorder


SCREENS = {
    "today": [],
    "run": ["enter"],
    "incident": ["down", "enter"],
    "review": ["r"],
    "help-today": ["question_mark"],
    "help-run": ["enter", "question_mark"],
    "help-incident": ["down", "enter", "escape", "question_mark"],
    "help-review": ["r", "question_mark"],
    "finish-confirm": ["enter", "f"],
    "skip-prompt": ["enter", "s"],
    "palette": ["ctrl+p"],
}


@pytest.mark.parametrize("screen", list(SCREENS))
async def test_every_screen_is_chinese(tmp_path: Path, screen: str) -> None:
    app, _recorder = prepared(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for key in SCREENS[screen]:
            await pilot.press(key)
            await pilot.pause()
        await pilot.pause(0.2)
        text = svg_text(app.export_screenshot())
    assert english_words(text) == set(), text


async def test_too_small_screen_is_chinese(tmp_path: Path) -> None:
    app, _recorder = prepared(tmp_path)
    async with app.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        text = svg_text(app.export_screenshot())
    assert "终端太小" in text
    assert english_words(text) == set(), text


def test_reports_are_chinese(tmp_path: Path) -> None:
    _app, recorder = prepared(tmp_path)
    activate("zh")
    review = build_review(recorder.ledger, week_range("2026-W48"))
    for report in (render_text(review), render_markdown(review)):
        assert english_words(report) == set(), report


@pytest.fixture
def zh_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    directory = tmp_path / "pbs"
    for fixture in (FIXTURES / "zh").glob("*.toml"):
        write(directory, fixture.name, fixture.read_text(encoding="utf-8"))
    monkeypatch.setenv("SOPTUI_PLAYBOOKS", str(directory))
    monkeypatch.setenv("SOPTUI_JOURNAL", str(tmp_path / "j.sqlite3"))
    monkeypatch.setenv("SOPTUI_OPERATOR", "alice")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")

    def run(*args: str) -> str:
        with contextlib.suppress(SystemExit):
            main(["--language", "zh", *args])
        out, err = capsys.readouterr()
        return out + err

    return run


CLI = [
    ["--help"],
    ["done", "--help"],
    ["review", "--help"],
    ["list"],
    ["due"],
    ["show", "morning"],
    ["show", "nope"],
    ["done", "morning"],
    ["done", "nope", "welcome"],
    ["done", "morning", "nope"],
    ["done", "morning", "welcome"],
    ["skip", "morning", "found-negative"],
    ["review", "--format", "text"],
    ["review", "--format", "markdown"],
    ["--nope"],
    ["review", "--format", "pdf"],
]


def test_cli_is_chinese(zh_cli) -> None:  # type: ignore[no-untyped-def]
    import json

    # Playbook and step ids (bundled ones included) are names, never translated.
    listing = json.loads(zh_cli("list", "--json"))
    ids = {p["id"] for p in listing["playbooks"]}
    for playbook in ("morning", "spam"):
        ids |= {step["id"] for step in json.loads(zh_cli("show", playbook, "--json"))["steps"]}
    zh_cli("done", "morning", "welcome")  # the second time is a refusal
    for args in CLI:
        text = zh_cli(*args)
        assert text.strip(), args
        assert english_words(text, frozenset(ids)) == set(), (args, text)


async def test_a_refused_value_is_chinese(tmp_path: Path) -> None:
    app, _recorder = prepared(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_playbook("morning")
        await pilot.pause()
        await pilot.press("down")  # the next step takes a whole number: the cursor is in its box
        await pilot.press(*"12x", "enter")
        await pilot.pause(0.2)
        text = svg_text(app.export_screenshot())
    assert "⚠ '12x' 不是整数" in text
    assert english_words(text) == set(), text


def test_journal_errors_are_chinese(zh_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    monkeypatch.setenv("SOPTUI_JOURNAL", str(empty))
    text = zh_cli("done", "morning", "welcome")
    assert "是空的（0 字节）" in text
    assert english_words(text) == set(), text
    monkeypatch.setenv("SOPTUI_JOURNAL", str(tmp_path))  # a directory
    text = zh_cli("due")
    assert "是一个目录" in text
    assert english_words(text) == set(), text


def test_a_bad_config_key_is_chinese(zh_cli, isolated_env: Path) -> None:  # type: ignore[no-untyped-def]
    write(isolated_env / "config", "config.toml", 'color = 1\ntimezone = "Mars/Olympus"\n')
    text = zh_cli("due")
    assert "color: 未知的键 'color'（已忽略）" in text and "未知时区 'Mars/Olympus'" in text
    assert english_words(text, frozenset({"color"})) == set(), text


def test_a_check_problem_is_chinese(zh_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = write(
        tmp_path / "bad",
        "bad.toml",
        'title = "坏手册"\ncadence = "daily"\n\n[[steps]]\nid = "one"\ntitle = "一"\n'
        '[steps.input]\ntype = "integer"\nmin = 5\nmax = 1\n\n[[steps]]\nid = "one"\ntitle = "二"\n',
    )
    text = zh_cli("check", str(bad))
    assert "最小值（5）大于最大值（1）" in text and "步骤 id 'one' 重复" in text
    assert english_words(text, frozenset({"steps", "one"})) == set(), text


async def test_start_up_notices_are_chinese(tmp_path: Path) -> None:
    app, _recorder = prepared(tmp_path)
    app.services.warnings = ["config.toml:1:1: color: 未知的键 'color'（已忽略）", "第二条"]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert [str(n.message) for n in app._notifications] == ["2 条提示，按 ! 查看"]
        await pilot.press("exclamation_mark")
        await pilot.pause(0.2)
        text = svg_text(app.export_screenshot())
    assert "第二条" in text
    assert english_words(text, frozenset({"color"})) == set(), text
