"""The library: search order, overrides, duplicates, language, goals, bad files beside good."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soptui.context import Context
from soptui.playbooks.library import Source, bundled_root, load_library
from soptui.playbooks.loader import load_playbook
from soptui.playbooks.schema import playbook_schema_json
from tests.conftest import MINIMAL, REPO, TOML_TEST, write

GOALS = """\
[[goals]]
id = "members-1000"
title = "+1000 members"
metric = "members.new"
target = 1000
by = 2027-01-31
"""
WITH_METRIC = MINIMAL + '[steps.input]\ntype = "integer"\nmetric = "members.new"\naggregate = "sum"\n'


def test_later_directory_replaces_same_id(tmp_path: Path) -> None:
    write(tmp_path / "a", "x.toml", MINIMAL)
    write(tmp_path / "b", "x.toml", MINIMAL.replace("Minimal", "Team version"))
    library = load_library([Source(tmp_path / "a", "bundled"), Source(tmp_path / "b", "team")])
    assert library.get("x").title == "Team version"  # type: ignore[union-attr]
    assert library.origins["x"] == "team"


def test_same_id_twice_in_one_directory_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "one.toml", 'id = "same"\n' + MINIMAL)
    write(tmp_path, "two.toml", 'id = "same"\n' + MINIMAL)
    library = load_library([Source(tmp_path, "user")])
    assert [str(p) for p in library.errors] == [
        f"{tmp_path}/two.toml:1:1: id: duplicate playbook id 'same' (also in one.toml)"
    ]
    assert list(library.entries) == ["same"]


def test_one_bad_file_never_hides_the_good_ones(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", MINIMAL)
    write(tmp_path, "bad.toml", "title = \n")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    library = load_library([Source(tmp_path, "user")])
    assert list(library.entries) == ["good"]
    assert sorted(p.file.name for p in library.errors) == ["bad.toml", "binary.toml"]


def test_goals_must_name_a_defined_metric(tmp_path: Path) -> None:
    write(tmp_path, "data.toml", WITH_METRIC)
    write(
        tmp_path,
        "goals.toml",
        GOALS + GOALS.replace("members-1000", "g2").replace("members.new", "nope"),
    )
    library = load_library([Source(tmp_path, "user")])
    assert [g.id for g in library.goals] == []
    [problem] = library.errors
    assert "goals[1].metric: no step defines metric 'nope' (known: members.new)" in str(problem)
    assert str(problem).startswith(f"{tmp_path}/goals.toml:10:1")
    write(tmp_path, "goals.toml", GOALS)
    assert [g.id for g in load_library([Source(tmp_path, "user")]).goals] == ["members-1000"]


def test_search_path_order_and_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPTUI_PLAYBOOKS", f"{tmp_path / 'env1'}:{tmp_path / 'env2'}")
    context = Context.create(playbooks=[tmp_path / "opt"], language="en")
    sources = context.sources()
    assert sources[0] == Source(bundled_root() / "en", "bundled")
    assert sources[1].origin == "user"
    assert [s.directory for s in sources[2:]] == [
        tmp_path / "env1",
        tmp_path / "env2",
        tmp_path / "opt",
    ]
    assert Context.create(language="zh").sources()[0].directory == bundled_root()
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert Context.create().language == "zh"
    monkeypatch.setenv("LANG", "C")
    assert Context.create().language == "en"


def test_config_language_and_bad_config(isolated_env: Path) -> None:
    config = isolated_env / "config"
    write(config, "config.toml", 'language = "zh"\ntimezone = "Asia/Shanghai"\n')
    context = Context.create()
    assert context.language == "zh" and str(context.zone) == "Asia/Shanghai"
    write(config, "config.toml", 'timezone = "Mars/Olympus"\ncolor = 1\n')
    problems = [str(p) for p in Context.create().library.problems]
    assert any("config.toml:1:1: timezone: unknown time zone 'Mars/Olympus'" in p for p in problems)
    assert any("config.toml:2:1: color: unknown key 'color'" in p for p in problems)


def test_toml_test_corpus_is_refused_with_positions(tmp_path: Path) -> None:
    corpus = sorted((TOML_TEST / "invalid").rglob("*.toml"))
    assert len(corpus) == 499
    for path in corpus:
        loaded, problems = load_playbook(path)
        assert loaded is None, path
        assert problems and problems[0].line >= 1 and problems[0].column >= 1, path
        assert str(problems[0]).startswith(f"{path}:{problems[0].line}:{problems[0].column}: ")


def test_corpus_beside_good_playbooks_still_loads_the_good(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", MINIMAL)
    for index, path in enumerate(sorted((TOML_TEST / "invalid" / "table").glob("*.toml"))):
        (tmp_path / f"bad-{index}.toml").write_bytes(path.read_bytes())
    library = load_library([Source(tmp_path, "user")])
    assert list(library.entries) == ["good"]
    assert len(library.errors) == len(list(tmp_path.glob("bad-*.toml")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    'title = "x"',
                    'cadence = "daily"',
                    "[[steps]]",
                    'id = "a"',
                    'title = "t"',
                    "[steps.input]",
                    'type = "integer"',
                    "when = 'a'",
                    "[due]",
                    'time = "10:00"',
                    "x = {",
                    "]",
                    '"',
                    "steps = 3",
                    "[[steps.snippets]]",
                    'text = "{a}"',
                ]
            ),
            max_size=15,
        ).map("\n".join),
    )
)
def test_no_file_content_raises(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "fuzz.toml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    loaded, problems = load_playbook(path)
    assert (loaded is None) == bool(problems)
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1


def test_schema_file_is_in_sync() -> None:
    committed = (REPO / "schema" / "playbook.schema.json").read_text(encoding="utf-8")
    assert committed == playbook_schema_json(), "run: soptui schema > schema/playbook.schema.json"
    assert json.loads(committed)["properties"]["cadence"]["enum"] == [
        "daily",
        "weekly",
        "monthly",
        "sequence",
        "incident",
    ]


def test_unreadable_directory_is_a_problem_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "good", "ok.toml", MINIMAL)
    locked = tmp_path / "locked"
    locked.mkdir()
    real_iterdir = Path.iterdir

    def iterdir(self: Path):  # type: ignore[no-untyped-def]
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    library = load_library([Source(tmp_path / "good", "user"), Source(locked, "team")])
    assert list(library.entries) == ["ok"]
    assert [str(p) for p in library.errors] == [
        f"{locked}:1:1: cannot read this playbook directory: Permission denied"
    ]
