"""A run's timeline and the incident report: plain data and Markdown, no UI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from soptui.i18n import N_, _, duration_text, t
from soptui.markdown import escape_block, escape_md
from soptui.playbooks.inputs import show_value
from soptui.runs import RunState, StepState


@dataclass(frozen=True)
class Entry:
    """One line of a timeline."""

    at: datetime
    operator: str
    mark: str
    text: str


DEFAULT_SUMMARY = N_("resolved")
"""What `soptui incident resolve RUN` records when no summary is given, in the language of the
operator who resolved it (older soptui wrote it in theirs too)."""


def shown_summary(summary: str) -> str:
    """A resolution summary for the viewer: the default one in the viewer's language, since the
    journal keeps whatever language the resolver's soptui spoke; an operator's own words as is."""
    if summary.strip() in {DEFAULT_SUMMARY, t("zh", DEFAULT_SUMMARY)}:
        return _(DEFAULT_SUMMARY)
    return summary


def timeline(state: RunState) -> list[Entry]:
    """What happened in the run, oldest first (undone actions are shown as undone)."""
    undone = {e.payload.get("target") for e in state.events if e.kind == "undo"}
    titles = {s.id: s.title for s in state.playbook.steps}
    entries: list[Entry] = []
    for event in state.events:
        title = titles.get(event.step_id or "", event.step_id or "")
        strike = _(" (undone)") if event.uuid in undone else ""
        payload = event.payload
        if event.kind == "run.opened":
            what = payload.get("title") or payload.get("period") or ""
            text = _("opened {severity} {what}").format(severity=payload.get("severity") or "", what=what)
            mark = "●"
        elif event.kind == "step.done":
            value = f": {show_value(payload['value'])}" if "value" in payload else ""
            text, mark = f"{title}{value}{strike}", "✓"
        elif event.kind == "step.skipped":
            reason = payload.get("reason") or _("optional")
            text, mark = _("{title} skipped ({reason})").format(title=title, reason=reason) + strike, "✗"
        elif event.kind == "note":
            where = f"{title}: " if event.step_id else ""
            text, mark = _("note: {text}").format(text=where + payload.get("text", "")) + strike, "✎"
        elif event.kind == "undo" or event.kind == "checklist.ticked":
            continue
        elif event.kind == "run.finished":
            text, mark = _("finished") + strike, "■"
        else:
            text, mark = (
                _("resolved: {summary}").format(summary=shown_summary(str(payload.get("summary", "")))),
                "■",
            )
        entries.append(Entry(event.at, event.operator, mark, text.strip()))
    return sorted(entries, key=lambda e: e.at)


def escalation(state: RunState, step: StepState, now: datetime) -> timedelta | None:
    """How far past its ``escalate_after`` an incident step went: by the time it was done or
    skipped, else by ``now``. None when it has no limit or stayed within it."""
    limit = step.step.escalate_after
    if limit is None:
        return None
    finished = step.at if step.status in ("done", "skipped") else now
    if finished is None:
        return None
    over = finished - (state.opened_at + limit)
    return over if over > timedelta() else None


def escalations(state: RunState, now: datetime) -> dict[str, timedelta]:
    """Pending steps past their ``escalate_after`` at ``now``: step id -> how far past."""
    late: dict[str, timedelta] = {}
    for step_id, step in state.steps.items():
        over = escalation(state, step, now) if step.status == "pending" else None
        if over is not None:
            late[step_id] = over
    return late


def incident_report(state: RunState, zone: ZoneInfo, now: datetime) -> str:
    """The incident report as Markdown: summary, durations, timeline, who did what."""

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    title = escape_md(state.title or state.playbook.title)
    lines = [
        f"# {escape_md(state.severity or '')} {title}",
        "",
        "- "
        + _("Playbook: {title} (`{id}`)").format(title=escape_md(state.playbook.title), id=state.playbook.id),
        "- "
        + _("Opened: {when} by {name}").format(when=local(state.opened_at), name=escape_md(state.opened_by)),
    ]
    if state.resolved_at:
        lines.append(
            "- "
            + _("Resolved: {when} by {name}").format(
                when=local(state.resolved_at), name=escape_md(state.finished_by or "")
            )
        )
    lines.append("- " + _("Duration: {duration}").format(duration=duration_text(state.elapsed(now))))
    if state.summary:
        lines += ["", "## " + _("Summary"), "", escape_block(shown_summary(state.summary))]
    header = " | ".join([_("Step"), _("State"), _("By"), _("After opening")])
    lines += ["", "## " + _("Steps"), "", f"| {header} |", "|---|---|---|---|"]
    for step in state.steps.values():
        after = duration_text(step.at - state.opened_at) if step.at else ""
        lines.append(
            f"| {escape_md(step.step.title)} | {_(step.status)} | {escape_md(step.by or '')} | {after} |"
        )
    lines += ["", "## " + _("Timeline"), ""]
    for entry in timeline(state):
        lines.append(f"- {local(entry.at)} {escape_md(entry.operator)} {entry.mark} {escape_md(entry.text)}")
    counts = Counter(e.operator for e in state.events if e.kind != "undo")
    lines += ["", "## " + _("Who did what"), ""]
    lines += [
        "- " + _("{name}: {n} action(s)").format(name=escape_md(name), n=count)
        for name, count in counts.most_common()
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class IncidentSummary:
    """One incident for the incidents list: what, how bad, how fast it was handled, by whom."""

    run_id: str
    severity: str
    playbook_title: str
    title: str
    opened_at: datetime
    acknowledged_in: timedelta | None
    """From opening to the first action by anyone (a note, a tick, a step)."""
    resolved_in: timedelta | None
    people: list[str]

    @property
    def is_open(self) -> bool:
        return self.resolved_in is None


def incident_summary(state: RunState) -> IncidentSummary:
    actions = [e for e in state.events if e.kind not in ("run.opened", "undo")]
    first = min((e.at for e in actions), default=None)
    resolved = state.resolved_at
    return IncidentSummary(
        state.run_id,
        state.severity or "",
        state.playbook.title,
        state.title or "",
        state.opened_at,
        first - state.opened_at if first else None,
        resolved - state.opened_at if resolved else None,
        sorted({e.operator for e in state.events}),
    )
