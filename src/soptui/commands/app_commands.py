"""Starting the Textual app (the only command module that imports Textual)."""

from __future__ import annotations

import codecs
import sys

from soptui.context import CommandError, Context, make_recorder, open_journal
from soptui.playbooks.problems import Problem
from soptui.text import visible


def terminal_problem() -> str | None:
    """Why this terminal cannot run the app, if it cannot."""
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


def open_app(context: Context, playbook: str | None) -> int:
    problem = terminal_problem()
    if problem:
        raise CommandError(problem)
    library = context.library
    if playbook is not None and library.get(playbook) is None:
        raise CommandError(f"no playbook {playbook!r}; see `soptui list`")
    journal = open_journal(context)
    warnings = [_problem_line(p) for p in library.problems]

    from soptui.tui.app import make_app
    from soptui.tui.services import Services

    services = Services(
        make_recorder(context, journal),
        context.language,
        context.paths.data_dir / "reports",
        warnings,
    )
    app = make_app(services, playbook)
    try:
        app.run()
    finally:
        journal.close()
    # Textual returns 0 after an unhandled exception unless we pass its return code on.
    return app.return_code or 0


def _problem_line(problem: Problem) -> str:
    return visible(str(problem), newlines=False)
