"""Review figures that read right (issue 12), on a known history with a frozen clock.

Team zone Asia/Shanghai. The morning round and the weekly review were first seen on Monday
2026-11-16 (W47) at 08:00; "now" is Tuesday 2026-11-24 (W48) at 15:00.

Morning round (value members.new), day by day:
  W47  Mon 16 –  (first-seen day: not due, as on Today)   Tue 17 ✓ 20   Wed 18 ✓ 30
       Thu 19 ✓ 30   Fri 20 missed   Sat 21 ✓ 30   Sun 22 ✓ 30          W47 total 140
  W48  Mon 23 ✓ 10   Tue 24 open with 15 (today: pending, not missed)    W48 so far 25
Weekly review: W47 done on Friday; W48 not done yet (its Friday has not come).

So W48's metric compares with Mon–Tue of W47 (0 + 20 = 20): +5, +25.0% (not 25 vs 140).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from soptui.agenda import build_agenda
from soptui.cli import main
from soptui.markdown import escape_block, escape_md
from soptui.playbooks.library import Library, Source, bundled_source, load_library
from soptui.recorder import Recorder
from soptui.review import ReviewRange, build_review, week_range
from soptui.review.model import Review
from soptui.review.render import render_csv, render_json, render_markdown, render_text, trend
from soptui.review_sections import SECTIONS
from tests.conftest import write
from tests.helpers import DAILY, SHANGHAI, WEEKLY, Clock, library_from, recorder_for

SAMPLE_GOALS = """\
[[goals]]
id = "members-1000"
title = "+1000 members (sample)"
metric = "members.new"
target = 1000
start = 2026-11-01
by = 2027-01-31
"""

TEAM_GOALS = """\
[[goals]]
id = "members-500"
title = "500 new members"
metric = "members.new"
target = 500
start = 2026-11-16
by = 2027-01-31
"""

TUESDAY = datetime(2026, 11, 24, 15, 0, tzinfo=SHANGHAI)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def sample_library(tmp_path: Path, team_goals: str | None = None) -> Library:
    """The test playbooks, with a goals.toml from a "bundled" source (and the team's own)."""
    library_from(tmp_path, morning=DAILY, weekly=WEEKLY)
    write(tmp_path / "bundled", "goals.toml", SAMPLE_GOALS)
    if team_goals is not None:
        write(tmp_path / "playbooks", "goals.toml", team_goals)
    library = load_library([Source(tmp_path / "bundled", "bundled"), Source(tmp_path / "playbooks", "test")])
    assert library.problems == [], library.problems
    return library


def history(tmp_path: Path, library: Library) -> tuple[Recorder, Clock]:
    clock = Clock(local(16, 8))
    alice = recorder_for(tmp_path, library, "alice", clock)
    with alice.journal.writing():
        alice.journal.mark_seen(["morning", "weekly"], clock.now)
    for day, value in ((17, 20), (18, 30), (19, 30), (21, 30), (22, 30), (23, 10)):
        clock.now = local(day, 9)
        run = alice.routine_run("morning").run_id
        alice.complete(run, "new-members", str(value))
        alice.finish(run)
    clock.now = local(24, 9, 30)  # today: open, a value recorded, not finished
    today = alice.routine_run("morning").run_id
    alice.complete(today, "new-members", "15")
    alice.note(today, "(optional) +1000 #1 a_b 5 * 3 | ok", "welcome")
    alice.note(today, "[x](http://e.com) `code` <b>bold</b> *em*")
    alice.note(None, "quiet day")
    clock.now = local(20, 16)
    alice.complete(alice.routine_run("weekly").run_id, "review")
    clock.now = TUESDAY.astimezone(UTC)
    return alice, clock


@pytest.fixture
def recorder(tmp_path: Path) -> Recorder:
    return history(tmp_path, sample_library(tmp_path))[0]


@pytest.fixture
def w48(recorder: Recorder) -> Review:
    return build_review(recorder.ledger, week_range("2026-W48"))


# 1. A running week compares with the same days of the previous week ------------------------


def test_a_running_week_compares_with_the_same_days_of_the_previous_week(w48: Review) -> None:
    [metric] = w48.metrics
    assert w48.running
    assert metric.value == 25  # Mon 10 + Tue 15
    assert (metric.compared_from, metric.compared_until, metric.same_days) == (
        date(2026, 11, 16),
        date(2026, 11, 17),
        True,
    )
    assert metric.previous == 20  # Mon 16 (none) + Tue 17 (20); the whole W47 was 140
    assert metric.change == 5 and metric.change_pct == pytest.approx(25.0)
    data = json.loads(render_json(w48))["metrics"][0]
    assert data["compared_with"] == {"from": "2026-11-16", "until": "2026-11-17", "same_days": True}
    for rendered in (render_text(w48), render_markdown(w48)):
        assert "vs the same days of the previous week (2026-11-16 → 2026-11-17)" in rendered
        assert "+25.0%" in rendered and "-82" not in rendered
    rows = list(csv.DictReader(io.StringIO(render_csv(w48, "metrics"))))
    assert (rows[0]["compared_with_from"], rows[0]["compared_with_until"]) == ("2026-11-16", "2026-11-17")


def test_a_finished_week_compares_with_the_whole_previous_week(recorder: Recorder) -> None:
    w47 = build_review(recorder.ledger, week_range("2026-W47"))
    [metric] = w47.metrics
    assert not w47.running
    assert metric.value == 140 and metric.previous is None  # nothing in W46
    assert (metric.compared_from, metric.compared_until, metric.same_days) == (
        date(2026, 11, 9),
        date(2026, 11, 15),
        False,
    )
    assert "Previous: the previous week (2026-11-09 → 2026-11-15)." in render_text(w47)
    assert "same days" not in render_markdown(w47)


# 2. A period is missed only once it is over: the review and Today agree ---------------------


def test_a_running_period_is_not_missed_and_the_review_agrees_with_today(recorder: Recorder) -> None:
    w48 = build_review(recorder.ledger, week_range("2026-W48"))
    morning, weekly = w48.routines
    assert morning.missed == [] and morning.completed == ["2026-11-23"]
    assert morning.expected == ["2026-11-23"]  # today is still running
    assert weekly.missed == [] and weekly.expected == []  # W48 is not over: not missed on Tuesday
    assert "Missed 2026-W48" not in render_text(w48)
    since_seen = build_review(recorder.ledger, ReviewRange(date(2026, 11, 16), date(2026, 11, 24), "since"))
    agenda = build_agenda(recorder.ledger, TUESDAY)
    today = {item.entry.playbook.id: item.missed for item in agenda.routines}
    review = {r.playbook_id: r.missed for r in since_seen.routines}
    assert today == review == {"morning": ["2026-11-20"], "weekly": []}
    # The first-seen day is not due (Today counts from the next period), as in the review.
    assert "2026-11-16" not in since_seen.routines[0].expected


# 3 and 5. Day marks: one meaning each; future days are blank, a day without data is · --------


def test_day_marks_and_trend_bars(recorder: Recorder, w48: Review) -> None:
    w47 = build_review(recorder.ledger, week_range("2026-W47"))
    assert "".join(w47.routines[0].strip) == "–✓✓✓!✓✓"  # – not due, ! missed (✗ is a skip)
    assert "".join(w48.routines[0].strip) == "✓······"  # today and later: pending
    assert trend(w47, w47.metrics[0].per_period) == "·▁██·██"  # no value on Mon 16 and Fri 20
    assert w48.metrics[0].per_period == [10, 15, None, None, None, None, None]
    assert trend(w48, w48.metrics[0].per_period) == "▁█     "  # days to come: blank, never a bar
    text = render_text(w47)
    assert "Days: ✓ done, ! missed, · pending, – not due" in text
    assert "–✓✓✓!✓✓" in text and "✗" not in text


def test_the_review_screen_draws_a_trend_line_per_metric(recorder: Recorder) -> None:
    from dataclasses import replace

    from rich.cells import cell_len

    from soptui.tui.screens.review import TREND_TITLE, ReviewScreen

    w47 = build_review(recorder.ledger, week_range("2026-W47"))
    label = "[b]新人 signups[/b] \x1b[31m"  # untrusted text: never markup, never a raw escape
    w47 = replace(w47, metrics=[replace(w47.metrics[0], label=label)])
    [line] = ReviewScreen._trend_lines(w47)
    bars = "· ▁ █ █ · █ █  11-16 → 11-22"
    title = line.plain.removesuffix(bars)
    assert title.startswith("[b]新人 signups[/b] ") and "\x1b" not in line.plain
    assert cell_len(title) == TREND_TITLE  # the bars line up, whatever the name's script
    [span] = [s for s in line.spans if s.style == "$text-muted"]
    assert line.plain[span.start : span.end] == "11-16 → 11-22"
    assert ReviewScreen._trend_lines(replace(w47, metrics=[])) == []


# 4. Bundled goals are samples until the team has its own goals.toml --------------------------


def test_bundled_goals_are_samples_without_a_verdict(w48: Review) -> None:
    [goal] = w48.goals
    assert goal.sample and goal.on_track is None
    data = json.loads(render_json(w48))["goals"][0]
    assert data["sample"] is True and data["on_track"] is None
    text, markdown = render_text(w48), render_markdown(w48)
    assert "Sample goals (edit goals.toml to set your own)" in text
    assert "### Sample goals (edit goals.toml to set your own)" in markdown
    for rendered in (text, markdown):
        assert "+1000 members (sample)" in rendered
        assert (
            "behind" not in rendered and "on track" not in rendered and "%" not in rendered.split("Goal")[-1]
        )
    rows = list(csv.DictReader(io.StringIO(render_csv(w48, "goals"))))
    assert rows[0]["sample"] == "yes" and rows[0]["on_track"] == ""


def test_the_teams_own_goals_replace_the_samples(tmp_path: Path) -> None:
    library = sample_library(tmp_path, TEAM_GOALS)
    assert [g.id for g in library.goals] == ["members-500"] and library.sample_goals == set()
    recorder, _ = history(tmp_path, library)
    [goal] = build_review(recorder.ledger, week_range("2026-W48")).goals
    assert not goal.sample and goal.value == 165  # 140 in W47 + 25 so far in W48
    assert goal.on_track is True  # 165/500 = 33% of the target, 9 of 76 days gone
    assert "Sample goals" not in render_text(build_review(recorder.ledger, week_range("2026-W48")))


def test_the_bundled_goals_files_are_samples() -> None:
    for language in ("zh", "en"):
        library = load_library([bundled_source(language)])
        assert library.goals and library.sample_goals == {g.id for g in library.goals}


# 6. Notes name the playbook and the step by their titles -------------------------------------


def test_notes_name_playbook_and_step_by_title(tmp_path: Path) -> None:
    recorder, clock = history(tmp_path, sample_library(tmp_path))
    recorder.journal.close()
    renamed = DAILY.replace('title = "Welcome newcomers"', 'title = "Greet people"')
    (tmp_path / "playbooks" / "morning.toml").write_text(renamed, encoding="utf-8")
    later = recorder_for(tmp_path, sample_library(tmp_path), "alice", clock)
    review = build_review(later.ledger, week_range("2026-W48"))
    first = review.notes[0]
    assert (first.playbook_title, first.step_title) == ("Morning round", "Welcome newcomers")  # as run
    assert [n.where for n in review.notes] == ["Morning round · Welcome newcomers", "Morning round", "log"]
    for rendered in (render_text(review), render_markdown(review)):
        assert "Morning round · Welcome newcomers:" in rendered
        assert "morning · welcome" not in rendered
    note = json.loads(render_json(review))["notes"][0]
    assert (note["playbook"], note["step"]) == ("morning", "welcome")
    assert (note["playbook_title"], note["step_title"]) == ("Morning round", "Welcome newcomers")


# 7. Markdown escapes only what would change the rendering ------------------------------------


def test_markdown_escapes_only_what_renders(w48: Review) -> None:
    markdown = render_markdown(w48)
    assert "(optional) +1000 #1 a_b 5 * 3 | ok" in markdown  # mid-line, outside a table: as typed
    assert "\\[x\\](http://e.com) \\`code\\` \\<b>bold\\</b> \\*em\\*" in markdown
    assert "\\(" not in markdown and "\\+" not in markdown and "\\#" not in markdown
    assert escape_md("a | b") == "a \\| b"  # in a table cell
    assert escape_md("a | b", table=False) == "a | b"
    assert escape_block("# heading\n- item\n1. one\n> quote\nplain (x) +1 #2") == (
        "\\# heading  \n\\- item  \n1\\. one  \n\\> quote  \nplain (x) +1 #2"
    )


# 8. CSV: plain cells, and a byte order mark for spreadsheets on request -----------------------


def test_csv_cells_are_plain(w48: Review, recorder: Recorder) -> None:
    w47 = build_review(recorder.ledger, week_range("2026-W47"))
    for review in (w47, w48):
        for section in SECTIONS:
            text = render_csv(review, section)
            assert not text.startswith("\ufeff")
            assert not any(mark in text for mark in ('["', "[{", "✓", "✗")), (section, text)
    [morning, _] = list(csv.DictReader(io.StringIO(render_csv(w47, "routines"))))
    assert morning["days"] == "not due; done; done; done; missed; done; done"
    assert morning["missed"] == "2026-11-20"
    [metric] = list(csv.DictReader(io.StringIO(render_csv(w47, "metrics"))))
    assert metric["per_day"] == "; 20.0; 30.0; 30.0; ; 30.0; 30.0"
    assert render_csv(w47, "routines", excel=True) == "\ufeff" + render_csv(w47, "routines")


def test_review_csv_excel_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pbs", "morning.toml", DAILY)
    monkeypatch.setenv("SOPTUI_PLAYBOOKS", str(tmp_path / "pbs"))
    monkeypatch.setenv("SOPTUI_JOURNAL", str(tmp_path / "j.sqlite3"))
    monkeypatch.setenv("SOPTUI_OPERATOR", "alice")
    assert main(["done", "morning", "welcome"]) == 0
    target, plain = tmp_path / "routines.csv", tmp_path / "plain.csv"
    assert main(["review", "--format", "csv", "--excel", "-o", str(target)]) == 0
    assert main(["review", "--format", "csv", "-o", str(plain)]) == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data[3:] == plain.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert main(["review", "--format", "json", "--excel"]) == 2  # --excel is for CSV


async def test_the_review_screen_shows_the_trends_only_when_there_are_some(
    recorder: Recorder, tmp_path: Path
) -> None:
    from soptui.tui.app import make_app
    from soptui.tui.screens.review import ReviewScreen
    from soptui.tui.services import Services

    app = make_app(Services(recorder, "en", tmp_path / "reports", []))
    async with app.run_test(size=(100, 40)) as pilot:
        app.action_review()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.review is not None
        label = screen.review.metrics[0].label
        trends = screen.query_one("#review-trends")
        assert trends.display  # W48 so far: Monday and Tuesday have values
        shown = str(screen.query_one("#review-trend-lines").render())
        assert shown.startswith(label) and "▁ █" in shown
        screen.action_move(1)  # next week: nothing recorded, no blank line where trends would be
        await pilot.pause()
        assert not screen.query_one("#review-trends").display
