"""Noticing that the team's playbook or roster files changed, and saying what changed.

A running app compares a cheap stamp of every file on the search path (path, mtime, size)
every few seconds; when it differs, the library is loaded again and swapped in. Runs in
progress keep the version they started with (the journal stores each version by hash).
"""

from __future__ import annotations

from collections.abc import Iterable

from soptui.i18n import _
from soptui.playbooks.library import Library, Source

Stamp = frozenset[tuple[str, int, int]]


def stamp(sources: Iterable[Source]) -> Stamp:
    """What the search path's TOML files look like now (a file that vanishes mid-way is left out)."""
    found: set[tuple[str, int, int]] = set()
    for source in sources:
        try:
            paths = sorted(source.directory.glob("*.toml"))
        except OSError:
            continue
        for path in paths:
            try:
                info = path.stat()
            except OSError:
                continue
            found.add((str(path), info.st_mtime_ns, info.st_size))
    return frozenset(found)


def changes(old: Library, new: Library) -> list[str]:
    """What an operator should be told about the new library, one line each."""
    lines = []
    for playbook_id in sorted(new.entries.keys() - old.entries.keys()):
        lines.append(_("new playbook: {title}").format(title=new.entries[playbook_id].playbook.title))
    for playbook_id in sorted(old.entries.keys() - new.entries.keys()):
        lines.append(_("playbook removed: {title}").format(title=old.entries[playbook_id].playbook.title))
    for playbook_id in sorted(old.entries.keys() & new.entries.keys()):
        before, after = old.entries[playbook_id], new.entries[playbook_id]
        if before.content_hash != after.content_hash:
            lines.append(
                _("playbook changed: {title} (runs in progress keep their version)").format(
                    title=after.playbook.title
                )
            )
    if (old.roster.groups, old.roster.people) != (new.roster.groups, new.roster.people):
        lines.append(
            _("the roster changed: {groups} groups, {people} people").format(
                groups=len(new.roster.active()), people=len(new.roster.people)
            )
        )
    if len(new.errors) > len(old.errors):
        lines.append(_("a playbook file has problems now: soptui check says where"))
    return lines
