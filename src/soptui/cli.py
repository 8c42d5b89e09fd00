"""The ``soptui`` command: parse arguments, build a Context, call one command.

Kept thin on purpose: the work happens in :mod:`soptui.commands` and the domain modules.
Textual is imported only by the commands that open the app, so the others start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from soptui import __version__
from soptui.context import CommandError, Context, UsageError
from soptui.text import visible

Handler = Callable[[Context, argparse.Namespace], int]

DESCRIPTION = """\
Run your community team's SOPs (daily, weekly and monthly routines, incident playbooks)
in the terminal, with every action kept in a local journal.

With no command, opens the app on today's agenda."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="soptui",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"soptui {__version__}")
    parser.add_argument("--journal", type=Path, metavar="PATH",
                        help="journal file (default: SOPTUI_JOURNAL, config, or the user data dir)")
    parser.add_argument("--playbooks", type=Path, action="append", default=[], metavar="DIR",
                        help="extra playbook directory, searched last (repeatable)")
    parser.add_argument("--operator", metavar="NAME", help="name recorded with your actions")
    parser.add_argument("--language", choices=["zh", "en"], help="language of playbooks and app")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _playbook_commands(commands)
    return parser


def _playbook_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser("check", help="validate playbooks and goals",
                                description="Validate the playbook library, or the given files and "
                                "directories. Prints FILE:LINE:COL: problems; exit 1 on any error.")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.add_argument("--json", action="store_true", help="print problems as JSON")
    check.set_defaults(handler=lambda c, a: _playbooks().check(c, a.paths, a.json))

    listing = commands.add_parser("list", help="list the playbooks in the library",
                                  description="List id, title, cadence, steps and origin of every playbook.")
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(handler=lambda c, a: _playbooks().list_playbooks(c, a.json))

    schema = commands.add_parser("schema", help="print the playbook JSON Schema",
                                 description="Print the JSON Schema of the playbook format.")
    schema.set_defaults(handler=lambda c, a: _playbooks().schema())

    new = commands.add_parser("new", help="write a starter playbook",
                              description="Write a valid, commented starter playbook "
                              "(never overwrites). Default directory: your user playbooks.")
    new.add_argument("id", metavar="ID", help="lowercase letters, digits and '-'")
    new.add_argument("--cadence", required=True, choices=["daily", "weekly", "monthly", "incident"])
    new.add_argument("--title", help="playbook title")
    new.add_argument("--dir", type=Path, dest="directory", help="directory to write into")
    new.set_defaults(handler=lambda c, a: _playbooks().new(c, a.id, a.cadence, a.title, a.directory))

    paths = commands.add_parser("paths", help="print where soptui keeps its files",
                                description="Print the config file, playbook directories and journal.")
    paths.set_defaults(handler=_print_paths)


def _playbooks():  # type: ignore[no-untyped-def]
    from soptui.commands import playbook_commands

    return playbook_commands


def _print_paths(context: Context, _: argparse.Namespace) -> int:
    print(f"config     {context.paths.config_file}")
    print(f"journal    {context.journal_path}")
    for source in context.sources():
        print(f"playbooks  {source.directory}  ({source.origin})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        context = Context.create(
            playbooks=args.playbooks,
            journal=args.journal,
            operator=args.operator,
            language=args.language,
        )
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            from soptui.commands.app_commands import open_app

            return open_app(context, None)
        return handler(context, args)
    except UsageError as error:
        parser.print_usage(sys.stderr)
        print(f"soptui: error: {visible(str(error), newlines=False)}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"soptui: error: {visible(str(error), newlines=False)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
