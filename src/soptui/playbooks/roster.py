"""The team's roster: its member groups (groups.toml) and its people (people.toml).

Both files live beside the playbooks, on the same search path; the last directory that has
one wins, like goals.toml. They are validated like playbooks: unknown keys, duplicate ids and
an owner or backup who is not a person are problems with ``file:line:col``. A team without
these files has no roster, and per-group steps run as ordinary steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from soptui.i18n import _
from soptui.playbooks.cache import ValidatedCache
from soptui.playbooks.loader import load_plain
from soptui.playbooks.models import Plain
from soptui.playbooks.positions import Path as KeyPath
from soptui.playbooks.problems import Problem

GROUPS_FILE = "groups.toml"
PEOPLE_FILE = "people.toml"
ROSTER_FILES = (GROUPS_FILE, PEOPLE_FILE)

Platform = Literal["wecom", "wechat", "other"]
Role = Literal["社群经理", "内容创作者", "数据分析师", "活动策划", "管理员", "客服"]


@dataclass(frozen=True)
class Group(Plain):
    """One member group the team runs (fields documented in :class:`soptui.playbooks.spec.Group`)."""

    id: str
    name: str
    platform: Platform = "wechat"
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    size: int | None = None
    created: date | None = None
    archived: bool = False

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Group:
        created = data["created"]
        return cls(
            data["id"],
            data["name"],
            data["platform"],
            data["owner"],
            list(data["tags"]),
            data["size"],
            None if created is None else date.fromisoformat(created),
            data["archived"],
        )


@dataclass(frozen=True)
class Person(Plain):
    """A member of the team (fields documented in :class:`soptui.playbooks.spec.Person`)."""

    id: str
    name: str
    roles: list[Role] = field(default_factory=list)
    backup: str | None = None
    contact: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Person:
        return cls(data["id"], data["name"], list(data["roles"]), data["backup"], data["contact"])


@dataclass(frozen=True)
class GroupsFile(Plain):
    """groups.toml: the member groups the team runs."""

    groups: list[Group] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> GroupsFile:
        return cls([Group.from_data(g) for g in data["groups"]])


@dataclass(frozen=True)
class PeopleFile(Plain):
    """people.toml: the people of the team."""

    people: list[Person] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PeopleFile:
        return cls([Person.from_data(p) for p in data["people"]])


ROLE_PLACEHOLDERS: dict[str, str] = {
    "lead": "社群经理",
    "manager": "社群经理",
    "creator": "内容创作者",
    "analyst": "数据分析师",
    "planner": "活动策划",
    "admin": "管理员",
    "agent": "客服",
}
"""Snippet placeholders the roster fills: {admin} becomes the people with that role."""


@dataclass
class Roster:
    """The team's groups and people (empty when the team keeps no roster)."""

    groups: list[Group] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def person(self, login: str) -> Person | None:
        return next((p for p in self.people if p.id == login), None)

    def active(self, tags: Iterable[str] = ()) -> list[Group]:
        """Groups not archived, narrowed to those with one of ``tags`` when any are given."""
        wanted = set(tags)
        return [g for g in self.groups if not g.archived and (not wanted or wanted & set(g.tags))]

    def placeholders(self) -> dict[str, str]:
        """Values for {lead}, {admin}, {agent} …: the people with that role, with their contact."""
        found = {}
        for name, role in ROLE_PLACEHOLDERS.items():
            people = [p for p in self.people if role in p.roles]
            if people:
                found[name] = "、".join(f"{p.name}（{p.contact}）" if p.contact else p.name for p in people)
        return found

    def name_of(self, login: str | None) -> str:
        person = self.person(login or "")
        return person.name if person else (login or "")


def load_roster(
    groups_path: Path | None, people_path: Path | None, cache: ValidatedCache | None = None
) -> tuple[Roster, list[Problem]]:
    """Load and cross-check the two files (either may be absent). A file with problems is not
    used at all: a half-read roster would silently drop groups from every per-group step."""
    roster, problems = Roster(), []
    known: set[str] | None = None
    if people_path is not None:
        people, found = load_plain(people_path, PeopleFile, _people_rules, cache)
        problems += found
        if people is not None:
            roster.people = list(people.people)
            roster.files.append(people_path)
            known = {p.id for p in people.people}
    if groups_path is not None:
        groups, found = load_plain(groups_path, GroupsFile, lambda file: _groups_rules(file, known), cache)
        problems += found
        if groups is not None:
            roster.groups = list(groups.groups)
            roster.files.append(groups_path)
    return roster, problems


def _duplicates(table: str, ids: list[str]) -> list[tuple[KeyPath, str]]:
    seen: set[str] = set()
    found: list[tuple[KeyPath, str]] = []
    for index, item_id in enumerate(ids):
        if item_id in seen:
            found.append(((table, index, "id"), _("duplicate id {id!r}").format(id=item_id)))
        seen.add(item_id)
    return found


def _people_rules(file: PeopleFile) -> list[tuple[KeyPath, str]]:
    found = _duplicates("people", [p.id for p in file.people])
    known = {p.id for p in file.people}
    for index, person in enumerate(file.people):
        if person.backup is not None and person.backup not in known:
            message = _("backup {login!r} is not in {file}").format(login=person.backup, file=PEOPLE_FILE)
            found.append((("people", index, "backup"), message))
    return found


def _groups_rules(file: GroupsFile, people: set[str] | None) -> list[tuple[KeyPath, str]]:
    """Duplicate ids; and, when the team keeps a people.toml, owners who are not in it."""
    found = _duplicates("groups", [g.id for g in file.groups])
    if people is not None:
        for index, group in enumerate(file.groups):
            if group.owner is not None and group.owner not in people:
                message = _("owner {login!r} is not in {file}").format(login=group.owner, file=PEOPLE_FILE)
                found.append((("groups", index, "owner"), message))
    return found


def roster_json(roster: Roster) -> dict[str, Any]:
    """The roster as plain data (``soptui groups --json``, ``soptui people --json``)."""
    return {
        "groups": [g.model_dump(mode="json") for g in roster.groups],
        "people": [p.model_dump(mode="json") for p in roster.people],
    }
