"""The review's team-coordination sections (issue 17): hand-overs, corrections, follow-ups.

Everything here comes from a few queries by event kind (the ``events_kind`` index) and the
team's action items, never from a scan of the range's events:

- *hand-overs*: the ``handover`` events of the range;
- *amendments*: every ``amend`` event not undone, read once without a time window (a
  correction may come long after the value it corrects; they are rare), with the events of the
  runs they correct (one query). They correct the metric values the review reads
  (:meth:`Corrections.take`) and the ones recorded in the range are listed;
- *follow-ups*: per owner, action items opened and closed (done or dropped) in the range, and
  those overdue at its end: still open then, their due day over. While the range is running,
  its "end" is now, so overdue means what it means on Today.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from soptui.events import Event
from soptui.followups import ActionItem
from soptui.i18n import N_, _
from soptui.ledger import Ledger
from soptui.playbooks.inputs import InputValue, show_value
from soptui.review.model import (
    AmendmentRow,
    FollowUpRow,
    HandoverRow,
    MetricStats,
    Review,
)
from soptui.review.titles import Titles

if TYPE_CHECKING:
    from soptui.journal.store import RecordedValue

AMENDED_MARK = "†"
AMENDED_NOTE = N_("† includes a corrected value (the journal keeps the old one)")
HANDOVERS = N_("Hand-overs")
AMENDMENTS = N_("Amendments")
FOLLOWUPS = N_("Follow-ups")

_Key = tuple[str | None, str | None, datetime]
"""A completion as the metric values name it: run, step and the instant it was recorded."""


@dataclass(frozen=True)
class Fix:
    """What the corrections of one completion left of its value."""

    value: InputValue | None
    retracted: bool


@dataclass
class Corrections:
    """The team's corrections of recorded completions, read once per review."""

    amends: list[Event]
    """Every ``amend`` event not undone, oldest first."""
    targets: dict[str, Event]
    """The completions they correct, by UUID."""
    fixes: dict[str, Fix] = field(default_factory=dict)
    """Per corrected completion, its value after every correction (in journal order)."""
    befores: dict[str, InputValue | None] = field(default_factory=dict)
    """Per amend event, the value it replaced (the original, or an earlier correction's)."""
    touched: set[tuple[str, date]] = field(default_factory=set)
    """(metric, day) pairs whose values a correction changed (filled by the review's values)."""
    _unmatched: dict[_Key, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, ledger: Ledger) -> Corrections:
        """Every correction not undone, and the completions they correct (two queries, and
        none more when there are no corrections). A correction of a completion since undone,
        or of one already retracted, changes nothing, as when the run is folded."""
        journal = ledger.journal
        amends = journal.events_of_kinds(["amend"])
        runs = sorted({e.run_id for e in amends if e.run_id})
        events = [e for found in (journal.events_of_runs(runs) if runs else {}).values() for e in found]
        undone = {str(e.payload.get("target")) for e in events if e.kind == "undo"}
        wanted = {str(e.payload.get("target")) for e in amends} - undone
        targets = {e.uuid: e for e in events if e.uuid in wanted and e.kind == "step.done"}
        found = cls(amends, targets)
        for amend in amends:
            target = targets.get(str(amend.payload.get("target")))
            if target is None:
                continue
            before = found.fixes.get(target.uuid, Fix(target.payload.get("value"), False))
            if before.retracted:
                continue
            found.befores[amend.uuid] = before.value
            retract = bool(amend.payload.get("retract"))
            found.fixes[target.uuid] = Fix(None if retract else amend.payload.get("new"), retract)
        for uuid in found.fixes:
            target = targets[uuid]
            found._unmatched.setdefault((target.run_id, target.step_id, target.at), []).append(uuid)
        return found

    def take(self, item: RecordedValue) -> Fix | None:
        """The correction of this recorded value, if it was corrected.

        A recorded value is named by its run, step and instant; completions that share all
        three (groups ticked in one action) are told apart by their original value, and if
        that is shared too, either one stands for the other. Each correction is taken once.
        """
        if not self._unmatched:
            return None  # no correction left to place (most reviews: none at all)
        candidates = self._unmatched.get((item.run_id, item.step_id, item.at))
        if not candidates:
            return None
        chosen = next(
            (u for u in candidates if self.targets[u].payload.get("value") == item.value), candidates[0]
        )
        candidates.remove(chosen)
        return self.fixes[chosen]

    def marked(self, metrics: list[MetricStats], start: date, end: date) -> list[MetricStats]:
        """``metrics`` with ``amended`` set where a corrected value falls in [start, end]."""
        hit = {metric for metric, day in self.touched if start <= day <= end}
        return [replace(m, amended=True) if m.metric in hit else m for m in metrics]

    def rows(self, ledger: Ledger, start: datetime, end: datetime) -> list[AmendmentRow]:
        """The corrections recorded in [start, end) that changed something, oldest first."""
        titles = Titles(ledger)
        rows = []
        for amend in self.amends:
            if not start <= amend.at < end or amend.uuid not in self.befores:
                continue
            target = self.targets.get(str(amend.payload.get("target")))
            retracted = bool(amend.payload.get("retract"))
            playbook_title, step_title = titles.of(amend.playbook_id, amend.playbook_hash, amend.step_id)
            rows.append(
                AmendmentRow(
                    at=amend.at,
                    operator=amend.operator,
                    login=amend.login,
                    run_id=amend.run_id,
                    playbook_id=amend.playbook_id,
                    step_id=amend.step_id,
                    group_id=target.group_id if target else None,
                    old=self.befores[amend.uuid],
                    new=None if retracted else amend.payload.get("new"),
                    retracted=retracted,
                    reason=str(amend.payload.get("reason") or ""),
                    playbook_title=playbook_title,
                    step_title=step_title,
                )
            )
        return rows


def with_coordination(review: Review, ledger: Ledger, corrections: Corrections) -> Review:
    """``review`` with its metrics marked where corrected, and its coordination sections."""
    zone = ledger.zone
    start = datetime.combine(review.start, time(0), zone)
    end = datetime.combine(review.end + timedelta(days=1), time(0), zone)
    handovers = [
        HandoverRow(e.at, e.operator, e.login, str(e.payload.get("text") or ""))
        for e in ledger.handovers_between(start, end)
    ]
    return replace(
        review,
        metrics=corrections.marked(review.metrics, review.start, review.end),
        handovers=handovers,
        amendments=corrections.rows(ledger, start, end),
        followups=_followups(ledger, start, end, review.generated_at),
    )


def _followups(ledger: Ledger, start: datetime, end: datetime, now: datetime) -> list[FollowUpRow]:
    """Per owner, items opened and closed in [start, end) and those overdue at its end (or
    now, while it runs): open then, due before that day. Owners with nothing are left out."""
    zone = ledger.zone
    cutoff = min(now, end)
    cutoff_day = cutoff.astimezone(zone).date()
    opened: dict[str, int] = defaultdict(int)
    closed: dict[str, int] = defaultdict(int)
    overdue: dict[str, list[ActionItem]] = defaultdict(list)
    for item in ledger.action_items():
        if start <= item.opened_at < end:
            opened[item.owner] += 1
        if item.status != "open" and item.closed_at is not None and start <= item.closed_at < end:
            closed[item.owner] += 1
        open_then = item.opened_at < cutoff and (item.closed_at is None or item.closed_at >= cutoff)
        if cutoff >= start and open_then and item.due < cutoff_day:
            overdue[item.owner].append(item)
    roster = ledger.library.roster
    owners = sorted(set(opened) | set(closed) | set(overdue), key=lambda o: (-len(overdue[o]), o))
    return [
        FollowUpRow(owner, roster.name_of(owner), opened[owner], closed[owner], overdue[owner])
        for owner in owners
    ]


# -- lines for text, Markdown and the screen -------------------------------------------------


def _when(review: Review, moment: datetime) -> str:
    return f"{moment.astimezone(review.generated_at.tzinfo):%m-%d %H:%M}"


def _who(operator: str, login: str) -> str:
    """The display name, with the login beside it when they differ (the login is who it was)."""
    return operator if login in ("", operator) else f"{operator} [{login}]"


def handover_lines(review: Review) -> list[str]:
    """One line per hand-over note: when, who, what."""
    return [f"{_when(review, h.at)} {_who(h.operator, h.login)}: {h.text}" for h in review.handovers]


def amendment_lines(review: Review) -> list[str]:
    """One line per correction: when, who, where, old → new (or retracted), and why."""
    lines = []
    for a in review.amendments:
        where = a.playbook_title or a.playbook_id or "?"
        where += " · " + (a.step_title or a.step_id or "?")
        if a.group_id:
            where += f" · {a.group_id}"
        values = {
            "when": _when(review, a.at),
            "who": _who(a.operator, a.login),
            "where": where,
            "old": show_value(a.old),
            "reason": a.reason,
        }
        if a.retracted:
            lines.append(_("{when} {who} · {where}: {old} retracted (why: {reason})").format(**values))
        else:
            lines.append(
                _("{when} {who} · {where}: {old} → {new} (why: {reason})").format(
                    new=show_value(a.new), **values
                )
            )
    return lines


def followup_lines(review: Review) -> list[str]:
    """Per owner a line of counts, then one line per item overdue at the end of the range."""
    lines = []
    for row in review.followups:
        lines.append(
            _("{owner}: {opened} opened, {closed} closed, {overdue} overdue").format(
                owner=row.label, opened=row.opened, closed=row.closed, overdue=len(row.overdue)
            )
        )
        lines += [
            _("overdue: {what} · {owner} · due {due}").format(
                what=item.what, owner=row.label, due=item.due.isoformat()
            )
            for item in row.overdue
        ]
    return lines


def amended_note(review: Review) -> str | None:
    """The footnote for the † on corrected metric figures (None when none is marked)."""
    return _(AMENDED_NOTE) if any(m.amended for m in review.metrics) else None


# -- JSON -------------------------------------------------------------------------------------


def to_json(review: Review) -> dict[str, Any]:
    """The review JSON's ``handovers``, ``amendments`` and ``followups`` (times in the team's zone)."""
    zone = review.generated_at.tzinfo
    return {
        "handovers": [
            {
                "at": h.at.astimezone(zone).isoformat(),
                "operator": h.operator,
                "login": h.login,
                "text": h.text,
            }
            for h in review.handovers
        ],
        "amendments": [
            {
                "at": a.at.astimezone(zone).isoformat(),
                "operator": a.operator,
                "login": a.login,
                "run": a.run_id,
                "playbook": a.playbook_id,
                "step": a.step_id,
                "group": a.group_id,
                "playbook_title": a.playbook_title,
                "step_title": a.step_title,
                "old": a.old,
                "new": a.new,
                "retracted": a.retracted,
                "reason": a.reason,
            }
            for a in review.amendments
        ],
        "followups": [
            {
                "owner": row.owner,
                "name": row.name,
                "opened": row.opened,
                "closed": row.closed,
                "overdue": len(row.overdue),
                "overdue_items": [
                    {
                        "id": item.id,
                        "what": item.what,
                        "due": item.due.isoformat(),
                        "opened_at": item.opened_at.astimezone(zone).isoformat(),
                        "opened_by": item.opened_by,
                        "playbook": item.playbook_id,
                        "run": item.run_id,
                        "moved_from": [d.isoformat() for d in item.moves],
                    }
                    for item in row.overdue
                ],
            }
            for row in review.followups
        ],
    }


def overdue_cell(items: list[dict[str, Any]]) -> str:
    """The CSV cell of a person's overdue items: ``what (due)``, joined with "; "."""
    return "; ".join(f"{item['what']} ({item['due']})" for item in items)


__all__ = [
    "AMENDED_MARK",
    "AMENDMENTS",
    "FOLLOWUPS",
    "HANDOVERS",
    "Corrections",
    "Fix",
    "amended_note",
    "amendment_lines",
    "followup_lines",
    "handover_lines",
    "overdue_cell",
    "to_json",
    "with_coordination",
]
