"""The app's own words in Chinese and English, through GNU gettext (playbook text comes from the playbooks).

English source strings are the message ids; the Chinese catalogue is
``locale/zh_CN/LC_MESSAGES/soptui.po`` (compiled to ``soptui.mo`` beside it; see docs/translating.md).

- :func:`activate` sets the process's language once (the CLI after building its Context, the app
  when it is built); :func:`_` and :func:`ngettext` translate into it.
- :func:`t` translates into an explicit language; it also accepts the short keys of ``_WORDS``
  that the app's screens use (each maps to its English message id).
- :func:`N_` only marks a string for extraction (``pybabel extract``), translated later.

Babel is a developer tool (extract, compile, tests); only the standard library's gettext runs here.
"""

from __future__ import annotations

import argparse
import gettext
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

Language = Literal["zh", "en"]

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "soptui"
_LOCALES: dict[str, list[str]] = {"zh": ["zh_CN"], "en": ["en"]}


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The catalogue of ``language`` (English: the message ids themselves)."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=_LOCALES[language], fallback=True)


_active: Language = "en"


def activate(language: Language) -> None:
    """Make ``language`` the one :func:`_` translates into (argparse's own words included)."""
    global _active
    _active = language
    # argparse looks its words ("usage: ", "options", errors) up through its module's ``_``.
    setattr(argparse, "_", _)  # noqa: B010
    setattr(argparse, "ngettext", ngettext)  # noqa: B010


def active() -> Language:
    """The language :func:`_` translates into."""
    return _active


def _(message: str) -> str:
    """``message`` in the active language."""
    return translations(_active).gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, in the active language."""
    return translations(_active).ngettext(singular, plural, n)


# argparse's own words that soptui's --help and usage errors show (translated in the catalogue).
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("the following arguments are required: %s"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("unrecognized arguments: %s"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
)

# The short keys the screens use, each with its English message id.
_WORDS: dict[str, str] = {
    "today": N_("Today"),
    "routines": N_("Routines"),
    "incidents": N_("Incidents"),
    "no-incidents": N_("No open incidents"),
    "not started": N_("not started"),
    "in progress": N_("in progress"),
    "done": N_("done"),
    "overdue": N_("overdue"),
    "due": N_("due"),
    "missed": N_("missed"),
    "steps": N_("Steps"),
    "timeline": N_("Timeline"),
    "planned": N_("planned"),
    "elapsed": N_("elapsed"),
    "open": N_("open"),
    "incident": N_("incident"),
    "help": N_("help"),
    "quit": N_("quit"),
    "back": N_("back"),
    "complete": N_("done"),
    "skip": N_("skip"),
    "note": N_("note"),
    "undo": N_("undo"),
    "finish": N_("finish"),
    "copy": N_("copy"),
    "resolve": N_("resolve"),
    "tick": N_("tick"),
    "commands": N_("commands"),
    "skip-reason": N_("Reason for skipping"),
    "note-prompt": N_("Note"),
    "summary-prompt": N_("Summary of what was done"),
    "incident-title": N_("Incident title"),
    "severity": N_("Severity"),
    "playbook": N_("Playbook"),
    "confirm-finish": N_("{n} step(s) still pending. Finish anyway?"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "cancel": N_("Cancel"),
    "ok": N_("OK"),
    "saved": N_("Saved to {path}"),
    "copied": N_("Copied to the clipboard (if your terminal allows it). The text:"),
    "run-finished": N_("This run is finished"),
    "changed": N_("Changed since you last ran it: "),
    "too-small": N_("Terminal too small: soptui needs at least 60x20, this is {w}x{h}"),
    "readonly": N_("The journal is read-only: you can look, but actions cannot be saved"),
    "not-applicable": N_("not applicable"),
    "no-snippet": N_("This step has no text to copy"),
    "placeholder": N_("Fill in {name}"),
    "escalate": N_("escalation"),
    "report": N_("Incident report"),
    "save": N_("save"),
    "nothing-to-undo": N_("Nothing of yours to undo"),
    "type-note": N_(
        "Type a note, enter adds it · ctrl+j new line · enter on an empty line completes the step"
    ),
    "queued": N_("The journal is busy with another program; the action is queued"),
    "help-key": N_("key"),
    "help-action": N_("action"),
    "help-title.today": N_("Help · Today"),
    "help-title.run": N_("Help · Routine run"),
    "help-title.incident": N_("Help · Incident"),
    "help-title.review": N_("Help · Review"),
    "help-title.search": N_("Help · Search"),
    "help-intro.search": N_(
        "Type a word or part of one: the journal's notes, skip reasons, hand-overs, incidents and "
        "recorded text that hold every word are listed, newest first, then the playbooks' steps "
        "that do. Enter opens the run at that step, or the playbook's preview."
    ),
    "help-title.preview": N_("Help · Preview"),
    "help-intro.preview": N_(
        "A playbook before you start it: its schedule, then each step with its role, estimate, "
        "input, checklist, per-group mark (⧉) and escalation time (⏱). What changed since you "
        "last ran it comes first."
    ),
    "help.preview.back": N_("back to where you were"),
    "help.preview.start": N_("start it (a routine's run opens; an incident or journey asks first)"),
    "help.preview.scroll": N_("scroll down and up (also ↓ ↑, page down, page up)"),
    "help.preview.help": N_("this help"),
    "help-intro.today": N_(
        "Today lists the routines due this day, week and month, and open incidents (incidents first)."
    ),
    "help-intro.run": N_(
        "Walk through the playbook; every action is saved at once. On a step "
        "that takes a value the cursor is in its box; esc leaves the box, then "
        "1–9 tick the checklist."
    ),
    "help-intro.incident": N_(
        "Incident: type notes in the box at the bottom (enter adds one, ctrl+j "
        "starts a new line, enter on an empty line completes the step). Press "
        "tab or esc to reach the step list before 1–9 tick the checklist."
    ),
    "help-intro.review": N_(
        "The review: each routine's completion, metrics, goals, incidents, notes and people."
    ),
    "help-marks": N_(
        "Marks: ✓ done · ✗ skipped · ▶ current · · pending · – not applicable "
        "· ! overdue or missed · ⧗ queued for the journal · ● incident · › the "
        "highlighted row"
    ),
    "help-close": N_("Press esc, q or enter to close this help."),
    "help.palette": N_("command palette: this screen's commands with their keys, and any playbook"),
    "help.today.open": N_("open or resume the selected run"),
    "help.today.incident": N_("open an incident"),
    "help.today.review": N_("the week's review"),
    "help.today.help": N_("this help"),
    "help.today.quit": N_("quit"),
    "help.today.search": N_("search notes, reasons, hand-overs, incidents, recorded text and playbooks"),
    "help.today.preview": N_("preview the highlighted playbook: steps, roles, estimates, inputs"),
    "help.today.notices": N_("all start-up notices (warnings, unsaved notes)"),
    "help.today.move": N_("move down and up"),
    "help.run.done": N_("complete the step (type its value first)"),
    "help.run.skip": N_("skip (asks for a reason unless optional)"),
    "help.run.note": N_("add a note"),
    "help.run.copy": N_("copy the step's ready-made text"),
    "help.run.undo": N_("undo your own last action"),
    "help.run.finish": N_("finish the run now (pending steps are left)"),
    "help.run.resolve": N_("resolve the incident (a summary, then the report)"),
    "help.run.back": N_("leave the text box; from the list, back to Today"),
    "help.run.incident": N_("open an incident"),
    "help.run.help": N_("this help"),
    "help.run.move": N_("move between steps"),
    "help.run.tick": N_("tick checklist items (from the step list)"),
    "help.run.history": N_("the step's earlier values: sparkline and table (from the step list)"),
    "help.search.back": N_("back to Today"),
    "help.search.results": N_("from the box to the results"),
    "help.review.prev": N_("previous week"),
    "help.review.next": N_("next week"),
    "help.review.now": N_("this week"),
    "help.review.export": N_("save as Markdown"),
    "help.review.back": N_("back to Today"),
    "help.review.help": N_("this help"),
    "daily": N_("daily"),
    "weekly": N_("weekly"),
    "monthly": N_("monthly"),
    "sequence": N_("sequence"),
    "not due": N_("not due"),
    "span-days": N_("{d}d {h}h"),
    "span-hours": N_("{h} h {m} min"),
    "span-minutes": N_("{m} min"),
    "demo": N_("DEMO (nothing is kept)"),
    "optional": N_("opt."),
    "choose": N_("choose"),
    "type-integer": N_("whole number"),
    "type-number": N_("number"),
    "type-text": N_("text"),
    "type-choice": N_("choice"),
    "type-yes-no": N_("yes/no"),
    "type-actions": N_("what @owner due; what @owner due"),
    "checklist-partial": N_("Only {ticked} of {total} checklist items are ticked. Complete the step anyway?"),
    "confirm-resolve": N_("{n} step(s) still pending. Resolve the incident anyway?"),
    "confirm-leave": N_('The value "{value}" typed for "{step}" is not recorded. Go back anyway?'),
    "journeys": N_("Journeys"),
    "flagged": N_("flagged groups"),
    "journey-anchor": N_("The date it counts from (YYYY-MM-DD, or YYYY-MM-DD HH:MM for an event)"),
    "journey-title": N_("A title (optional), e.g. 双12直播"),
    "day-note": N_("A note for the day's log"),
    "my-followups": N_("My follow-ups"),
    "open-followups": N_("open action items"),
    "corrected": N_("corrected"),
    "retracted": N_("retracted: not done"),
    "handover-prompt": N_("Hand-over note for the next shift"),
    "handover-noted": N_("Hand-over noted: the next operators see it when they start soptui"),
    "claimed": N_("Claimed: the team sees it is yours (m again releases it)"),
    "released": N_("Released"),
    "help.today.log": N_("add a note to the day's log"),
    "help.today.incidents": N_("every incident, open and resolved, newest first"),
    "help.today.claim": N_("claim the highlighted run for yourself (again: release it)"),
    "help.today.followups": N_("the team's open action items: done, move or drop"),
    "help.today.handover": N_("leave a hand-over note for the next shift"),
    "help.run.claim": N_("claim the run (in the group list: the highlighted groups); again: release"),
    "help.run.amend": N_("correct the step's recorded value or completion (asks why)"),
    "help.run.followups": N_("go over the team's open action items"),
    "enter-again": N_("Press enter again to complete: {step}"),
    "group-value": N_("{label} for {groups}"),
    "group-skip": N_("Why is {group} skipped?"),
    "confirm-all-groups": N_("Tick all {n} remaining group(s) of {step}?"),
    "wait-queued": N_("Queued actions are still waiting to be written; wait a moment"),
    "value": N_("Value"),
    "metrics": N_("Metrics"),
    "goals": N_("Goals"),
    "notes": N_("Notes"),
    "people": N_("People"),
    "no-goals": N_("No goals set (goals.toml)"),
    "routine-columns": N_("Routine|Mo Tu We Th Fr Sa Su|done|on time|median"),
    "metric-columns": N_("Metric|this|previous|change|trend"),
    "incident-columns": N_("sev|incident|opened|resolved in|escalations"),
    "review-legend": N_("✓ done  ! missed  · pending  – not due"),
    "compared-same-days": N_("Still running: “previous” is the same days of the last {unit} ({days})"),
    "compared-whole": N_("“previous” is the last {unit} ({days})"),
    "unit-week": N_("week"),
    "unit-period": N_("period"),
    "on-track": N_("on track"),
    "behind": N_("behind"),
    "goal-time": N_("time"),
    "goal-to-go": N_("{n}/week to go"),
    "sample-goals": N_("Sample goals (edit goals.toml to set your own)"),
    "sample-goal": N_("{metric} to {target} by {by}"),
    "kept-draft": N_("kept as a draft; it will be saved when the journal accepts writes"),
    "draft-saved": N_("A draft was saved to the journal"),
    "notices": N_("Notices"),
    "notices-summary": N_("{n} notices: press ! to see them"),
    "notices-help": N_("Everything soptui told you at start-up: warnings, unsaved notes"),
    "no-notices": N_("No notices"),
    "unsaved-note": N_(
        'You have an unsaved note ({run}): "{text}". Open the run and press n to continue it.'
    ),
}


def t(language: Language, key: str, **values: object) -> str:
    """The app's words for ``key`` (a ``_WORDS`` key or an English message id) in ``language``."""
    message = _WORDS.get(key, key)
    text = translations(language).gettext(message) if message else message
    return text.format(**values) if values else text


# -- dates and durations ---------------------------------------------------------------------------

_WEEKDAYS_ZH = "一二三四五六日"


def weekday(moment: date, language: Language | None = None, *, long: bool = False) -> str:
    """``Tue``/``Tuesday`` in English, ``周二``/``星期二`` in Chinese."""
    if (language or _active) == "zh":
        return ("星期" if long else "周") + _WEEKDAYS_ZH[moment.weekday()]
    return moment.strftime("%A" if long else "%a")


def month_day(moment: date, language: Language | None = None) -> str:
    """``Nov 28`` in English, ``11月28日`` in Chinese."""
    if (language or _active) == "zh":
        return f"{moment.month}月{moment.day}日"
    return f"{moment:%b} {moment.day}"


def minutes_text(total_minutes: int, language: Language | None = None) -> str:
    """``1 h 5 min`` / ``1小时5分``, or ``12 min`` / ``12分钟``."""
    language = language or _active
    if total_minutes >= 60:
        return t(language, "span-hours", h=total_minutes // 60, m=total_minutes % 60)
    return t(language, "span-minutes", m=total_minutes)


def duration_text(delta: timedelta, language: Language | None = None) -> str:
    """A duration in whole minutes for people: ``1 h 5 min`` / ``1小时5分``, ``12 min``."""
    return minutes_text(int(delta.total_seconds() // 60), language)


def hms(delta: timedelta) -> str:
    """A running clock: ``01:02:03`` (never negative)."""
    seconds = max(int(delta.total_seconds()), 0)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# Words that reach the screen from data: playbook origins and states.
DATA_WORDS = (N_("bundled"), N_("user"), N_("team"), N_("pending"), N_("skipped"), N_("n/a"))
AGGREGATE_WORDS = (N_("sum"), N_("mean"), N_("last"), N_("min"), N_("max"))


# -- line breaking ---------------------------------------------------------------------------------

NO_LINE_START = "。，、：；！？）」』"
"""Closing punctuation that must not begin a line (kinsoku)."""
NO_LINE_END = "（「『"
"""Opening brackets that must not end a line."""


def _cells(text: str) -> int:
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap_cjk(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width`` terminal cells: Chinese between any two characters, English
    between words, and never a line that starts with closing punctuation or ends with an
    opening bracket (the offending character moves to the neighbouring line)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        tokens: list[str] = []
        for ch in paragraph:  # words stay whole; each wide character is a token of its own
            if (
                tokens
                and ch.isascii()
                and not ch.isspace()
                and tokens[-1][-1:].isascii()
                and (not tokens[-1][-1:].isspace())
            ):
                tokens[-1] += ch
            else:
                tokens.append(ch)
        current = ""
        out: list[str] = []
        for token in tokens:
            if not current or _cells(current + token.rstrip()) <= width:
                current += token
                continue
            head, tail = current, token
            # carry characters over until the new line starts with one that may start a line,
            # and the old one ends with one that may end a line
            while head and (tail[:1] in NO_LINE_START or head[-1] in NO_LINE_END):
                head, tail = head[:-1], head[-1] + tail
            if not head.strip():  # nowhere to break: the line runs over rather than break the rule
                current += token
                continue
            out.append(head.rstrip())
            current = tail.lstrip()
        out.append(current.rstrip())
        lines.extend(out)
    return lines
