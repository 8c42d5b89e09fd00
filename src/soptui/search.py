"""Finding things in the journal: search over notes, reasons, incidents and text values, and a
step's history of recorded values (domain: no terminal library, no SQL).

The journal keeps one row of searchable text per event (:func:`soptui.events.search_text`) in
an FTS5 trigram index; see docs/journal.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from soptui.events import Event, utc_text
from soptui.i18n import _
from soptui.journal import Journal
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

    @property
    def at(self) -> datetime:
        return self.event.at

    def snippet(self, width: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
        """A one-line excerpt around the first match, as (text, is a match) pieces."""
        flat = " ".join(self.text.split("\n"))
        first = self.spans[0][0] if self.spans else 0
        start = max(0, min(first - width // 3, len(flat) - width))
        end = min(len(flat), start + width)
        pieces: list[tuple[str, bool]] = []
        if start > 0:
            pieces.append(("…", False))
        cursor = start
        for left, right in self.spans:
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

    def marked(self, width: int = SNIPPET_CHARS) -> str:
        """The snippet with each match between 【 and 】 (plain text, no colour needed)."""
        return "".join(f"{MARK_OPEN}{text}{MARK_CLOSE}" if hit else text for text, hit in self.snippet(width))

    def to_json(self, zone: ZoneInfo) -> dict[str, Any]:
        event = self.event
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
        }


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
    journal: Journal,
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
    return [SearchHit(event, text, spans_of(text, terms)) for event, text in found]


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


def step_history(journal: Journal, playbook_id: str, step_id: str, limit: int = 90) -> list[HistoryValue]:
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
