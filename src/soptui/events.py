"""Events: the append-only facts everything else is derived from (a domain fact; the journal stores them).

The JSON form of an event is a public format (``soptui journal export``), documented in
docs/journal.md; change it only by adding optional fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from soptui.text import safe_json

Kind = Literal[
    "run.opened",
    "step.done",
    "step.skipped",
    "checklist.ticked",
    "note",
    "undo",
    "run.finished",
    "incident.resolved",
    # Team coordination (issue 17): who is on a run, shift hand-overs, corrections, follow-ups.
    "run.claimed",
    "run.released",
    "handover",
    "handover.acknowledged",
    "amend",
    "action.closed",
    # Reminders sent to the team's chat (issue 17): recorded so none is sent twice.
    "reminder.sent",
    "reminder.failed",
]
KINDS: frozenset[str] = frozenset(Kind.__args__)  # type: ignore[attr-defined]
UNDOABLE: frozenset[str] = frozenset(
    {
        "step.done",
        "step.skipped",
        "checklist.ticked",
        "note",
        "run.finished",
        "run.claimed",
        "run.released",
        "amend",
        "action.closed",
    }
)


FIRST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
INSTANT_RANGE = "1970-01-01..9999-12-31 (UTC)"


def utc_text(moment: datetime) -> str:
    """An aware datetime as UTC ISO 8601 with microseconds and a Z.

    The year is always four digits (``strftime("%Y")`` does not pad years before 1000,
    which would write a time that cannot be read back).
    """
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")


def check_instant(moment: datetime) -> datetime:
    """``moment`` if it lies in FIRST_INSTANT..LAST_INSTANT; else ValueError with the range."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is outside {INSTANT_RANGE}") from None
    if not FIRST_INSTANT <= utc <= LAST_INSTANT:
        raise ValueError(f"{moment.isoformat()} is outside {INSTANT_RANGE}")
    return moment


def parse_utc(text: str) -> datetime:
    """Read an instant written by :func:`utc_text` (or any ISO 8601 with an offset).

    Raises ValueError (never OverflowError) for text that is not an instant in range.
    """
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is outside {INSTANT_RANGE}") from None


# The uuid module loads platform and more (3 ms): only what writes or imports events needs it.
def _new_uuid() -> str:
    from uuid import uuid4

    return str(uuid4())


@dataclass(frozen=True)
class Event:
    """One recorded action."""

    kind: str
    at: datetime
    operator: str
    login: str
    host: str
    playbook_id: str | None = None
    playbook_hash: str | None = None
    run_id: str | None = None
    step_id: str | None = None
    group_id: str | None = None
    """The member group a per-group step's tick or skip is for (groups.toml id)."""
    payload: dict[str, Any] = field(default_factory=dict)
    uuid: str = field(default_factory=_new_uuid)
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seq: int = 0
    team: str | None = None
    """The team the event came from, in a journal merged from several (``journal copy --team``)."""

    @classmethod
    def stored(cls, fields: dict[str, Any]) -> Event:
        """An event read back from the journal, every field given: built without the
        dataclass ``__init__`` (its defaults and frozen checks cost a third of reading an
        event, and a review reads tens of thousands)."""
        event = object.__new__(cls)
        event.__dict__.update(fields)
        return event

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "event",
            "uuid": self.uuid,
            "at": utc_text(self.at),
            "recorded_at": utc_text(self.recorded_at),
            "operator": self.operator,
            "login": self.login,
            "host": self.host,
            "playbook": self.playbook_id,
            "playbook_hash": self.playbook_hash,
            "run": self.run_id,
            "step": self.step_id,
            **({"group": self.group_id} if self.group_id is not None else {}),
            "kind": self.kind,
            "payload": self.payload,
            **({"team": self.team} if self.team is not None else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        """Rebuild an event from its JSON form; raises ValueError with a reason."""
        try:
            kind = str(data["kind"])
            if kind not in KINDS:
                raise ValueError(f"unknown event kind {kind!r}")
            payload = data.get("payload") or {}
            if not isinstance(payload, dict):
                raise ValueError("payload must be an object")
            return cls(
                kind=kind,
                at=check_instant(parse_utc(str(data["at"]))),
                recorded_at=check_instant(parse_utc(str(data.get("recorded_at") or data["at"]))),
                operator=str(data["operator"]),
                login=str(data.get("login") or data["operator"]),
                host=str(data.get("host") or ""),
                playbook_id=_optional(data.get("playbook")),
                playbook_hash=_optional(data.get("playbook_hash")),
                run_id=_optional(data.get("run")),
                step_id=_optional(data.get("step")),
                group_id=_optional(data.get("group")),
                team=_optional(data.get("team")),
                payload=payload,
                uuid=_checked_uuid(str(data["uuid"])),
            )
        except KeyError as missing:
            raise ValueError(f"missing field {missing.args[0]!r}") from None


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def dumps(data: dict[str, Any]) -> str:
    """Compact, sorted JSON; NaN and Infinity are refused (ValueError), never written."""
    return safe_json(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


SEARCH_FIELDS: dict[str, str] = {
    "step.skipped": "reason",
    "run.opened": "title",
    "incident.resolved": "summary",
    "step.done": "value",
}
"""The payload field whose text search finds, by kind; any other kind: ``text`` (notes, and
kinds added later such as hand-over notes). Migration 4 (journal/schema.py) mirrors this."""


def search_text(event: Event) -> str | None:
    """The text of ``event`` that search indexes (None when it has none)."""
    value = event.payload.get(SEARCH_FIELDS.get(event.kind, "text"))
    return value if isinstance(value, str) and value != "" else None


def _checked_uuid(text: str) -> str:
    """``text`` as a UUID in its canonical form (ValueError if it is none)."""
    from uuid import UUID

    return str(UUID(text))
