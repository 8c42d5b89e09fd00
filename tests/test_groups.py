"""Issue 14: the roster (groups.toml, people.toml) and steps that run per group."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soptui.cli import main
from soptui.journal import Journal
from soptui.journal.schema import MIGRATIONS, SCHEMA_VERSION
from soptui.playbooks.library import Source, load_library
from soptui.playbooks.schema import roster_schema_json
from soptui.recorder import ActionError
from tests.conftest import REPO, write
from tests.helpers import recorder_for

PEOPLE = """\
[[people]]
id = "alice"
name = "Alice"
roles = ["社群经理"]
backup = "bob"

[[people]]
id = "bob"
name = "Bob"
roles = ["客服"]
"""

GROUPS = """\
[[groups]]
id = "sh-1"
name = "上海会员1群"
platform = "wechat"
owner = "alice"
tags = ["城市群"]
size = 380

[[groups]]
id = "new-1"
name = "新人1群"
owner = "bob"
tags = ["新人群"]

[[groups]]
id = "vip"
name = "VIP群"
platform = "wecom"
owner = "alice"
tags = ["VIP群"]

[[groups]]
id = "old"
name = "已归档群"
archived = true
"""

ROUND = """\
title = "Morning round"
cadence = "daily"

[[steps]]
id = "welcome"
title = "Welcome newcomers"
per_group = true
group_tags = ["新人群", "城市群"]

[[steps]]
id = "sweep"
title = "Moderation sweep"
per_group = true
[steps.input]
type = "integer"
min = 0
metric = "spam.removed"
aggregate = "sum"

[[steps]]
id = "report"
title = "Report to the lead"
"""


def team_dir(tmp_path: Path, groups: str = GROUPS, people: str = PEOPLE) -> Path:
    directory = tmp_path / "playbooks"
    write(directory, "morning.toml", ROUND)
    write(directory, "groups.toml", groups)
    write(directory, "people.toml", people)
    return directory


def recorder_with_roster(tmp_path: Path):  # type: ignore[no-untyped-def]
    library = load_library([Source(team_dir(tmp_path), "team")])
    assert not library.problems, library.problems
    return recorder_for(tmp_path, library)


# -- the roster -------------------------------------------------------------------------------


def test_roster_loads_and_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = team_dir(tmp_path)
    library = load_library([Source(directory, "team")])
    assert [g.id for g in library.roster.active()] == ["sh-1", "new-1", "vip"]  # archived left out
    assert [g.id for g in library.roster.active(["新人群"])] == ["new-1"]
    assert main(["--playbooks", str(directory), "groups"]) == 0
    out = capsys.readouterr().out
    assert "上海会员1群" in out and "Alice" in out and "old (archived)" in out
    assert main(["--playbooks", str(directory), "people", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)["people"]
    assert [p["id"] for p in people] == ["alice", "bob"] and people[0]["backup"] == "bob"
    assert "morning" in [e.playbook.id for e in library]  # the roster files are not playbooks


@pytest.mark.parametrize(
    ("file", "text", "where", "message"),
    [
        (
            "groups.toml",
            GROUPS.replace("size = 380", 'size = 380\ncolour = "red"'),
            ":8:1: groups[0].colour",
            "unknown key 'colour'",
        ),
        (
            "groups.toml",
            GROUPS.replace('id = "vip"', 'id = "sh-1"'),
            ":16:1: groups[2].id",
            "duplicate id 'sh-1'",
        ),
        (
            "groups.toml",
            GROUPS.replace('owner = "bob"', 'owner = "carol"'),
            ":12:1: groups[1].owner",
            "owner 'carol' is not in people.toml",
        ),
        (
            "people.toml",
            PEOPLE.replace('backup = "bob"', 'backup = "dave"'),
            ":5:1: people[0].backup",
            "backup 'dave' is not in people.toml",
        ),
        (
            "groups.toml",
            GROUPS.replace('platform = "wecom"', 'platform = "qq"'),
            ":18:1: groups[2].platform",
            "input should be",
        ),
    ],
)
def test_roster_problems_are_positioned_and_check_reports_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, text: str, where: str, message: str
) -> None:
    directory = team_dir(tmp_path)
    write(directory, file, text)
    library = load_library([Source(directory, "team")])
    problems = [str(p) for p in library.problems]
    assert any(where in p and message in p for p in problems), problems
    assert main(["--playbooks", str(directory), "check"]) == 1
    assert message in capsys.readouterr().out


def test_a_team_without_a_roster_runs_per_group_steps_as_ordinary_steps(tmp_path: Path) -> None:
    directory = tmp_path / "playbooks"
    write(directory, "morning.toml", ROUND)
    recorder = recorder_for(tmp_path, load_library([Source(directory, "team")]))
    run_id = recorder.routine_run("morning").run_id
    state = recorder.complete(run_id, "welcome")
    assert state.steps["welcome"].status == "done" and not state.steps["welcome"].per_group


def test_roster_schemas_are_in_sync() -> None:
    for kind in ("groups", "people"):
        committed = (REPO / "schema" / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert committed == roster_schema_json(kind), f"run: soptui schema {kind} > schema/{kind}.schema.json"


# -- per-group steps ----------------------------------------------------------------------------


def test_a_per_group_step_is_done_when_every_group_is_done_or_skipped(tmp_path: Path) -> None:
    recorder = recorder_with_roster(tmp_path)
    run_id = recorder.routine_run("morning").run_id
    state = recorder.state(run_id)
    assert state.steps["welcome"].expected == ["sh-1", "new-1"]  # narrowed by tag
    assert state.steps["sweep"].expected == ["sh-1", "new-1", "vip"]
    assert not state.steps["report"].expected  # an ordinary step runs for no group
    with pytest.raises(ActionError, match="name the group"):
        recorder.complete(run_id, "welcome")
    with pytest.raises(ActionError, match=r"no group 'sh1'.*did you mean sh-1"):
        recorder.complete(run_id, "welcome", group="sh1")
    with pytest.raises(ActionError, match="no group 'vip'"):
        recorder.complete(run_id, "welcome", group="vip")  # not a 新人群 or 城市群
    state = recorder.complete(run_id, "welcome", group="sh-1")
    assert state.steps["welcome"].status == "pending" and state.steps["welcome"].groups_left == ["new-1"]
    with pytest.raises(ActionError, match="sh-1 was already done by alice"):
        recorder.complete(run_id, "welcome", group="sh-1")
    with pytest.raises(ActionError, match="needs a reason"):
        recorder.skip(run_id, "welcome", group="new-1")
    state = recorder.skip(run_id, "welcome", "群已解散", group="new-1")
    assert state.steps["welcome"].status == "done"
    assert state.steps["welcome"].groups["new-1"].reason == "群已解散"
    state, undone = recorder.undo(run_id)
    assert undone.group_id == "new-1" and state.steps["welcome"].status == "pending"


def test_per_group_values_and_ticking_all_remaining(tmp_path: Path) -> None:
    recorder = recorder_with_roster(tmp_path)
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "sweep", "3", group="vip")
    state = recorder.complete_groups(run_id, "sweep", ["sh-1", "new-1"], "0")
    sweep = state.steps["sweep"]
    assert sweep.status == "done"
    assert {g: m.value for g, m in sweep.groups.items()} == {"vip": 3, "sh-1": 0, "new-1": 0}
    events = [e for e in recorder.journal.events_between() if e.kind == "step.done"]
    assert sorted(e.group_id for e in events) == ["new-1", "sh-1", "vip"]  # one event per group
    with pytest.raises(ActionError, match="already done"):
        recorder.complete_groups(run_id, "sweep", ["vip"], "1")


def test_the_cli_records_group_ticks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = team_dir(tmp_path)
    base = ["--journal", str(tmp_path / "j.sqlite3"), "--playbooks", str(directory)]
    assert main([*base, "done", "morning", "sweep", "--group", "vip", "--value", "2"]) == 0
    assert main([*base, "skip", "morning", "welcome", "--group", "new-1", "--reason", "群已解散"]) == 0
    assert main([*base, "done", "morning", "sweep", "--group", "vipp"]) == 1
    assert "did you mean vip" in capsys.readouterr().err
    assert main([*base, "done", "morning", "sweep", "--value", "1"]) == 1
    assert "name the group" in capsys.readouterr().err
    assert main([*base, "journal", "export"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    groups = [(r.get("kind"), r.get("group")) for r in rows if r["type"] == "event" and r.get("step")]
    assert groups == [("step.done", "vip"), ("step.skipped", "new-1")]


def test_groups_survive_export_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = team_dir(tmp_path)
    base = ["--playbooks", str(directory)]
    assert (
        main(
            [
                *base,
                "--journal",
                str(tmp_path / "a.sqlite3"),
                "done",
                "morning",
                "sweep",
                "--group",
                "vip",
                "--value",
                "2",
            ]
        )
        == 0
    )
    export = tmp_path / "out.jsonl"
    assert (
        main([*base, "--journal", str(tmp_path / "a.sqlite3"), "journal", "export", "-o", str(export)]) == 0
    )
    assert main([*base, "--journal", str(tmp_path / "b.sqlite3"), "journal", "import", str(export)]) == 0
    with Journal.open(tmp_path / "b.sqlite3", readonly=True) as journal:
        assert [e.group_id for e in journal.events_between() if e.kind == "step.done"] == ["vip"]


def test_a_version_2_journal_is_migrated_with_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for version in (1, 2):
        for statement in MIGRATIONS[version]:
            db.execute(statement)
    db.execute(
        "INSERT INTO events (uuid, at, recorded_at, operator, login, host, kind, payload) "
        "VALUES ('u1', '2026-11-23T01:00:00.000000Z', '2026-11-23T01:00:00.000000Z', 'a', 'a', 'h', 'note', "
        '\'{"text":"kept"}\')'
    )
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    assert SCHEMA_VERSION >= 3
    with Journal.open(path) as journal:
        [event] = list(journal.events_between())
        assert event.payload["text"] == "kept" and event.group_id is None
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["done", "skip", "undo"]), st.sampled_from(["sh-1", "new-1", "vip"])),
        max_size=14,
    )
)
def test_random_group_ticks_skips_and_undos_never_lose_or_double_count(
    tmp_path_factory: pytest.TempPathFactory, actions: list[tuple[str, str]]
) -> None:
    recorder = recorder_with_roster(tmp_path_factory.mktemp("groups"))
    run_id = recorder.routine_run("morning").run_id
    model: list[tuple[str, str]] = []  # the marks still standing, in order: (group, kind)
    for kind, group in actions:
        marked = {g for g, _ in model}
        try:
            if kind == "done":
                recorder.complete(run_id, "sweep", "1", group=group)
                assert group not in marked
                model.append((group, "done"))
            elif kind == "skip":
                recorder.skip(run_id, "sweep", "gone", group=group)
                assert group not in marked
                model.append((group, "skipped"))
            else:
                _state, undone = recorder.undo(run_id)
                assert model and undone.group_id == model[-1][0]
                model.pop()
        except ActionError:
            assert (
                (kind != "undo" and group in marked)
                or (kind == "undo" and not model)
                or (len(marked) == 3 and kind != "undo")
            )
    sweep = recorder.state(run_id).steps["sweep"]
    assert {g: m.status for g, m in sweep.groups.items()} == dict(model)
    assert sweep.status == ("done" if len(model) == 3 else "pending")


# -- the review's groups section ------------------------------------------------------------------


def test_review_groups_by_hand(tmp_path: Path) -> None:
    from soptui.review import build_review, week_range
    from soptui.review.render import render_csv, render_json, render_text

    recorder = recorder_with_roster(tmp_path)
    clock = recorder.clock
    monday = recorder.routine_run("morning").run_id
    recorder.complete(monday, "welcome", group="sh-1")
    recorder.complete(monday, "sweep", "3", group="vip")
    recorder.complete(monday, "sweep", "1", group="sh-1")
    clock.advance(days=1)  # type: ignore[attr-defined]
    tuesday = recorder.routine_run("morning").run_id
    recorder.complete(tuesday, "sweep", "2", group="vip")
    review = build_review(recorder.ledger, week_range("2026-W48"))
    by_id = {g.group_id: g for g in review.groups}
    assert [g.group_id for g in review.groups] == ["new-1", "sh-1", "vip"]  # least complete first
    assert (by_id["sh-1"].done, by_id["sh-1"].expected) == (2, 4)  # 2 runs x (welcome + sweep)
    assert (by_id["new-1"].done, by_id["new-1"].expected, by_id["new-1"].last_touched) == (0, 4, None)
    assert (by_id["vip"].done, by_id["vip"].expected) == (2, 2)  # sweep only: not a 新人群 or 城市群
    assert by_id["vip"].values == {"spam.removed": 5.0} and by_id["sh-1"].values == {"spam.removed": 1.0}
    owners = {o.owner: (o.groups, o.done, o.expected) for o in review.owners}
    assert owners == {"alice": (2, 4, 6), "bob": (1, 0, 4)}
    data = json.loads(render_json(review))
    assert [g["group"] for g in data["groups"]] == ["new-1", "sh-1", "vip"]
    assert data["group_metrics"]["spam.removed"]["top"][0] == {"group": "vip", "name": "VIP群", "value": 5.0}
    text = render_text(review)
    assert "新人1群 (new-1) 0/4" in text and "not touched: 新人1群" in text
    rows = render_csv(review, "groups").splitlines()
    assert rows[0].startswith("group,name,owner,done,skipped,expected")
    assert len(rows) == 4


# -- sampling and flags at scale -----------------------------------------------------------------

SWEEP = """\
title = "Sweep"
cadence = "daily"

[[steps]]
id = "spam"
title = "Any spam?"
per_group = true
sample = 1
flag_group = true
[steps.input]
type = "yes-no"
"""


def test_a_sampled_step_rotates_and_always_takes_flagged_groups(tmp_path: Path) -> None:
    from soptui.agenda import build_agenda

    directory = team_dir(tmp_path)
    write(directory, "sweep.toml", SWEEP)
    recorder = recorder_for(tmp_path, load_library([Source(directory, "team")]))
    clock = recorder.clock
    seen = []
    for _day in range(3):  # three groups, one a day: each comes round once in three days
        [group] = recorder.state(recorder.routine_run("sweep").run_id).steps["spam"].expected
        seen.append(group)
        clock.advance(days=1)  # type: ignore[attr-defined]
    assert sorted(seen) == ["new-1", "sh-1", "vip"]
    run_id = recorder.routine_run("sweep").run_id
    [today] = recorder.state(run_id).steps["spam"].expected
    recorder.complete(run_id, "spam", "yes", group=today)  # a finding: the group is flagged
    assert [name for name, _ in build_agenda(recorder.ledger).flagged] == [
        recorder.library.roster.group(today).name
    ]  # type: ignore[union-attr]
    clock.advance(days=1)  # type: ignore[attr-defined]
    expected = recorder.state(recorder.routine_run("sweep").run_id).steps["spam"].expected
    assert today in expected and len(expected) == 2  # the day's sample plus the flagged group
    recorder.complete(recorder.routine_run("sweep").run_id, "spam", "no", group=today)  # cleared
    assert build_agenda(recorder.ledger).flagged == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("per_group = true\n", ""), "sample applies to a step done per group"),
        (('type = "yes-no"', 'type = "integer"'), "flag_group needs a yes-no input"),
    ],
)
def test_sample_and_flag_rules_are_positioned(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    directory = tmp_path / "pb"
    write(directory, "sweep.toml", SWEEP.replace(*change))
    problems = [str(p) for p in load_library([Source(directory, "team")]).problems]
    assert any(message in p and "steps[0]." in p for p in problems), problems
