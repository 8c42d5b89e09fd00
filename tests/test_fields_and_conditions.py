from __future__ import annotations

import contextlib
from datetime import time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soptui.playbooks.conditions import Condition, ConditionError, parse_condition
from soptui.playbooks.fields import format_duration, parse_duration, parse_time_of_day
from soptui.playbooks.snippets import fill, placeholders, stray_brace


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("25m", timedelta(minutes=25)),
        ("1h30m", timedelta(minutes=90)),
        ("90d", timedelta(days=90)),
        ("2d3h", timedelta(hours=51)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5x", "m5", "1m1h", "0m", "-5m", "1.5h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**7))
def test_duration_format_round_trips(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


def test_time_of_day() -> None:
    assert parse_time_of_day("9:05") == time(9, 5)
    assert parse_time_of_day(time(17, 0)) == time(17, 0)
    for bad in ("24:00", "10:60", "10", "ten", 10):
        with pytest.raises(ValueError):
            parse_time_of_day(bad)


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("found-negative", Condition("found-negative", "yes")),
        ("not found-negative", Condition("found-negative", "no")),
        ("count >= 10", Condition("count", ">=", 10)),
        ("rate<2.5", Condition("rate", "<", 2.5)),
        ('kind == "spam"', Condition("kind", "==", "spam")),
        ("kind != 'ad'", Condition("kind", "!=", "ad")),
        ("delta > -3", Condition("delta", ">", -3)),
    ],
)
def test_conditions_parse(text: str, condition: Condition) -> None:
    assert parse_condition(text) == condition


@pytest.mark.parametrize(
    "text", ["", "a b", "a ==", "a == b", "__import__('os')", "a = 1", "not", "a and b", "a == 1 2"]
)
def test_bad_conditions_are_refused(text: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(text)


def test_conditions_evaluate() -> None:
    assert parse_condition("x").evaluate(True)
    assert not parse_condition("x").evaluate(False)
    assert parse_condition("not x").evaluate(False)
    assert not parse_condition("not x").evaluate(None)  # a skipped step never triggers
    assert parse_condition("n >= 10").evaluate(10)
    assert not parse_condition("n > 10").evaluate(10)
    assert parse_condition('k == "spam"').evaluate("spam")
    assert not parse_condition('k == "spam"').evaluate("ads")
    assert str(parse_condition("n>=10")) == "n >= 10"


@given(st.text(max_size=40))
def test_condition_parser_never_crashes(text: str) -> None:
    with contextlib.suppress(ConditionError):
        parse_condition(text)


def test_snippet_placeholders() -> None:
    text = "Hi {name}, welcome to {group}! {name}"
    assert placeholders(text) == ["name", "group"]
    assert fill(text, {"name": "Ann"}) == "Hi Ann, welcome to {group}! Ann"
    assert stray_brace(text) is None
    assert stray_brace("a } b") == 2
    assert stray_brace("{Name}") == 0
