"""Incident severities (issue 18): P1/P2/P3 each with a one-line meaning, defaults in Chinese and
English, overridable in config.toml or the team's; shown in the picker and the incidents list,
checked by `soptui incident open --severity`."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from soptui import severities
from soptui.config import load_settings
from soptui.context import Context
from soptui.i18n import activate
from soptui.team import init_team
from soptui.tui.screens.modals import Pick
from soptui.tui.screens.run import RunScreen
from tests.conftest import write
from tests.ui_support import build_app

# -- the meanings -----------------------------------------------------------------------------


def test_default_meanings_in_both_languages_and_configured_ones_win() -> None:
    assert severities.meaning("P1", {}) is not None
    assert "act now" in (severities.meaning("P1", {}) or "")
    assert "today" in (severities.meaning("P3", {}) or "")
    activate("zh")
    assert "立即处理" in (severities.meaning("P1", {}) or "")
    assert "当天处理" in (severities.meaning("P3", {}) or "")
    activate("en")
    configured = {"P1": "全站不可用", "S0": "data loss"}
    assert severities.meaning("P1", configured) == "全站不可用"
    assert severities.meaning("S0", configured) == "data loss"
    assert severities.meaning("P9", configured) is None  # no meaning: the name alone is shown
    assert severities.described(["P1", "P9"], configured) == [("P1", "全站不可用"), ("P9", None)]
    assert severities.listed(["P1", "P9"], configured) == "P1 (全站不可用) · P9"


def test_a_severity_is_found_exactly_or_ignoring_case() -> None:
    levels = ["P1", "P2", "P3"]
    assert severities.resolve("P2", levels) == "P2"
    assert severities.resolve("p2", levels) == "P2"
    assert severities.resolve(" p3 ", levels) == "P3"
    assert severities.resolve("P4", levels) is None
    assert severities.resolve("x", ["X", "x"]) == "x"  # exact wins over folded


def test_the_bundled_incident_playbooks_have_a_meaning_for_every_level(zh, en) -> None:  # type: ignore[no-untyped-def]
    for library in (zh, en):
        incidents = [e.playbook for e in library if e.playbook.is_incident]
        assert incidents
        for playbook in incidents:
            assert all(words for _level, words in severities.described(playbook.severities, {}))


def test_the_severities_module_is_plain_python() -> None:
    from tests.test_bundled import imported_by

    assert not imported_by(["soptui.severities"]) & {"textual", "rich", "sqlite3"}


# -- config.toml ----------------------------------------------------------------------------


def test_severities_in_config_and_a_bad_one_is_a_positioned_problem(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "config.toml",
        'language = "en"\n\n[severities]\nP1 = "site down"\n"P 2" = "bad name"\n'
        'P3 = """two\nlines"""\nP4 = ""\nP5 = "' + "x" * 121 + '"\nP6 = 3\n',
    )
    settings, problems = load_settings(config)
    assert settings.severities == {"P1": "site down"}  # the good entry is kept
    assert settings.language == "en"  # and every other setting
    lines = [str(p) for p in problems]
    assert lines == [
        f"{config}:5:1: severities.P 2: a severity is a short name without spaces (at most 20 "
        "characters), e.g. P1",
        f'{config}:6:1: severities.P3: a severity\'s meaning is one line of text, e.g. P1 = "act now"',
        f'{config}:8:1: severities.P4: a severity\'s meaning is one line of text, e.g. P1 = "act now"',
        f"{config}:9:1: severities.P5: a severity's meaning is at most 120 characters (this one has 121)",
        f"{config}:10:1: severities.P6: input should be a valid string",
    ]


def test_severities_written_as_a_list_or_too_many_are_refused(tmp_path: Path) -> None:
    config = write(tmp_path, "config.toml", 'severities = ["P1", "P2"]\n')
    settings, problems = load_settings(config)
    assert settings.severities == {}
    assert [str(p) for p in problems] == [
        f"{config}:1:1: severities: write the severities as a table: [severities] then one line each, "
        'P1 = "…"'
    ]
    many = "".join(f'L{i} = "level {i}"\n' for i in range(11))
    config = write(tmp_path, "config.toml", f"[severities]\n{many}")
    settings, problems = load_settings(config)
    assert settings.severities == {}
    assert [p.message for p in problems] == ["at most 10 severities (this has 11)"]


def test_a_bad_severity_is_said_once_by_every_command(
    isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
    cli,  # type: ignore[no-untyped-def]
) -> None:
    config = write(isolated_env / "config", "config.toml", '[severities]\nP1 = ""\nP2 = "spreading"\n')
    code, _out, err = cli("list")
    assert code == 0
    assert [line for line in err.splitlines() if "severities" in line] == [
        f"soptui: warning: {config}:2:1: severities.P1: a severity's meaning is one line of text, "
        'e.g. P1 = "act now" (ignored)'
    ]
    assert Context.create().settings.severities == {"P2": "spreading"}


def test_the_teams_severities_win_over_a_members(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "team"
    init_team(root, None, "Asia/Shanghai", "en")
    monkeypatch.setenv("SOPTUI_HOME", str(root))
    write(isolated_env / "config", "config.toml", '[severities]\nP1 = "mine"\n')
    assert Context.create().settings.severities == {"P1": "mine"}  # the team says nothing: yours
    (root / "config.toml").write_text('[severities]\nP1 = "the team\'s"\nP2 = "also"\n', encoding="utf-8")
    context = Context.create()
    assert context.settings.severities == {"P1": "the team's", "P2": "also"}
    assert context.take_warnings() == [
        "your config's [severities] are ignored: the team's config defines them"
    ]


# -- the command line -----------------------------------------------------------------------


def test_incident_open_checks_the_severity_and_lists_the_defined_ones(
    cli,
    isolated_env: Path,  # type: ignore[no-untyped-def]
) -> None:
    write(isolated_env / "config", "config.toml", '[severities]\nP2 = "spreading fast"\n')
    code, _out, err = cli("incident", "open", "spam", "--title", "bots", "--severity", "P9")
    assert code == 2
    assert (
        err.strip()
        .splitlines()[-1]
        .endswith(
            "--severity 'P9' is not a severity of spam; the defined ones: "
            "P1 (many members or a core service affected, or safety, legal or major-loss risk: act now, "
            "tell the lead) · P2 (spreading fast)"
        )
    )
    code, out, _err = cli("incident", "open", "spam", "--title", "bots", "--severity", "p2")
    assert code == 0
    code, out, _err = cli("search", "bots", "--what", "journal", "--json")
    assert '"severity": "P2"' in out


def test_incident_open_refusal_is_chinese(cli, isolated_env: Path) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli(
        "--language", "zh", "incident", "open", "spam", "--title", "广告", "--severity", "P3"
    )
    assert code == 2
    assert "不是 spam 的级别；已定义的级别：P1（大量成员或核心服务受影响" in err
    assert "P2（正在扩散" in err


# -- the app ----------------------------------------------------------------------------------


async def test_the_picker_shows_each_meaning_and_records_the_chosen_severity(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path)
    app.services.severities = {"P3": "one member, not spreading"}
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("i", "enter")  # the only incident playbook
        await pilot.press(*"bots in group 3", "enter")
        picker = app.screen
        assert isinstance(picker, Pick)
        options = picker.query_one("#pick-list", OptionList)
        rows = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert rows[0].startswith("P1  many members or a core service affected")
        assert rows[1].startswith("P2  spreading, or affecting several groups")
        assert rows[2] == "P3  one member, not spreading"  # the configured words
        await pilot.press("down", "enter")
        assert isinstance(app.screen, RunScreen)
        assert app.screen.state.severity == "P2"
        assert recorder.journal.run(app.screen.state.run_id).severity == "P2"  # type: ignore[union-attr]


async def test_the_picker_and_the_incidents_list_in_chinese(tmp_path: Path) -> None:
    app, recorder = build_app(tmp_path, "zh")
    recorder.open_incident("spam", "广告刷屏", "P1")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("I")
        legend = str(app.screen.query_one("#incident-severities", Static).render())
        assert "P1  大量成员或核心服务受影响" in legend and "P3  个别成员或单个群" in legend
        await pilot.press("escape", "i")
        await pilot.press("enter", *"刷屏", "enter")
        options = app.screen.query_one("#pick-list", OptionList)
        assert "当天处理" in str(options.get_option_at_index(2).prompt)


def test_show_says_what_each_severity_means_with_the_teams_words(cli, isolated_env: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    write(isolated_env / "config", "config.toml", '[severities]\nP1 = "all hands now"\n')
    code, out, _err = cli("show", "spam", "--json")
    data = json.loads(out)
    assert code == 0 and data["severities"] == ["P1", "P2"]
    assert data["severity_meanings"]["P1"] == "all hands now" and data["severity_meanings"]["P2"]
    code, out, _err = cli("show", "spam")
    assert "P1 (all hands now) · P2 (" in out
    assert json.loads(cli("show", "morning", "--json")[1])["severity_meanings"] is None
