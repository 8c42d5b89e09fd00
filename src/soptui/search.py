"""Finding things in the journal: search over notes, reasons, hand-overs, incidents and text
values, and over the playbooks' own text; a step's history of recorded values (domain: no
terminal library, no SQL).

The journal keeps one row of searchable text per event (:func:`soptui.events.search_text`) in
an FTS5 trigram index; see docs/journal.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from soptui.events import Event, utc_text
from soptui.i18n import _
from soptui.journal import JournalStore
from soptui.playbooks.loader import LoadedPlaybook
from soptui.playbooks.models import Step
from soptui.text import table, visible

DEFAULT_LIMIT = 50
MAX_QUERY_CHARS = 200
SNIPPET_CHARS = 60
TRIGRAM = 3  # the trigram index finds terms of at least this many characters
MARK_OPEN, MARK_CLOSE = "【", "】"


class SearchError(ValueError):
    """A query that cannot be searched for, with the reason for a person."""


def terms_of(query: str) -> list[str]:
    """The terms of a query: separated by spaces; every one must appear (case folded for ASCII).

    Punctuation is part of a term (``A/B``, ``“差评”``); a term is found anywhere in a word or
    phrase, in any script.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(_("the query is longer than {value} characters").format(value=MAX_QUERY_CHARS))
    terms: list[str] = []
    for term in query.split():
        if term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    if not terms:
        raise SearchError(_("nothing to search for: type a word or part of one"))
    return terms


@dataclass(frozen=True)
class SearchHit:
    """One event whose text matched: where it is, who wrote it, and the matches in its text."""

    event: Event
    text: str
    spans: tuple[tuple[int, int], ...]
    """(start, end) character offsets of every match in ``text``, sorted, not overlapping."""
    incident: IncidentContext | None = None
    """The incident the event belongs to, when it belongs to one."""

    @property
    def at(self) -> datetime:
        return self.event.at

    def snippet(self, width: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
        """A one-line excerpt around the first match, as (text, is a match) pieces."""
        return snippet_of(self.text, self.spans, width)

    def marked(self, width: int = SNIPPET_CHARS) -> str:
        """The snippet with each match between 【 and 】 (plain text, no colour needed)."""
        return marked_of(self.snippet(width))

    def to_json(self, zone: ZoneInfo) -> dict[str, Any]:
        event = self.event
        incident = self.incident
        return {
            "at": event.at.astimezone(zone).isoformat(timespec="seconds"),
            "at_utc": utc_text(event.at),
            "operator": event.operator,
            "kind": event.kind,
            "playbook": event.playbook_id,
            "run": event.run_id,
            "step": event.step_id,
            "group": event.group_id,
            "uuid": event.uuid,
            "text": self.text,
            "matches": [list(span) for span in self.spans],
            "snippet": self.marked(),
            "incident": incident.to_json() if incident else None,
        }


@dataclass(frozen=True)
class IncidentContext:
    """The incident a search hit belongs to: what it is called, how severe, whether resolved."""

    title: str
    severity: str
    resolved: bool

    def label(self) -> str:
        """``● P1 广告刷屏`` (``✓`` once resolved): one line, for a result row."""
        mark = "✓" if self.resolved else "●"
        return f"{mark} {self.severity} {self.title}".replace("  ", " ")

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "severity": self.severity, "resolved": self.resolved}


def snippet_of(text: str, spans: tuple[tuple[int, int], ...], width: int) -> list[tuple[str, bool]]:
    """A one-line excerpt of ``text`` around its first span, as (text, is a match) pieces."""
    flat = " ".join(text.split("\n"))
    first = spans[0][0] if spans else 0
    start = max(0, min(first - width // 3, len(flat) - width))
    end = min(len(flat), start + width)
    pieces: list[tuple[str, bool]] = []
    if start > 0:
        pieces.append(("…", False))
    cursor = start
    for left, right in spans:
        left, right = max(left, start), min(right, end)
        if left >= right:
            continue
        if left > cursor:
            pieces.append((flat[cursor:left], False))
        pieces.append((flat[left:right], True))
        cursor = right
    if cursor < end:
        pieces.append((flat[cursor:end], False))
    if end < len(flat):
        pieces.append(("…", False))
    return pieces


def marked_of(pieces: list[tuple[str, bool]]) -> str:
    """Snippet pieces as one string, each match between 【 and 】."""
    return "".join(f"{MARK_OPEN}{text}{MARK_CLOSE}" if hit else text for text, hit in pieces)


def outside_word(event: Event) -> str:
    """What a hit that belongs to no playbook is: a hand-over note, else the day's log."""
    return _("hand-over") if event.kind.startswith("handover") else _("day log")


def _fold(text: str) -> str:
    """Lower case, character for character (offsets in the result are offsets in ``text``)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def spans_of(text: str, terms: list[str]) -> tuple[tuple[int, int], ...]:
    """Where the terms occur in ``text`` (case folded), merged into sorted, disjoint spans."""
    folded = _fold(text)
    found: list[tuple[int, int]] = []
    for term in terms:
        needle = _fold(term)
        at = folded.find(needle)
        while at >= 0 and needle:
            found.append((at, at + len(needle)))
            at = folded.find(needle, at + len(needle))
    merged: list[tuple[int, int]] = []
    for left, right in sorted(found):
        if merged and left <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], right))
        else:
            merged.append((left, right))
    return tuple(merged)


def search(
    journal: JournalStore,
    query: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[SearchHit]:
    """Events whose text holds every term of ``query`` in [start, end), newest first."""
    terms = terms_of(query)
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    found = journal.search(long_terms, short_terms, start, end, limit)
    incidents: dict[str, IncidentContext | None] = {}
    for event, _text in found:
        if event.run_id is not None and event.run_id not in incidents:
            row = journal.run(event.run_id)
            incidents[event.run_id] = (
                IncidentContext(row.title or "", row.severity or "", row.closed_at is not None)
                if row is not None and row.is_incident
                else None
            )
    return [
        SearchHit(event, text, spans_of(text, terms), incidents.get(event.run_id or ""))
        for event, text in found
    ]


# -- the playbooks' own text ----------------------------------------------------------------

PLAYBOOK_LIMIT = 50
PlaybookField = Literal["title", "summary", "description", "step", "details", "checklist", "snippet"]


@dataclass(frozen=True)
class PlaybookHit:
    """A playbook (or one of its steps) whose text holds every term: where, and the text."""

    playbook_id: str
    playbook_title: str
    step_id: str | None
    """None: the match is in the playbook's own title, summary or description."""
    step_title: str | None
    field: PlaybookField
    text: str
    spans: tuple[tuple[int, int], ...]

    def snippet(self, width: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
        return snippet_of(self.text, self.spans, width)

    def marked(self, width: int = SNIPPET_CHARS) -> str:
        return marked_of(self.snippet(width))

    def to_json(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook_id,
            "playbook_title": self.playbook_title,
            "step": self.step_id,
            "step_title": self.step_title,
            "field": self.field,
            "text": self.text,
            "matches": [list(span) for span in self.spans],
            "snippet": self.marked(),
        }


@lru_cache(maxsize=8192)
def _folded(text: str) -> str:
    """:func:`_fold`, remembered: the library's texts are folded once, not on every key press."""
    return _fold(text)


def _best(texts: list[tuple[PlaybookField, str]], terms: list[str]) -> tuple[PlaybookField, str] | None:
    """The text that holds the most terms (the first of equals); None unless every term is
    found in one of them."""
    needles = [_fold(term) for term in terms]
    folded = [_folded(text) for _field, text in texts]
    if not all(any(needle in text for text in folded) for needle in needles):
        return None
    counts = [sum(needle in text for needle in needles) for text in folded]
    return texts[counts.index(max(counts))]


def search_playbooks(
    library: Iterable[LoadedPlaybook], query: str, limit: int = PLAYBOOK_LIMIT
) -> list[PlaybookHit]:
    """Playbooks and steps of the loaded library whose text holds every term of ``query``
    (case folded, any part of a word or phrase), in library order, steps in order.

    A playbook matches on its title, summary and description; a step on its title, details,
    checklist items and ready-made texts, taken together: every term must appear somewhere in
    that step. The hit shows the one text that holds the most terms.
    """
    terms = terms_of(query)
    hits: list[PlaybookHit] = []
    for entry in library:
        playbook = entry.playbook
        own: list[tuple[PlaybookField, str]] = [("title", playbook.title)]
        own += [("summary", playbook.summary)] if playbook.summary else []
        own += [("description", playbook.description)] if playbook.description else []
        candidates: list[tuple[Step | None, list[tuple[PlaybookField, str]]]] = [(None, own)]
        for step in playbook.steps:
            texts: list[tuple[PlaybookField, str]] = [("step", step.title)]
            texts += [("details", step.details)] if step.details else []
            texts += [("checklist", item) for item in step.checklist]
            texts += [("snippet", snippet.text) for snippet in step.snippets]
            candidates.append((step, texts))
        for where, texts in candidates:
            best = _best(texts, terms)
            if best is None:
                continue
            field, text = best
            hits.append(
                PlaybookHit(
                    playbook.id,
                    playbook.title,
                    where.id if where else None,
                    where.title if where else None,
                    field,
                    text,
                    spans_of(text, terms),
                )
            )
            if len(hits) >= limit:
                return hits
    return hits


# -- a step's history -----------------------------------------------------------------------

HISTORY_LIMITS = (30, 90)
SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class HistoryValue:
    at: datetime
    value: Any
    operator: str
    group: str | None
    run_id: str | None


def step_history(
    journal: JournalStore, playbook_id: str, step_id: str, limit: int = 90
) -> list[HistoryValue]:
    """The step's last ``limit`` recorded values, newest first (undone ones left out)."""
    return [
        HistoryValue(e.at, e.payload.get("value"), e.operator, e.group_id, e.run_id)
        for e in journal.step_values(playbook_id, step_id, limit)
    ]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def sparkline(values: list[Any]) -> str:
    """Numbers as block characters, oldest first (other values are left out); "" when none."""
    numbers = [float(v) for v in values if is_number(v)]
    if not numbers:
        return ""
    low, high = min(numbers), max(numbers)
    if high == low:
        return SPARK[len(SPARK) // 2] * len(numbers)
    scale = (len(SPARK) - 1) / (high - low)
    return "".join(SPARK[round((n - low) * scale)] for n in numbers)


def sparklines(history: list[HistoryValue], last: int) -> dict[str | None, str]:
    """A sparkline of the last ``last`` values (oldest first), one per group (None: no group)."""
    by_group: dict[str | None, list[Any]] = {}
    for item in history[:last]:
        by_group.setdefault(item.group, []).append(item.value)
    return {group: sparkline(list(reversed(values))) for group, values in by_group.items()}


def shown_value(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def history_text(history: list[HistoryValue], zone: ZoneInfo, per_group: bool) -> str:
    """Sparklines of the last 30 and 90 values, then the table (newest first), as plain text."""
    lines = []
    for last in sorted({min(limit, len(history)) for limit in HISTORY_LIMITS}):
        for group, line in sparklines(history, last).items():
            if not line:
                continue
            name = _("last {count}").format(count=last)
            if group is not None:
                name = f"{name} [{group}]"
            lines.append(visible(f"{name}: {line}", newlines=False))
    header = [_("DATE"), _("VALUE"), _("WHO")] + ([_("GROUP")] if per_group else [])
    rows = [header]
    for item in history:
        row = [
            item.at.astimezone(zone).strftime("%Y-%m-%d"),
            visible(shown_value(item.value), newlines=False),
            visible(item.operator, newlines=False),
        ]
        if per_group:
            row.append(visible(item.group or "-", newlines=False))
        rows.append(row)
    return "\n".join([*lines, table(rows)])
