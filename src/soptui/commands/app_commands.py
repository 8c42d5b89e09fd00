"""Starting the Textual app (the only command module that imports Textual)."""

from __future__ import annotations

import codecs
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from soptui.config import load_settings
from soptui.context import CommandError, Context, make_recorder, open_journal
from soptui.i18n import _
from soptui.playbooks.problems import Problem
from soptui.team import TeamLayout
from soptui.text import visible

if TYPE_CHECKING:
    from soptui.review import ReviewRange


def in_browser() -> bool:
    """Whether textual-serve runs this app for a browser (``soptui serve``): its web driver
    talks over pipes, so there is no terminal to check."""
    return os.environ.get("TEXTUAL_DRIVER", "").startswith("textual.drivers.web_driver")


def terminal_problem() -> str | None:
    """Why this terminal cannot run the app, if it cannot."""
    if in_browser():
        return None
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        return "the app needs an interactive terminal; for scripts use `soptui due`, `done`, `note`"
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = encoding
    if name != "utf-8":
        return (
            f"this terminal's encoding is {encoding}, not UTF-8, so soptui cannot draw its screens. "
            "Set a UTF-8 locale, e.g.  export LANG=C.UTF-8  (or en_US.UTF-8 / zh_CN.UTF-8)"
        )
    return None


def open_app(
    context: Context,
    playbook: str | None,
    review: ReviewRange | None = None,
    *,
    demo: bool = False,
    read_only: bool = False,
) -> int:
    """Run the app until it quits. ``read_only`` opens the journal read-only (``soptui serve``
    without --allow-actions): every action gets the read-only message, nothing is written."""
    problem = terminal_problem()
    if problem:
        raise CommandError(problem)
    library = context.library
    if playbook is not None and library.get(playbook) is None:
        raise CommandError(_("no playbook {playbook!r}; see `soptui list`").format(playbook=playbook))
    journal = open_journal(context, readonly=read_only)
    # The app shows what the configuration made soptui ignore (the CLI leaves that to it).
    ignored = context.take_warnings()
    warnings = ignored + [_problem_line(p) for p in library.problems if p not in context.config_problems]

    # The terminal's real size is the truth: a stale exported LINES/COLUMNS (some shells and
    # tools set them) would make Textual draw for the wrong size and scroll the screen.
    # In a browser, textual-serve passes the page's size in COLUMNS and ROWS.
    if not in_browser():
        os.environ.pop("LINES", None)
        os.environ.pop("COLUMNS", None)
    from soptui.drafts import Drafts
    from soptui.tui import paste
    from soptui.tui.app import make_app
    from soptui.tui.services import Services

    keymap: dict[str, str] = {}
    if context.settings.keymap:
        from soptui.tui.keymap import checked_keymap

        keymap, problems = checked_keymap(context.settings.keymap, _keymap_source(context))
        warnings += [_problem_line(p) for p in problems]
    services = Services(
        make_recorder(context, journal),
        context.language,
        context.paths.data_dir / "reports",
        warnings,
        # Read-only: nothing typed is kept on this machine's disk, nor replayed later.
        Drafts(None if read_only else context.paths.drafts_dir),
        demo=demo,
        severities=dict(context.settings.severities),
        sources=context.sources(),
        keymap=keymap,
    )
    app = make_app(services, playbook, review)
    paste.install()  # a paste is text, even when it holds escape sequences
    try:
        app.run()
    finally:
        journal.close()
    # Textual returns 0 after an unhandled exception unless we pass its return code on.
    return app.return_code or 0


def open_demo(context: Context) -> int:
    """The app on a throwaway journal holding a few weeks of history from the bundled playbooks."""
    import tempfile
    from datetime import datetime

    from soptui.demo import fill_demo
    from soptui.journal import Journal

    problem = terminal_problem()
    if problem:
        raise CommandError(problem)
    with tempfile.TemporaryDirectory(prefix="soptui-demo-") as directory:
        path = Path(directory) / "demo.sqlite3"
        print(_("soptui: preparing a demo journal with four weeks of history…"), file=sys.stderr)
        with Journal.open(path) as journal:
            fill_demo(journal, context.library, context.zone, datetime.now(context.zone), context.language)
        context.journal_option = path
        context.__dict__.pop("journal_path", None)
        return open_app(context, None, demo=True)


def _keymap_source(context: Context) -> Path:
    """The config file whose ``[keymap]`` is in force: the operator's own, else the team's."""
    own, _problems = load_settings(context.paths.config_file, context.cache)
    if "keymap" not in own.model_fields_set and context.team_dir is not None:
        return TeamLayout(context.team_dir).config
    return context.paths.config_file


def _problem_line(problem: Problem) -> str:
    return visible(str(problem), newlines=False)
