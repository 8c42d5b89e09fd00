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
from soptui.errors import CommandError, UsageError

if TYPE_CHECKING:
    from soptui.context import Context
from soptui.text import visible

Handler = Callable[["Context", argparse.Namespace], int]

DESCRIPTION = """\
Run your community team's SOPs (daily, weekly and monthly routines, incident playbooks)
in the terminal, with every action kept in a local journal.

With no command, opens the app on today's agenda."""


class Parser(argparse.ArgumentParser):
    """argparse with its error messages made safe: they echo what was typed or pasted."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        lines = [visible(line) for line in message.split("\n")]
        self.exit(2, f"{self.prog}: error: " + "\n".join(lines) + "\n")

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
            head, tail = (message[:cut], message[cut:]) if cut >= 0 else (message, "")
            raise argparse.ArgumentError(action, f"{head}; did you mean {hint!r}?{tail}") from None


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
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"soptui {__version__}")
    parser.add_argument(
        "--journal",
        type=Path,
        metavar="PATH",
        help="journal file (default: SOPTUI_JOURNAL, config, or the user data dir)",
    )
    parser.add_argument(
        "--playbooks",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="extra playbook directory, searched last (repeatable)",
    )
    parser.add_argument("--operator", metavar="NAME", help="name recorded with your actions")
    parser.add_argument("--language", choices=["zh", "en"], help="language of playbooks and app")
    parser.add_argument(
        "--demo", action="store_true", help="open the app on a throwaway journal with a few weeks of history"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _playbook_commands(commands)
    _run_commands(commands)
    _journal_commands(commands)
    _review_commands(commands)
    _team_commands(commands)
    _remember_parsers(parser)
    return parser


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
        help="validate playbooks and goals",
        description="Validate the playbook library, or the given files and "
        "directories. Prints FILE:LINE:COL: problems; exit 1 on any error.",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.add_argument("--json", action="store_true", help="print problems as JSON")
    check.set_defaults(handler=lambda c, a: _playbooks().check(c, a.paths, a.json))

    listing = commands.add_parser(
        "list",
        help="list the playbooks in the library",
        description="List id, title, cadence, steps and origin of every playbook.",
    )
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(handler=lambda c, a: _playbooks().list_playbooks(c, a.json))

    show = commands.add_parser(
        "show",
        help="show a playbook and its steps",
        description="Print PLAYBOOK's id, title, cadence, due time and file, and each step: "
        "its number and id (for done, skip and note --step), title, role, estimate, condition, "
        "input, checklist and snippets.",
    )
    show.add_argument("playbook", metavar="PLAYBOOK")
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.set_defaults(handler=lambda c, a: _module("show").show(c, a.playbook, a.json))

    schema = commands.add_parser(
        "schema",
        help="print the playbook JSON Schema",
        description="Print the JSON Schema of the playbook format.",
    )
    schema.set_defaults(handler=lambda c, a: _playbooks().schema())

    new = commands.add_parser(
        "new",
        help="write a starter playbook",
        description="Write a valid, commented starter playbook (--cadence), or a copy of an "
        "existing playbook to customise (--from). Never overwrites a file; refuses an id that "
        "would replace another playbook unless --force (or --from that same playbook). "
        "Default directory: your user playbooks.",
    )
    new.add_argument("id", metavar="ID", help="lowercase letters, digits and '-'")
    new.add_argument("--cadence", choices=["daily", "weekly", "monthly", "incident"])
    new.add_argument("--title", help="playbook title")
    new.add_argument("--dir", type=Path, dest="directory", help="directory to write into")
    new.add_argument(
        "--from", dest="source", metavar="PLAYBOOK", help="start from a copy of this playbook's file"
    )
    new.add_argument(
        "--force", action="store_true", help="write even if a playbook with this id exists (it is replaced)"
    )
    new.set_defaults(
        handler=lambda c, a: _playbooks().new(c, a.id, a.cadence, a.title, a.directory, a.source, a.force)
    )

    paths = commands.add_parser(
        "paths",
        help="print where soptui keeps its files",
        description="Print the config file, playbook directories and journal.",
    )
    paths.set_defaults(handler=_print_paths)


Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _capture_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--at",
        metavar="TIME",
        help="when it happened (ISO 8601; team-local if no offset): backfill",
    )
    command.add_argument("--run", metavar="ID", help="record on this run instead of the current one")


def _run_commands(commands: Subparsers) -> None:
    def rc() -> ModuleType:
        return _module("run_commands")

    done = commands.add_parser(
        "done",
        help="mark a step done",
        description="Mark STEP of PLAYBOOK done on the current period's run "
        "(opened if needed), validating --value against the step's input.",
    )
    done.add_argument("playbook", metavar="PLAYBOOK")
    done.add_argument("step", metavar="STEP")
    done.add_argument("--value", help="the step's input value (yes-no takes yes/no, y/n, 是/否)")
    done.add_argument("--note", help="a note to attach to the step")
    _capture_options(done)
    done.set_defaults(handler=lambda c, a: rc().done(c, a.playbook, a.step, a.value, a.note, a.at, a.run))

    skip = commands.add_parser(
        "skip",
        help="skip a step (with a reason)",
        description="Skip STEP; a reason is required unless the step is optional.",
    )
    skip.add_argument("playbook", metavar="PLAYBOOK")
    skip.add_argument("step", metavar="STEP")
    skip.add_argument("--reason", help="why it was skipped")
    _capture_options(skip)
    skip.set_defaults(handler=lambda c, a: rc().skip(c, a.playbook, a.step, a.reason, a.at, a.run))

    note = commands.add_parser(
        "note",
        usage="%(prog)s [-h] [--step STEP] [--at TIME] [--run ID] [PLAYBOOK] TEXT",
        help="add a note",
        description="Add a note to PLAYBOOK's current run (or its --step), or, "
        "without PLAYBOOK, to the day's log.",
    )
    note.add_argument("words", nargs="+", metavar="[PLAYBOOK] TEXT")
    note.add_argument("--step", help="attach to this step")
    _capture_options(note)
    note.set_defaults(handler=lambda c, a: rc().note(c, a.words, a.step, a.at, a.run))

    incident = commands.add_parser(
        "incident",
        help="open or resolve an incident",
        description="Open or resolve an incident run.",
    )
    sub = incident.add_subparsers(dest="incident_command", metavar="ACTION", required=True)
    opening = sub.add_parser("open", help="open an incident", description="Open an incident run.")
    opening.add_argument("playbook", metavar="PLAYBOOK")
    opening.add_argument("--title", required=True, help="what happened, in a few words")
    opening.add_argument("--severity", help="one of the playbook's severities (default: the least severe)")
    opening.set_defaults(handler=lambda c, a: rc().incident_open(c, a.playbook, a.title, a.severity))
    resolving = sub.add_parser("resolve", help="resolve an incident", description="Resolve an incident run.")
    resolving.add_argument("run", metavar="RUN", help="the incident's run id (a unique prefix will do)")
    resolving.add_argument("--summary", help="what was done and the outcome")
    resolving.set_defaults(handler=lambda c, a: rc().incident_resolve(c, a.run, a.summary))

    due = commands.add_parser(
        "due",
        help="print the agenda",
        description="Print each routine's state for the current period, "
        "due times, overdue and missed periods, and open incidents.",
    )
    due.add_argument("--date", help="show the agenda as of this day (YYYY-MM-DD)")
    due.add_argument("--json", action="store_true", help="print as JSON")
    due.set_defaults(handler=lambda c, a: rc().due(c, a.date, a.json))

    run = commands.add_parser(
        "run",
        help="open the app on a playbook's current run",
        description="Open the app straight into PLAYBOOK's current run (resuming it if open).",
    )
    run.add_argument("playbook", metavar="PLAYBOOK")
    run.set_defaults(handler=lambda c, a: _app().open_app(c, a.playbook))


def _journal_commands(commands: Subparsers) -> None:
    journal = commands.add_parser(
        "journal",
        help="export, import, back up or check the journal",
        description="Export, import, back up or check the journal.",
    )
    sub = journal.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    export = sub.add_parser(
        "export",
        help="print every event",
        description="Print every event, one per line (JSONL, see docs/journal.md).",
    )
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--since", metavar="DATE", help="first day (team-local, inclusive)")
    export.add_argument("--until", metavar="DATE", help="last day (team-local, inclusive)")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE")
    export.set_defaults(handler=lambda c, a: _journal().export(c, a.format, a.since, a.until, a.output))
    importing = sub.add_parser(
        "import",
        help="merge events from a JSONL export",
        description="Merge events from a JSONL export; events already present "
        "(same UUID) are skipped, so importing twice changes nothing.",
    )
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.set_defaults(handler=lambda c, a: _journal().import_file(c, a.file))
    backup = sub.add_parser(
        "backup",
        help="write a consistent copy of the journal",
        description="Copy the live journal with SQLite's backup API into a temporary file "
        "beside FILE, check the copy, then give it its name (never replacing a file).",
    )
    backup.add_argument("file", nargs="?", type=Path, metavar="FILE")
    backup.set_defaults(handler=lambda c, a: _journal().backup(c, a.file))
    checking = sub.add_parser(
        "check",
        help="check the journal file for damage",
        description="Run SQLite's integrity_check and quick_check on the whole journal "
        "(read-only). Exit 0 when intact, 1 when damaged, with what to do.",
    )
    checking.set_defaults(handler=lambda c, a: _journal().check(c))


def _review_commands(commands: Subparsers) -> None:
    review = commands.add_parser(
        "review",
        help="the week's review: a screen, or a report",
        description="Without --format, open the review screen. With --format, print (or -o write) "
        "the report: text, markdown, json (see docs/review.md) or csv (one --section).",
    )
    review.add_argument("--format", choices=["text", "markdown", "json", "csv"])
    review.add_argument("--week", metavar="YYYY-Www", help="an ISO week, e.g. 2026-W48 (default: this week)")
    review.add_argument("--from", dest="start", metavar="DATE", help="first day (YYYY-MM-DD)")
    review.add_argument("--until", metavar="DATE", help="last day, inclusive (YYYY-MM-DD)")
    review.add_argument("--section", choices=list(_REVIEW_SECTIONS), help="the CSV table to print")
    review.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE")
    review.add_argument(
        "--excel", action="store_true", help="CSV for spreadsheets: UTF-8 with a byte order mark"
    )
    review.set_defaults(
        handler=lambda c, a: _review().review(
            c, a.format, a.week, a.start, a.until, a.section, a.output, a.excel
        )
    )
    demo = commands.add_parser(
        "demo",
        help="open the app on a throwaway demo journal",
        description="Open the app on a temporary journal filled with four weeks "
        "of realistic history from the bundled playbooks; nothing is kept.",
    )
    demo.set_defaults(handler=lambda c, a: _app().open_demo(c))


_REVIEW_SECTIONS = ("routines", "skipped", "left", "slow", "metrics", "goals", "incidents", "notes", "people")


def _team_commands(commands: Subparsers) -> None:
    team = commands.add_parser(
        "team",
        help="set up a shared team directory",
        description="Team mode: one journal and playbook directory for a team "
        "sharing a server (see docs/team.md).",
    )
    sub = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    init = sub.add_parser(
        "init",
        help="prepare a team directory",
        description="Create DIR with a journal, a playbooks/ directory and a config.toml, "
        "owned by --group, readable and writable by the group only (setgid, 0660).",
    )
    init.add_argument("directory", type=Path, metavar="DIR")
    init.add_argument("--group", metavar="G", help="the team's Unix group (default: your primary group)")
    init.add_argument("--timezone", metavar="ZONE", help="the team's IANA time zone (default: this server's)")
    init.set_defaults(handler=lambda c, a: _module("team_commands").init(c, a.directory, a.group, a.timezone))


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


def _print_paths(context: Context, _: argparse.Namespace) -> int:
    # Every path here may come from a shared config: shown as plain text, never as escapes.
    print(f"config     {visible(str(context.paths.config_file), newlines=False)}")
    print(f"journal    {visible(str(context.journal_path), newlines=False)}")
    for source in context.sources():
        shown = visible(f"{source.directory}  ({source.origin})", newlines=False)
        print(f"playbooks  {shown}")
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
            print(f"soptui: warning: {line}", file=sys.stderr)


def _error(error: Exception) -> None:
    """``soptui: error: …``, each line of a multi-line message made safe on its own."""
    first, *rest = str(error).split("\n")
    print(f"soptui: error: {visible(first)}", file=sys.stderr)
    for line in rest:
        print(visible(line), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    context: Context | None = None
    try:
        from soptui.context import Context  # after parsing: --version and --help stay fast

        context = Context.create(
            playbooks=args.playbooks,
            journal=args.journal,
            operator=args.operator,
            language=args.language,
        )
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
