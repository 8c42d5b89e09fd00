"""A run's timeline and the incident report: plain data and Markdown, no UI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from soptui.markdown import escape_block, escape_md
from soptui.playbooks.inputs import show_value
from soptui.runs import RunState


@dataclass(frozen=True)
class Entry:
    """One line of a timeline."""

    at: datetime
    operator: str
    mark: str
    text: str


def timeline(state: RunState) -> list[Entry]:
    """What happened in the run, oldest first (undone actions are shown as undone)."""
    undone = {e.payload.get("target") for e in state.events if e.kind == "undo"}
    titles = {s.id: s.title for s in state.playbook.steps}
    entries: list[Entry] = []
    for event in state.events:
        title = titles.get(event.step_id or "", event.step_id or "")
        strike = " (undone)" if event.uuid in undone else ""
        payload = event.payload
        if event.kind == "run.opened":
            what = payload.get("title") or payload.get("period") or ""
            text = f"opened {payload.get('severity') or ''} {what}"
            mark = "●"
        elif event.kind == "step.done":
            value = f": {show_value(payload['value'])}" if "value" in payload else ""
            text, mark = f"{title}{value}{strike}", "✓"
        elif event.kind == "step.skipped":
            text, mark = f"{title} skipped ({payload.get('reason') or 'optional'}){strike}", "✗"
        elif event.kind == "note":
            where = f"{title}: " if event.step_id else ""
            text, mark = f"note: {where}{payload.get('text', '')}{strike}", "✎"
        elif event.kind == "undo" or event.kind == "checklist.ticked":
            continue
        elif event.kind == "run.finished":
            text, mark = f"finished{strike}", "■"
        else:
            text, mark = f"resolved: {payload.get('summary', '')}", "■"
        entries.append(Entry(event.at, event.operator, mark, text.strip()))
    return sorted(entries, key=lambda e: e.at)


def escalations(state: RunState, now: datetime) -> dict[str, timedelta]:
    """Pending steps past their ``escalate_after``: step id -> how far past."""
    late: dict[str, timedelta] = {}
    for step_id, step in state.steps.items():
        limit = step.step.escalate_after
        if limit is None or step.status != "pending":
            continue
        over = now - (state.opened_at + limit)
        if over > timedelta():
            late[step_id] = over
    return late


def _minutes(delta: timedelta) -> str:
    total = int(delta.total_seconds() // 60)
    return f"{total // 60} h {total % 60} min" if total >= 60 else f"{total} min"


def incident_report(state: RunState, zone: ZoneInfo, now: datetime) -> str:
    """The incident report as Markdown: summary, durations, timeline, who did what."""

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    title = escape_md(state.title or state.playbook.title)
    lines = [
        f"# {escape_md(state.severity or '')} {title}",
        "",
        f"- Playbook: {escape_md(state.playbook.title)} (`{state.playbook.id}`)",
        f"- Opened: {local(state.opened_at)} by {escape_md(state.opened_by)}",
    ]
    if state.resolved_at:
        lines.append(f"- Resolved: {local(state.resolved_at)} by {escape_md(state.finished_by or '')}")
    lines.append(f"- Duration: {_minutes(state.elapsed(now))}")
    if state.summary:
        lines += ["", "## Summary", "", escape_block(state.summary)]
    lines += ["", "## Steps", "", "| Step | State | By | After opening |", "|---|---|---|---|"]
    for step in state.steps.values():
        after = _minutes(step.at - state.opened_at) if step.at else ""
        lines.append(
            f"| {escape_md(step.step.title)} | {step.status} | {escape_md(step.by or '')} | {after} |"
        )
    lines += ["", "## Timeline", ""]
    for entry in timeline(state):
        lines.append(f"- {local(entry.at)} {escape_md(entry.operator)} {entry.mark} {escape_md(entry.text)}")
    counts = Counter(e.operator for e in state.events if e.kind != "undo")
    lines += ["", "## Who did what", ""]
    lines += [f"- {escape_md(name)}: {count} action(s)" for name, count in counts.most_common()]
    return "\n".join(lines) + "\n"
