"""``soptui check``, ``list``, ``schema`` and ``new``: the playbook format at the command line."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import tomli_w

from soptui.context import CommandError, Context, UsageError
from soptui.files import create_new
from soptui.i18n import _
from soptui.playbooks.library import Library, Source, add_file, add_goals, load_library, trusted_file
from soptui.playbooks.loader import GOALS_FILE
from soptui.playbooks.models import Cadence
from soptui.playbooks.problems import Problem
from soptui.playbooks.schema import playbook_schema_json, roster_schema_json
from soptui.playbooks.starter import starter_playbook
from soptui.playbooks.workdays import CALENDAR_FILE, load_calendar
from soptui.text import safe_json, table, visible


def check(context: Context, paths: list[Path], as_json: bool) -> int:
    """Validate the library or the given files and directories; 1 if any error.

    Without paths the report includes the ignored settings of config.toml (already among the
    library's problems); with paths they are only warned about, on stderr.
    """
    for line in context.take_warnings(problems=bool(paths)):
        print(_("soptui: warning: {line}").format(line=line), file=sys.stderr)
    library = _library_for(context, paths) if paths else context.library
    problems = sorted(library.problems, key=lambda p: (str(p.file), p.line, p.column))
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        print(safe_json([p.as_json() for p in problems], indent=2))
    else:
        for problem in problems:
            print(visible(str(problem), newlines=False))
        count = len(library.entries)
        verdict = _("{n} error(s)").format(n=len(errors)) if errors else _("no errors")
        print(
            _("checked {count} playbook(s), {goals} goal(s): {verdict}").format(
                count=count, goals=len(library.goals), verdict=verdict
            ),
            file=sys.stderr,
        )
    return 1 if errors else 0


def _shared_source(context: Context, directory: Path) -> Source | None:
    """The shared source (the team's playbooks) that ``directory`` is, if it is one."""
    for source in context.sources():
        if not source.shared:
            continue
        try:
            if os.path.samefile(source.directory, directory):
                return source
        except OSError:
            continue
    return None


def _library_for(context: Context, paths: list[Path]) -> Library:
    """A library of just the given paths; goals are checked against every known metric.

    A team directory, or a file in one, gets the same trust checks as in ``list`` and the
    app: symbolic links, world-writable files and files owned by outsiders are reported and
    not followed.
    """
    library = Library()
    goal_files: list[Path] = []
    today = context.today()
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shared = _shared_source(context, path)
            source = Source(path, str(path), shared=True, group=shared.trust_gid()) if shared else None
            sub = load_library([source or Source(path, str(path))], today)
            library.entries.update(sub.entries)
            library.origins.update(sub.origins)
            library.problems.extend(p for p in sub.problems if p.file.name != GOALS_FILE)
            goals = path / GOALS_FILE
            if source is not None and trusted_file(library, goals, source) is None:
                continue
            if goals.exists() or goals.is_symlink():
                goal_files.append(goals)
            continue
        shared = _shared_source(context, path.parent) if path.parent.is_dir() else None
        if shared is not None and trusted_file(library, path, shared) is None:
            continue
        if path.is_dir():
            sub = load_library([Source(path, str(path))], today)  # your own link to a directory
            library.entries.update(sub.entries)
            library.origins.update(sub.origins)
            library.problems.extend(sub.problems)
        elif path.name == GOALS_FILE:
            goal_files.append(path)
        elif path.name == CALENDAR_FILE:
            library.problems.extend(load_calendar(path)[1])
        elif path.exists() or path.is_symlink():
            add_file(library, path, str(path), today)
        else:
            library.problems.append(Problem(path, 1, 1, _("no such file or directory")))
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
        header = [[_("ID"), _("TITLE"), _("CADENCE"), _("STEPS"), _("ORIGIN")]]
        body = [
            [
                visible(_(str(r[key])) if key in ("cadence", "origin") else str(r[key]), newlines=False)
                for key in ("id", "title", "cadence", "steps", "origin")
            ]
            for r in rows
        ]
        print(table(header + body))
        for problem in library.problems:
            if problem not in context.config_problems:  # those were printed once, as ignored
                print(visible(str(problem), newlines=False), file=sys.stderr)
    # An ignored setting is a warning here (`check` is where it counts as an error).
    return 1 if [p for p in library.errors if p not in context.config_problems] else 0


def schema(kind: str = "playbook") -> int:
    sys.stdout.write(playbook_schema_json() if kind == "playbook" else roster_schema_json(kind))
    return 0


def new(
    context: Context,
    playbook_id: str,
    cadence: Cadence | None,
    title: str | None,
    directory: Path | None,
    source_id: str | None = None,
    force: bool = False,
) -> int:
    """Write a starter playbook, or a copy of ``source_id``'s file, as ``ID.toml``."""
    import re

    from soptui.playbooks.fields import ID_PATTERN

    if not re.fullmatch(ID_PATTERN, playbook_id):
        raise CommandError(
            _("{playbook_id!r} is not a valid id: use lowercase letters, digits and '-'").format(
                playbook_id=playbook_id
            )
        )
    if (cadence is None) == (source_id is None):
        raise UsageError(_("give --cadence for a starter playbook, or --from PLAYBOOK for a copy (not both)"))
    target_dir = directory or context.paths.user_playbooks
    target = target_dir / f"{playbook_id}.toml"
    existing = context.library.entries.get(playbook_id)
    # Copying a playbook under its own id is the way to customise it: that replacement is asked for.
    if existing is not None and not force and source_id != playbook_id and existing.path != target:
        raise CommandError(
            _(
                "a playbook {playbook_id!r} already exists: {title!r} in {path}; "
                "{target} would replace it. Use --from {playbook_id} to start from a "
                "copy of it, --force to write a starter anyway, or choose another id"
            ).format(
                playbook_id=playbook_id, title=existing.playbook.title, path=existing.path, target=target
            )
        )
    if source_id is not None:
        text = _copied_playbook(context, source_id, playbook_id, title)
    else:
        assert cadence is not None
        text = starter_playbook(
            playbook_id, cadence, title or playbook_id.replace("-", " ").capitalize(), str(target)
        )
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        create_new(target, text, 0o644)  # never overwrites, never follows a planted link
    except FileExistsError:
        raise CommandError(_("{target} already exists; not overwriting it").format(target=target)) from None
    except OSError as error:
        raise CommandError(
            _("cannot write {target}: {value}").format(target=target, value=error.strerror or error)
        ) from None
    print(visible(_("wrote {path}").format(path=target), newlines=False))
    return 0


def _copied_playbook(context: Context, source_id: str, playbook_id: str, title: str | None) -> str:
    """The source file of playbook ``source_id`` with its id (and title) set for the copy."""
    entry = context.library.entries.get(source_id)
    if entry is None:
        from difflib import get_close_matches

        close = get_close_matches(source_id, sorted(context.library.entries), n=1)
        if close:
            raise CommandError(
                _("--from {source_id}: no such playbook; did you mean {value!r}?").format(
                    source_id=source_id, value=close[0]
                )
            )
        raise CommandError(
            _("--from {source_id}: no such playbook (soptui list shows them)").format(source_id=source_id)
        )
    try:
        text = entry.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(_("cannot read {path}: {error}").format(path=entry.path, error=error)) from None
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("#:schema"):
        lines = lines[1:]  # a relative schema path means nothing in the new directory
    header = f"# Started from {entry.path} ({entry.playbook.title}) with: soptui new --from {source_id}\n"
    text = header + "".join(lines)
    text = set_top_level_string(text, "id", playbook_id)
    if title is not None:
        text = set_top_level_string(text, "title", title)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CommandError(_("cannot copy {path}: {error}").format(path=entry.path, error=error)) from None
    if data.get("id", playbook_id) != playbook_id or (title is not None and data.get("title") != title):
        raise CommandError(
            _("cannot set the id or title in a copy of {path}; copy and edit it by hand").format(
                path=entry.path
            )
        )
    return text


def set_top_level_string(text: str, key: str, value: str) -> str:
    """``text`` (TOML) with the top-level ``key = "..."`` line set to ``value``.

    Only a one-line basic or literal string before the first table header is replaced;
    without one, the key is added just before that header.
    """
    import re

    line = tomli_w.dumps({key: value})
    pattern = re.compile(rf"^{re.escape(key)}\s*=\s*(\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')[ \t]*(#.*)?$")
    out: list[str] = []
    done = False
    for raw in text.splitlines(keepends=True):
        stripped = raw.strip()
        if not done and stripped.startswith("["):
            out.append(line)
            done = True
        if not done and pattern.match(stripped):
            out.append(line)
            done = True
            continue
        out.append(raw)
    if not done:
        out.append(line)
    return "".join(out)
