"""Shared config and the terminal: what a team's files may point at, and what reaches the screen.

A team's ``config.toml`` and playbooks are written by many hands; the CLI prints paths and
titles from them, and argparse echoes what was pasted. Nothing here may repaint a terminal,
send the team's data to an outsider's directory, or be dropped without saying so.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from soptui.cli import main
from soptui.context import Context
from soptui.team import init_team
from tests.conftest import MINIMAL, write

NOBODY, NOGROUP = 65534, 65534
DAEMON = 1
ESC = "\x1b]0;owned\x07\x1b[2J"  # set the window title, clear the screen
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


def _team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str = "") -> Path:
    root = tmp_path / "team"
    init_team(root, None, "Asia/Shanghai", "en")
    if config:
        (root / "config.toml").write_text(config, encoding="utf-8")
    monkeypatch.setenv("SOPTUI_HOME", str(root))
    return root


def _no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text


# 1. Paths and titles from shared files are shown as plain text.


def test_paths_and_list_print_configured_paths_and_titles_as_plain_text(
    isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = tmp_path / f"dir{ESC}\u202e"
    write(hostile, "evil.toml", MINIMAL.replace('"Minimal"', '"Hi \\u001b[2J\\u001b]52;c;AAAA\\u0007"'))
    journal = f"{tmp_path}/j{ESC}.sqlite3"
    config = isolated_env / "config"
    toml_dir = str(hostile).replace("\x1b", "\\u001b").replace("\x07", "\\u0007").replace("\u202e", "\\u202e")
    toml_journal = journal.replace("\x1b", "\\u001b").replace("\x07", "\\u0007")
    write(config, "config.toml", f'playbooks = ["{toml_dir}"]\njournal = "{toml_journal}"\n')

    assert main(["paths"]) == 0
    out, err = capsys.readouterr()
    _no_raw_controls(out + err)
    assert "␛]0;owned␇␛[2J" in out and "<U+202E>" in out

    main(["list"])
    out, err = capsys.readouterr()
    _no_raw_controls(out + err)
    assert "Hi ␛[2J" in out and "evil" in out


# 2. argparse's own errors echo what was typed: made safe, exit status 2 kept.


@pytest.mark.parametrize(
    "argv",
    [
        ["list", f"extra{ESC}"],  # unrecognized arguments
        ["--language", f"x{ESC}"],  # invalid choice
        ["review", "--format", f"\u202e{ESC}"],  # invalid choice in a subcommand
        [f"nosuchcommand{ESC}"],
    ],
)
def test_argparse_errors_never_echo_control_bytes(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    _, err = capsys.readouterr()
    _no_raw_controls(err)
    assert "soptui" in err and "error: " in err


# 3. Paths in the team's config must pass the team directory's trust checks.


@as_root
def test_team_config_paths_must_pass_the_trust_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outsider = tmp_path / "outsider"
    outsider.mkdir()
    write(outsider, "stolen.toml", MINIMAL.replace("Minimal", "Stolen"))
    os.chown(outsider, NOBODY, NOGROUP)
    open_to_all = tmp_path / "open"
    write(open_to_all, "open.toml", MINIMAL)
    open_to_all.chmod(0o777)
    linked = tmp_path / "linked"
    linked.symlink_to(outsider)
    good = tmp_path / "good"
    write(good, "good.toml", MINIMAL.replace("Minimal", "Good"))
    write(good, "foreign.toml", MINIMAL.replace("Minimal", "Foreign"))
    os.chown(good / "foreign.toml", NOBODY, -1)
    (good / "goals.toml").symlink_to(outsider / "stolen.toml")
    root = _team(
        tmp_path,
        monkeypatch,
        f'timezone = "Asia/Shanghai"\njournal = "{outsider}/journal.sqlite3"\n'
        f'playbooks = ["{outsider}", "{open_to_all}", "{linked}", "{good}"]\n',
    )
    context = Context.create()
    assert context.journal_path == root / "journal.sqlite3"  # the refused path is not used
    assert [s.directory for s in context.sources() if s.origin != "team" and s.shared] == [good]
    library = context.library
    assert "good" in library.entries
    assert (
        "stolen" not in library.entries and "open" not in library.entries and "foreign" not in library.entries
    )
    problems = " | ".join(str(p) for p in library.problems)
    assert f"{good}/foreign.toml is owned by nobody" in problems
    assert f"{good}/goals.toml is a symbolic link in a shared directory" in problems

    assert main(["paths"]) == 0
    out, err = capsys.readouterr()
    config = root / "config.toml"
    lines = err.splitlines()
    assert (
        f"soptui: warning: {config}:2:1: journal: {outsider}/journal.sqlite3 is not used: "
        f"{outsider} is owned by nobody, who is not in the team group root (ignored)"
    ) in lines
    assert f"{config}:3:" in err and f"playbooks[1]: {open_to_all} is not used: " in err
    assert "is writable by everyone (mode 777)" in err
    assert f"playbooks[2]: {linked} is not used: {linked} is a symbolic link" in err
    assert f"playbooks[0]: {outsider} is not used: " in err
    assert len(lines) == 4 and str(outsider) not in out and str(linked) not in out


@as_root
def test_relative_team_paths_are_taken_from_the_team_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _team(tmp_path, monkeypatch, 'journal = "data/j.sqlite3"\nplaybooks = ["more"]\n')
    (root / "more").mkdir()
    monkeypatch.chdir(tmp_path)
    context = Context.create()
    assert context.journal_path == root.resolve() / "data" / "j.sqlite3"
    assert context.config_problems == []
    assert root.resolve() / "more" in [s.directory for s in context.sources()]


# 4. `soptui check DIR` applies the same trust checks as `list` and the app.


@as_root
def test_check_dir_applies_the_shared_trust_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _team(tmp_path, monkeypatch)
    playbooks = root / "playbooks"
    write(playbooks, "good.toml", MINIMAL)
    write(tmp_path, "elsewhere.toml", MINIMAL.replace("Minimal", "Planted"))
    (playbooks / "planted.toml").symlink_to(tmp_path / "elsewhere.toml")
    write(playbooks, "foreign.toml", MINIMAL)
    os.chown(playbooks / "foreign.toml", NOBODY, -1)
    (playbooks / "goals.toml").symlink_to(tmp_path / "elsewhere.toml")

    assert main(["check", str(playbooks)]) == 1
    out, err = capsys.readouterr()
    assert f"{playbooks}/planted.toml:1:1: {playbooks}/planted.toml is a symbolic link" in out
    assert f"{playbooks}/goals.toml:1:1: {playbooks}/goals.toml is a symbolic link" in out
    assert "foreign.toml is owned by nobody, who is not in the team group root" in out
    assert "checked 1 playbook(s)" in err

    assert main(["check", str(playbooks / "planted.toml")]) == 1
    out, _ = capsys.readouterr()
    assert "is a symbolic link in a shared directory" in out

    (playbooks / "planted.toml").unlink()
    (playbooks / "goals.toml").unlink()
    os.chown(playbooks / "foreign.toml", 0, -1)
    assert main(["check", str(playbooks)]) == 0
    capsys.readouterr()


# 5. Time zone precedence, and what a config made soptui ignore.


def test_team_timezone_wins_and_a_differing_member_zone_is_said_once(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _team(tmp_path, monkeypatch, 'timezone = "Asia/Shanghai"\n')
    write(isolated_env / "config", "config.toml", 'timezone = "Europe/Paris"\noperator = "ann"\n')
    context = Context.create()
    assert str(context.zone) == "Asia/Shanghai" and context.operator == "ann"
    assert main(["paths"]) == 0
    _, err = capsys.readouterr()
    notice = "your config's timezone Europe/Paris is ignored: the team's zone is Asia/Shanghai"
    assert err.count(notice) == 1 and err.startswith("soptui: warning: ")

    write(isolated_env / "config", "config.toml", 'timezone = "Asia/Shanghai"\n')
    assert main(["paths"]) == 0
    assert capsys.readouterr().err == ""


def test_one_bad_key_keeps_the_others_and_every_command_says_what_was_ignored(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(
        isolated_env / "config",
        "config.toml",
        'language = "zh"\ntimezone = "Mars/Olympus"\ncolor = 1\noperator = "ann"\n',
    )
    context = Context.create()
    assert context.language == "zh" and context.operator == "ann" and context.settings.timezone is None
    expected = [  # language = "zh" in the config: its problems are said in Chinese too
        f"soptui：警告：{config}:2:1: timezone: 未知时区 'Mars/Olympus'；"
        "请使用 IANA 名称，例如 Asia/Shanghai（已忽略）",
        f"soptui：警告：{config}:3:1: color: 未知的键 'color'（已忽略）",
    ]
    for argv in (["paths"], ["list"], ["due"], ["journal", "export"], ["schema"]):
        main(argv)
        err = capsys.readouterr().err
        assert [line for line in err.splitlines() if "config.toml" in line] == expected, argv

    assert main(["check"]) == 1  # check reports them in its own output, as errors
    out, err = capsys.readouterr()
    assert f"{config}:2:1: timezone: 未知时区" in out and "已忽略" not in out + err


def test_an_unreadable_team_zone_leaves_the_members_zone(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _team(tmp_path, monkeypatch, 'timezone = "Mars/Olympus"\nlanguage = "zh"\n')
    write(isolated_env / "config", "config.toml", 'timezone = "Europe/Paris"\n')
    context = Context.create()
    assert str(context.zone) == "Europe/Paris" and context.language == "zh"
    main(["paths"])
    err = capsys.readouterr().err
    assert f"soptui：警告：{root}/config.toml:1:1: timezone: 未知时区 'Mars/Olympus'" in err


class _FakeApp:
    return_code = 0

    def run(self) -> None:
        pass


@pytest.mark.parametrize("argv", [[], ["run", "minimal"], ["review"], ["--demo"]])
def test_the_app_gets_the_ignored_settings_and_nothing_is_printed_twice(
    argv: list[str],
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from soptui.commands import app_commands

    write(isolated_env / "config", "config.toml", "color = 1\n")
    write(isolated_env / "config" / "playbooks", "minimal.toml", MINIMAL)
    shown: list[list[str]] = []

    def fake_make_app(services: Any, *_: Any, **__: Any) -> _FakeApp:
        shown.append(list(services.warnings))
        return _FakeApp()

    monkeypatch.setattr(app_commands, "terminal_problem", lambda: None)
    monkeypatch.setattr("soptui.tui.app.make_app", fake_make_app)
    monkeypatch.setattr("soptui.demo.fill_demo", lambda *_: None)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 0, err
    assert len(shown) == 1
    assert [w for w in shown[0] if "color" in w] == [
        f"{isolated_env}/config/config.toml:1:1: color: unknown key 'color' (ignored)"
    ]
    assert "color" not in err


def test_when_the_app_cannot_start_the_ignored_settings_are_still_said(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(isolated_env / "config", "config.toml", "color = 1\n")
    assert main([]) == 1  # no terminal under pytest
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("color: unknown key 'color' (ignored)")
    assert err[1].startswith("soptui: error: the app needs an interactive terminal")


# 6. Refusals print as lines, and name the group you are not in.


def test_multi_line_refusals_print_as_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _team(tmp_path, monkeypatch)
    root.chmod(0o2777)
    assert main(["paths"]) == 1
    err = capsys.readouterr().err
    assert "␤" not in err
    lines = err.splitlines()
    assert lines[0] == "soptui: error: the team directory cannot be trusted:"
    assert lines[1] == f"  {root} is writable by everyone (mode 2777); run: chmod o-w {root}"


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="soptui-shared-"))
    directory.chmod(0o755)
    yield directory


@as_root
def test_outsider_is_told_to_join_the_teams_group(shared_tmp: Path) -> None:
    from tests.test_as_other_users import as_user

    team = shared_tmp / "team"
    init_team(team, "nogroup", "Asia/Shanghai", "en")

    def run_paths() -> str:
        os.environ["SOPTUI_HOME"] = str(team)
        os.environ["SOPTUI_CONFIG_DIR"] = str(shared_tmp / "config")
        os.environ["SOPTUI_DATA_DIR"] = str(shared_tmp / "data")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["paths"])
        return f"{code}\n{err.getvalue()}"

    code, *lines = as_user(DAEMON, DAEMON, run_paths).splitlines()
    assert code == "1"
    assert lines[0] == f"soptui: error: you are not in the team's group nogroup, so you cannot open {team}."
    assert "  sudo usermod -aG nogroup $USER" in lines
    assert "then log out and log in again." in lines
    assert "Permission denied" not in "\n".join(lines)
