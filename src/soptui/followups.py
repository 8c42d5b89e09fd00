"""Follow-ups: action items recorded in a meeting (what, owner, due), carried until closed.

A step whose input has ``type = "actions"`` records its items inside the completion event's
payload (``actions``: a list of ``{"what", "owner", "due"}``); an item is named by that event's
UUID and its place in the list. Closing or moving one is an ``action.closed`` event naming the
item. Everything here is derived from those events: nothing else stores an item's state.

Typed form, one item per line or separated by ``;``/``；``::

    更新群公告 @xiaoli 12-05; 整理反馈 @amy +3d
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from soptui.events import Event
from soptui.i18n import _

MAX_ITEMS = 50
MAX_WHAT = 300
Outcome = Literal["done", "moved", "dropped"]
OUTCOMES: tuple[Outcome, ...] = ("done", "moved", "dropped")

_SEPARATORS = re.compile(r"[\n;；]+")
_OWNER = re.compile(r"^[@＠](\S+)$")
_RELATIVE = re.compile(r"^\+(\d{1,3})([dw天周])$")


class FollowUpError(ValueError):
    """Typed action items that cannot be read, with the reason for a person."""


@dataclass(frozen=True)
class TypedItem:
    """One action item as typed and checked, before it is recorded."""

    what: str
    owner: str
    due: date

    def to_json(self) -> dict[str, str]:
        return {"what": self.what, "owner": self.owner, "due": self.due.isoformat()}

    def text(self) -> str:
        return f"{self.what} @{self.owner} {self.due.isoformat()}"


@dataclass
class ActionItem:
    """An action item and where it stands now."""

    id: str
    what: str
    owner: str
    due: date
    opened_at: datetime
    opened_by: str
    playbook_id: str | None
    run_id: str | None
    status: Literal["open", "done", "dropped"] = "open"
    closed_at: datetime | None = None
    closed_by: str | None = None
    moves: list[date] = field(default_factory=list)
    """Earlier due dates, oldest first, when the item was moved."""

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due < today

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "what": self.what,
            "owner": self.owner,
            "due": self.due.isoformat(),
            "status": self.status,
            "opened_at": self.opened_at.isoformat(),
            "opened_by": self.opened_by,
            "playbook": self.playbook_id,
            "run": self.run_id,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "closed_by": self.closed_by,
            "moved_from": [d.isoformat() for d in self.moves],
        }


def parse_items(text: str, today: date, default_owner: str, people: dict[str, str]) -> list[TypedItem]:
    """Read typed action items. ``people`` maps each login the team knows to its display name
    (empty: any login-like owner is accepted). Raises FollowUpError naming the item at fault."""
    parts = [p.strip() for p in _SEPARATORS.split(text) if p.strip()]
    if len(parts) > MAX_ITEMS:
        raise FollowUpError(_("at most {n} action items at once").format(n=MAX_ITEMS))
    return [_parse_item(part, number, today, default_owner, people) for number, part in enumerate(parts, 1)]


def _parse_item(part: str, number: int, today: date, default_owner: str, people: dict[str, str]) -> TypedItem:
    words = part.split()
    owner, due = default_owner, None
    while words:
        last = words[-1]
        found_due = parse_due(last, today)
        if found_due is not None and due is None:
            due = found_due
        elif (match := _OWNER.match(last)) is not None and owner is default_owner:
            owner = _owner(match.group(1), number, people)
        else:
            break
        words.pop()
    what = " ".join(words)
    if not what:
        raise FollowUpError(_("item {n}: say what is to be done").format(n=number))
    if len(what) > MAX_WHAT:
        raise FollowUpError(_("item {n}: at most {limit} characters").format(n=number, limit=MAX_WHAT))
    if due is None:
        raise FollowUpError(
            _("item {n}: give a due date at the end, e.g. 12-05, 2026-12-05 or +3d").format(n=number)
        )
    return TypedItem(what, owner, due)


def _owner(word: str, number: int, people: dict[str, str]) -> str:
    if not people:
        if not re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", word):
            raise FollowUpError(_("item {n}: {owner!r} is not a login").format(n=number, owner=word))
        return word
    for login, name in people.items():
        if word in (login, name):
            return login
    known = ", ".join(f"{name} (@{login})" for login, name in people.items())
    raise FollowUpError(
        _("item {n}: nobody called {owner!r} in people.toml; choose one of: {known}").format(
            n=number, owner=word, known=known
        )
    )


def parse_due(word: str, today: date) -> date | None:
    """A due date as typed: 2026-12-05, 12-05, 12/5, +3d, +2w (+3天, +2周); None if not one."""
    if (match := _RELATIVE.match(word)) is not None:
        count, unit = int(match.group(1)), match.group(2)
        return today + timedelta(days=count * (7 if unit in "w周" else 1))
    for pattern in (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", r"^(\d{1,2})[-/](\d{1,2})$"):
        match = re.match(pattern, word)
        if match is None:
            continue
        numbers = [int(g) for g in match.groups()]
        year, month, day = numbers if len(numbers) == 3 else [today.year, *numbers]
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if len(numbers) == 2 and found < today - timedelta(days=60):
            found = found.replace(year=year + 1)  # "01-05" typed in December: next January
        return found
    return None


def items_of(completions: Iterable[Event], closings: Iterable[Event]) -> list[ActionItem]:
    """Every action item recorded by ``completions`` (step.done events not undone), with the
    effect of ``closings`` (action.closed events not undone) applied in journal order."""
    items: dict[str, ActionItem] = {}
    for event in completions:
        for index, raw in enumerate(event.payload.get("actions") or []):
            item = _item(event, index, raw)
            if item is not None:
                items[item.id] = item
    for event in sorted(closings, key=lambda e: (e.at, e.seq)):
        item = items.get(str(event.payload.get("item")))
        if item is None:
            continue
        outcome = event.payload.get("outcome")
        if outcome == "moved":
            moved_to = _date(event.payload.get("due"))
            if moved_to is not None:
                item.moves.append(item.due)
                item.due, item.status, item.closed_at, item.closed_by = moved_to, "open", None, None
        elif outcome in ("done", "dropped"):
            item.status = "done" if outcome == "done" else "dropped"
            item.closed_at, item.closed_by = event.at, event.operator
    return sorted(items.values(), key=lambda i: (i.due, i.opened_at))


def _item(event: Event, index: int, raw: object) -> ActionItem | None:
    if not isinstance(raw, dict):
        return None
    due = _date(raw.get("due"))
    what, owner = raw.get("what"), raw.get("owner")
    if due is None or not isinstance(what, str) or not isinstance(owner, str):
        return None
    return ActionItem(
        id=f"{event.uuid}:{index}",
        what=what,
        owner=owner,
        due=due,
        opened_at=event.at,
        opened_by=event.operator,
        playbook_id=event.playbook_id,
        run_id=event.run_id,
    )


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def find_item(items: list[ActionItem], prefix: str) -> ActionItem:
    """The item whose id starts with ``prefix`` (the first 8 characters are shown)."""
    event_part, _sep, index = prefix.strip().partition(":")
    found = [
        i
        for i in items
        if event_part and i.id.startswith(event_part) and (not index or i.id.endswith(f":{index}"))
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise FollowUpError(_("no action item {id!r}").format(id=prefix))
    raise FollowUpError(_("{id!r} names more than one action item; give more of it").format(id=prefix))


def short_id(item: ActionItem) -> str:
    """How an item is named to a person: the start of its event's UUID and its place."""
    uuid, _sep, index = item.id.partition(":")
    return f"{uuid[:8]}:{index}"
