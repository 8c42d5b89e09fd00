"""The cache of validated playbooks (issue 13): hits equal fresh loads, anything changed or
untrusted is validated again, and a warm start never imports pydantic."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from soptui.playbooks import models, roster, spec, workdays
from soptui.playbooks.cache import CACHE_FILE, ValidatedCache, code_version
from soptui.playbooks.library import Library, Source, bundled_source, load_library
from tests.conftest import MINIMAL, write

GOALS = """\
[[goals]]
id = "grow"
title = "Grow"
metric = "team.newcomers"
target = 100
by = 2027-03-31
"""

COUNTED = """\
title = "Counted"
cadence = "weekly"
reviewed = 2020-01-01
review_every = "90d"

[due]
weekday = "fri"
time = "17:00"

[[steps]]
id = "count"
title = "Count the newcomers"
estimate = "25m"
links = ["https://example.com"]

[steps.input]
type = "integer"
min = 0
metric = "team.newcomers"
aggregate = "sum"
"""

GROUPS = """\
[[groups]]
id = "sh-1"
name = "上海1群"
owner = "alice"
created = 2025-01-02
"""

PEOPLE = """\
[[people]]
id = "alice"
name = "Alice"
roles = ["管理员"]
"""

CALENDAR = """\
[[days_off]]
date = 2026-12-24
name = "团建"
"""


def team_files(directory: Path) -> Path:
    """A directory with a playbook that warns, goals, a roster and a calendar."""
    write(directory, "minimal.toml", MINIMAL)
    write(directory, "counted.toml", COUNTED)
    write(directory, "goals.toml", GOALS)
    write(directory, "groups.toml", GROUPS)
    write(directory, "people.toml", PEOPLE)
    write(directory, "calendar.toml", CALENDAR)
    return directory


def sources(directory: Path) -> list[Source]:
    return [bundled_source("en"), Source(directory, "team")]


def load(directory: Path, cache_dir: Path | None) -> tuple[Library, ValidatedCache]:
    cache = ValidatedCache.open(cache_dir)
    return load_library(sources(directory), date(2026, 12, 2), cache), cache


def same(a: Library, b: Library) -> None:
    assert list(a.entries) == list(b.entries)
    for key, entry in a.entries.items():
        other = b.entries[key]
        assert entry.playbook == other.playbook
        assert entry.content_hash == other.content_hash
        assert entry.playbook.model_dump_json() == other.playbook.model_dump_json()
        assert entry.warnings == other.warnings
    assert a.goals == b.goals
    assert a.roster.groups == b.roster.groups and a.roster.people == b.roster.people
    assert a.calendar.days_off == b.calendar.days_off
    assert a.problems == b.problems


def test_a_hit_gives_what_a_fresh_load_gives(tmp_path: Path) -> None:
    directory = team_files(tmp_path / "team")
    fresh = load_library(sources(directory), date(2026, 12, 2))
    first, cold = load(directory, tmp_path / "cache")
    assert cold.hits == 0 and (tmp_path / "cache" / CACHE_FILE).exists()
    second, warm = load(directory, tmp_path / "cache")
    assert warm.misses == 0 and warm.hits == len(fresh.entries) + 4  # goals, groups, people, calendar
    same(fresh, first)
    same(fresh, second)
    counted = second.get("counted")
    assert counted is not None and counted.due is not None
    assert str(counted.due.time) == "17:00:00" and counted.steps[0].links == ["https://example.com/"]
    # The stale-review warning is worked out again on a hit, at the same place in the file.
    assert [(p.key, p.line, p.severity) for p in second.problems] == [("reviewed", 3, "warning")]


def test_a_hit_is_the_same_for_every_bundled_playbook(tmp_path: Path) -> None:
    for language in ("zh", "en"):
        fresh = load_library([bundled_source(language)])
        load_library([bundled_source(language)], None, ValidatedCache.open(tmp_path))
        cache = ValidatedCache.open(tmp_path)
        warm = load_library([bundled_source(language)], None, cache)
        assert cache.misses == 0 and cache.hits > 15
        same(fresh, warm)


def test_an_edited_file_of_the_same_size_and_mtime_is_validated_again(tmp_path: Path) -> None:
    directory = team_files(tmp_path / "team")
    load(directory, tmp_path / "cache")
    path = directory / "minimal.toml"
    before = path.stat()
    path.write_text(MINIMAL.replace("Step one", "Step 1st"), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
    assert path.stat().st_size == before.st_size
    library, cache = load(directory, tmp_path / "cache")
    assert cache.misses == 1
    minimal = library.get("minimal")
    assert minimal is not None and minimal.steps[0].title == "Step 1st"


def test_a_file_made_invalid_is_reported_not_served_from_the_cache(tmp_path: Path) -> None:
    directory = team_files(tmp_path / "team")
    load(directory, tmp_path / "cache")
    (directory / "minimal.toml").write_text(MINIMAL.replace('"daily"', '"hourly"'), encoding="utf-8")
    for _ in range(2):  # a file with a problem is never cached: reported on every load
        library, _cache = load(directory, tmp_path / "cache")
        assert library.get("minimal") is None
        assert [p.key for p in library.errors] == ["cadence"]


def test_a_goal_whose_metric_went_away_is_a_problem_on_a_hit_too(tmp_path: Path) -> None:
    directory = team_files(tmp_path / "team")
    load(directory, tmp_path / "cache")
    (directory / "counted.toml").unlink()
    library, cache = load(directory, tmp_path / "cache")
    assert cache.misses == 0  # goals.toml itself is unchanged: its rules run on the cached goals
    assert [(p.file.name, p.key, p.line) for p in library.errors] == [("goals.toml", "goals[0].metric", 4)]


def test_a_cache_of_another_version_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = team_files(tmp_path / "team")
    load(directory, tmp_path / "cache")
    monkeypatch.setattr("soptui.playbooks.cache.__version__", "99.0")
    assert code_version() != json.loads((tmp_path / "cache" / CACHE_FILE).read_text())["version"]
    library, cache = load(directory, tmp_path / "cache")
    assert cache.hits == 0
    assert json.loads((tmp_path / "cache" / CACHE_FILE).read_text())["version"] == code_version()
    assert load(directory, tmp_path / "cache")[1].misses == 0
    same(library, load_library(sources(directory), date(2026, 12, 2)))


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe", b"[]", b'{"format": 1}', b"1e999999"])
def test_a_corrupt_cache_is_ignored_and_replaced(tmp_path: Path, content: bytes) -> None:
    directory = team_files(tmp_path / "team")
    cache_file = tmp_path / "cache" / CACHE_FILE
    write(tmp_path / "cache", CACHE_FILE, "")
    cache_file.write_bytes(content)
    cache_file.chmod(0o600)
    library, cache = load(directory, tmp_path / "cache")
    assert cache.hits == 0 and library.get("minimal") is not None
    assert json.loads(cache_file.read_text())["version"] == code_version()


def test_a_broken_entry_is_validated_again(tmp_path: Path) -> None:
    directory = team_files(tmp_path / "team")
    load(directory, tmp_path / "cache")
    cache_file = tmp_path / "cache" / CACHE_FILE
    data = json.loads(cache_file.read_text())
    for key, entry in data["entries"].items():
        entry["value"] = "{}" if key.startswith("Playbook:") else {"groups": [{"id": 1}]}
    cache_file.write_text(json.dumps(data))
    library, _cache = load(directory, tmp_path / "cache")
    same(library, load_library(sources(directory), date(2026, 12, 2)))


def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A warm cache whose entry for minimal.toml says something the file does not."""
    directory = team_files(tmp_path / "team")
    load(directory, tmp_path / "cache")
    cache_file = tmp_path / "cache" / CACHE_FILE
    data = json.loads(cache_file.read_text())
    key = f"Playbook:{directory / 'minimal.toml'}"
    data["entries"][key]["value"] = data["entries"][key]["value"].replace("Step one", "Planted")
    cache_file.write_text(json.dumps(data))
    return directory, cache_file


def test_the_cache_is_what_it_says_when_trusted(tmp_path: Path) -> None:
    directory, _cache_file = planted(tmp_path)  # (proves the planted entry would be used if trusted)
    minimal = load(directory, tmp_path / "cache")[0].get("minimal")
    assert minimal is not None and minimal.steps[0].title == "Planted"


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_group_or_world_writable_cache_file_is_ignored_and_rewritten_private(
    tmp_path: Path, mode: int
) -> None:
    directory, cache_file = planted(tmp_path)
    cache_file.chmod(mode)
    library, cache = load(directory, tmp_path / "cache")
    minimal = library.get("minimal")
    assert cache.hits == 0 and minimal is not None and minimal.steps[0].title == "Step one"
    assert cache_file.stat().st_mode & 0o777 == 0o600
    assert "Planted" not in cache_file.read_text()


def test_a_writable_cache_directory_is_neither_read_nor_written(tmp_path: Path) -> None:
    directory, cache_file = planted(tmp_path)
    (tmp_path / "cache").chmod(0o777)
    before = cache_file.read_bytes()
    library, cache = load(directory, tmp_path / "cache")
    minimal = library.get("minimal")
    assert cache.hits == 0 and minimal is not None and minimal.steps[0].title == "Step one"
    assert cache_file.read_bytes() == before


def test_a_link_at_the_cache_file_is_not_followed(tmp_path: Path) -> None:
    directory, cache_file = planted(tmp_path)
    elsewhere = tmp_path / "elsewhere.json"
    cache_file.rename(elsewhere)
    cache_file.symlink_to(elsewhere)
    library, cache = load(directory, tmp_path / "cache")
    minimal = library.get("minimal")
    assert cache.hits == 0 and minimal is not None and minimal.steps[0].title == "Step one"
    assert not cache_file.is_symlink() and "Planted" in elsewhere.read_text()  # replaced, not written through


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_cache_owned_by_another_user_is_ignored(tmp_path: Path) -> None:
    directory, cache_file = planted(tmp_path)
    os.chown(cache_file, 65534, 65534)
    library, cache = load(directory, tmp_path / "cache")
    minimal = library.get("minimal")
    assert cache.hits == 0 and minimal is not None and minimal.steps[0].title == "Step one"
    assert cache_file.stat().st_uid == os.geteuid()  # replaced by this user's own
    os.chown(tmp_path / "cache", 65534, 65534)
    planted_again = load(directory, tmp_path / "cache")[1]
    assert planted_again.hits == 0 and not planted_again.writable


def test_a_new_cache_directory_is_private(tmp_path: Path) -> None:
    directory = team_files(tmp_path / "team")
    load(directory, tmp_path / "deep" / "cache")
    assert (tmp_path / "deep" / "cache").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "deep" / "cache" / CACHE_FILE).stat().st_mode & 0o777 == 0o600


def test_no_cache_directory_means_no_cache(tmp_path: Path) -> None:
    directory = team_files(tmp_path / "team")
    library, cache = load(directory, None)
    assert cache.hits == cache.misses == 0 and not cache.save()
    same(library, load_library(sources(directory), date(2026, 12, 2)))


@pytest.mark.parametrize(
    ("plain", "model"),
    [
        (models.Due, spec.Due),
        (models.InputSpec, spec.InputSpec),
        (models.Snippet, spec.Snippet),
        (models.Step, spec.Step),
        (models.Playbook, spec.Playbook),
        (models.Goal, spec.Goal),
        (models.GoalsFile, spec.GoalsFile),
        (roster.Group, spec.Group),
        (roster.Person, spec.Person),
        (roster.GroupsFile, spec.GroupsFile),
        (roster.PeopleFile, spec.PeopleFile),
        (workdays.DayOff, spec.DayOff),
        (workdays.CalendarFile, spec.CalendarFile),
    ],
)
def test_each_plain_model_has_the_fields_of_its_pydantic_model(plain: type, model: type) -> None:
    assert [f.name for f in dataclasses.fields(plain)] == list(model.model_fields)  # type: ignore[attr-defined]
    defaults = {
        f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        for f in dataclasses.fields(plain)
    }
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        if not info.is_required():
            assert defaults[name] == info.get_default(call_default_factory=True), name


def test_plain_settings_have_the_fields_of_the_pydantic_settings() -> None:
    from soptui import config, config_spec

    names = [f.name for f in dataclasses.fields(config.Settings) if f.name != "model_fields_set"]
    assert names == list(config_spec.Settings.model_fields)
    assert config.Settings() == config.Settings.from_data(config_spec.Settings().model_dump(mode="json"))


CONFIG = """\
operator = "alice"
timezone = "Asia/Shanghai"
enabled = ["starter"]

[severities]
P1 = "  act now  "
"""


def test_settings_from_the_cache_are_the_settings_validated(tmp_path: Path) -> None:
    from soptui.config import load_settings

    path = write(tmp_path, "config.toml", CONFIG)
    fresh, problems = load_settings(path)
    assert not problems and fresh.severities == {"P1": "act now"}
    cold = ValidatedCache.open(tmp_path / "cache")
    assert load_settings(path, cold) == (fresh, []) and cold.save()
    warm = ValidatedCache.open(tmp_path / "cache")
    settings, problems = load_settings(path, warm)
    assert warm.hits == 1 and (settings, problems) == (fresh, [])
    assert (
        settings.model_fields_set
        == fresh.model_fields_set
        == {"operator", "timezone", "enabled", "severities"}
    )
    # A settings file with a problem is validated (and the problem said) every time.
    bad = write(tmp_path, "bad.toml", CONFIG.replace("Asia/Shanghai", "Mars/Olympus"))
    for _ in range(2):
        cache = ValidatedCache.open(tmp_path / "cache")
        assert load_settings(bad, cache)[1] and cache.hits == 0
        cache.save()


def test_what_start_up_imports_needs_no_pydantic() -> None:
    """The modules the app imports before its first frame: pydantic only comes with spec.py."""
    code = (
        "import sys\n"
        "import soptui.cli, soptui.context, soptui.agenda, soptui.commands.app_commands\n"
        "import soptui.tui.app, soptui.tui.services\n"
        "print('pydantic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr


WARM = """
import sys
from soptui.cli import main
code = main(sys.argv[1:])
print("pydantic" in sys.modules, code)
"""


def test_a_warm_start_never_imports_pydantic(tmp_path: Path) -> None:
    """`soptui due` reads the settings (a config.toml), the library (bundled, and a directory
    with goals, a roster and a calendar) and the journal, and builds Today's agenda: what the
    app does before its first frame. With a warm cache none of it needs pydantic."""
    directory = team_files(tmp_path / "team")
    write(Path(os.environ["SOPTUI_CONFIG_DIR"]), "config.toml", CONFIG.replace('enabled = ["starter"]', ""))
    env = {
        **os.environ,
        "SOPTUI_PLAYBOOKS": str(directory),
        "SOPTUI_JOURNAL": str(tmp_path / "journal.sqlite3"),
        "SOPTUI_OPERATOR": "alice",
    }
    command = [sys.executable, "-c", WARM, "--language", "en", "due"]
    cold = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert cold.stdout.splitlines()[-1] == "True 0", cold.stderr  # the first start validates
    warm = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert warm.stdout.splitlines()[-1] == "False 0", warm.stderr
    assert "Counted" in warm.stdout
    (directory / "minimal.toml").write_text(MINIMAL + "\n", encoding="utf-8")
    changed = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert changed.stdout.splitlines()[-1] == "True 0"  # one file changed: validated again


def test_a_playbook_rebuilt_from_the_cache_has_every_field_as_its_constructor_would() -> None:
    """Steps and playbooks are rebuilt without the dataclass ``__init__`` (for speed): each
    must still hold every field, and equal what the constructor builds from those fields."""
    library = load_library([bundled_source("zh"), bundled_source("en")], date(2026, 12, 2))
    rebuilt = [models.Playbook.from_json(e.playbook.model_dump_json()) for e in library.entries.values()]
    assert len(rebuilt) >= 19
    for playbook in rebuilt:
        for built in [playbook, *playbook.steps]:
            names = {f.name for f in dataclasses.fields(built)}
            assert names <= set(vars(built)), names - set(vars(built))
            assert dataclasses.replace(built) == built


def test_a_playbook_from_the_cache_shares_the_cached_text_as_utf8_bytes(tmp_path: Path) -> None:
    """One copy of each canonical text in memory, in UTF-8 (a Chinese text as ``str`` takes
    two or four bytes a character), and the file still holds it as JSON text."""
    load_library([bundled_source("zh")], None, ValidatedCache.open(tmp_path))
    cache = ValidatedCache.open(tmp_path)
    library = load_library([bundled_source("zh")], None, cache)
    for entry in library.entries.values():
        text = entry.playbook.canonical_bytes()
        key = next(k for k in cache.entries if k == f"Playbook:{entry.path.resolve()}")
        assert isinstance(text, bytes) and cache.entries[key]["value"] is text
        assert entry.playbook.model_dump_json() == text.decode()
    on_disk = json.loads((tmp_path / CACHE_FILE).read_text(encoding="utf-8"))
    assert all(
        isinstance(e["value"], str) for k, e in on_disk["entries"].items() if k.startswith("Playbook:")
    )
