"""The journal read as runs: the domain's read side.

A :class:`Ledger` holds what reading needs (the journal, the playbook library, the team's
zone and a clock) and answers in domain terms: a run's state folded from its events, the
playbook version a run used, each per-group step's groups in a period, the current period
of a routine. The agenda, the review, search and the read-only commands take a ledger;
only actions need a :class:`~soptui.recorder.Recorder`, which wraps one and adds who is
acting and the write path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from soptui.i18n import _
from soptui.journal import JournalStore, RunRow
from soptui.playbooks.library import Library
from soptui.playbooks.loader import LoadedPlaybook, stored_playbook
from soptui.playbooks.models import Playbook
from soptui.runs import RunState, expected_groups, fold
from soptui.schedule import period_index, period_of

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ActionError(ValueError):
    """What was asked cannot be read or recorded (no such run or playbook, an action the run
    refuses), with the reason for a person."""


class Ledger:
    """Reads runs out of the journal; never writes."""

    def __init__(
        self, journal: JournalStore, library: Library, zone: ZoneInfo, clock: Clock = utc_now
    ) -> None:
        self.journal = journal
        self.library = library
        self.zone = zone
        self.clock = clock
        self._versions: dict[str, Playbook] = {}

    def today(self) -> datetime:
        """Now, in the team's zone."""
        return self.clock().astimezone(self.zone)

    def remember_version(self, content_hash_: str, playbook: Playbook) -> None:
        """A version just stored by the write side: no need to read it back."""
        self._versions[content_hash_] = playbook

    def playbook_version(self, content_hash_: str, playbook_id: str) -> Playbook:
        """The playbook as it was when a run used it (from the journal's stored copy)."""
        if content_hash_ not in self._versions:
            self._versions[content_hash_] = self._read_version(content_hash_, playbook_id)
        return self._versions[content_hash_]

    def _read_version(self, content_hash_: str, playbook_id: str) -> Playbook:
        body = self.journal.version(content_hash_)
        current = self.library.get(playbook_id)
        if body is not None and current is not None and body == current.model_dump_json():
            return current  # the version in the library, validated (or cached) already
        problem = ""
        if body is not None:
            # A stored body was valid for the soptui that wrote it; limits added since
            # (or a damaged import) must not make every run of it unreadable.
            try:
                return stored_playbook(body, self.library.cache)
            except (ValueError, OverflowError, RecursionError) as error:
                reason = " ".join(str(error).split())[:200] or type(error).__name__
                problem = f" (the stored version {content_hash_} is not valid: {reason})"
        if current is None:
            raise ActionError(
                _("no usable stored version of playbook {playbook_id!r}{problem}").format(
                    playbook_id=playbook_id, problem=problem
                )
            )
        return current

    def state(self, run_id: str) -> RunState:
        """The run as it stands (ActionError if the journal has no such run)."""
        row = self.journal.run(run_id)
        if row is None:
            raise ActionError(_("no run {run_id!r} in the journal").format(run_id=run_id))
        return self.fold_row(row)

    def fold_row(self, row: RunRow) -> RunState:
        playbook = self.playbook_version(row.playbook_hash, row.playbook_id)
        events = self.journal.run_events(row.run_id)
        return fold(row.run_id, playbook, events, self.groups_of(playbook, row.period))

    def groups_of(self, playbook: Playbook, period: str | None = None) -> dict[str, list[str]]:
        """Each per-group step's groups in ``period``, from the library's roster (none without
        one): sampled steps rotate with the period and always take the flagged groups."""
        roster = self.library.roster
        if not roster.groups:
            return {}
        sampled = any(s.sample for s in playbook.steps)
        flagged = self.flagged_groups(playbook) if sampled else set()
        return expected_groups(playbook, roster, period_index(period), flagged)

    def flagged_groups(self, playbook: Playbook) -> set[str]:
        """Groups flagged by a ``flag_group`` step of ``playbook`` and not cleared since."""
        steps = [s.id for s in playbook.steps if s.flag_group]
        return self.journal.flagged_groups(playbook.id, steps) if steps else set()

    def current_period(self, playbook: Playbook, at: datetime | None = None) -> str:
        moment = (at or self.clock()).astimezone(self.zone)
        return period_of(playbook.cadence, moment.date())

    def entry(self, playbook_id: str) -> LoadedPlaybook:
        """The library's playbook ``playbook_id`` (ActionError naming the near matches if none)."""
        entry = self.library.entries.get(playbook_id)
        if entry is not None:
            return entry
        from difflib import get_close_matches

        known = ", ".join(sorted(self.library.entries)) or "none"
        close = get_close_matches(playbook_id, sorted(self.library.entries), n=1)
        if close:
            raise ActionError(
                _("no playbook {playbook_id!r}; did you mean {value!r}? (known: {known})").format(
                    playbook_id=playbook_id, value=close[0], known=known
                )
            )
        raise ActionError(
            _("no playbook {playbook_id!r} (known: {known})").format(playbook_id=playbook_id, known=known)
        )
