"""The review as text, Markdown, JSON and CSV: four views of one model, so they agree."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime, timedelta
from typing import Any

from soptui.i18n import N_, _
from soptui.markdown import escape_md
from soptui.review import coordination
from soptui.review.model import MARKS, GoalStats, GroupStats, NoteRow, PersonRow, Review
from soptui.text import safe_json, table, visible

TOP = 5
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


NO_DATA = "·"
"""A day that has come without a value; a day still to come is a blank."""


def sparkline(values: list[float | None], come: list[bool] | None = None) -> str:
    """One bar per day scaled from the lowest value to the highest: ``·`` for a day without a
    value, a blank for a day that has not come (``come[i]`` False), never a bar."""
    come = come if come is not None else [True] * len(values)
    present = [v for v, c in zip(values, come, strict=True) if v is not None and c]
    low, high = (min(present), max(present)) if present else (0.0, 0.0)
    span = (high - low) or 1.0
    return "".join(
        " "
        if not c
        else NO_DATA
        if v is None
        else BARS[max(0, min(len(BARS) - 1, int((v - low) / span * (len(BARS) - 1))))]
        for v, c in zip(values, come, strict=True)
    )


def trend(review: Review, values: list[float | None]) -> str:
    """The sparkline of one metric's days in ``review``."""
    return sparkline(values, [review.has_come(day) for day in review.days])


def unit_word(review: Review) -> str:
    """What the range is, for "the previous week": week, or period for a custom range."""
    return _("week") if review.is_week else _("period")


def comparison(review: Review) -> str | None:
    """The note on what ``previous`` covers (None without metrics)."""
    if not review.metrics:
        return None
    first = review.metrics[0]
    if first.compared_from is None or first.compared_until is None:
        return None
    days = f"{first.compared_from} → {first.compared_until}"
    if first.same_days:
        unit = unit_word(review)
        return _(
            "Previous: vs the same days of the previous {unit} ({days}); this {unit} is still running."
        ).format(unit=unit, days=days)
    return _("Previous: the previous {unit} ({days}).").format(unit=unit_word(review), days=days)


def legend() -> str:
    return _("Days: ") + ", ".join(f"{mark} {_(word)}" for mark, word in MARKS.items())


def verdict(goal: GoalStats) -> str:
    """A goal's status in words (no mark: ✗ means skipped, ✓ done)."""
    if goal.sample or goal.on_track is None:
        return "—"
    return _("on track") if goal.on_track else _("behind")


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
                "compared_with": {
                    "from": m.compared_from.isoformat() if m.compared_from else None,
                    "until": m.compared_until.isoformat() if m.compared_until else None,
                    "same_days": m.same_days,
                },
                "per_day": m.per_period,
                "amended": m.amended,
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
                "sample": g.sample,
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
                "playbook_title": n.playbook_title,
                "step_title": n.step_title,
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
        "groups": [_group_json(g) for g in review.groups],
        "group_owners": [
            {"owner": o.owner, "name": o.name, "groups": o.groups, "done": o.done, "expected": o.expected}
            for o in review.owners
        ],
        "group_metrics": _group_metrics(review),
        "journeys": [
            {
                "playbook": j.playbook_id,
                "title": j.playbook_title,
                "label": j.label,
                "on_time": j.on_time,
                "late": j.late,
                "missed": j.missed,
                "pending": j.pending,
                "cohorts": j.cohorts,
            }
            for j in review.journeys
        ],
        "journey_instances": (
            {
                "active": review.journey_counts.active,
                "started": review.journey_counts.started,
                "finished": review.journey_counts.finished,
            }
            if review.journey_counts
            else None
        ),
        **coordination.to_json(review),
    }


def journey_lines(review: Review) -> list[str]:
    """The journeys section for text, Markdown and the screen: one line per step label."""
    counts = review.journey_counts
    if counts is None:
        return []
    lines = [
        _("instances: {active} active, {started} started, {finished} finished").format(
            active=counts.active, started=counts.started, finished=counts.finished
        )
    ]
    lines += [
        _("{title} {label}: {on_time} on time, {late} late, {missed} missed, {pending} to come").format(
            title=j.playbook_title,
            label=j.label,
            on_time=j.on_time,
            late=j.late,
            missed=j.missed,
            pending=j.pending,
        )
        for j in review.journeys
    ]
    return lines


def _group_json(group: GroupStats) -> dict[str, Any]:
    return {
        "group": group.group_id,
        "name": group.name,
        "owner": group.owner,
        "done": group.done,
        "skipped": group.skipped,
        "expected": group.expected,
        "completion": group.completion,
        "touched": group.last_touched is not None,
        "last_touched": group.last_touched.isoformat() if group.last_touched else None,
        "values": group.values,
    }


def _group_metrics(review: Review) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per metric, the top and bottom five groups by their value over the range."""
    metrics = sorted({m for g in review.groups for m in g.values})
    found = {}
    for metric in metrics:
        ranked = sorted((g for g in review.groups if metric in g.values), key=lambda g: -g.values[metric])
        rows = [{"group": g.group_id, "name": g.name, "value": g.values[metric]} for g in ranked]
        found[metric] = {"top": rows[:TOP], "bottom": rows[::-1][:TOP]}
    return found


def group_lines(review: Review) -> list[str]:
    """The groups section for text and Markdown: least complete first, then the untouched."""
    if not review.groups:
        return []
    lines = []
    for group in review.groups[:20]:
        share = percent(group.completion) if group.completion is not None else "-"
        lines.append(f"{group.name} ({group.group_id}) {group.done + group.skipped}/{group.expected} {share}")
    untouched = [g.name for g in review.groups if g.last_touched is None]
    if untouched:
        lines.append(_("not touched: {groups}").format(groups=", ".join(untouched)))
    lines += [
        _("{name}: {groups} group(s), {done}/{expected} ticks").format(
            name=o.name, groups=o.groups, done=o.done, expected=o.expected
        )
        for o in review.owners
    ]
    for metric, ends in _group_metrics(review).items():
        top = ", ".join(f"{r['name']} {number(r['value'])}" for r in ends["top"])
        bottom = ", ".join(f"{r['name']} {number(r['value'])}" for r in ends["bottom"])
        lines.append(_("{metric}: top {top}; bottom {bottom}").format(metric=metric, top=top, bottom=bottom))
    return lines


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
        cells: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, dict):  # compared_with: one column per part
                cells.update((f"{key}_{sub}", _plain(sub, part)) for sub, part in value.items())
            elif key == "overdue_items":  # followups: what (due) each; the rest is in the JSON
                cells[key] = coordination.overdue_cell(value)
            else:
                cells[key] = _plain(key, value)
        flat.append(cells)
    return flat


def _plain(key: str, value: Any) -> str | int | float:
    """A spreadsheet cell: words and numbers, lists joined with "; ", no JSON and no marks."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "days" and isinstance(value, str):
        return "; ".join(MARKS.get(mark, mark) for mark in value)
    if isinstance(value, dict):
        count = value.get("count")
        words = " ".join(str(_plain(k, v)) for k, v in value.items() if k != "count")
        return f"{words} ({count})" if count is not None else words
    if isinstance(value, list):
        return "; ".join(str(_plain(key, item)) for item in value)
    if isinstance(value, int | float | str):
        return value
    return str(value)


def render_csv(review: Review, section: str, *, excel: bool = False) -> str:
    """One section as CSV (CRLF); ``excel`` starts it with a UTF-8 byte order mark so that
    spreadsheets (Excel on Chinese Windows) read it as UTF-8."""
    text = _csv(review, section)
    return "\ufeff" + text if excel else text


def _csv(review: Review, section: str) -> str:
    rows = section_rows(review, section)
    buffer = io.StringIO()
    if rows:
        # One line ending throughout (RFC 4180); cells never hold a raw newline (shown as ␤).
        fields = list(dict.fromkeys(key for row in rows for key in row))  # rows may differ (values_*)
        writer = csv.DictWriter(buffer, fields, restval="", lineterminator="\r\n")
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
    header = [_("Routine"), _("Days (Mo–Su)"), _("Done"), _("On time"), _("Missed"), _("Median")]
    rows = [header]
    for r in review.routines:
        missed = ", ".join(r.missed)
        rows.append(
            [
                esc(r.title),
                "".join(r.strip) or _(r.cadence),
                f"{len(r.completed)}/{len(r.expected)}",
                f"{len(r.on_time)}/{len(r.completed)}",
                missed,
                "—" if r.median_duration is None else _min(number(minutes(r.median_duration), 0)),
            ]
        )
    return rows


def _metric_rows(review: Review, md: bool) -> list[list[str]]:
    esc = escape_md if md else (lambda t: visible(t, newlines=False))
    days = [day for day in review.days if review.has_come(day)]
    span = f"{_short(days[0])}→{_short(days[-1])}" if days else ""
    rows = [[_("Metric"), _("This range"), _("Previous"), _("Change"), _("Trend")]]
    for m in review.metrics:
        unit = f" {m.unit}" if m.unit and m.value is not None else ""
        unit += f" {coordination.AMENDED_MARK}" if m.amended else ""
        change = "—" if m.change is None else f"{number(m.change):>} ({signed_pct(m.change_pct)})"
        rows.append(
            [
                f"{esc(m.label)} ({m.metric}, {_(m.aggregate)})",
                number(m.value) + unit,
                number(m.previous),
                change,
                f"{trend(review, m.per_period)} {span}".rstrip(),
            ]
        )
    return rows


def _short(day: date) -> str:
    return f"{day:%m-%d}"


def _goal_rows(review: Review, md: bool) -> list[list[str]]:
    esc = escape_md if md else (lambda t: visible(t, newlines=False))
    rows = [[_("Goal"), _("Progress"), _("Time"), _("Status"), _("Needed/week")]]
    for g in review.goals:
        if g.sample:
            continue
        rows.append(
            [
                esc(g.title),
                f"{bar(g.progress)} {percent(g.progress)}",
                percent(g.time_elapsed),
                verdict(g),
                number(g.needed_per_week),
            ]
        )
    return rows


SAMPLE_HEADING = N_("Sample goals (edit goals.toml to set your own)")


def _sample_rows(review: Review, md: bool) -> list[list[str]]:
    """Sample goals: what they would measure, with no progress or verdict (not the team's)."""
    esc = escape_md if md else (lambda t: visible(t, newlines=False))
    rows = [[_("Goal"), _("Metric"), _("Target"), _("By")]]
    for g in review.goals:
        if g.sample:
            rows.append([esc(g.title), esc(g.metric), number(g.target), g.by.isoformat()])
    return rows


def _goal_lines(review: Review, md: bool) -> list[str]:
    """The goals section: the team's goals, then any samples under their own heading."""
    real = _goal_rows(review, md)
    samples = _sample_rows(review, md)
    show = _md_table if md else (lambda rows: [table(rows)])
    lines: list[str] = []
    if len(real) > 1:
        lines += show(real)
    elif len(samples) == 1:
        lines.append(_("No goals set (goals.toml).") if md else _("no goals set (goals.toml)"))
    if len(samples) > 1:
        if lines:
            lines.append("")
        lines += ([f"### {_(SAMPLE_HEADING)}", ""] if md else [_(SAMPLE_HEADING)]) + show(samples)
    return lines


def _md_table(rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows[1:]]
    return lines


def render_markdown(review: Review) -> str:
    lines = [
        "# "
        + _("Review {label} ({start} → {end})").format(
            label=escape_md(review.label), start=review.start, end=review.end
        ),
        "",
    ]
    lines += ["## " + _("Routines"), "", *_md_table(_routine_rows(review, True)), "", legend(), ""]
    lines += ["## " + _("Steps"), ""]
    if review.skipped:
        lines.append(_("Skipped most:"))
        lines += [
            f"- {_md(s.title)} ×{s.count}: " + ", ".join(f"{_md(r)} ×{n}" for r, n in s.reasons)
            for s in review.skipped[:10]
        ]
    if review.left:
        lines.append(_("Left unfinished:"))
        lines += [f"- {_md(s.title)} ×{s.count}" for s in review.left[:10]]
    if review.slow:
        lines.append(_("Slowest against estimate:"))
        lines += [f"- {_md(s.title)}: " + _slow(s) for s in review.slow]
    if not (review.skipped or review.left or review.slow):
        lines.append(_("Nothing skipped, left or slow."))
    lines += ["", "## " + _("Metrics"), ""]
    compared = comparison(review)
    lines += [compared, ""] if compared else []
    lines += [*_md_table(_metric_rows(review, True))] if review.metrics else [_("No metrics recorded.")]
    lines += ["", amended] if (amended := coordination.amended_note(review)) else []
    lines += ["", "## " + _("Goals"), ""]
    lines += _goal_lines(review, True) or [_("No goals set (goals.toml).")]
    lines += ["", "## " + _("Incidents"), ""]
    if review.incidents:
        rows = [[_("Severity"), _("Incident"), _("Opened"), _("Resolved in"), _("Escalations")]]
        rows += [
            [
                escape_md(i.severity),
                escape_md(i.title),
                f"{local(review, i.opened_at):%m-%d %H:%M}",
                _("open") if i.time_to_resolve is None else _min(number(minutes(i.time_to_resolve), 0)),
                str(i.escalations),
            ]
            for i in review.incidents
        ]
        lines += _md_table(rows)
    else:
        lines.append(_("No incidents."))
    lines += ["", "## " + _("Notes"), ""]
    lines += [
        f"- {local(review, n.at):%m-%d %H:%M} {_md(_who(n))} · {_md(n.where)}: "
        f"{_md(n.text)}{_md(_imported(n))}"
        for n in review.notes
    ]
    if not review.notes:
        lines.append(_("No notes."))
    lines += ["", "## " + _("People"), ""]
    lines += [f"- {_md(_person(p))}" for p in review.people] or [_("No actions.")]
    if review.groups:
        lines += ["", "## " + _("Groups"), ""]
        lines += [f"- {_md(line)}" for line in group_lines(review)]
    if review.journey_counts:
        lines += ["", "## " + _("Journeys"), ""]
        lines += [f"- {_md(line)}" for line in journey_lines(review)]
    for heading, section in _coordination_sections(review):
        lines += ["", "## " + heading, "", *(f"- {_md(line)}" for line in section)]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """User text inside a list item (not a table: ``|`` is plain there)."""
    return escape_md(text, table=False)


def render_text(review: Review) -> str:
    lines = [
        _("Review {label} ({start} → {end})").format(label=review.label, start=review.start, end=review.end),
        "",
        _("ROUTINES"),
        table(_routine_rows(review, False)),
        legend(),
        "",
        _("METRICS"),
    ]
    compared = comparison(review)
    lines += [compared] if compared else []
    lines.append(table(_metric_rows(review, False)) if review.metrics else _("no metrics recorded"))
    lines += [amended] if (amended := coordination.amended_note(review)) else []
    lines += ["", _("GOALS"), *(_goal_lines(review, False) or [_("no goals set (goals.toml)")])]
    lines += ["", _("STEPS")]
    lines += [
        visible(
            _("skipped {title} ×{count}: ").format(title=s.title, count=s.count)
            + ", ".join(f"{r} ×{n}" for r, n in s.reasons),
            newlines=False,
        )
        for s in review.skipped[:10]
    ]
    lines += [
        visible(_("left {title} ×{count}").format(title=s.title, count=s.count), newlines=False)
        for s in review.left[:10]
    ]
    lines += [
        visible(
            _("slow {title}: ").format(title=s.title) + _slow(s),
            newlines=False,
        )
        for s in review.slow
    ]
    lines += ["", _("INCIDENTS")]
    for i in review.incidents:
        resolved = (
            _("open")
            if i.time_to_resolve is None
            else _("resolved in {duration}").format(duration=_min(number(minutes(i.time_to_resolve), 0)))
        )
        lines.append(
            visible(
                f"{i.severity} {i.title} · {local(review, i.opened_at):%m-%d %H:%M} · {resolved} · "
                + _("{n} escalation(s)").format(n=i.escalations),
                newlines=False,
            )
        )
    lines += ["", _("NOTES")]
    lines += [
        visible(
            f"{local(review, n.at):%m-%d %H:%M} {_who(n)} · {n.where}: {n.text}{_imported(n)}",
            newlines=False,
        )
        for n in review.notes
    ]
    lines += ["", _("PEOPLE")] + [visible(_person(p), newlines=False) for p in review.people]
    if review.groups:
        lines += ["", _("GROUPS")] + [visible(line, newlines=False) for line in group_lines(review)]
    if review.journey_counts:
        lines += ["", _("JOURNEYS")] + [visible(line, newlines=False) for line in journey_lines(review)]
    for heading, section in _coordination_sections(review):
        lines += ["", heading.upper(), *(visible(line, newlines=False) for line in section)]
    return "\n".join(lines) + "\n"


def _coordination_sections(review: Review) -> list[tuple[str, list[str]]]:
    """Hand-overs, amendments and follow-ups (heading, lines), each left out when empty."""
    sections = [
        (coordination.HANDOVERS, coordination.handover_lines(review)),
        (coordination.AMENDMENTS, coordination.amendment_lines(review)),
        (coordination.FOLLOWUPS, coordination.followup_lines(review)),
    ]
    return [(_(heading), lines) for heading, lines in sections if lines]


def _imported(note: NoteRow) -> str:
    """The small marker after a note that came from ``soptui journal import``."""
    return _(" (imported by {name})").format(name=note.imported_by) if note.imported_by else ""


def _who(note: NoteRow) -> str:
    """The display name, with the login beside it when they differ (the login is who it was)."""
    return note.operator if note.login in ("", note.operator) else f"{note.operator} [{note.login}]"


def _person(person: PersonRow) -> str:
    extra = [_("{n} under another name").format(n=person.overridden)] if person.overridden else []
    extra += [_("{n} imported").format(n=person.imported)] if person.imported else []
    actions = _("{name}: {n} action(s)").format(name=person.label, n=person.actions)
    return actions + (f" ({'; '.join(extra)})" if extra else "")


def _min(amount: str) -> str:
    return _("{n} min").format(n=amount)


def _slow(step: Any) -> str:
    return _("{mean} vs {estimate}").format(
        mean=_min(number(minutes(step.mean), 0)), estimate=_min(number(minutes(step.estimate), 0))
    )
