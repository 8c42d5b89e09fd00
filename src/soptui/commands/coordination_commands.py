"""Team coordination from the shell: ``claim``, ``release``, ``handover``, ``amend``, ``actions``."""

from __future__ import annotations

from datetime import date

from soptui.commands.run_commands import _act, _run_for, _with_recorder
from soptui.context import CommandError, Context, UsageError, journal_exists, make_ledger, open_journal
from soptui.coordination import Coordinator
from soptui.followups import ActionItem, parse_due, short_id
from soptui.i18n import N_, _
from soptui.journal import JournalError
from soptui.recorder import ActionError, Recorder
from soptui.runs import RunState
from soptui.text import safe_json, table, visible

STATUS = {"open": N_("open"), "done": N_("done"), "dropped": N_("dropped")}


def claim(
    context: Context, playbook: str | None, run: str | None, step: str | None, groups: list[str], mine: bool
) -> int:
    """``soptui claim`` (``mine``) and ``soptui release``."""
    if groups and step is None:
        raise UsageError(_("--group needs --step: the per-group step whose groups you claim"))

    def action(recorder: Recorder) -> RunState:
        with recorder.journal.writing():
            state = _run_for(recorder, playbook, run, None)
            coordinator = Coordinator(recorder)
            change = coordinator.claim if mine else coordinator.release
            return change(state.run_id, step, groups or None)

    return _act(context, action)


def handover(context: Context, words: list[str], acknowledge: bool) -> int:
    """Write a hand-over note, or (no text) list those waiting for you."""
    coordinator = Coordinator(_with_recorder(context))
    try:
        if words:
            coordinator.hand_over(" ".join(words))
            print(_("hand-over noted: the next operators see it when they start soptui"))
            return 0
        waiting = coordinator.waiting_handovers()
        zone = context.zone
        for event in waiting:
            when = event.at.astimezone(zone).strftime("%m-%d %H:%M")
            print(visible(f"{when}  {event.operator}: {event.payload.get('text', '')}"))
        if not waiting:
            print(_("no hand-over notes waiting for you"))
        elif acknowledge:
            coordinator.acknowledge(waiting)
            print(_("{n} hand-over note(s) acknowledged").format(n=len(waiting)))
    except (ActionError, JournalError) as error:
        raise CommandError(str(error)) from None
    return 0


def amend(
    context: Context,
    playbook: str | None,
    step: str,
    reason: str,
    value: str | None,
    retract: bool,
    group: str | None,
    run: str | None,
) -> int:
    if retract == (value is not None):
        raise UsageError(_("give either --value (the corrected value) or --retract"))

    def action(recorder: Recorder) -> RunState:
        with recorder.journal.writing():
            state = _run_for(recorder, playbook, run, None)
            return Coordinator(recorder).amend(
                state.run_id, step, reason, value, retract=retract, group=group
            )

    return _act(context, action)


def actions(context: Context, mine: bool, everything: bool, as_json: bool) -> int:
    """List the team's action items: open ones (``--all``: closed too), ``--mine`` only."""
    items: list[ActionItem] = []
    if journal_exists(context):
        with open_journal(context, readonly=True) as journal:
            items = make_ledger(context, journal).action_items()
    if mine:
        items = [i for i in items if i.owner == context.login]
    if not everything:
        items = [i for i in items if i.status == "open"]
    if as_json:
        print(safe_json([i.to_json() for i in items], indent=2))
        return 0
    if not items:
        print(_("no open action items") if not everything else _("no action items"))
        return 0
    today = context.today()
    rows = [
        [
            short_id(i),
            i.due.isoformat() + (" " + _("overdue") if i.overdue(today) else ""),
            visible(i.owner, newlines=False),
            _(STATUS[i.status]),
            visible(i.what, newlines=False),
        ]
        for i in items
    ]
    print(table([[_("item"), _("due"), _("owner"), _("status"), _("what")], *rows]))
    return 0


def close_action(context: Context, outcome: str, item_id: str, due_text: str | None) -> int:
    due: date | None = None
    if outcome == "moved":
        due = parse_due(due_text or "", context.today())
        if due is None:
            raise UsageError(
                _("{text!r} is not a date: use 2026-12-05, 12-05 or +3d").format(text=due_text or "")
            )
    try:
        item = Coordinator(_with_recorder(context)).close_action(item_id, outcome, due)
    except (ActionError, JournalError) as error:
        raise CommandError(str(error)) from None
    status = (
        _("moved to {due}").format(due=item.due.isoformat()) if outcome == "moved" else _(STATUS[item.status])
    )
    print(visible(f"{short_id(item)} {item.what}: {status}"))
    return 0
