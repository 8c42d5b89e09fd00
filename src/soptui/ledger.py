"""The journal read as runs: the domain's read side.

A :class:`Ledger` holds what reading needs (the journal, the playbook library, the team's
zone and a clock) and answers in domain terms: a run's state folded from its events, the
playbook version a run used, each per-group step's groups in a period, the current period
of a routine. The agenda, the review, search and the read-only commands take a ledger;
only actions need a :class:`~soptui.recorder.Recorder`, which wraps one and adds who is
acting and the write path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from soptui.followups import ActionItem, items_of
from soptui.i18n import _
from soptui.journal import Event, JournalStore, RunRow
from soptui.playbooks.library import Library
from soptui.playbooks.loader import LoadedPlaybook, stored_playbook
from soptui.playbooks.models import Playbook
from soptui.runs import GroupTick, RunState, expected_groups, fold
from soptui.schedule import period_index, period_of

Clock = Callable[[], datetime]
HANDOVER_DAYS = 7
"""A hand-over is shown to the next operators for this long, until each acknowledges it."""
MAX_KEPT_FOLDS = 64
"""Runs whose folded state a ledger keeps: two weeks of a team's daily runs with room to spare
(a run of 200 groups is one state, however many ticks). Not more: a team with a dozen group
playbooks has hundreds of runs a week (measured when kept states still held their events: 512
kept runs cost 6 MiB of peak memory on the five-year bench)."""
FOLD_BATCH = 64
"""Runs whose events are read and folded together: few queries, and a week's events never
all in memory at once."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class ActionError(ValueError):
    """What was asked cannot be read or recorded (no such run or playbook, an action the run
    refuses), with the reason for a person."""


@dataclass(frozen=True)
class _Kept:
    """A run as this ledger last folded it: valid while its last event, its playbook version
    and its expected groups are the same."""

    last_seq: int
    playbook: Playbook
    groups: dict[str, list[str]]
    state: RunState


class Ledger:
    """Reads runs out of the journal; never writes.

    The runs a review folds are kept (up to MAX_KEPT_FOLDS): a run is folded again only when
    an event was appended to it since, so the review screen moving between weeks folds only
    the week it has not seen. The states handed out are shared: read them, never change them.
    """

    def __init__(
        self, journal: JournalStore, library: Library, zone: ZoneInfo, clock: Clock = utc_now
    ) -> None:
        self.journal = journal
        self.library = library
        self.zone = zone
        self.clock = clock
        self._versions: dict[str, Playbook] = {}
        self._kept: dict[str, _Kept] = {}
        self._kept_lock = threading.Lock()  # the app's workers read through the same ledger

    def remember_version(self, content_hash_: str, playbook: Playbook) -> None:
        """A version just stored by the write side: no need to read it back."""
        self._versions[content_hash_] = playbook

    def playbook_version(self, content_hash_: str, playbook_id: str) -> Playbook:
        """The playbook as it was when a run used it (from the journal's stored copy)."""
        if content_hash_ not in self._versions:
            self._versions[content_hash_] = self._read_version(content_hash_, playbook_id)
        return self._versions[content_hash_]

    def _read_version(self, content_hash_: str, playbook_id: str) -> Playbook:
        entry = self.library.entries.get(playbook_id)
        if entry is not None and entry.content_hash == content_hash_:
            return entry.playbook  # the library's version: its hash is the stored copy's name
        body = self.journal.version(content_hash_)
        current = entry.playbook if entry is not None else None
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
        """The run as it stands, with every event in ``state.events`` (what undo, corrections
        and the timeline look through)."""
        playbook = self.playbook_version(row.playbook_hash, row.playbook_id)
        events = self.journal.run_events(row.run_id)
        return fold(row.run_id, playbook, events, self.groups_of(playbook, row.period))

    def fold_rows(self, rows: Sequence[RunRow]) -> list[RunState]:
        """The state of each run, for figures (the review, journeys): its groups' ticks are
        read in compact form, and ``state.events`` is empty (``fold_row`` keeps them). A run
        is taken as this ledger kept it when nothing was appended to it since, else folded
        again (read in batches of FOLD_BATCH runs)."""
        if not rows:
            return []
        last = self.journal.last_seqs([row.run_id for row in rows])
        states: dict[str, RunState] = {}
        stale: list[tuple[RunRow, Playbook, dict[str, list[str]]]] = []
        for row in rows:
            playbook = self.playbook_version(row.playbook_hash, row.playbook_id)
            groups = self.groups_of(playbook, row.period)
            with self._kept_lock:
                kept = self._kept.get(row.run_id)
            if (
                kept is not None
                and kept.last_seq == last.get(row.run_id)
                and kept.playbook is playbook
                and kept.groups == groups
            ):
                states[row.run_id] = kept.state
            else:
                stale.append((row, playbook, groups))
        # A batch's events at a time, let go once folded: a week of a dozen groups' routines
        # holds 13,000 events, and peak memory is what a review costs the app (measured).
        for first in range(0, len(stale), FOLD_BATCH):
            batch = stale[first : first + FOLD_BATCH]
            read = self._read_runs(batch)
            for row, playbook, groups in batch:
                events, ticks = read.pop(row.run_id)
                state = fold(row.run_id, playbook, events, groups, ticks, keep_events=False)
                states[row.run_id] = state
                # A run may have grown between the two reads: then it is kept under the older
                # position and folded again next time, never taken as current when it is not.
                self._keep(row.run_id, _Kept(last.get(row.run_id, 0), playbook, groups, state))
        return [states[row.run_id] for row in rows]

    def _read_runs(
        self, stale: list[tuple[RunRow, Playbook, dict[str, list[str]]]]
    ) -> dict[str, tuple[list[Event], list[GroupTick]]]:
        """The events of these runs: runs of a playbook with per-group steps with their
        groups' ticks apart (compact), the others whole, all in one batched read (a run
        without per-group steps has no ticks to read apart: no query per run for them)."""
        grouped: list[str] = []
        plain: list[str] = []
        for row, playbook, _groups in stale:
            (grouped if any(s.per_group for s in playbook.steps) else plain).append(row.run_id)
        read = self.journal.events_and_ticks_of_runs(grouped) if grouped else {}
        if plain:
            whole = self.journal.events_of_runs(plain)
            read.update((run_id, (whole.get(run_id, []), [])) for run_id in plain)
        return read

    def _keep(self, run_id: str, kept: _Kept) -> None:
        with self._kept_lock:
            self._kept.pop(run_id, None)
            self._kept[run_id] = kept  # the most recent last: the oldest goes first
            while len(self._kept) > MAX_KEPT_FOLDS:
                del self._kept[next(iter(self._kept))]

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

    # -- coordination: hand-overs and action items, as the team recorded them --------------

    def waiting_handovers(self, login: str) -> list[Event]:
        """Hand-overs from the last week, by others, that ``login`` has not acknowledged."""
        events = self.journal.events_of_kinds(
            ["handover", "handover.acknowledged"], self.clock() - timedelta(days=HANDOVER_DAYS)
        )
        seen = {
            str(t)
            for e in events
            if e.kind == "handover.acknowledged" and e.login == login
            for t in e.payload.get("targets") or []
        }
        return [e for e in events if e.kind == "handover" and e.login != login and e.uuid not in seen]

    def handovers_between(self, start: datetime, end: datetime) -> list[Event]:
        return self.journal.events_of_kinds(["handover"], start, end)

    def action_items(self) -> list[ActionItem]:
        """Every action item the team recorded, with where it stands now."""
        library = self.library
        steps = [
            (loaded.playbook.id, step.id)
            for loaded in [*library.entries.values(), *library.hidden.values()]
            for step in loaded.playbook.steps
            if step.input is not None and step.input.type == "actions"
        ]
        completions = self.journal.action_completions(steps) if steps else []
        return items_of(completions, self.journal.events_of_kinds(["action.closed"]))
