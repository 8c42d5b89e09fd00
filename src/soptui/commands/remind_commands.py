"""``soptui remind``: send what needs attention to the team's chat (for cron or a systemd timer).

``--dry-run`` shows what would be sent and to which webhook, sending and writing nothing;
``--status`` lists what was sent and what failed, with the next try. Needs no terminal and
reads no input. Webhook addresses and secrets are never printed: webhooks are named by label.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from soptui.context import CommandError, Context, journal_exists, make_ledger, make_recorder, open_journal
from soptui.i18n import Language, _, ngettext
from soptui.journal import JournalError
from soptui.ledger import ActionError, Ledger, utc_now
from soptui.notify import NotifyConfig, NotifyError, Sender, find_notify
from soptui.recorder import Recorder
from soptui.reminders import (
    FollowUp,
    Outcome,
    StatusRow,
    attention,
    catch_up,
    deliver,
    reminder_status,
)
from soptui.text import safe_json, table, visible

clock: Callable[[], datetime] = utc_now
"""The time ``remind`` acts at; tests move it."""
sleep: Callable[[float], None] = time.sleep
"""The pause between attempts of one send; tests make it instant."""


def _pause(seconds: float) -> None:
    sleep(seconds)


def reminder_language(context: Context) -> Language:
    """The team's language for messages in its chat: --language, else the configuration's, else
    Chinese (cron's locale says nothing about the team)."""
    return context.language_option or context.settings.language or "zh"


def followups_past_due(ledger: Ledger, now: datetime) -> Sequence[FollowUp]:
    """Open follow-up action items whose due day is over (in the team's time zone)."""

    today = now.astimezone(ledger.zone).date()
    return [i for i in ledger.action_items() if i.overdue(today)]


def remind(context: Context, dry_run: bool, status: bool, as_json: bool) -> int:
    if status:
        return _status(context, as_json)
    try:
        config = find_notify(context.team_dir, context.paths.config_dir, context.team_gid)
    except NotifyError as error:
        raise CommandError(str(error)) from None
    language = reminder_language(context)
    journal = open_journal(context, readonly=dry_run and journal_exists(context))
    recorder = make_recorder(context, journal, clock)
    try:
        outcomes = _run(recorder, config, language, dry_run)
    except (ActionError, JournalError) as error:
        raise CommandError(str(error)) from None
    finally:
        journal.close()
    if as_json:
        print(safe_json({"dry_run": dry_run, "reminders": [o.to_json() for o in outcomes]}, indent=2))
    elif dry_run:
        _print_preview(outcomes, context)
    else:
        _print_outcomes(outcomes, context)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise CommandError(
            ngettext(
                "{n} reminder could not be sent; it is tried again later (soptui remind --status)",
                "{n} reminders could not be sent; they are tried again later (soptui remind --status)",
                len(failed),
            ).format(n=len(failed))
        )
    return 0


def _run(recorder: Recorder, config: NotifyConfig, language: Language, dry_run: bool) -> list[Outcome]:
    now = recorder.clock()
    if not dry_run:
        catch_up(recorder, now)
    reminders = attention(
        recorder.ledger,
        now,
        language,
        due_within=config.settings.due_within,
        day_starts=config.settings.day_starts,
        followups=followups_past_due(recorder.ledger, now),
    )
    sender = Sender(sleep=_pause)
    return deliver(recorder, config, reminders, sender, language, dry_run=dry_run)


def _local(moment: datetime | None, context: Context) -> str:
    if moment is None:
        return ""
    return f"{moment.astimezone(context.zone):%m-%d %H:%M}"


def _print_preview(outcomes: list[Outcome], context: Context) -> None:
    pending = [o for o in outcomes if o.status == "would send"]
    for outcome in pending:
        print(
            visible(
                _("→ {webhook} ({key})").format(webhook=outcome.webhook, key=outcome.reminder.key),
                newlines=False,
            )
        )
        for line in outcome.text.split("\n"):
            print("    " + visible(line, newlines=False))
    sent = sum(1 for o in outcomes if o.status == "already sent")
    waiting = [o for o in outcomes if o.status == "waiting"]
    if sent:
        print(_("already sent, not sent again: {n}").format(n=sent))
    for outcome in waiting:
        print(
            visible(
                _("waiting: {webhook} ({key}), next try {when}").format(
                    webhook=outcome.webhook,
                    key=outcome.reminder.key,
                    when=_local(outcome.next_try_at, context),
                ),
                newlines=False,
            )
        )
    if not pending:
        print(_("nothing to send now (dry run: nothing was sent)"))
    else:
        print(_("dry run: nothing was sent or recorded"))


def _print_outcomes(outcomes: list[Outcome], context: Context) -> None:
    """One line per message sent, failed or left for later; nothing when nothing happened
    (cron mails whatever a job prints)."""
    for outcome in outcomes:
        values = {"webhook": outcome.webhook, "title": outcome.reminder.title}
        if outcome.status == "sent":
            line = _("sent to {webhook}: {title}").format(**values)
        elif outcome.status == "failed":
            line = _("not sent to {webhook}: {title}: {reason}; next try {when}").format(
                **values, reason=outcome.reason or "", when=_local(outcome.next_try_at, context)
            )
        elif outcome.status == "later":
            line = _("left for the next run (too many at once) for {webhook}: {title}").format(**values)
        else:
            continue
        print(visible(line, newlines=False), file=sys.stderr if outcome.status == "failed" else sys.stdout)


def _status(context: Context, as_json: bool) -> int:
    """What was sent and what failed in the last week, newest first (reads only)."""
    try:
        find_notify(context.team_dir, context.paths.config_dir, context.team_gid)
    except NotifyError as error:
        first, *rest = str(error).split("\n")
        print(_("soptui: warning: {line}").format(line=visible(first, newlines=False)), file=sys.stderr)
        for line in rest:
            print(visible(line, newlines=False), file=sys.stderr)
    if not journal_exists(context):
        rows: list[StatusRow] = []
    else:
        journal = open_journal(context, readonly=True)
        try:
            rows = reminder_status(make_ledger(context, journal), clock())
        except JournalError as error:
            raise CommandError(str(error)) from None
        finally:
            journal.close()
    if as_json:
        print(safe_json({"reminders": [row.to_json() for row in rows]}, indent=2))
        return 0
    if not rows:
        print(_("no reminders were sent or tried in the last 7 days"))
        return 0
    header = [_("STATE"), _("WHEN"), _("WEBHOOK"), _("REMINDER"), _("TRIES"), _("NEXT TRY"), _("WHY")]
    body = [
        [
            _state_word(row.state),
            _local(row.at, context),
            row.webhook,
            row.title or row.key,
            str(row.attempts) if row.attempts else "",
            _local(row.next_try_at, context) if row.state in ("failed", "interrupted", "sending") else "",
            row.reason or ("" if row.state != "interrupted" else _("stopped while sending")),
        ]
        for row in rows
    ]
    print(table([header, *[[visible(cell, newlines=False) for cell in line] for line in body]]))
    return 0


def _state_word(state: str) -> str:
    words = {
        "sent": _("sent"),
        "failed": _("failed"),
        "sending": _("sending"),
        "interrupted": _("interrupted"),
    }
    return words.get(state, state)
