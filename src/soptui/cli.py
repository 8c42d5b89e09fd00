"""The ``soptui`` command: parse arguments, build a Context, call one command.

Kept thin on purpose: the work happens in :mod:`soptui.commands` and the domain modules.
Textual is imported only by the commands that open the app, so the others start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from soptui import __version__
from soptui.collector import held_back
from soptui.errors import CommandError, UsageError
from soptui.i18n import N_, Language, _, activate
from soptui.review_sections import SECTIONS

if TYPE_CHECKING:
    from soptui.context import Context
from soptui.text import visible

Handler = Callable[["Context", argparse.Namespace], int]

DESCRIPTION = N_(
    """\
Run your community team's SOPs (daily, weekly and monthly routines, incident playbooks)
in the terminal, with every action kept in a local journal.

With no command, opens the app on today's agenda."""
)


class Parser(argparse.ArgumentParser):
    """argparse with its error messages made safe: they echo what was typed or pasted."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        lines = [visible(line) for line in message.split("\n")]
        self.exit(2, _("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": "\n".join(lines)})

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """argparse's check, plus "did you mean X?" for a mistyped choice (Python 3.11 has none)."""
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as error:
            hint = _did_you_mean(value, action.choices)
            if hint is None or "maybe you meant" in error.message:
                raise
            message = error.message
            cut = message.find(" (choose from ")
            if cut < 0:
                cut = message.find(_(" (choose from "))
            head, tail = (message[:cut], message[cut:]) if cut >= 0 else (message, "")
            did_you_mean = _("did you mean {hint!r}?").format(hint=hint)
            raise argparse.ArgumentError(action, f"{head}; {did_you_mean}{tail}") from None


def _did_you_mean(value: object, choices: object) -> str | None:
    """The choice closest to a mistyped ``value``, if one is close enough."""
    from difflib import get_close_matches

    if not isinstance(value, str) or choices is None or not hasattr(choices, "__iter__"):
        return None
    names = [choice for choice in choices if isinstance(choice, str)]
    close = get_close_matches(value, names, n=1)
    return close[0] if close else None


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = Parser(
        prog="soptui",
        description=_(DESCRIPTION),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"soptui {__version__}",
        help=_("show program's version number and exit"),
    )
    parser.add_argument(
        "--journal",
        type=_journal_location,
        metavar="PATH",
        help=_(
            "journal file, or a postgresql:// URL (default: SOPTUI_JOURNAL, config, or the user data dir)"
        ),
    )
    parser.add_argument(
        "--playbooks",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=_("extra playbook directory, searched last (repeatable)"),
    )
    parser.add_argument("--operator", metavar="NAME", help=_("name recorded with your actions"))
    parser.add_argument("--language", choices=["zh", "en"], help=_("language of playbooks and app"))
    parser.add_argument(
        "--demo",
        action="store_true",
        help=_("open the app on a throwaway journal with a few weeks of history"),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _playbook_commands(commands)
    _run_commands(commands)
    _journal_commands(commands)
    _find_commands(commands)
    _review_commands(commands)
    _team_commands(commands)
    _coordination_commands(commands)
    _serve_commands(commands)
    _remind_commands(commands)
    _remember_parsers(parser)
    return parser


def _journal_location(text: str) -> Path | str:
    """--journal: a file, or a PostgreSQL URL kept as typed (a Path would fold its ``//``)."""
    from soptui.journal.base import location_of

    return location_of(text)


def _remember_parsers(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand's namespace its own parser (``args.parser``), so a usage error a
    command raises prints that command's usage line, not the top-level one."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.set_defaults(parser=sub)
                _remember_parsers(sub)


def _playbook_commands(commands: Subparsers) -> None:
    check = commands.add_parser(
        "check",
        help=_("validate playbooks and goals"),
        description=_(
            "Validate the playbook library, or the given files and "
            "directories. Prints FILE:LINE:COL: problems; exit 1 on any error."
        ),
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.add_argument("--json", action="store_true", help=_("print problems as JSON"))
    check.set_defaults(handler=lambda c, a: _playbooks().check(c, a.paths, a.json))

    listing = commands.add_parser(
        "list",
        help=_("list the playbooks in the library"),
        description=_("List id, title, cadence, steps and origin of every playbook."),
    )
    listing.add_argument("--json", action="store_true", help=_("print as JSON"))
    listing.set_defaults(handler=lambda c, a: _playbooks().list_playbooks(c, a.json))

    for name, what in (
        ("groups", _("the member groups in groups.toml")),
        ("people", _("the people in people.toml")),
    ):
        roster = commands.add_parser(
            name, help=_("list {what}").format(what=what), description=_("List {what}.").format(what=what)
        )
        roster.add_argument("--json", action="store_true", help=_("print as JSON"))
        roster.set_defaults(
            handler=lambda c, a, name=name: _module("roster_commands").list_roster(c, name, a.json)
        )

    show = commands.add_parser(
        "show",
        help=_("show a playbook and its steps"),
        description=_(
            "Print PLAYBOOK's id, title, cadence, due time and file, and each step: "
            "its number and id (for done, skip and note --step), title, role, estimate, condition, "
            "input, checklist and snippets."
        ),
    )
    show.add_argument("playbook", metavar="PLAYBOOK")
    show.add_argument("--json", action="store_true", help=_("print as JSON"))
    show.set_defaults(handler=lambda c, a: _module("show").show(c, a.playbook, a.json))

    schema = commands.add_parser(
        "schema",
        help=_("print the playbook JSON Schema"),
        description=_("Print the JSON Schema of the playbook format, or of groups.toml or people.toml."),
    )
    schema.add_argument("kind", nargs="?", choices=["playbook", "groups", "people"], default="playbook")
    schema.set_defaults(handler=lambda c, a: _playbooks().schema(a.kind))

    new = commands.add_parser(
        "new",
        help=_("write a starter playbook"),
        description=_(
            "Write a valid, commented starter playbook (--cadence), or a copy of an "
            "existing playbook to customise (--from). Never overwrites a file; refuses an id that "
            "would replace another playbook unless --force (or --from that same playbook). "
            "Default directory: your user playbooks."
        ),
    )
    new.add_argument("id", metavar="ID", help=_("lowercase letters, digits and '-'"))
    new.add_argument("--cadence", choices=["daily", "weekly", "monthly", "incident"])
    new.add_argument("--title", help=_("playbook title"))
    new.add_argument("--dir", type=Path, dest="directory", help=_("directory to write into"))
    new.add_argument(
        "--from", dest="source", metavar="PLAYBOOK", help=_("start from a copy of this playbook's file")
    )
    new.add_argument(
        "--force",
        action="store_true",
        help=_("write even if a playbook with this id exists (it is replaced)"),
    )
    new.set_defaults(
        handler=lambda c, a: _playbooks().new(c, a.id, a.cadence, a.title, a.directory, a.source, a.force)
    )

    paths = commands.add_parser(
        "paths",
        help=_("print where soptui keeps its files"),
        description=_("Print the config file, playbook directories and journal."),
    )
    paths.set_defaults(handler=_print_paths)


Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _capture_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--at",
        metavar="TIME",
        help=_("when it happened (ISO 8601; team-local if no offset): backfill"),
    )
    command.add_argument(
        "--run",
        "--instance",
        dest="run",
        metavar="ID",
        help=_("record on this run (or journey instance) instead of the current one"),
    )


def _run_commands(commands: Subparsers) -> None:
    def rc() -> ModuleType:
        return _module("run_commands")

    done = commands.add_parser(
        "done",
        help=_("mark a step done"),
        description=_(
            "Mark STEP of PLAYBOOK done on the current period's run "
            "(opened if needed), validating --value against the step's input."
        ),
    )
    done.add_argument("playbook", metavar="PLAYBOOK")
    done.add_argument("step", metavar="STEP")
    done.add_argument("--value", help=_("the step's input value (yes-no takes yes/no, y/n, 是/否)"))
    done.add_argument("--note", help=_("a note to attach to the step"))
    done.add_argument("--group", metavar="ID", help=_("the member group, for a step done per group"))
    _capture_options(done)
    done.set_defaults(
        handler=lambda c, a: rc().done(c, a.playbook, a.step, a.value, a.note, a.at, a.run, a.group)
    )

    skip = commands.add_parser(
        "skip",
        help=_("skip a step (with a reason)"),
        description=_("Skip STEP; a reason is required unless the step is optional."),
    )
    skip.add_argument("playbook", metavar="PLAYBOOK")
    skip.add_argument("step", metavar="STEP")
    skip.add_argument("--reason", help=_("why it was skipped"))
    skip.add_argument("--group", metavar="ID", help=_("the member group, for a step done per group"))
    _capture_options(skip)
    skip.set_defaults(handler=lambda c, a: rc().skip(c, a.playbook, a.step, a.reason, a.at, a.run, a.group))

    note = commands.add_parser(
        "note",
        usage="%(prog)s [-h] [--step STEP] [--at TIME] [--run ID] [PLAYBOOK] TEXT",
        help=_("add a note"),
        description=_(
            "Add a note to PLAYBOOK's current run (or its --step), or, without PLAYBOOK, to the day's log."
        ),
    )
    note.add_argument("words", nargs="+", metavar="[PLAYBOOK] TEXT")
    note.add_argument("--step", help=_("attach to this step"))
    _capture_options(note)
    note.set_defaults(handler=lambda c, a: rc().note(c, a.words, a.step, a.at, a.run))

    incident = commands.add_parser(
        "incident",
        help=_("open or resolve an incident"),
        description=_("Open or resolve an incident run."),
    )
    sub = incident.add_subparsers(dest="incident_command", metavar="ACTION", required=True)
    opening = sub.add_parser("open", help=_("open an incident"), description=_("Open an incident run."))
    opening.add_argument("playbook", metavar="PLAYBOOK")
    opening.add_argument("--title", required=True, help=_("what happened, in a few words"))
    opening.add_argument("--severity", help=_("one of the playbook's severities (default: the least severe)"))
    opening.set_defaults(handler=lambda c, a: rc().incident_open(c, a.playbook, a.title, a.severity))
    resolving = sub.add_parser(
        "resolve", help=_("resolve an incident"), description=_("Resolve an incident run.")
    )
    resolving.add_argument("run", metavar="RUN", help=_("the incident's run id (a unique prefix will do)"))
    resolving.add_argument("--summary", help=_("what was done and the outcome"))
    resolving.set_defaults(handler=lambda c, a: rc().incident_resolve(c, a.run, a.summary))

    due = commands.add_parser(
        "due",
        help=_("print the agenda"),
        description=_(
            "Print each routine's state for the current period, "
            "due times, overdue and missed periods, and open incidents."
        ),
    )
    due.add_argument("--date", help=_("show the agenda as of this day (YYYY-MM-DD)"))
    due.add_argument("--json", action="store_true", help=_("print as JSON"))
    due.set_defaults(handler=lambda c, a: rc().due(c, a.date, a.json))

    start = commands.add_parser(
        "start",
        help=_("start an instance of a dated journey"),
        description=_(
            "Start an instance of a sequence PLAYBOOK (an event countdown, a newcomer journey): "
            "each step is due at its offset from --anchor. Several instances may be active at once."
        ),
    )
    start.add_argument("playbook", metavar="PLAYBOOK")
    start.add_argument(
        "--anchor",
        required=True,
        metavar="DATE",
        help=_("the day the offsets count from (YYYY-MM-DD; YYYY-MM-DDTHH:MM for an event's time)"),
    )
    start.add_argument("--title", help=_("the instance's title, e.g. the event's name"))
    start.set_defaults(handler=lambda c, a: rc().start(c, a.playbook, a.anchor, a.title))

    listing = commands.add_parser(
        "instances",
        help=_("list the dated journeys' instances"),
        description=_(
            "List the active instances of sequence playbooks: playbook, title, anchor, "
            "progress and the next step due (read-only)."
        ),
    )
    listing.add_argument("--all", action="store_true", help=_("include finished instances"))
    listing.add_argument("--json", action="store_true", help=_("print as JSON"))
    listing.set_defaults(handler=lambda c, a: rc().list_instances(c, a.json, a.all))

    run = commands.add_parser(
        "run",
        help=_("open the app on a playbook's current run"),
        description=_("Open the app straight into PLAYBOOK's current run (resuming it if open)."),
    )
    run.add_argument("playbook", metavar="PLAYBOOK")
    run.set_defaults(handler=lambda c, a: _app().open_app(c, a.playbook))


def _journal_commands(commands: Subparsers) -> None:
    journal = commands.add_parser(
        "journal",
        help=_("export, import, copy, back up or check the journal"),
        description=_("Export, import, copy, back up or check the journal."),
    )
    sub = journal.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    export = sub.add_parser(
        "export",
        help=_("print every event"),
        description=_("Print every event, one per line (JSONL, see docs/journal.md)."),
    )
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--since", metavar="DATE", help=_("first day (team-local, inclusive)"))
    export.add_argument("--until", metavar="DATE", help=_("last day (team-local, inclusive)"))
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help=_("write to FILE"))
    export.set_defaults(handler=lambda c, a: _journal().export(c, a.format, a.since, a.until, a.output))
    importing = sub.add_parser(
        "import",
        help=_("merge events from a JSONL export"),
        description=_(
            "Merge events from a JSONL export; events already present "
            "(same UUID) are skipped, so importing twice changes nothing."
        ),
    )
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.set_defaults(handler=lambda c, a: _journal().import_file(c, a.file))
    backup = sub.add_parser(
        "backup",
        help=_("write a consistent copy of the journal"),
        description=_(
            "Copy the live journal with SQLite's backup API into a temporary file "
            "beside FILE, check the copy, then give it its name (never replacing a file)."
        ),
    )
    backup.add_argument("file", nargs="?", type=Path, metavar="FILE")
    backup.set_defaults(handler=lambda c, a: _journal().backup(c, a.file))
    copying = sub.add_parser(
        "copy",
        help=_("copy every event into another journal (SQLite or PostgreSQL)"),
        description=_(
            "Copy every event, with the playbook versions and runs, from SOURCE into TARGET: each a "
            "journal file or a postgresql:// URL. Events already in TARGET (same UUID) are skipped, "
            "so copying twice changes nothing. See docs/postgresql.md."
        ),
    )
    copying.add_argument("source", metavar="SOURCE")
    copying.add_argument("target", metavar="TARGET")
    copying.add_argument(
        "--team",
        metavar="NAME",
        help=_("mark every copied event as team NAME's (to merge several teams' journals into one)"),
    )
    copying.set_defaults(handler=lambda c, a: _journal().copy(c, a.source, a.target, a.team))
    checking = sub.add_parser(
        "check",
        help=_("check the journal file for damage"),
        description=_(
            "Run SQLite's integrity_check and quick_check on the whole journal "
            "(read-only). Exit 0 when intact, 1 when damaged, with what to do."
        ),
    )
    checking.set_defaults(handler=lambda c, a: _journal().check(c))


def _find_commands(commands: Subparsers) -> None:
    def find() -> ModuleType:
        return _module("find_commands")

    searching = commands.add_parser(
        "search",
        help=_("search notes, reasons, hand-overs, incidents, recorded text and playbooks"),
        description=_(
            "Find QUERY in notes, skip reasons, hand-over notes, incident titles, summaries and "
            "timelines and recorded text values (newest first), then in the playbooks' titles, "
            "steps, details and checklists. Every word of QUERY must appear; any part of a word "
            "or phrase is found, in Chinese too (差评, 退款)."
        ),
    )
    searching.add_argument("query", nargs="+", metavar="QUERY")
    searching.add_argument("--since", metavar="DATE", help=_("first day (YYYY-MM-DD)"))
    searching.add_argument("--until", metavar="DATE", help=_("last day, inclusive (YYYY-MM-DD)"))
    searching.add_argument(
        "--limit", type=int, default=50, metavar="N", help=_("show at most N results (default 50)")
    )
    searching.add_argument(
        "--what",
        choices=("all", "journal", "playbooks"),
        default="all",
        help=_("search the journal, the playbooks' text, or both (default); dates apply to the journal"),
    )
    searching.add_argument("--json", action="store_true", help=_("print as JSON"))
    searching.set_defaults(
        handler=lambda c, a: find().run_search(
            c, " ".join(a.query), a.since, a.until, a.limit, a.json, a.what
        )
    )

    history = commands.add_parser(
        "history",
        help=_("the values recorded for a step"),
        description=_(
            "The last 90 values recorded for STEP of PLAYBOOK (newest first), with sparklines of "
            "the last 30 and 90; per group for a step done per group."
        ),
    )
    history.add_argument("playbook", metavar="PLAYBOOK")
    history.add_argument("step", metavar="STEP")
    history.add_argument("--json", action="store_true", help=_("print as JSON"))
    history.set_defaults(handler=lambda c, a: find().run_history(c, a.playbook, a.step, a.json))


def _review_commands(commands: Subparsers) -> None:
    review = commands.add_parser(
        "review",
        help=_("the week's review: a screen, or a report"),
        description=_(
            "Without --format, open the review screen. With --format, print (or -o write) "
            "the report: text, markdown, json (see docs/review.md) or csv (one --section)."
        ),
    )
    review.add_argument("--format", choices=["text", "markdown", "json", "csv"])
    review.add_argument(
        "--week", metavar="YYYY-Www", help=_("an ISO week, e.g. 2026-W48 (default: this week)")
    )
    review.add_argument("--from", dest="start", metavar="DATE", help=_("first day (YYYY-MM-DD)"))
    review.add_argument("--until", metavar="DATE", help=_("last day, inclusive (YYYY-MM-DD)"))
    review.add_argument("--section", choices=list(SECTIONS), help=_("the CSV table to print"))
    review.add_argument("-o", "--output", type=Path, metavar="FILE", help=_("write to FILE"))
    review.add_argument(
        "--excel", action="store_true", help=_("CSV for spreadsheets: UTF-8 with a byte order mark")
    )
    # For `soptui serve`: the screen opened for a browser cannot write to the journal.
    review.add_argument("--read-only", action="store_true", help=argparse.SUPPRESS)
    review.add_argument(
        "--team", metavar="NAME", help=_("only team NAME's events, in a journal merged from several teams")
    )
    review.set_defaults(
        handler=lambda c, a: _review().review(
            c, a.format, a.week, a.start, a.until, a.section, a.output, a.excel, a.read_only, a.team
        )
    )
    demo = commands.add_parser(
        "demo",
        help=_("open the app on a throwaway demo journal"),
        description=_(
            "Open the app on a temporary journal filled with four weeks "
            "of realistic history from the bundled playbooks; nothing is kept."
        ),
    )
    demo.set_defaults(handler=lambda c, a: _app().open_demo(c))


def _team_commands(commands: Subparsers) -> None:
    team = commands.add_parser(
        "team",
        help=_("set up a shared team directory"),
        description=_(
            "Team mode: one journal and playbook directory for a team sharing a server (see docs/team.md)."
        ),
    )
    sub = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    init = sub.add_parser(
        "init",
        help=_("prepare a team directory"),
        description=_(
            "Create DIR with a journal, a playbooks/ directory and a config.toml, "
            "owned by --group, readable and writable by the group only (setgid, 0660)."
        ),
    )
    init.add_argument("directory", type=Path, metavar="DIR")
    init.add_argument("--group", metavar="G", help=_("the team's Unix group (default: your primary group)"))
    init.add_argument(
        "--timezone", metavar="ZONE", help=_("the team's IANA time zone (default: this server's)")
    )
    init.set_defaults(handler=lambda c, a: _module("team_commands").init(c, a.directory, a.group, a.timezone))


def _serve_commands(commands: Subparsers) -> None:
    serve = commands.add_parser(
        "serve",
        help=_("serve the week's review to a browser"),
        description=_(
            "Serve the app on the week's review through textual-serve, behind a random token "
            "printed at start; read-only unless --allow-actions (see docs/serve.md). "
            "Needs the serve extra: pip install 'soptui[serve]'."
        ),
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1, this machine only)")
    )
    serve.add_argument("--port", type=int, default=8000, help=_("port to listen on (default: 8000)"))
    serve.add_argument(
        "--allow-actions",
        action="store_true",
        help=_("let the browser record actions (as this command's operator); default: read-only"),
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help=_("the address browsers use, e.g. a reverse proxy's https://… (default: http://HOST:PORT)"),
    )
    serve.set_defaults(
        handler=lambda c, a: _module("serve_commands").serve(c, a.host, a.port, a.allow_actions, a.public_url)
    )


def _coordination_commands(commands: Subparsers) -> None:
    def cc() -> ModuleType:
        return _module("coordination_commands")

    for name, mine in (("claim", True), ("release", False)):
        claiming = commands.add_parser(
            name,
            help=_("claim a run: tell the team it is yours") if mine else _("release what you claimed"),
            description=_(
                "Claim (or release) PLAYBOOK's current run, or with --step and --group some groups of a "
                "per-group step; claims show on every operator's Today."
            ),
        )
        claiming.add_argument("playbook", nargs="?", metavar="PLAYBOOK")
        claiming.add_argument("--run", metavar="ID", help=_("a run by id (a unique prefix will do)"))
        claiming.add_argument("--step", metavar="STEP", help=_("the per-group step whose groups you claim"))
        claiming.add_argument(
            "--group", metavar="ID", action="append", default=[], help=_("a member group (repeatable)")
        )
        claiming.set_defaults(
            handler=lambda c, a, mine=mine: cc().claim(c, a.playbook, a.run, a.step, a.group, mine)
        )

    handover = commands.add_parser(
        "handover",
        help=_("leave a hand-over note for the next shift"),
        description=_(
            "With TEXT, leave a hand-over note: the next operators see it when they start soptui, "
            "until they acknowledge it. Without TEXT, list the notes waiting for you."
        ),
    )
    handover.add_argument("words", nargs="*", metavar="TEXT")
    handover.add_argument("--ack", action="store_true", help=_("acknowledge the notes listed"))
    handover.set_defaults(handler=lambda c, a: cc().handover(c, a.words, a.ack))

    amend = commands.add_parser(
        "amend",
        help=_("correct a recorded value or completion"),
        description=_(
            "Correct STEP's completion in PLAYBOOK's current run: a new --value, or --retract it. "
            "The old value stays in the journal with who corrected it and why. Allowed for whoever "
            "recorded it, the run's opener and the team's lead (社群经理 in people.toml)."
        ),
    )
    amend.add_argument("playbook", nargs="?", metavar="PLAYBOOK")
    amend.add_argument("step", metavar="STEP")
    amend.add_argument("--reason", required=True, help=_("why the record was wrong"))
    amend.add_argument("--value", help=_("the corrected value"))
    amend.add_argument("--retract", action="store_true", help=_("the step was not done after all"))
    amend.add_argument("--group", metavar="ID", help=_("the member group, for a step done per group"))
    amend.add_argument("--run", metavar="ID", help=_("a run by id (a unique prefix will do)"))
    amend.set_defaults(
        handler=lambda c, a: cc().amend(c, a.playbook, a.step, a.reason, a.value, a.retract, a.group, a.run)
    )

    listing = commands.add_parser(
        "actions",
        help=_("list the team's follow-up action items"),
        description=_("List open action items (what, owner, due), oldest due first."),
    )
    listing.add_argument("--mine", action="store_true", help=_("only items you own"))
    listing.add_argument("--all", action="store_true", help=_("closed items too"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    listing.set_defaults(handler=lambda c, a: cc().actions(c, a.mine, a.all, a.json))

    closing = commands.add_parser(
        "action",
        help=_("close or move an action item"),
        description=_("Mark an action item done or dropped, or move it to a new due date."),
    )
    sub = closing.add_subparsers(dest="action_command", metavar="ACTION", required=True)
    for verb, outcome, text in (
        ("done", "done", N_("mark an action item done")),
        ("drop", "dropped", N_("drop an action item")),
        ("move", "moved", N_("move an action item to a new due date")),
    ):
        each = sub.add_parser(verb, help=_(text), description=_(text))
        each.add_argument("item", metavar="ITEM", help=_("the item's id as soptui actions shows it"))
        if outcome == "moved":
            each.add_argument("due", metavar="DATE", help=_("2026-12-05, 12-05 or +3d"))
        each.set_defaults(
            handler=lambda c, a, outcome=outcome: cc().close_action(
                c, outcome, a.item, getattr(a, "due", None)
            )
        )


def _remind_commands(commands: Subparsers) -> None:
    remind = commands.add_parser(
        "remind",
        help=_("send what needs attention to the team's chat"),
        description=_(
            "Send routines coming due and overdue, journey steps due today, incident escalations "
            "and follow-ups past due to the chat webhooks in notify.toml (WeCom, DingTalk, Feishu), "
            "each once; meant for cron or a systemd timer (see docs/team.md)."
        ),
    )
    remind.add_argument(
        "--dry-run",
        action="store_true",
        help=_("print what would be sent and where; send and record nothing"),
    )
    remind.add_argument(
        "--status", action="store_true", help=_("list the reminders sent and failed lately, with retry times")
    )
    remind.add_argument("--json", action="store_true", help=_("print as JSON"))
    remind.set_defaults(
        handler=lambda c, a: _module("remind_commands").remind(c, a.dry_run, a.status, a.json)
    )


def _module(name: str) -> ModuleType:
    import importlib

    return importlib.import_module(f"soptui.commands.{name}")


def _review() -> ModuleType:
    from soptui.commands import review_commands

    return review_commands


def _journal() -> ModuleType:
    from soptui.commands import journal_commands

    return journal_commands


def _app() -> ModuleType:
    from soptui.commands import app_commands

    return app_commands


def _playbooks() -> ModuleType:
    from soptui.commands import playbook_commands

    return playbook_commands


def _print_paths(context: Context, args: argparse.Namespace) -> int:
    # Every path here may come from a shared config: shown as plain text, never as escapes.
    config, journal, playbooks = _("config"), _("journal"), _("playbooks")
    print(f"{config:<10} {visible(str(context.paths.config_file), newlines=False)}")
    print(f"{journal:<10} {visible(context.journal_shown, newlines=False)}")
    for source in context.sources():
        shown = visible(f"{source.directory}  ({source.origin})", newlines=False)
        print(f"{playbooks:<10} {shown}")
    if context.paths.cache_dir is not None:
        print(f"{_('cache'):<10} {visible(str(context.paths.cache_dir), newlines=False)}")
    return 0


def _shows_warnings_itself(args: argparse.Namespace) -> bool:
    """Whether the command reports the ignored settings itself: `check`, and the app."""
    command = getattr(args, "command", None)
    if args.demo or command in (None, "check", "run", "demo"):
        return True
    return command == "review" and getattr(args, "format", None) is None


def _warn(context: Context | None) -> None:
    """Print, once, what the configuration made soptui ignore."""
    if context is not None:
        for line in context.take_warnings():
            print(_("soptui: warning: {line}").format(line=line), file=sys.stderr)


def _error(error: Exception) -> None:
    """``soptui: error: …``, each line of a multi-line message made safe on its own."""
    first, *rest = str(error).split("\n")
    print(_("soptui: error: {message}").format(message=visible(first)), file=sys.stderr)
    for line in rest:
        print(visible(line), file=sys.stderr)


def _language_hint(argv: Sequence[str]) -> Language:
    """The language for --help and usage errors, before the configuration is read:
    --language, else the locale (LC_ALL, LC_MESSAGES, LANG, LANGUAGE)."""
    for index, word in enumerate(argv):
        value = word.partition("=")[2] if word.startswith("--language=") else None
        if word == "--language" and index + 1 < len(argv):
            value = argv[index + 1]
        if value in ("zh", "en"):
            return "zh" if value == "zh" else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        found = os.environ.get(name)
        if found:
            return "zh" if found.lower().startswith("zh") else "en"
    return "en"


def main(argv: Sequence[str] | None = None) -> int:
    activate(_language_hint(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(argv)
    with held_back():  # start-up builds what it keeps: see soptui.collector
        return _run(args, parser)


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    context: Context | None = None
    try:
        from soptui.context import Context  # after parsing: --version and --help stay fast

        context = Context.create(
            playbooks=args.playbooks,
            journal=args.journal,
            operator=args.operator,
            language=args.language,
        )
        activate(context.language)
        if not _shows_warnings_itself(args):
            _warn(context)
        handler: Handler | None = getattr(args, "handler", None)
        if args.demo:
            return _app().open_demo(context)  # type: ignore[no-any-return]
        if handler is None:
            from soptui.commands.app_commands import open_app

            return open_app(context, None)
        return handler(context, args)
    except UsageError as error:
        _warn(context)
        command_parser: argparse.ArgumentParser = getattr(args, "parser", parser)
        command_parser.print_usage(sys.stderr)
        _error(error)
        return 2
    except CommandError as error:
        _warn(context)  # e.g. the app could not start: what it would have shown still gets said
        _error(error)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        _warn(context)  # a command that meant to show them but did not get that far
        if context is not None:
            context.close_journals()
