"""Loading one playbook: every rule of the format, each problem with its place."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from soptui.playbooks.loader import MAX_FILE_BYTES, load_playbook
from soptui.playbooks.problems import Problem
from tests.conftest import MINIMAL, write

STEP = '\n[[steps]]\nid = "{id}"\ntitle = "T"\n'


def problems_of(tmp_path: Path, text: str, name: str = "pb.toml") -> list[Problem]:
    loaded, problems = load_playbook(write(tmp_path, name, text), date(2026, 11, 23))
    assert (loaded is None) == bool(problems)
    return problems


def one(tmp_path: Path, text: str) -> str:
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1, problems
    return str(problems[0])


def test_minimal_playbook_loads_with_id_from_file_name(tmp_path: Path) -> None:
    loaded, problems = load_playbook(write(tmp_path, "my-day.toml", MINIMAL))
    assert problems == []
    assert loaded is not None
    assert loaded.playbook.id == "my-day"
    assert loaded.playbook.format == 1
    assert loaded.playbook.severities == ["P1", "P2", "P3"]


def test_unknown_key_names_file_line_column(tmp_path: Path) -> None:
    text = MINIMAL + "colour = 3\n"
    assert one(tmp_path, text) == f"{tmp_path}/pb.toml:7:1: steps[0].colour: unknown key 'colour'"


def test_nested_error_points_at_the_key(tmp_path: Path) -> None:
    text = MINIMAL + STEP.format(id="two") + '[steps.input]\ntype = "numbr"\n'
    message = one(tmp_path, text)
    assert message.startswith(f"{tmp_path}/pb.toml:12:1: steps[1].input.type: input should be")
    assert "'yes-no'" in message


def test_inline_table_error_points_inside(tmp_path: Path) -> None:
    text = MINIMAL + 'input = { type = "integer", mni = 0 }\n'
    assert one(tmp_path, text).startswith(f"{tmp_path}/pb.toml:7:29: steps[0].input.mni")


def test_missing_required_key(tmp_path: Path) -> None:
    assert one(tmp_path, 'cadence = "daily"\n' + STEP.format(id="a")).endswith(
        "1:1: missing required key 'title'"
    )
    text = 'title = "x"\ncadence = "daily"\n[[steps]]\ntitle = "no id"\n'
    assert one(tmp_path, text).endswith("3:1: steps[0]: missing required key 'id'")


def test_syntax_error_position_comes_from_tomllib(tmp_path: Path) -> None:
    message = one(tmp_path, 'title = "x"\ncadence = \n')
    assert message.startswith(f"{tmp_path}/pb.toml:2:11: TOML syntax: ")


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            'cadence = "hourly"',
            "cadence: input should be 'daily', 'weekly', 'monthly', 'sequence' or 'incident'",
        ),
        ("estimate = 5", "estimate: expected a duration"),
        ('estimate = "5x"', "estimate: '5x' is not a duration"),
        ("format = 2", "format: this playbook needs a newer soptui (format 2; this one reads 1)"),
        ('tags = "x"', "tags: input should be a valid list"),
    ],
)
def test_top_level_values(tmp_path: Path, snippet: str, expected: str) -> None:
    key = snippet.split(" =")[0]
    body = "\n".join(line for line in MINIMAL.splitlines() if not line.startswith(key + " "))
    assert expected in one(tmp_path, snippet + "\n" + body + "\n")


def test_bad_id(tmp_path: Path) -> None:
    assert "2:1: id: string should match pattern" in one(
        tmp_path, 'title = "x"\nid = "Bad_Id"\ncadence = "daily"\n' + STEP.format(id="a")
    )


def test_file_stem_that_is_not_an_id(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, MINIMAL, name="Bad Name.toml")
    assert "id: string should match pattern" in str(problems[0])


def routine(extra_top: str = "", steps: str = "") -> str:
    return f'title = "R"\ncadence = "daily"\n{extra_top}\n' + (steps or STEP.format(id="a"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            routine(steps=STEP.format(id="a") + STEP.format(id="a")),
            "steps[1].id: duplicate step id 'a'",
        ),
        (
            routine(steps=STEP.format(id="a") + 'escalate_after = "5m"\n'),
            "steps[0].escalate_after: escalate_after applies to incident playbooks only",
        ),
        (routine('severities = ["P1"]'), "severities: only incident playbooks have severities"),
        (
            routine('[due]\nweekday = "fri"'),
            "due.weekday: due.weekday applies to weekly playbooks only",
        ),
        (routine("[due]\nday = 3"), "due.day: due.day applies to monthly playbooks only"),
        (routine('review_every = "90d"'), "review_every: review_every needs reviewed"),
        (
            routine(steps=STEP.format(id="a") + '[steps.input]\ntype = "choice"\nchoices = ["x"]\n'),
            "steps[0].input.choices: a choice input needs at least two choices",
        ),
        (
            routine(steps=STEP.format(id="a") + '[steps.input]\ntype = "text"\nchoices = ["x", "y"]\n'),
            'choices apply to type = "choice" only',
        ),
        (
            routine(steps=STEP.format(id="a") + '[steps.input]\ntype = "text"\nmin = 1\n'),
            "steps[0].input.min: min applies to number and integer inputs only",
        ),
        (
            routine(steps=STEP.format(id="a") + '[steps.input]\ntype = "number"\nmin = 5\nmax = 1\n'),
            "steps[0].input.min: min (5) is greater than max (1)",
        ),
        (
            routine(steps=STEP.format(id="a") + '[steps.input]\ntype = "text"\nmetric = "m"\n'),
            "steps[0].input.metric: a metric needs a number or integer input",
        ),
        (
            routine(steps=STEP.format(id="a") + '[steps.input]\ntype = "number"\naggregate = "sum"\n'),
            "steps[0].input.aggregate: aggregate applies to metrics only",
        ),
        (
            routine(steps=STEP.format(id="a") + '[[steps.snippets]]\nlabel = "l"\ntext = "hi } {x}"\n'),
            "steps[0].snippets[0].text: stray brace at character 4",
        ),
    ],
)
def test_cross_field_rules(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in one(tmp_path, text)


def test_rule_errors_point_at_their_key(tmp_path: Path) -> None:
    text = routine(steps=STEP.format(id="a") + STEP.format(id="a"))
    assert one(tmp_path, text).startswith(f"{tmp_path}/pb.toml:10:1: steps[1].id")


YES_NO = STEP.format(id="asked") + '[steps.input]\ntype = "yes-no"\n'
NUMBER = STEP.format(id="count") + '[steps.input]\ntype = "integer"\n'
CHOICE = STEP.format(id="kind") + '[steps.input]\ntype = "choice"\nchoices = ["spam", "ad"]\n'
PLAIN = STEP.format(id="plain")


@pytest.mark.parametrize(
    ("steps", "when", "expected"),
    [
        (YES_NO, "asked", None),
        (YES_NO, "not asked", None),
        (NUMBER, "count >= 3", None),
        (CHOICE, 'kind == "spam"', None),
        (YES_NO, "nobody", "refers to unknown step 'nobody'"),
        (YES_NO, "asked ==", 'expected "STEP", "not STEP" or "STEP OP VALUE"'),
        (PLAIN, "plain", "step 'plain' has no input to test"),
        (NUMBER, "count", "step 'count' is not a yes-no input"),
        (NUMBER, 'count == "x"', "takes a number; compare it with a number"),
        (YES_NO, "asked == 1", 'write "asked" or "not asked" for a yes-no input'),
        (CHOICE, "kind == 1", "takes text; compare it with a quoted string"),
        (CHOICE, 'kind < "spam"', "text can only be compared with == or !="),
        (CHOICE, 'kind == "other"', "'other' is not one of the choices of step 'kind'"),
    ],
)
def test_when_rules(tmp_path: Path, steps: str, when: str, expected: str | None) -> None:
    text = routine(steps=steps + STEP.format(id="then") + f"when = '{when}'\n")
    problems = problems_of(tmp_path, text)
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert expected in str(problems[0])
        assert ".when: " in str(problems[0])


def test_when_may_not_look_ahead_or_at_itself(tmp_path: Path) -> None:
    ahead = routine(steps=STEP.format(id="first") + "when = 'later'\n" + YES_NO.replace("asked", "later"))
    assert "which does not come before this one" in one(tmp_path, ahead)
    itself = routine(steps=STEP.format(id="asked") + "when = 'asked'\n[steps.input]\ntype = 'yes-no'\n")
    assert "which does not come before this one" in one(tmp_path, itself)


def test_stale_review_is_a_warning_not_an_error(tmp_path: Path) -> None:
    text = routine('reviewed = 2026-01-01\nreview_every = "90d"')
    loaded, problems = load_playbook(write(tmp_path, "pb.toml", text), date(2026, 11, 23))
    assert problems == []
    assert loaded is not None
    [warning] = loaded.warnings
    assert warning.severity == "warning"
    assert str(warning).endswith(
        "3:1: warning: reviewed: due for review since 2026-04-01 (reviewed 2026-01-01)"
    )
    fresh = routine('reviewed = 2026-11-01\nreview_every = "90d"')
    loaded, _ = load_playbook(write(tmp_path, "pb.toml", fresh), date(2026, 11, 23))
    assert loaded is not None and loaded.warnings == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "missing required key 'title'", id="empty"),
        pytest.param(b'title = "caf\xe9"\n', "1:13: not UTF-8: invalid byte 0xe9 at byte 12", id="latin1"),
        pytest.param(b'title = "a\x00b"\n', "1:11: NUL byte at character 10", id="nul"),
        pytest.param(b"a = " + b"[" * 3000 + b"]" * 3000, "nested too deeply", id="deep"),
        pytest.param(b"x" + b".x" * 1000 + b" = 1\n", "dotted key has more than 32 parts", id="dots"),
        pytest.param(b'title = "' + b"x" * 20000 + b'"\n', "1:1: line is longer than 10000", id="long"),
    ],
)
def test_hostile_files_are_refused_quickly(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "pb.toml"
    path.write_bytes(content)
    started = time.perf_counter()
    loaded, problems = load_playbook(path)
    assert time.perf_counter() - started < 1.0
    assert loaded is None
    assert expected in str(problems[0])


def test_huge_file_is_refused_by_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.write(b"# padding\n" * (50 * 1024 * 1024 // 10))
    _, problems = load_playbook(path)
    assert f"larger than {MAX_FILE_BYTES // 1024} KiB" in str(problems[0])


def test_thousands_of_steps_are_refused(tmp_path: Path) -> None:
    text = 'title = "x"\ncadence = "daily"\n' + "".join(STEP.format(id=f"s{i}") for i in range(3000))
    assert "too many steps (3000); the limit is 200" in one(tmp_path, text)


def test_directory_and_unreadable_paths(tmp_path: Path) -> None:
    _, problems = load_playbook(tmp_path)
    assert "is a directory" in str(problems[0])
    _, problems = load_playbook(tmp_path / "absent.toml")
    assert "cannot read" in str(problems[0])
