"""The command line's usability (issue 12): notes, typos, usage lines, dates, ranges, `show`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import write

Run = tuple[int, str, str]
Cli = Callable[..., Run]

SHOWN = """\
title = "Show me"
summary = "A playbook to show"
cadence = "weekly"
[due]
weekday = "fri"
time = "17:00"

[[steps]]
id = "count"
title = "Count members"
role = "data analyst"
estimate = "10m"
checklist = ["open the dashboard", "read the number"]
[steps.input]
type = "integer"
label = "New members"
unit = "人"
min = 0
max = 5000

[[steps]]
id = "kind"
title = "Kind of week"
optional = true
[steps.input]
type = "choice"
choices = ["calm", "busy"]

[[steps]]
id = "report"
title = "Report a busy week"
when = 'kind == "busy"'
[[steps.snippets]]
label = "Busy note"
text = "A busy week: {count} new.\\nThanks all!"
"""


@pytest.fixture
def cli(cli: Cli, tmp_path: Path) -> Cli:
    """The shared CLI fixture, with one more playbook for `soptui show`."""
    write(tmp_path / "pbs", "show-me.toml", SHOWN)
    return cli


def _day_notes(cli: Cli) -> list[str]:
    code, out, _ = cli("due", "--json")
    assert code == 0
    return [n["text"] for n in json.loads(out)["notes"]]


# -- 1. `soptui note PLAYBOOK` without text ---------------------------------------------------


@pytest.mark.parametrize("word", ["morning", "morning-round", "morning-rnd", "spam"])
def test_note_with_only_a_playbook_id_is_refused(cli: Cli, word: str) -> None:
    code, out, err = cli("note", word)
    assert code == 2, (out, err)
    assert f'soptui note {word} "TEXT"' in err
    assert "usage: soptui note" in err
    assert _day_notes(cli) == []  # and nothing written into the day's log


def test_note_for_a_known_id_refused_even_with_step_or_run(cli: Cli) -> None:
    code, _, err = cli("note", "morning", "--step", "welcome")
    assert code == 2 and 'soptui note morning "TEXT"' in err


def test_note_of_plain_text_still_goes_to_the_day_log(cli: Cli) -> None:
    assert cli("note", "quiet morning")[0] == 0
    assert cli("note", "ok")[0] == 0  # one plain word is a note, not an id
    assert cli("note", "morning", "two complaints")[0] == 0
    assert _day_notes(cli) == ["quiet morning", "ok"]


def test_note_with_too_many_words_says_to_quote(cli: Cli) -> None:
    code, _, err = cli("note", "morning", "two", "complaints")
    assert code == 2 and 'quote the note text, e.g. soptui note morning "two complaints"' in err
    assert err.startswith("usage: soptui note [-h] [--step STEP] [--at TIME] [--run ID] [PLAYBOOK] TEXT\n")


# -- 2. did you mean --------------------------------------------------------------------------


def test_unknown_playbook_suggests_the_closest(cli: Cli) -> None:
    code, _, err = cli("done", "mornin", "welcome")
    assert code == 1
    assert "no playbook 'mornin'" in err and "did you mean 'morning'?" in err
    code, _, err = cli("done", "zzzzzz", "welcome")
    assert code == 1 and "no playbook 'zzzzzz'" in err and "did you mean" not in err


def test_unknown_step_suggests_the_closest(cli: Cli) -> None:
    code, _, err = cli("done", "morning", "welcom")
    assert code == 1
    assert "no step 'welcom' in 'morning'" in err and "did you mean 'welcome'?" in err
    code, _, err = cli("skip", "morning", "topik")
    assert code == 1 and "did you mean 'topic'?" in err


def test_new_from_an_unknown_playbook_suggests_the_closest(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("new", "mine", "--from", "mornin", "--dir", str(tmp_path / "out"))
    assert code == 1 and "--from mornin: no such playbook; did you mean 'morning'?" in err
    assert not (tmp_path / "out" / "mine.toml").exists()


def test_unknown_subcommand_suggests_the_closest(cli: Cli) -> None:
    code, _, err = cli("doen")
    assert code == 2 and "invalid choice: 'doen'" in err and "did you mean 'done'?" in err
    code, _, err = cli("journal", "exprot")
    assert code == 2 and "did you mean 'export'?" in err
    assert "usage: soptui journal" in err
    code, _, err = cli("frobnicate")
    assert code == 2 and "invalid choice" in err and "did you mean" not in err


# -- 3. a command's usage error prints that command's usage -----------------------------------


def test_usage_error_prints_the_subcommands_usage(cli: Cli) -> None:
    code, _, err = cli("done", "morning", "welcome", "--at", "tomorrow")
    assert code == 2
    usage, _, message = err.partition("soptui: error: ")
    assert usage.startswith("usage: soptui done [-h]") and " ".join(usage.split()).endswith("PLAYBOOK STEP")
    assert message.startswith("--at 'tomorrow': use ISO 8601")
    assert "COMMAND" not in err
    code, _, err = cli("journal", "export", "--since", "nope")
    assert code == 2 and err.startswith("usage: soptui journal export ")
    code, _, err = cli("review", "--week", "2026-W48", "--from", "2026-11-01")
    assert code == 2 and err.startswith("usage: soptui review ")


# -- 4. impossible dates say what is wrong ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("due", "--date", "2026-11-31"), "--date '2026-11-31' is not a date: November has 30 days"),
        (("due", "--date", "2026-02-29"), "--date '2026-02-29' is not a date: February 2026 has 28 days"),
        (("due", "--date", "2026-13-01"), "--date '2026-13-01' is not a date: there is no month 13"),
        (("journal", "export", "--since", "2026-04-31"), "--since '2026-04-31' is not a date: April has 30"),
        (("review", "--format", "json", "--from", "2026-06-31"), "--from '2026-06-31' is not a date: June"),
        (("review", "--format", "json", "--week", "2026-W54"), "--week '2026-W54' is not an ISO week"),
    ],
)
def test_impossible_dates_say_why(cli: Cli, args: tuple[str, ...], expected: str) -> None:
    code, _, err = cli(*args)
    assert code == 2
    assert expected in err
    assert "use YYYY-MM-DD" not in err


def test_date_options_keep_their_checks(cli: Cli) -> None:
    assert cli("due", "--date", "2028-02-29")[0] == 0  # a leap day is a date
    code, _, err = cli("due", "--date", "tomorrow")
    assert code == 2 and "use YYYY-MM-DD" in err
    code, _, err = cli("due", "--date", "1969-12-31")
    assert code == 2 and "outside the supported range 1970-01-01..9998-12-31" in err
    code, _, err = cli("due", "--date", "9999-01-01")
    assert code == 2 and "outside the supported range" in err


# -- 5. inverted ranges -----------------------------------------------------------------------


def test_export_refuses_an_inverted_range(cli: Cli) -> None:
    assert cli("done", "morning", "welcome")[0] == 0
    code, out, err = cli("journal", "export", "--since", "2026-11-30", "--until", "2026-11-01")
    assert code == 2 and out == ""
    assert "2026-11-30" in err and "2026-11-01" in err
    assert err.startswith("usage: soptui journal export ")
    assert cli("journal", "export", "--since", "2026-11-01", "--until", "2026-11-01")[0] == 0


def test_review_refuses_an_inverted_range(cli: Cli) -> None:
    code, _, err = cli("review", "--format", "json", "--from", "2026-11-30", "--until", "2026-11-01")
    assert code == 2 and "--from" in err and "--until" in err


# -- 6. soptui show ---------------------------------------------------------------------------


def test_show_lists_the_steps_in_text(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("show", "show-me")
    assert code == 0, err
    assert "show-me" in out and "Show me" in out
    assert "weekly" in out and "fri 17:00" in out
    assert str(tmp_path / "pbs" / "show-me.toml") in out
    lines = out.splitlines()
    assert any(line.startswith(" 1. count") and "Count members" in line for line in lines)
    assert any(line.startswith(" 2. kind") and "(optional)" in line for line in lines)
    assert any(line.startswith(" 3. report") for line in lines)
    for expected in (
        "data analyst",
        "10m",
        "integer",
        "New members",
        "人",
        "0..5000",
        "calm | busy",
        'kind == "busy"',
        "open the dashboard",
        "Busy note",
        "A busy week: {count} new.",
        "Thanks all!",
    ):
        assert expected in out, expected


def test_show_json(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("show", "show-me", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "show-me" and data["title"] == "Show me" and data["cadence"] == "weekly"
    assert data["due"] == {"time": "17:00", "weekday": "fri", "day": None}
    assert data["origin"] == str(tmp_path / "pbs")
    assert data["path"] == str(tmp_path / "pbs" / "show-me.toml")
    steps = data["steps"]
    assert [(s["number"], s["id"]) for s in steps] == [(1, "count"), (2, "kind"), (3, "report")]
    count = steps[0]
    assert count["role"] == "data analyst" and count["estimate"] == "10m" and count["optional"] is False
    assert count["input"]["type"] == "integer" and count["input"]["label"] == "New members"
    assert count["input"]["unit"] == "人" and (count["input"]["min"], count["input"]["max"]) == (0, 5000)
    assert count["checklist"] == ["open the dashboard", "read the number"]
    assert steps[1]["optional"] is True and steps[1]["input"]["choices"] == ["calm", "busy"]
    assert steps[2]["when"] == 'kind == "busy"' and steps[2]["input"] is None
    assert steps[2]["snippets"] == [{"label": "Busy note", "text": "A busy week: {count} new.\nThanks all!"}]


def test_show_unknown_playbook(cli: Cli) -> None:
    code, out, err = cli("show", "show-mee")
    assert code == 1 and out == ""
    assert "no playbook 'show-mee'" in err and "did you mean 'show-me'?" in err
    assert "Traceback" not in err


def test_show_never_prints_control_characters(cli: Cli, tmp_path: Path) -> None:
    write(
        tmp_path / "pbs",
        "evil.toml",
        'title = "Evil \\u001b[2J"\ncadence = "daily"\n[[steps]]\nid = "a"\ntitle = "x\\u202ey"\n'
        'checklist = ["\\u0007bell"]\n[[steps.snippets]]\nlabel = "s"\n'
        'text = "hi \\u001b]52;c;AAAA\\u0007"\n',
    )
    code, out, err = cli("show", "evil")
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "␛[2J" in out
    code, out, _ = cli("show", "evil", "--json")
    assert code == 0 and "\x1b" not in out and "\u202e" not in out
    assert json.loads(out)["title"] == "Evil \x1b[2J"


def test_show_for_an_incident_playbook(cli: Cli) -> None:
    code, out, _ = cli("show", "spam")
    assert code == 0 and "incident" in out and "P1 (" in out and " · P2 (" in out
    assert any(line.split()[:3] == ["escalate", "after", "5m"] for line in out.splitlines())
    data = json.loads(cli("show", "spam", "--json")[1])
    assert data["due"] is None and data["severities"] == ["P1", "P2"]
    assert data["steps"][0]["escalate_after"] == "5m"
