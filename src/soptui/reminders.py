"""What needs attention now, as reminders for the team's chat, and sending each of them once.

:func:`attention` reads the agenda (routines coming due and overdue), the dated journeys
(steps due today), the open incidents (steps past ``escalate_after``) and the follow-ups past
due that the caller passes in, and words each as a :class:`~soptui.notify.Reminder` in the
team's language, naming the owner from the roster (roles → people) and what to do.

:func:`deliver` sends each reminder to each webhook that wants its kind, at most once per
key and webhook, and records what happened in the journal (``reminder.sent``,
``reminder.failed``); :func:`reminder_status` reads that record back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal, Protocol

from soptui.agenda import AgendaItem, build_agenda, record_sightings
from soptui.events import Event, parse_utc, utc_text
from soptui.i18n import N_, Language, minutes_text, t, weekday
from soptui.journeys import JourneyItem, JourneyStep, start_due_cohorts
from soptui.ledger import Ledger
from soptui.notify import NotifyConfig, Reminder, Sender, Target, message_body, plain_text
from soptui.notify.transport import scrub
from soptui.playbooks.models import Playbook
from soptui.playbooks.roster import ROLE_PLACEHOLDERS, Roster
from soptui.recorder import Recorder
from soptui.runs import RunState
from soptui.timeline import escalations

DUE_WITHIN = timedelta(minutes=30)
DAY_STARTS = time(9, 0)
CLAIM_LEASE = timedelta(minutes=10)
"""A send in progress holds its claim this long; a run killed meanwhile is retried after it."""
FIRST_RETRY = timedelta(minutes=5)
LAST_RETRY = timedelta(hours=1)
"""After a failed send the next try waits 5 min, then 10, 20, 40, and at most an hour."""
RETRY_SLACK = timedelta(minutes=1)
"""A retry whose time is this close counts as due (cron runs on the minute, records are later)."""
FAILURE_WINDOW = timedelta(days=2)
"""Failures older than this no longer lengthen the wait (nor are read: the index stays cheap)."""
MAX_PER_RUN = 10
"""Messages one invocation sends to one webhook (the platforms allow about 20 a minute); the
rest go next time."""
STATUS_DAYS = 7
SENT = "reminder.sent"
FAILED = "reminder.failed"
SENT_NAMESPACE = uuid.UUID("5b8f5d0e-3c1a-4f57-9d43-0f6b2f3f7a11")
"""``reminder.sent`` events of one key and webhook always get the same UUID (uuid5 in this
namespace), so the journal's unique index itself says whether it was sent, and two journals
merged by ``soptui journal import`` keep one."""

ROLE_WORDS: dict[str, str] = {
    "community manager": "社群经理",
    "content creator": "内容创作者",
    "data analyst": "数据分析师",
    "event planner": "活动策划",
    "administrator": "管理员",
    "customer service": "客服",
    **ROLE_PLACEHOLDERS,
}
"""English role names (the English playbooks') for the roster's roles."""

# The words of the reminders, in the team's language (t()).
DUE_SOON = N_("Due soon: {title}")
OVERDUE = N_("Overdue: {title}")
JOURNEY = N_("{journey}: {label} {step}")
ESCALATION = N_("Escalation: {severity} {incident}")
FOLLOWUP = N_("Follow-up past due: {what}")
DUE_AT = N_("Due at {time} (in {left}).")
DUE_TODAY = N_("Due today, by the end of the day.")
DUE_TODAY_AT = N_("Due today at {time}.")
WAS_DUE = N_("Was due {time}: overdue by {late}.")
PROGRESS = N_("{done}/{total} steps done; next: {step}.")
NOT_STARTED = N_("Not started; first step: {step}.")
OPEN_IT = N_("Open it: soptui run {playbook}")
RECORD_IT = N_("When done: soptui done {playbook} {step} --run {run}")
LATE_STEP = N_("“{step}” should be done within {limit} of opening: {late} past that.")
OPENED = N_("Opened {time} by {name}; {done}/{total} steps done.")
FOLLOWUP_DUE = N_("Was due {day}.")


class FollowUp(Protocol):
    """A follow-up action item past due, as ``soptui.followups`` provides them."""

    @property
    def what(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def due(self) -> date: ...


# -- what needs attention ----------------------------------------------------------------------


def catch_up(recorder: Recorder, now: datetime) -> None:
    """The writes the app does when it starts, for a team whose app may be closed all day:
    start the auto-started journeys due by ``now`` and note routines seen for the first time."""
    start_due_cohorts(recorder, now)
    record_sightings(recorder, build_agenda(recorder.ledger, now))


def attention(
    ledger: Ledger,
    now: datetime,
    language: Language,
    *,
    due_within: timedelta = DUE_WITHIN,
    day_starts: time = DAY_STARTS,
    followups: Sequence[FollowUp] = (),
) -> list[Reminder]:
    """Everything that needs attention at ``now``, most urgent first. Reads only.

    - escalations: incident steps still pending past their ``escalate_after``;
    - routines overdue (as the agenda says), and coming due within ``due_within``;
    - journey steps due today, from ``day_starts``;
    - ``followups`` past due (pass ``soptui.followups``' overdue items; none by default).

    A due time at the end of a day (no time of day) is announced from ``day_starts`` that day.
    """
    zone = ledger.zone
    moment = now.astimezone(zone)
    agenda = build_agenda(ledger, moment)
    roster = ledger.library.roster
    words = _Words(language, moment)
    found: list[Reminder] = []
    for incident in agenda.incidents:
        found += _escalations(incident, moment, roster, words)
    found += [_overdue(item, moment, roster, words) for item in agenda.routines if _is_overdue(item)]
    found += [
        _due_soon(item, moment, roster, words)
        for item in agenda.routines
        if _is_due_soon(item, moment, due_within, day_starts)
    ]
    for journey in agenda.journeys:
        found += _journey(journey, moment, roster, words, due_within, day_starts)
    start_of_day = datetime.combine(moment.date(), day_starts, zone)
    if moment >= start_of_day:
        found += [_followup(item, roster, words) for item in followups if item.due < moment.date()]
    return found


@dataclass(frozen=True)
class _Words:
    language: Language
    now: datetime

    def __call__(self, message: str, **values: object) -> str:
        return t(self.language, message, **values)

    def span(self, delta: timedelta) -> str:
        return minutes_text(max(int(delta.total_seconds() // 60), 0), self.language)

    def clock(self, moment: datetime) -> str:
        """``10:00`` today, else ``Fri 17:00`` (``周五 17:00``)."""
        local = moment.astimezone(self.now.tzinfo)
        if local.date() == self.now.date():
            return f"{local:%H:%M}"
        return f"{weekday(local.date(), self.language)} {local:%H:%M}"


def _announced_from(due: datetime, zone: tzinfo | None, due_within: timedelta, day_starts: time) -> datetime:
    """When something due at ``due`` is first announced."""
    local = due.astimezone(zone)
    if local.time() == time(0):  # due at the end of the day before: announce in its morning
        return datetime.combine(local.date() - timedelta(days=1), day_starts, zone)
    return due - due_within


def _open(item: AgendaItem) -> bool:
    return not item.not_due and not (item.run is not None and item.run.is_closed)


def _is_overdue(item: AgendaItem) -> bool:
    return item.overdue and _open(item)


def _is_due_soon(item: AgendaItem, now: datetime, due_within: timedelta, day_starts: time) -> bool:
    return (
        _open(item)
        and now < item.due
        and now >= _announced_from(item.due, now.tzinfo, due_within, day_starts)
    )


def people_for(roster: Roster, role: str | None) -> str | None:
    """The names of the roster's people with ``role`` (a roster role, or its English name)."""
    if not role:
        return None
    wanted = ROLE_WORDS.get(role.strip().lower(), role.strip())
    names = [p.name for p in roster.people if wanted in p.roles]
    return "、".join(names) or None


def _next_step(playbook: Playbook, run: RunState | None) -> str | None:
    if run is not None:
        current = run.current()
        return current.step.title if current else None
    first = next((s for s in playbook.steps if s.when is None), None)
    return first.title if first else None


def _routine_lines(item: AgendaItem, words: _Words) -> list[str]:
    playbook, run = item.entry.playbook, item.run
    lines: list[str] = []
    step = _next_step(playbook, run)
    if step is not None and run is not None and run.done_count:
        lines.append(words(PROGRESS, done=run.done_count, total=run.total, step=step))
    elif step is not None:
        lines.append(words(NOT_STARTED, step=step))
    lines.append(words(OPEN_IT, playbook=playbook.id))
    return lines


def _routine_owner(item: AgendaItem, roster: Roster) -> str | None:
    playbook, run = item.entry.playbook, item.run
    current = run.current() if run is not None else None
    role = current.step.role if current else next((s.role for s in playbook.steps if s.role), None)
    owner = people_for(roster, playbook.owner) or people_for(roster, role)
    if owner is None and run is not None and run.acted():
        owner = "、".join(run.acted())
    return owner


def _overdue(item: AgendaItem, now: datetime, roster: Roster, words: _Words) -> Reminder:
    playbook = item.entry.playbook
    lines = [words(WAS_DUE, time=words.clock(item.due), late=words.span(now - item.due))]
    return Reminder(
        f"overdue:{playbook.id}:{item.period}",
        "overdue",
        words(OVERDUE, title=playbook.title),
        lines + _routine_lines(item, words),
        _routine_owner(item, roster),
    )


def _due_soon(item: AgendaItem, now: datetime, roster: Roster, words: _Words) -> Reminder:
    playbook = item.entry.playbook
    local = item.due.astimezone(now.tzinfo)
    if local.time() == time(0):
        first = words(DUE_TODAY)
    else:
        first = words(DUE_AT, time=words.clock(item.due), left=words.span(item.due - now))
    return Reminder(
        f"due:{playbook.id}:{item.period}",
        "due",
        words(DUE_SOON, title=playbook.title),
        [first, *_routine_lines(item, words)],
        _routine_owner(item, roster),
    )


def _journey(
    journey: JourneyItem,
    now: datetime,
    roster: Roster,
    words: _Words,
    due_within: timedelta,
    day_starts: time,
) -> list[Reminder]:
    found = []
    for step in journey.steps:
        if not step.pending or step.day(now) != now.date():
            continue
        # A journey step is the day's plan: announced from the day's start (or earlier when
        # it is due within ``due_within`` of it).
        start = datetime.combine(now.date(), day_starts, now.tzinfo)
        if now < min(start, _announced_from(step.due, now.tzinfo, due_within, day_starts)):
            continue
        found.append(_journey_step(journey, step, now, roster, words))
    return found


def _journey_step(
    journey: JourneyItem, step: JourneyStep, now: datetime, roster: Roster, words: _Words
) -> Reminder:
    local = step.due.astimezone(now.tzinfo)
    if step.due <= now:
        first = words(WAS_DUE, time=words.clock(step.due), late=words.span(now - step.due))
    elif local.time() == time(0):
        first = words(DUE_TODAY)
    else:
        first = words(DUE_TODAY_AT, time=f"{local:%H:%M}")
    playbook = journey.playbook
    run_id = journey.run.run_id
    return Reminder(
        f"journey:{run_id}:{step.step.id}",
        "journey",
        words(JOURNEY, journey=journey.title, label=step.label, step=step.step.title),
        [first, words(RECORD_IT, playbook=playbook.id, step=step.step.id, run=run_id)],
        people_for(roster, step.step.role) or people_for(roster, playbook.owner),
    )


def _escalations(incident: RunState, now: datetime, roster: Roster, words: _Words) -> list[Reminder]:
    found = []
    for step_id, late in escalations(incident, now).items():
        step = incident.steps[step_id].step
        limit = step.escalate_after or timedelta()
        found.append(
            Reminder(
                f"escalation:{incident.run_id}:{step_id}",
                "escalation",
                words(
                    ESCALATION,
                    severity=incident.severity or "",
                    incident=incident.title or incident.playbook.title,
                ),
                [
                    words(LATE_STEP, step=step.title, limit=words.span(limit), late=words.span(late)),
                    words(
                        OPENED,
                        time=words.clock(incident.opened_at),
                        name=incident.opened_by,
                        done=incident.done_count,
                        total=incident.total,
                    ),
                    words(RECORD_IT, playbook=incident.playbook.id, step=step_id, run=incident.run_id),
                ],
                people_for(roster, step.role) or people_for(roster, incident.playbook.owner),
            )
        )
    return found


def _followup(item: FollowUp, roster: Roster, words: _Words) -> Reminder:
    ident = getattr(item, "id", None) or uuid.uuid5(SENT_NAMESPACE, f"{item.what}\n{item.owner}").hex[:12]
    return Reminder(
        f"followup:{ident}:{item.due.isoformat()}",
        "followup",
        words(FOLLOWUP, what=item.what),
        [words(FOLLOWUP_DUE, day=item.due.isoformat())],
        roster.name_of(item.owner) or None,
    )


# -- sending, once -----------------------------------------------------------------------------

Status = Literal["sent", "failed", "would send", "already sent", "waiting", "later"]


@dataclass
class Outcome:
    """What became of one reminder for one webhook in this invocation."""

    reminder: Reminder
    webhook: str
    status: Status
    attempts: int = 0
    reason: str | None = None
    next_try_at: datetime | None = None
    text: str = ""
    """The message as plain text (what ``--dry-run`` shows)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.reminder.key,
            "kind": self.reminder.kind,
            "title": self.reminder.title,
            "owner": self.reminder.owner,
            "webhook": self.webhook,
            "status": self.status,
            "attempts": self.attempts,
            "reason": self.reason,
            "next_try_at": self.next_try_at.isoformat() if self.next_try_at else None,
            "text": self.text,
        }


def sent_id(key: str, webhook: str) -> str:
    """The UUID of the ``reminder.sent`` event of ``key`` for ``webhook``."""
    return str(uuid.uuid5(SENT_NAMESPACE, f"{webhook}\n{key}"))


def retry_delay(failures: int) -> timedelta:
    """The wait after the ``failures``-th failed send in a row: doubling, at most LAST_RETRY."""
    doubled: timedelta = FIRST_RETRY * (2 ** min(max(failures - 1, 0), 16))
    return min(doubled, LAST_RETRY)


@dataclass(frozen=True)
class _Standing:
    """Where one key stands for one webhook: sent, waiting until ``until``, or free to send
    after ``failures`` failed sends."""

    sent: bool = False
    until: datetime | None = None
    failures: int = 0


def _standing(ledger: Ledger, key: str, webhook: str, now: datetime) -> _Standing:
    journal = ledger.journal
    if journal.has_event(sent_id(key, webhook)):
        return _Standing(sent=True)
    records = [
        event
        for event in journal.events_of_kinds([FAILED], now - FAILURE_WINDOW)
        if event.payload.get("key") == key and event.payload.get("webhook") == webhook
    ]
    failures = sum(1 for event in records if _attempts(event) > 0)
    if records:
        until = _next_try(records[-1])
        if until is not None and until > now + RETRY_SLACK:
            return _Standing(until=until, failures=failures)
    return _Standing(failures=failures)


def _attempts(event: Event) -> int:
    value = event.payload.get("attempts")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _next_try(event: Event) -> datetime | None:
    value = event.payload.get("next_try_at")
    try:
        return parse_utc(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _event(recorder: Recorder, kind: str, at: datetime, payload: dict[str, Any], uuid_: str | None) -> Event:
    """An event of no run, as the recorder writes them (its UUID fixed when given)."""
    event = recorder.event_for(kind, at, None, None, None, None, payload)
    return event if uuid_ is None else replace(event, uuid=uuid_)


def _claim(recorder: Recorder, reminder: Reminder, webhook: str, now: datetime) -> _Standing | None:
    """Take the right to send ``reminder`` to ``webhook``: None when this invocation now holds
    it, else where the key stands (already sent, or someone waits or sends).

    Why a claim, and why this way: two ``soptui remind`` may run at once (cron overlapping a
    person running it by hand, two members' crontabs). Holding the journal's write lock while
    the message is posted (up to half a minute with retries) would stall every member's app
    and command; taking no lock would let both post. So the check and the claim are one short
    write transaction (:meth:`writing`, which serialises every writer of the journal across
    processes: ``BEGIN IMMEDIATE`` in SQLite): is
    there a ``reminder.sent``, or a ``reminder.failed`` whose ``next_try_at`` has not come? If
    not, a ``reminder.failed`` with ``attempts: 0`` and ``next_try_at`` CLAIM_LEASE ahead is
    written, which every other invocation reads as "wait", and the lock is released. Only then
    is the message posted, and the result recorded (``reminder.sent``, or a real failure with
    its backoff). Should the process die between posting and recording, the claim says so
    (``--status``: interrupted) and the reminder is tried again after the lease: at most one
    duplicate, and only then.
    """
    payload = {
        "key": reminder.key,
        "webhook": webhook,
        "kind": reminder.kind,
        "title": reminder.title[:200],
        "attempts": 0,
        "reason": "sending",
        "next_try_at": utc_text(now + CLAIM_LEASE),
    }
    with recorder.journal.writing(wait=recorder.write_wait):
        standing = _standing(recorder.ledger, reminder.key, webhook, now)
        if standing.sent or standing.until is not None:
            return standing
        recorder.journal.insert_event(_event(recorder, FAILED, now, payload, None))
    return None


def _record(
    recorder: Recorder, reminder: Reminder, webhook: str, attempts: int, reason: str | None
) -> datetime | None:
    """Record how the send went; returns the next try's time after a failure."""
    at = recorder.clock()
    base = {"key": reminder.key, "webhook": webhook, "kind": reminder.kind, "title": reminder.title[:200]}
    with recorder.journal.writing(wait=recorder.write_wait):
        if reason is None:
            event = _event(recorder, SENT, at, {**base, "attempts": attempts}, sent_id(reminder.key, webhook))
            recorder.journal.insert_event(event)
            return None
        earlier = _standing(recorder.ledger, reminder.key, webhook, at).failures
        next_try = at + retry_delay(earlier + 1)
        payload = {**base, "attempts": attempts, "reason": reason, "next_try_at": utc_text(next_try)}
        recorder.journal.insert_event(_event(recorder, FAILED, at, payload, None))
        return next_try


def deliver(
    recorder: Recorder,
    config: NotifyConfig,
    reminders: Sequence[Reminder],
    sender: Sender,
    language: Language,
    *,
    dry_run: bool = False,
) -> list[Outcome]:
    """Send each reminder to each webhook that wants its kind, once; return what happened.

    With ``dry_run`` nothing is sent and nothing written: the outcomes say what would be sent
    (``would send``) and what would not (``already sent``, ``waiting`` for a retry).
    """
    outcomes: list[Outcome] = []
    for target in config.targets:
        sent_here = 0
        for reminder in reminders:
            if not target.wants(reminder.kind):
                continue
            text = plain_text(reminder, language)
            now = recorder.clock()
            if dry_run:
                outcomes.append(_preview(recorder.ledger, reminder, target.label, now, text))
                continue
            if sent_here >= MAX_PER_RUN:
                outcomes.append(Outcome(reminder, target.label, "later", text=text))
                continue
            standing = _claim(recorder, reminder, target.label, now)
            if standing is not None:
                status: Status = "already sent" if standing.sent else "waiting"
                outcomes.append(
                    Outcome(reminder, target.label, status, next_try_at=standing.until, text=text)
                )
                continue
            sent_here += 1
            outcome = _send(recorder, reminder, target, sender, language, text, config)
            outcomes.append(outcome)
    return outcomes


def _preview(ledger: Ledger, reminder: Reminder, webhook: str, now: datetime, text: str) -> Outcome:
    standing = _standing(ledger, reminder.key, webhook, now)
    if standing.sent:
        return Outcome(reminder, webhook, "already sent", text=text)
    if standing.until is not None:
        return Outcome(reminder, webhook, "waiting", next_try_at=standing.until, text=text)
    return Outcome(reminder, webhook, "would send", text=text)


def _send(
    recorder: Recorder,
    reminder: Reminder,
    target: Target,
    sender: Sender,
    language: Language,
    text: str,
    config: NotifyConfig,
) -> Outcome:
    delivery = sender.send(target.webhook, message_body(reminder, target.webhook.kind, language))
    # A platform's message could in principle repeat any of the team's credentials: none is kept.
    reason = None if delivery.reason is None else scrub(delivery.reason, [t.webhook for t in config.targets])
    next_try = _record(recorder, reminder, target.label, delivery.attempts, reason)
    status: Status = "sent" if delivery.ok else "failed"
    return Outcome(reminder, target.label, status, delivery.attempts, reason, next_try, text)


# -- what was sent -----------------------------------------------------------------------------

State = Literal["sent", "failed", "sending", "interrupted"]


@dataclass
class StatusRow:
    """The latest word on one key for one webhook."""

    key: str
    webhook: str
    kind: str
    title: str
    state: State
    at: datetime
    attempts: int = 0
    reason: str | None = None
    next_try_at: datetime | None = None
    failures: int = 0
    """Failed sends of this key to this webhook in the period shown."""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "webhook": self.webhook,
            "kind": self.kind,
            "title": self.title,
            "state": self.state,
            "at": self.at.isoformat(),
            "attempts": self.attempts,
            "reason": self.reason,
            "next_try_at": self.next_try_at.isoformat() if self.next_try_at else None,
            "failures": self.failures,
        }


def reminder_status(ledger: Ledger, now: datetime, days: int = STATUS_DAYS) -> list[StatusRow]:
    """Each key and webhook the journal has sent or tried to send in the last ``days`` days,
    where it stands now; the newest first. Reads only."""
    rows: dict[tuple[str, str], StatusRow] = {}
    for event in ledger.journal.events_of_kinds([SENT, FAILED], now - timedelta(days=days)):
        key, webhook = event.payload.get("key"), event.payload.get("webhook")
        if not isinstance(key, str) or not isinstance(webhook, str):
            continue
        row = rows.get((webhook, key))
        if row is None:
            row = rows[(webhook, key)] = StatusRow(key, webhook, "", "", "sending", event.at)
        elif row.state == "sent":
            continue  # once sent, later records (a merged journal's) change nothing
        row.at = event.at
        row.kind = str(event.payload.get("kind") or row.kind)
        row.title = str(event.payload.get("title") or row.title)
        row.attempts = _attempts(event)
        if event.kind == SENT:
            row.state, row.reason, row.next_try_at = "sent", None, None
            continue
        row.next_try_at = _next_try(event)
        if row.attempts == 0:
            row.state = "sending" if row.next_try_at and row.next_try_at > now else "interrupted"
            row.reason = None
        else:
            row.state = "failed"
            row.failures += 1
            reason = event.payload.get("reason")
            row.reason = str(reason) if reason is not None else None
    return sorted(rows.values(), key=lambda r: r.at, reverse=True)
