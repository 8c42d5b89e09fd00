"""``soptui show PLAYBOOK``: one playbook and its steps, as plain text or JSON.

Everything shown comes from a playbook file, which may be shared or downloaded: text output
passes every string through :func:`soptui.text.visible`, JSON through ``safe_json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from soptui.context import CommandError, Context
from soptui.i18n import N_, _
from soptui.playbooks.fields import format_duration
from soptui.playbooks.library import Library
from soptui.playbooks.loader import LoadedPlaybook
from soptui.playbooks.models import Due, InputSpec, Step
from soptui.severities import described
from soptui.text import safe_json, visible

LABEL_WIDTH = 10


def show(context: Context, playbook_id: str, as_json: bool) -> int:
    library = context.library
    entry = library.entries.get(playbook_id)
    if entry is None:
        raise CommandError(unknown_playbook(library, playbook_id))
    data = playbook_json(entry, library.origins.get(playbook_id, ""), context.settings.severities)
    print(safe_json(data, indent=2) if as_json else playbook_text(data))
    return 0


def unknown_playbook(library: Library, playbook_id: str) -> str:
    """Why there is no playbook ``playbook_id``: a file of that name that did not load, or a typo."""
    from difflib import get_close_matches

    broken = [p.file for p in library.errors if p.file.suffix == ".toml" and p.file.stem == playbook_id]
    if broken:
        return _("no playbook {playbook_id!r}: {path} did not load (soptui check {path} says why)").format(
            playbook_id=playbook_id, path=broken[0]
        )
    known = ", ".join(sorted(library.entries)) or _("none")
    close = get_close_matches(playbook_id, sorted(library.entries), n=1)
    if close:
        return _("no playbook {playbook_id!r}; did you mean {value!r}? (known: {known})").format(
            playbook_id=playbook_id, value=close[0], known=known
        )
    return _("no playbook {playbook_id!r} (known: {known})").format(playbook_id=playbook_id, known=known)


# -- JSON -------------------------------------------------------------------------------------


def playbook_json(
    entry: LoadedPlaybook, origin: str, severity_meanings: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The playbook as plain data; an incident's severities with what each means (the team's
    config, else the defaults)."""
    playbook = entry.playbook
    meanings = (
        {level: words for level, words in described(playbook.severities, severity_meanings or {}) if words}
        if playbook.is_incident
        else None
    )
    return {
        "id": playbook.id,
        "title": playbook.title,
        "summary": playbook.summary,
        "cadence": playbook.cadence,
        "owner": playbook.owner,
        "estimate": _duration(playbook.estimate),
        "due": _due_json(playbook.due),
        "severities": list(playbook.severities) if playbook.is_incident else None,
        "severity_meanings": meanings,
        "origin": origin,
        "path": str(entry.path),
        "steps": [_step_json(number, step) for number, step in enumerate(playbook.steps, start=1)],
    }


def _step_json(number: int, step: Step) -> dict[str, Any]:
    return {
        "number": number,
        "id": step.id,
        "title": step.title,
        "role": step.role,
        "estimate": _duration(step.estimate),
        "optional": step.optional,
        "when": step.when,
        "input": _input_json(step.input),
        "checklist": list(step.checklist),
        "snippets": [{"label": s.label, "text": s.text} for s in step.snippets],
        "links": [str(link) for link in step.links],
        "escalate_after": _duration(step.escalate_after),
    }


def _input_json(spec: InputSpec | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {
        "type": spec.type,
        "label": spec.label,
        "unit": spec.unit,
        "choices": list(spec.choices) if spec.choices is not None else None,
        "min": _number(spec.min),
        "max": _number(spec.max),
        "required": spec.required,
        "metric": spec.metric,
        "aggregate": spec.aggregate if spec.metric else None,
    }


def _due_json(due: Due | None) -> dict[str, Any] | None:
    if due is None:
        return None
    return {
        "time": due.time.strftime("%H:%M") if due.time is not None else None,
        "weekday": due.weekday,
        "day": due.day,
    }


def _duration(value: Any) -> str | None:
    return format_duration(value) if value is not None else None


def _number(value: float | None) -> float | int | None:
    """``5000.0`` as ``5000``: bounds are written as whole numbers far more often than not."""
    if value is not None and value.is_integer():
        return int(value)
    return value


INPUT_TYPES = (N_("integer"), N_("number"), N_("text"), N_("choice"), N_("yes-no"))

# -- text -------------------------------------------------------------------------------------


def _line(text: str) -> str:
    """One line of untrusted text, with control characters, newlines and tabs made visible."""
    return visible(text, newlines=False)


def _field(label: str, values: list[str], indent: str) -> list[str]:
    """``label  value`` with further values aligned under the first."""
    lines = []
    for index, value in enumerate(values):
        head = label.ljust(LABEL_WIDTH) if index == 0 else " " * LABEL_WIDTH
        lines.append(f"{indent}{head} {value}".rstrip())
    return lines


def playbook_text(data: dict[str, Any]) -> str:
    lines = [_line(f"{data['id']} · {data['title']}")]
    if data["summary"]:
        lines.append(f"  {_line(data['summary'])}")
    lines.extend(_field(_("cadence"), [_(data["cadence"])], ""))
    if data["severities"] is not None:
        meanings = data.get("severity_meanings") or {}
        levels = [
            _("{level} ({meaning})").format(level=level, meaning=meanings[level])
            if level in meanings
            else level
            for level in data["severities"]
        ]
        lines.extend(_field(_("severities"), [_line(" · ".join(levels))], ""))
    elif data["due"] is not None or data["cadence"] != "incident":
        lines.extend(_field(_("due"), [_due_text(data["due"])], ""))
    if data["owner"]:
        lines.extend(_field(_("owner"), [_line(data["owner"])], ""))
    if data["estimate"]:
        lines.extend(_field(_("estimate"), [data["estimate"]], ""))
    lines.extend(_field(_("origin"), [_line(data["origin"])], ""))
    lines.extend(_field(_("file"), [_line(data["path"])], ""))
    width = max(2, len(str(len(data["steps"]))))
    for step in data["steps"]:
        lines.append("")
        lines.extend(_step_text(step, width))
    return "\n".join(lines)


def _due_text(due: dict[str, Any] | None) -> str:
    if due is None:
        return _("end of the period")
    day = due["day"]
    parts = [
        due["weekday"] or "",
        _("last day") if day == "last" else (_("day {day}").format(day=day) if day is not None else ""),
        due["time"] or "",
    ]
    return " ".join(part for part in parts if part) or _("end of the period")


def _step_text(step: dict[str, Any], width: int) -> list[str]:
    optional = _(" (optional)") if step["optional"] else ""
    lines = [_line(f"{step['number']:>{width}}. {step['id']} · {step['title']}{optional}")]
    indent = " " * (width + 2)
    if step["role"]:
        lines.extend(_field(_("role"), [_line(step["role"])], indent))
    if step["estimate"]:
        lines.extend(_field(_("estimate"), [step["estimate"]], indent))
    if step["escalate_after"]:
        lines.extend(
            _field(_("escalate"), [_("after {duration}").format(duration=step["escalate_after"])], indent)
        )
    if step["when"]:
        lines.extend(_field(_("when"), [_line(step["when"])], indent))
    spec = step["input"]
    if spec is not None:
        lines.extend(_field(_("input"), [_input_text(spec)], indent))
        if spec["choices"]:
            lines.extend(_field(_("choices"), [_line(" | ".join(spec["choices"]))], indent))
    if step["checklist"]:
        lines.extend(_field(_("checklist"), [f"- {_line(item)}" for item in step["checklist"]], indent))
    for snippet in step["snippets"]:
        body = [_line(line) for line in snippet["text"].splitlines()]
        lines.extend(_field(_("snippet"), [f"[{_line(snippet['label'])}]", *body], indent))
    if step["links"]:
        lines.extend(_field(_("links"), [_line(link) for link in step["links"]], indent))
    return lines


def _input_text(spec: dict[str, Any]) -> str:
    """e.g. ``integer, label "New members", unit 人, 0..5000, metric members.new (sum)``."""
    parts = [_(spec["type"])]
    if spec["label"]:
        parts.append(_('label "{label}"').format(label=spec["label"]))
    if spec["unit"]:
        parts.append(_("unit {unit}").format(unit=spec["unit"]))
    low, high = spec["min"], spec["max"]
    if low is not None and high is not None:
        parts.append(f"{low}..{high}")
    elif low is not None:
        parts.append(_("min {low}").format(low=low))
    elif high is not None:
        parts.append(_("max {high}").format(high=high))
    if not spec["required"]:
        parts.append(_("value optional"))
    if spec["metric"]:
        parts.append(
            _("metric {metric} ({aggregate})").format(metric=spec["metric"], aggregate=_(spec["aggregate"]))
        )
    return _line(", ".join(parts))
