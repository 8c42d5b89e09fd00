"""Quick capture from the shell: ``done``, ``skip``, ``note``, ``incident``, ``due``."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from soptui import severities
from soptui.agenda import Agenda, AgendaItem, build_agenda
from soptui.context import (
    CommandError,
    Context,
    UsageError,
    journal_exists,
    make_ledger,
    make_recorder,
    open_journal,
)
from soptui.events import INSTANT_RANGE, check_instant
from soptui.i18n import _, hms, weekday
from soptui.journal import JournalError
from soptui.journeys import JourneyItem, JourneyStep, instances, start_due_cohorts
from soptui.playbooks.fields import ID_PATTERN, format_offset
from soptui.recorder import ActionError, Recorder
from soptui.runs import RunState
from soptui.schedule import parse_anchor, parse_date_option
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
    found = recorder.library.get(playbook)
    if found is not None and found.is_sequence:
        return _only_instance(recorder, playbook)
    return recorder.routine_run(playbook, at)


def _only_instance(recorder: Recorder, playbook: str) -> RunState:
    """A dated journey named without --run: its one active instance, else say which exist."""
    start_due_cohorts(recorder)  # a write command: today's cohort may need starting first
    active = [i.run for i in instances(recorder.ledger) if i.playbook.id == playbook]
    if len(active) == 1:
        return active[0]
    if not active:
        raise CommandError(
            _(
                "{playbook!r} has no active instance: start one with soptui start {playbook} --anchor DATE"
            ).format(playbook=playbook)
        )
    raise CommandError(
        _("{playbook!r} has {value} active instances: name one with --run ({runs})").format(
            playbook=playbook, value=len(active), runs=", ".join(r.run_id for r in active[:6])
        )
    )


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
    found = context.library.get(playbook)
    if severity is not None and found is not None and found.is_incident:
        level = severities.resolve(severity, found.severities)
        if level is None:
            raise UsageError(
                _("--severity {value!r} is not a severity of {playbook}; the defined ones: {levels}").format(
                    value=severity,
                    playbook=playbook,
                    levels=severities.listed(found.severities, context.settings.severities),
                )
            )
        severity = level
    return _act(context, lambda r: r.open_incident(playbook, title, severity))


def incident_resolve(context: Context, run: str, summary: str | None) -> int:
    return _act(context, lambda r: r.resolve(_run_for(r, None, run, None).run_id, summary or _("resolved")))


# -- dated journeys ----------------------------------------------------------------


def start(context: Context, playbook: str, anchor: str, title: str | None) -> int:
    """``soptui start PLAYBOOK --anchor DATE [--title TEXT]``: start an instance of a journey."""
    try:
        day, at = parse_anchor(anchor)
    except ValueError as error:
        raise UsageError(_("--anchor {text!r}: {reason}").format(text=anchor, reason=error)) from None
    try:
        recorder = _with_recorder(context)
        state = recorder.start_instance(playbook, day, at, title)
        start_due_cohorts(recorder)
        item = next((i for i in instances(recorder.ledger) if i.run.run_id == state.run_id), None)
    except (ActionError, JournalError) as error:
        raise CommandError(str(error)) from None
    print(
        visible(
            _("started {run}: {title}").format(run=state.run_id, title=_title(item, state)), newlines=False
        )
    )
    if item is not None:
        for line in _journey_step_lines(item, item.next_due[:3]):
            print(line)
    return 0


def list_instances(context: Context, as_json: bool, everything: bool) -> int:
    """``soptui instances``: active (or, with --all, every) instance. Reads only."""
    try:
        readonly = journal_exists(context)
        ledger = make_ledger(context, open_journal(context, readonly=readonly))
        items = instances(ledger, everything=everything)
    except (ActionError, JournalError) as error:
        raise CommandError(str(error)) from None
    if as_json:
        print(safe_json({"instances": [journey_json(i) for i in items]}, indent=2))
        return 0
    if not items:
        print(_("no active instances") if not everything else _("no instances"))
        return 0
    rows = [[_("RUN"), _("PLAYBOOK"), _("TITLE"), _("ANCHOR"), _("STEPS"), _("NEXT"), _("OVERDUE")]]
    for item in items:
        nxt = item.next_due[0] if item.next_due else None
        rows.append(
            [
                visible(item.run.run_id, newlines=False),
                visible(item.playbook.id, newlines=False),
                visible(_title(item, item.run), newlines=False),
                item.run.anchor or "",
                f"{item.run.done_count}/{item.run.total}",
                visible(f"{nxt.label} {nxt.step.title} · {_when(nxt.due, item)}", newlines=False)
                if nxt
                else (_("done") if item.run.is_closed else "-"),
                str(len(item.overdue) or ""),
            ]
        )
    print(table(rows))
    return 0


def _title(item: JourneyItem | None, state: RunState) -> str:
    return item.title if item is not None else (state.title or state.run_id)


def _when(moment: datetime, item: JourneyItem) -> str:
    local = moment.astimezone(item.now.tzinfo)
    return f"{weekday(local)} {local:%m-%d %H:%M}"


def late_text(delta: timedelta) -> str:
    """An overdue span in hours and minutes: "2h05m", "50h00m"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    return _("{hours}h{minutes:02d}m").format(hours=minutes // 60, minutes=minutes % 60)


def _step_json(item: JourneyItem, step: JourneyStep) -> dict[str, Any]:
    late = item.late(step)
    overdue = step.pending and step.due <= item.now
    return {
        "step": step.step.id,
        "title": step.step.title,
        "label": step.label,
        "offset": format_offset(step.step.offset or timedelta()),
        "due": step.due.isoformat(),
        "state": "overdue" if overdue else step.state.status,
        "late": late_text(late) if overdue else None,
        "late_minutes": int(late.total_seconds() // 60) if overdue else 0,
    }


def journey_json(item: JourneyItem) -> dict[str, Any]:
    run = item.run
    return {
        "run": run.run_id,
        "playbook": item.playbook.id,
        "title": item.title,
        "anchor": run.anchor,
        "auto_start": item.playbook.auto_start,
        "done": run.done_count,
        "total": run.total,
        "closed_at": run.closed_at.isoformat() if run.closed_at else None,
        "next": [_step_json(item, s) for s in item.next_due],
        "overdue": [_step_json(item, s) for s in item.overdue],
    }


def _journey_step_lines(item: JourneyItem, steps: list[JourneyStep]) -> list[str]:
    lines = []
    for step in steps:
        overdue = step.pending and step.due <= item.now
        tail = (
            _("due {when}, {late} overdue").format(
                when=_when(step.due, item), late=late_text(item.late(step))
            )
            if overdue
            else _("due {when}").format(when=_when(step.due, item))
        )
        mark = "!" if overdue else "·"
        lines.append(visible(f"  {mark} {step.label} {step.step.title} ({tail})", newlines=False))
    return lines


def journeys_text(items: list[JourneyItem]) -> list[str]:
    lines: list[str] = []
    for item in items:
        run = item.run
        lines.append(
            visible(
                f"◆ {item.title} · {item.playbook.title} · {run.anchor} · "
                f"{run.done_count}/{run.total} · {run.run_id}",
                newlines=False,
            )
        )
        lines += _journey_step_lines(item, [*item.overdue, *item.next_due])
    return lines


# -- due ----------------------------------------------------------------------------


def due(context: Context, day_text: str | None, as_json: bool) -> int:
    now: datetime | None = None
    if day_text:
        now = datetime.combine(parse_date_option("--date", day_text), time(12), context.zone)
    try:
        # A read-only command: an existing journal is opened read-only, so `due` never writes.
        readonly = journal_exists(context)
        agenda = build_agenda(make_ledger(context, open_journal(context, readonly=readonly)), now)
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
        "not_due": item.not_due,
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
        "journeys": [journey_json(i) for i in agenda.journeys],
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
    if agenda.journeys:
        lines += ["", *journeys_text(agenda.journeys)]
    if agenda.incidents:
        lines.append("")
        for incident in agenda.incidents:
            elapsed = incident.elapsed(agenda.now)
            lines.append(
                visible(
                    f"● {incident.severity} {incident.title} · {incident.playbook.title} · "
                    f"{hms(elapsed)} · {incident.done_count}/{incident.total} · {incident.run_id}",
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
