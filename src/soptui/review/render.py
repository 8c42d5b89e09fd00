"""The review as text, Markdown, JSON and CSV: four views of one model, so they agree."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timedelta
from typing import Any

from soptui.markdown import escape_md
from soptui.review.model import NoteRow, PersonRow, Review
from soptui.text import safe_json, table, visible

SECTIONS = ("routines", "skipped", "left", "slow", "metrics", "goals", "incidents", "notes", "people")
BARS = "▁▂▃▄▅▆▇█"


def local(review: Review, moment: datetime) -> datetime:
    """An instant in the team's zone (the zone the review was generated in)."""
    return moment.astimezone(review.generated_at.tzinfo)


def minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def signed_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}%"


def sparkline(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    return "".join(" " if v is None else BARS[int((v - low) / span * (len(BARS) - 1))] for v in values)


def bar(progress: float | None, width: int = 12) -> str:
    filled = 0 if progress is None else max(0, min(width, round(progress * width)))
    return "█" * filled + "░" * (width - filled)


# -- JSON (the documented, stable form; the others are derived from it) -------------------


def to_json(review: Review) -> dict[str, Any]:
    return {
        "range": {
            "start": review.start.isoformat(),
            "end": review.end.isoformat(),
            "label": review.label,
            "generated_at": review.generated_at.isoformat(),
        },
        "routines": [
            {
                "playbook": r.playbook_id,
                "title": r.title,
                "cadence": r.cadence,
                "expected": len(r.expected),
                "completed": len(r.completed),
                "on_time": len(r.on_time),
                "missed": r.missed,
                "completion_rate": None if r.rate is None else round(r.rate, 4),
                "median_duration_minutes": minutes(r.median_duration),
                "days": "".join(r.strip),
            }
            for r in review.routines
        ],
        "steps": {
            "skipped": [
                {
                    "playbook": s.playbook_id,
                    "step": s.step_id,
                    "title": s.title,
                    "count": s.count,
                    "reasons": [{"reason": reason, "count": n} for reason, n in s.reasons],
                }
                for s in review.skipped
            ],
            "left": [
                {"playbook": s.playbook_id, "step": s.step_id, "title": s.title, "count": s.count}
                for s in review.left
            ],
            "slow": [
                {
                    "playbook": s.playbook_id,
                    "step": s.step_id,
                    "title": s.title,
                    "runs": s.runs,
                    "mean_minutes": minutes(s.mean),
                    "estimate_minutes": minutes(s.estimate),
                    "ratio": round(s.ratio, 2),
                }
                for s in review.slow
            ],
        },
        "metrics": [
            {
                "metric": m.metric,
                "label": m.label,
                "aggregate": m.aggregate,
                "unit": m.unit,
                "value": m.value,
                "previous": m.previous,
                "change": m.change,
                "change_pct": None if m.change_pct is None else round(m.change_pct, 2),
                "per_day": m.per_period,
            }
            for m in review.metrics
        ],
        "goals": [
            {
                "goal": g.goal_id,
                "title": g.title,
                "metric": g.metric,
                "measure": g.measure,
                "target": g.target,
                "baseline": g.baseline,
                "start": g.start.isoformat(),
                "by": g.by.isoformat(),
                "value": g.value,
                "progress": None if g.progress is None else round(g.progress, 4),
                "time_elapsed": round(g.time_elapsed, 4),
                "on_track": g.on_track,
                "needed_per_week": None if g.needed_per_week is None else round(g.needed_per_week, 2),
            }
            for g in review.goals
        ],
        "incidents": [
            {
                "run": i.run_id,
                "playbook": i.playbook_id,
                "title": i.title,
                "severity": i.severity,
                "opened_at": local(review, i.opened_at).isoformat(),
                "resolved_at": local(review, i.resolved_at).isoformat() if i.resolved_at else None,
                "minutes_to_resolve": minutes(i.time_to_resolve),
                "escalations": i.escalations,
            }
            for i in review.incidents
        ],
        "notes": [
            {
                "at": local(review, n.at).isoformat(),
                "operator": n.operator,
                "login": n.login,
                "playbook": n.playbook_id,
                "step": n.step_id,
                "text": n.text,
                "imported_by": n.imported_by,
            }
            for n in review.notes
        ],
        "people": [
            {
                "login": p.login,
                "operator": p.names[0] if len(p.names) == 1 else p.login,
                "names": p.names,
                "actions": p.actions,
                "overridden": p.overridden,
                "imported": p.imported,
            }
            for p in review.people
        ],
    }


def render_json(review: Review) -> str:
    return safe_json(_finite(to_json(review)), indent=2) + "\n"


def _finite(data: Any) -> Any:
    """``data`` with non-finite numbers (a ratio of extreme values) as null: JSON has no Infinity."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_finite(value) for value in data]
    return data


# -- CSV ------------------------------------------------------------------------------------


def section_rows(review: Review, section: str) -> list[dict[str, Any]]:
    data = _finite(to_json(review))
    if section in ("skipped", "left", "slow"):
        rows: list[dict[str, Any]] = data["steps"][section]
    else:
        rows = data[section]
    flat = []
    for row in rows:
        flat.append({k: (safe_json(v) if isinstance(v, list | dict) else v) for k, v in row.items()})
    return flat


def render_csv(review: Review, section: str) -> str:
    rows = section_rows(review, section)
    buffer = io.StringIO()
    if rows:
        # One line ending throughout (RFC 4180); cells never hold a raw newline (shown as ␤).
        writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: visible(str(v), newlines=False) if isinstance(v, str) else v for k, v in row.items()}
            )
    else:
        buffer.write(f"# no {section} in {review.label}\r\n")
    return buffer.getvalue()


# -- text and Markdown ------------------------------------------------------------------------


def _routine_rows(review: Review, md: bool) -> list[list[str]]:
    esc = escape_md if md else (lambda t: visible(t, newlines=False))
    header = ["Routine", "Days (Mo–Su)", "Done", "On time", "Missed", "Median"]
    rows = [header]
    for r in review.routines:
        missed = ", ".join(r.missed) if r.missed else ""
        rows.append(
            [
                esc(r.title),
                "".join(r.strip) or r.cadence,
                f"{len(r.completed)}/{len(r.expected)}",
                f"{len(r.on_time)}/{len(r.completed)}",
                missed,
                "—" if r.median_duration is None else f"{number(minutes(r.median_duration), 0)} min",
            ]
        )
    return rows


def _metric_rows(review: Review, md: bool) -> list[list[str]]:
    esc = escape_md if md else (lambda t: visible(t, newlines=False))
    rows = [["Metric", "This range", "Previous", "Change", "Trend"]]
    for m in review.metrics:
        unit = f" {m.unit}" if m.unit and m.value is not None else ""
        change = "—" if m.change is None else f"{number(m.change):>} ({signed_pct(m.change_pct)})"
        rows.append(
            [
                f"{esc(m.label)} ({m.metric}, {m.aggregate})",
                number(m.value) + unit,
                number(m.previous),
                change,
                sparkline(m.per_period),
            ]
        )
    return rows


def _goal_rows(review: Review, md: bool) -> list[list[str]]:
    esc = escape_md if md else (lambda t: visible(t, newlines=False))
    rows = [["Goal", "Progress", "Time", "Status", "Needed/week"]]
    for g in review.goals:
        status = "—" if g.on_track is None else ("✓ on track" if g.on_track else "✗ behind")
        rows.append(
            [
                esc(g.title),
                f"{bar(g.progress)} {percent(g.progress)}",
                percent(g.time_elapsed),
                status,
                number(g.needed_per_week),
            ]
        )
    return rows


def _md_table(rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows[1:]]
    return lines


def render_markdown(review: Review) -> str:
    lines = [f"# Review {escape_md(review.label)} ({review.start} → {review.end})", ""]
    lines += ["## Routines", "", *_md_table(_routine_rows(review, True)), ""]
    lines += ["## Steps", ""]
    if review.skipped:
        lines.append("Skipped most:")
        lines += [
            f"- {escape_md(s.title)} ×{s.count}: " + ", ".join(f"{escape_md(r)} ×{n}" for r, n in s.reasons)
            for s in review.skipped[:10]
        ]
    if review.left:
        lines.append("Left unfinished:")
        lines += [f"- {escape_md(s.title)} ×{s.count}" for s in review.left[:10]]
    if review.slow:
        lines.append("Slowest against estimate:")
        lines += [
            f"- {escape_md(s.title)}: {number(minutes(s.mean), 0)} min "
            f"vs {number(minutes(s.estimate), 0)} min"
            for s in review.slow
        ]
    if not (review.skipped or review.left or review.slow):
        lines.append("Nothing skipped, left or slow.")
    lines += ["", "## Metrics", ""]
    lines += [*_md_table(_metric_rows(review, True))] if review.metrics else ["No metrics recorded."]
    lines += ["", "## Goals", ""]
    lines += [*_md_table(_goal_rows(review, True))] if review.goals else ["No goals set (goals.toml)."]
    lines += ["", "## Incidents", ""]
    if review.incidents:
        rows = [["Severity", "Incident", "Opened", "Resolved in", "Escalations"]]
        rows += [
            [
                escape_md(i.severity),
                escape_md(i.title),
                f"{local(review, i.opened_at):%m-%d %H:%M}",
                "open" if i.time_to_resolve is None else f"{number(minutes(i.time_to_resolve), 0)} min",
                str(i.escalations),
            ]
            for i in review.incidents
        ]
        lines += _md_table(rows)
    else:
        lines.append("No incidents.")
    lines += ["", "## Notes", ""]
    lines += [
        f"- {local(review, n.at):%m-%d %H:%M} {escape_md(_who(n))} · {escape_md(n.playbook_id or 'log')}"
        f"{' · ' + escape_md(n.step_id) if n.step_id else ''}: {escape_md(n.text)}{escape_md(_imported(n))}"
        for n in review.notes
    ]
    if not review.notes:
        lines.append("No notes.")
    lines += ["", "## People", ""]
    lines += [f"- {escape_md(_person(p))}" for p in review.people] or ["No actions."]
    return "\n".join(lines) + "\n"


def render_text(review: Review) -> str:
    lines = [
        f"Review {review.label} ({review.start} → {review.end})",
        "",
        "ROUTINES",
        table(_routine_rows(review, False)),
        "",
        "METRICS",
    ]
    lines.append(table(_metric_rows(review, False)) if review.metrics else "no metrics recorded")
    lines += ["", "GOALS", table(_goal_rows(review, False)) if review.goals else "no goals set (goals.toml)"]
    lines += ["", "STEPS"]
    lines += [
        visible(
            f"skipped {s.title} ×{s.count}: " + ", ".join(f"{r} ×{n}" for r, n in s.reasons), newlines=False
        )
        for s in review.skipped[:10]
    ]
    lines += [visible(f"left {s.title} ×{s.count}", newlines=False) for s in review.left[:10]]
    lines += [
        visible(
            f"slow {s.title}: {number(minutes(s.mean), 0)} min vs {number(minutes(s.estimate), 0)} min",
            newlines=False,
        )
        for s in review.slow
    ]
    lines += ["", "INCIDENTS"]
    for i in review.incidents:
        resolved = (
            "open"
            if i.time_to_resolve is None
            else f"resolved in {number(minutes(i.time_to_resolve), 0)} min"
        )
        lines.append(
            visible(
                f"{i.severity} {i.title} · {local(review, i.opened_at):%m-%d %H:%M} · {resolved} · "
                f"{i.escalations} escalation(s)",
                newlines=False,
            )
        )
    lines += ["", "NOTES"]
    lines += [
        visible(
            f"{local(review, n.at):%m-%d %H:%M} {_who(n)} {n.playbook_id or 'log'} "
            f"{n.step_id or ''}: {n.text}{_imported(n)}",
            newlines=False,
        )
        for n in review.notes
    ]
    lines += ["", "PEOPLE"] + [visible(_person(p), newlines=False) for p in review.people]
    return "\n".join(lines) + "\n"


def _imported(note: NoteRow) -> str:
    """The small marker after a note that came from ``soptui journal import``."""
    return f" (imported by {note.imported_by})" if note.imported_by else ""


def _who(note: NoteRow) -> str:
    """The display name, with the login beside it when they differ (the login is who it was)."""
    return note.operator if note.login in ("", note.operator) else f"{note.operator} [{note.login}]"


def _person(person: PersonRow) -> str:
    extra = [f"{person.overridden} under another name"] if person.overridden else []
    extra += [f"{person.imported} imported"] if person.imported else []
    return f"{person.label}: {person.actions} action(s)" + (f" ({'; '.join(extra)})" if extra else "")
