"""``soptui groups`` and ``soptui people``: the team's roster, as a table or JSON."""

from __future__ import annotations

import sys

from soptui.context import Context
from soptui.i18n import _
from soptui.playbooks.roster import roster_json
from soptui.text import safe_json, table, visible


def list_roster(context: Context, which: str, as_json: bool) -> int:
    """Print the groups or the people; the roster's problems go to stderr (exit 1)."""
    library = context.library
    roster = library.roster
    problems = [p for p in library.problems if p.file.name in ("groups.toml", "people.toml")]
    if as_json:
        data = roster_json(roster)
        print(safe_json({which: data[which], "problems": [p.as_json() for p in problems]}, indent=2))
    elif which == "groups":
        header = [_("ID"), _("NAME"), _("PLATFORM"), _("OWNER"), _("TAGS"), _("SIZE")]
        rows = [
            [
                g.id + (" " + _("(archived)") if g.archived else ""),
                g.name,
                g.platform,
                roster.name_of(g.owner) if g.owner else "-",
                ", ".join(g.tags) or "-",
                "-" if g.size is None else str(g.size),
            ]
            for g in roster.groups
        ]
        _print_table(header, rows, _("no groups: add a groups.toml beside your playbooks (docs/team.md)"))
    else:
        header = [_("ID"), _("NAME"), _("ROLES"), _("BACKUP"), _("GROUPS")]
        owned = {
            p.id: sum(1 for g in roster.groups if g.owner == p.id and not g.archived) for p in roster.people
        }
        rows = [
            [p.id, p.name, ", ".join(p.roles) or "-", p.backup or "-", str(owned[p.id])]
            for p in roster.people
        ]
        _print_table(header, rows, _("no people: add a people.toml beside your playbooks (docs/team.md)"))
    for problem in problems:
        print(visible(str(problem), newlines=False), file=sys.stderr)
    return 1 if any(p.severity == "error" for p in problems) else 0


def _print_table(header: list[str], rows: list[list[str]], empty: str) -> None:
    if not rows:
        print(empty, file=sys.stderr)
        return
    print(table([header, *[[visible(cell, newlines=False) for cell in row] for row in rows]]))
