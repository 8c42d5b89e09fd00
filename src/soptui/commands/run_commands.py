"""Quick capture from the shell: ``done``, ``skip``, ``note``, ``incident``, ``due``."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from soptui.agenda import Agenda, AgendaItem, build_agenda
from soptui.context import CommandError, Context, UsageError, journal_exists, make_recorder, open_journal
from soptui.events import INSTANT_RANGE, check_instant
from soptui.i18n import _, weekday
from soptui.journal import JournalError
from soptui.playbooks.fields import ID_PATTERN
from soptui.recorder import ActionError, Recorder
from soptui.runs import RunState
from soptui.schedule import parse_date_option
from soptui.text import safe_json, table, visible

FUTURE_SLACK = timedelta(minutes=5)


def parse_at(text: str | None, context: Context) -> datetime | None:
    """``--at``: ISO 8601; team-local time when it has no offset; a bare date means noon."""
    if text is None:
        return None
    cleaned = text.strip().replace(" ", "T", 1)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            moment = datetime.combine(date.fromisoformat(cleaned), time(12))
        else:
            moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise UsageError(
            _("--at {text!r}: use ISO 8601, e.g. 2026-11-23T09:30 or 2026-11-23").format(text=text)
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=context.zone)
    try:
        check_instant(moment)
    except ValueError:
        raise UsageError(
            _("--at {text!r} is outside the supported range {INSTANT_RANGE}").format(
                text=text, INSTANT_RANGE=INSTANT_RANGE
            )
        ) from None
    if moment > datetime.now(UTC) + FUTURE_SLACK:
        raise UsageError(
            _("--at {text!r} is in the future; --at records what already happened").format(text=text)
        )
    return moment


def _with_recorder(context: Context) -> Recorder:
    return make_recorder(context, open_journal(context))


def _run_for(recorder: Recorder, playbook: str | None, run: str | None, at: datetime | None) -> RunState:
    if run:
        rows = recorder.journal.find_runs(run)
        exact = [r for r in rows if r.run_id == run]
        if exact or len(rows) == 1:
            return recorder.fold_row((exact or rows)[0])
        raise CommandError(
            _("no run {run!r}").format(run=run) if not rows else _("run {run!r} is ambiguous").format(run=run)
        )
    if playbook is None:
        raise UsageError(_("name a PLAYBOOK or give --run ID"))
    return recorder.routine_run(playbook, at)


def _act(context: Context, action: Any) -> int:
    try:
        state: RunState | None = action(_with_recorder(context))
    except (ActionError, JournalError) as error:
        raise CommandError(str(error)) from None
    if state is not None:
        print(
            visible(
                _("{run}: {done}/{total} steps").format(
                    run=state.run_id, done=state.done_count, total=state.total
                ),
                newlines=False,
            )
        )
    return 0


def done(
    context: Context,
    playbook: str | None,
    step: str,
    value: str | None,
    note: str | None,
    at_text: str | None,
    run: str | None,
    group: str | None = None,
) -> int:
    at = parse_at(at_text, context)

    def action(recorder: Recorder) -> RunState:
        # One transaction: a refused value or note leaves no step done and no run opened.
        with recorder.journal.writing():
            state = _run_for(recorder, playbook, run, at)
            return recorder.complete(state.run_id, step, value, at, note=note, group=group)

    return _act(context, action)


def skip(
    context: Context,
    playbook: str | None,
    step: str,
    reason: str | None,
    at_text: str | None,
    run: str | None,
    group: str | None = None,
) -> int:
    at = parse_at(at_text, context)
    return _act(
        context, lambda r: r.skip(_run_for(r, playbook, run, at).run_id, step, reason, at, group=group)
    )


def note(context: Context, words: list[str], step: str | None, at_text: str | None, run: str | None) -> int:
    if len(words) > 2:
        raise UsageError(
            _('{words} words: quote the note text, e.g. soptui note {value} "{value2}"').format(
                words=len(words), value=words[0], value2=" ".join(words[1:])
            )
        )
    if len(words) == 1:
        _refuse_a_bare_playbook_id(context, words[0])
    playbook, text = (words[0], words[1]) if len(words) == 2 else (None, words[0])
    at = parse_at(at_text, context)

    def action(recorder: Recorder) -> RunState | None:
        if playbook is None and run is None:
            if step:
                raise UsageError(_("--step needs a PLAYBOOK or --run"))
            recorder.note(None, text, None, at)
            print(_("noted in the day's log"))
            return None
        return recorder.note(_run_for(recorder, playbook, run, at).run_id, text, step, at)

    return _act(context, action)


def _refuse_a_bare_playbook_id(context: Context, word: str) -> None:
    """``soptui note morning-round``: the text was forgotten, so the id is not the note.

    Refused when the word is a playbook's id, or looks like one (lowercase, with a '-') and
    nothing else was given; a one-word note such as ``ok`` is still a note.
    """
    if word in context.library.entries:
        raise UsageError(
            _('{word!r} is a playbook: give the note text too, e.g. soptui note {word} "TEXT"').format(
                word=word
            )
        )
    if re.fullmatch(ID_PATTERN, word) and "-" in word:
        from difflib import get_close_matches

        close = get_close_matches(word, sorted(context.library.entries), n=1)
        if close:
            raise UsageError(
                _(
                    "{word!r} looks like a playbook id (did you mean {value!r}?): give the note text too, "
                    'e.g. soptui note {word} "TEXT" (or, for the day\'s log, more than this one word)'
                ).format(word=word, value=close[0])
            )
        raise UsageError(
            _(
                "{word!r} looks like a playbook id: give the note text too, "
                'e.g. soptui note {word} "TEXT" (or, for the day\'s log, more than this one word)'
            ).format(word=word)
        )


def incident_open(context: Context, playbook: str, title: str, severity: str | None) -> int:
    return _act(context, lambda r: r.open_incident(playbook, title, severity))


def incident_resolve(context: Context, run: str, summary: str | None) -> int:
    return _act(context, lambda r: r.resolve(_run_for(r, None, run, None).run_id, summary or _("resolved")))


# -- due ----------------------------------------------------------------------------


def due(context: Context, day_text: str | None, as_json: bool) -> int:
    now: datetime | None = None
    if day_text:
        now = datetime.combine(parse_date_option("--date", day_text), time(12), context.zone)
    try:
        # A read-only command: an existing journal is opened read-only, so `due` never writes.
        readonly = journal_exists(context)
        agenda = build_agenda(make_recorder(context, open_journal(context, readonly=readonly)), now)
    except (ActionError, JournalError) as error:
        raise CommandError(str(error)) from None
    if as_json:
        print(safe_json(agenda_json(agenda), indent=2))
    else:
        print(agenda_text(agenda))
    return 0


def _item_json(item: AgendaItem) -> dict[str, Any]:
    run = item.run
    return {
        "playbook": item.entry.playbook.id,
        "title": item.entry.playbook.title,
        "cadence": item.entry.playbook.cadence,
        "period": item.period,
        "state": item.state_word,
        "done": run.done_count if run else 0,
        "total": run.total if run else len(item.entry.playbook.steps),
        "closed_by": run.closed_by if run and run.is_closed else None,
        "closed_at": run.closed_at.isoformat() if run and run.closed_at else None,
        "due": item.due.isoformat(),
        "overdue": item.overdue,
        "missed": item.missed,
        "run": run.run_id if run else None,
    }


def agenda_json(agenda: Agenda) -> dict[str, Any]:
    return {
        "date": agenda.day.isoformat(),
        "routines": [_item_json(i) for i in agenda.routines],
        "incidents": [
            {
                "run": s.run_id,
                "playbook": s.playbook.id,
                "title": s.title,
                "severity": s.severity,
                "opened_at": s.opened_at.isoformat(),
                "done": s.done_count,
                "total": s.total,
            }
            for s in agenda.incidents
        ],
        "notes": [
            {"at": n.at.isoformat(), "operator": n.operator, "text": n.payload.get("text")}
            for n in agenda.day_notes
        ],
    }


def agenda_text(agenda: Agenda) -> str:
    rows = [["", _("ROUTINE"), _("CADENCE"), _("STEPS"), _("STATE"), _("DUE"), _("MISSED")]]
    for item in agenda.routines:
        run = item.run
        mark = (
            "✓"
            if item.state_word == "done"
            else ("!" if item.overdue else ("▶" if item.state_word == "in progress" else "·"))
        )
        steps = f"{run.done_count}/{run.total}" if run else f"0/{len(item.entry.playbook.steps)}"
        state = _(item.state_word)
        if run and run.is_closed and run.closed_at:
            closed = run.closed_at.astimezone(agenda.now.tzinfo)
            state = _("done by {operator} {when}").format(
                operator=run.closed_by, when=f"{weekday(closed)} {closed:%H:%M}"
            )
        elif item.overdue:
            state += _(" (overdue)")
        due_text = f"{weekday(item.due)} {item.due:%m-%d %H:%M}"
        rows.append(
            [
                mark,
                visible(item.entry.playbook.title, newlines=False),
                _(item.entry.playbook.cadence),
                steps,
                visible(state, newlines=False),
                due_text,
                str(len(item.missed) or ""),
            ]
        )
    lines = [f"{agenda.day.isoformat()} · {weekday(agenda.day, long=True)}", table(rows)]
    if agenda.incidents:
        lines.append("")
        for incident in agenda.incidents:
            elapsed = incident.elapsed(agenda.now)
            lines.append(
                visible(
                    f"● {incident.severity} {incident.title} · {incident.playbook.title} · "
                    f"{_hms(elapsed)} · {incident.done_count}/{incident.total} · {incident.run_id}",
                    newlines=False,
                )
            )
    for note_event in agenda.day_notes:
        item_ = note_event
        lines.append(
            visible(
                _("note {time} {operator}: {text}").format(
                    time=f"{item_.at.astimezone(agenda.now.tzinfo):%H:%M}",
                    operator=item_.operator,
                    text=item_.payload.get("text", ""),
                ),
                newlines=False,
            )
        )
    return "\n".join(lines)


def _hms(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
