"""``soptui check``, ``list``, ``schema`` and ``new``: the playbook format at the command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from soptui.context import CommandError, Context
from soptui.playbooks.library import Library, Source, add_file, add_goals, load_library
from soptui.playbooks.loader import GOALS_FILE
from soptui.playbooks.models import Cadence
from soptui.playbooks.problems import Problem
from soptui.playbooks.schema import playbook_schema_json
from soptui.playbooks.starter import starter_playbook
from soptui.text import safe_json, table, visible


def check(context: Context, paths: list[Path], as_json: bool) -> int:
    """Validate the library or the given files and directories; 1 if any error."""
    library = _library_for(context, paths) if paths else context.library
    problems = sorted(library.problems, key=lambda p: (str(p.file), p.line, p.column))
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        print(safe_json([p.as_json() for p in problems], indent=2))
    else:
        for problem in problems:
            print(visible(str(problem), newlines=False))
        count = len(library.entries)
        verdict = f"{len(errors)} error(s)" if errors else "no errors"
        print(f"checked {count} playbook(s), {len(library.goals)} goal(s): {verdict}", file=sys.stderr)
    return 1 if errors else 0


def _library_for(context: Context, paths: list[Path]) -> Library:
    """A library of just the given paths; goals are checked against every known metric."""
    library = Library()
    goal_files: list[Path] = []
    today = context.today()
    for path in paths:
        if path.is_dir():
            sub = load_library([Source(path, str(path))], today)
            library.entries.update(sub.entries)
            library.origins.update(sub.origins)
            library.problems.extend(p for p in sub.problems if p.file.name != GOALS_FILE)
            if (path / GOALS_FILE).is_file():
                goal_files.append(path / GOALS_FILE)
        elif path.name == GOALS_FILE:
            goal_files.append(path)
        elif path.exists():
            add_file(library, path, str(path), today)
        else:
            library.problems.append(Problem(path, 1, 1, "no such file or directory"))
    merged = Library({**context.library.entries, **library.entries}, {}, [], library.problems)
    add_goals(merged, goal_files)
    library.goals = merged.goals
    return library


def list_playbooks(context: Context, as_json: bool) -> int:
    library = context.library
    rows = [
        {
            "id": entry.playbook.id,
            "title": entry.playbook.title,
            "cadence": entry.playbook.cadence,
            "steps": len(entry.playbook.steps),
            "origin": library.origins[entry.playbook.id],
            "path": str(entry.path),
        }
        for entry in library
    ]
    if as_json:
        print(safe_json({"playbooks": rows, "problems": [p.as_json() for p in library.problems]}, indent=2))
    else:
        header = [["ID", "TITLE", "CADENCE", "STEPS", "ORIGIN"]]
        body = [
            [
                str(r["id"]),
                visible(str(r["title"]), newlines=False),
                str(r["cadence"]),
                str(r["steps"]),
                str(r["origin"]),
            ]
            for r in rows
        ]
        print(table(header + body))
        for problem in library.problems:
            print(visible(str(problem), newlines=False), file=sys.stderr)
    return 1 if library.errors else 0


def schema() -> int:
    sys.stdout.write(playbook_schema_json())
    return 0


def new(
    context: Context, playbook_id: str, cadence: Cadence, title: str | None, directory: Path | None
) -> int:
    import re

    from soptui.playbooks.fields import ID_PATTERN

    if not re.fullmatch(ID_PATTERN, playbook_id):
        raise CommandError(f"{playbook_id!r} is not a valid id: use lowercase letters, digits and '-'")
    target_dir = directory or context.paths.user_playbooks
    target = target_dir / f"{playbook_id}.toml"
    text = starter_playbook(
        playbook_id, cadence, title or playbook_id.replace("-", " ").capitalize(), str(target)
    )
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        # O_EXCL: never overwrite, and never follow a symlink planted at the path.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        raise CommandError(f"{target} already exists; not overwriting it") from None
    except OSError as error:
        raise CommandError(f"cannot write {target}: {error.strerror or error}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {target}")
    return 0
