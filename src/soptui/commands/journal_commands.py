"""``soptui journal export | import | backup | check``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic

from soptui.commands.options import day_range
from soptui.context import CommandError, Context, journal_exists, make_recorder, open_journal
from soptui.events import utc_text
from soptui.files import write_output
from soptui.i18n import _
from soptui.journal import JournalError, store
from soptui.journal.exchange import (
    CSV_LINE_END,
    ImportProblem,
    export_csv,
    export_jsonl,
    import_events,
    parse_lines,
    read_lines,
)
from soptui.playbooks.loader import NotRegularFile, open_regular
from soptui.recorder import ActionError
from soptui.text import visible


def export(context: Context, fmt: str, since: str | None, until: str | None, output: Path | None) -> int:
    start, end = day_range(since, until, context.zone)
    journal = open_journal(context, readonly=True) if journal_exists(context) else None
    if journal is None:
        raise CommandError(_("no journal at {journal_path}").format(journal_path=context.journal_path))
    lines = (export_csv if fmt == "csv" else export_jsonl)(journal, start, end)
    end_of_line = CSV_LINE_END if fmt == "csv" else "\n"
    try:
        if output is None or str(output) == "-":
            for line in lines:
                sys.stdout.write(line + end_of_line)
            return 0
        text = "".join(line + end_of_line for line in lines)
    except JournalError as error:
        raise CommandError(str(error)) from None
    except BrokenPipeError:
        raise
    except OSError as error:
        raise CommandError(
            _("cannot write to standard output: {value}").format(value=error.strerror or error)
        ) from None
    write_output(output, text)
    print(visible(_("wrote {output}").format(output=output), newlines=False), file=sys.stderr)
    return 0


def import_file(context: Context, source: Path) -> int:
    try:
        # A FIFO, socket or device (/dev/zero) could hang or never end: regular files only,
        # read a bounded line at a time.
        with open(open_regular(source), encoding="utf-8", closefd=True) as handle:
            versions, events = parse_lines(read_lines(handle, str(source)), str(source))
    except NotRegularFile:
        raise CommandError(
            _("{source}: not a regular file (a FIFO, socket or device); nothing was imported").format(
                source=source
            )
        ) from None
    except OSError as error:
        raise CommandError(
            _("cannot read {source}: {value}").format(source=source, value=error.strerror or error)
        ) from None
    except UnicodeDecodeError as error:
        raise CommandError(
            _("{source}: not UTF-8 (byte {start})").format(source=source, start=error.start)
        ) from None
    except ImportProblem as error:
        raise CommandError(_("{error}; nothing was imported").format(error=error)) from None
    recorder = make_recorder(context, open_journal(context))

    def closed(run_id: str) -> datetime | None:
        try:
            return recorder.state(run_id).closed_at
        except ActionError:
            return None

    marker = {"by": context.login, "at": utc_text(datetime.now(UTC)), "file": source.name}
    try:
        result = import_events(recorder.journal, versions, events, closed, marker)
    except JournalError as error:
        raise CommandError(str(error)) from None
    summary = _("imported {added} new event(s); {already} already present").format(
        added=result.added, already=result.already
    )
    if result.conflicts:
        summary += _("; {n} conflicting event(s) not imported").format(n=len(result.conflicts))
        first = ", ".join(result.conflicts[:3]) + (", …" if len(result.conflicts) > 3 else "")
        print(
            _(
                "soptui: warning: {conflicts} event(s) in {source} have the UUID of a "
                "different event already in the journal and were not imported: {first}"
            ).format(
                conflicts=len(result.conflicts), source=visible(str(source), newlines=False), first=first
            ),
            file=sys.stderr,
        )
    if result.version_conflicts:
        summary += _("; {n} conflicting playbook version(s) kept as stored").format(
            n=len(result.version_conflicts)
        )
        print(
            _(
                "soptui: warning: {version_conflicts} playbook version(s) in {source} "
                "differ from the version stored under the same hash; the stored one "
                "was kept: {value}"
            ).format(
                version_conflicts=len(result.version_conflicts),
                source=visible(str(source), newlines=False),
                value=", ".join(h[:12] for h in result.version_conflicts[:3]),
            ),
            file=sys.stderr,
        )
    print(summary)
    return 0


def backup(context: Context, target: Path | None) -> int:
    if target is None:
        stamp = datetime.now(context.zone).strftime("%Y%m%d-%H%M%S")
        target = context.journal_path.with_name(f"journal-backup-{stamp}.sqlite3")
    if target.exists() or target.is_symlink():
        raise CommandError(_("{target} already exists; choose a new file name").format(target=target))
    journal = open_journal(context, readonly=True)
    try:
        journal.backup(target)
    except JournalError as error:
        raise CommandError(str(error)) from None
    print(
        visible(
            _("backed up {value} event(s) to {target}").format(value=journal.event_count(), target=target),
            newlines=False,
        )
    )
    return 0


def check(context: Context) -> int:
    """Check the whole journal file (read-only); 0 when intact, 1 when damaged."""
    path = context.journal_path
    if not path.exists() and not path.is_symlink():
        raise CommandError(_("no journal at {path}").format(path=path))
    if path.is_symlink() or not path.is_file():
        raise CommandError(_("the journal {path} is not a regular file").format(path=path))
    size = path.stat().st_size
    progress = _Progress(path, size) if size > store.QUICK_CHECK_LIMIT else None
    report = store.check_file(path, progress)
    if progress is not None:
        progress.done()
    if not report.problems:
        print(
            visible(
                _("the journal {path} is intact: {events} event(s)").format(path=path, events=report.events),
                newlines=False,
            )
        )
        return 0
    print(visible(_("the journal {path} is damaged:").format(path=path), newlines=False))
    for problem in report.problems:
        print(f"  {visible(problem, newlines=False)}")
    raise CommandError(
        _(
            "the journal {path} is damaged ({problems} problem(s) above); it was "
            "not changed. Keep a copy of it, then recover what is readable: "
            "sqlite3 {path} '.recover' | sqlite3 recovered.sqlite3"
        ).format(path=path, problems=len(report.problems))
    )


class _Progress:
    """Elapsed time on stderr while a large journal is checked (the checks read every page)."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.started = monotonic()
        self.shown = self.started
        self.tty = sys.stderr.isatty()
        print(
            visible(
                _("checking {path} ({value} MB); this reads the whole file…").format(
                    path=path, value=size // (1024 * 1024)
                ),
                newlines=False,
            ),
            file=sys.stderr,
        )

    def __call__(self) -> None:
        now = monotonic()
        if now - self.shown >= 1:
            self.shown = now
            line = f"checking… {now - self.started:.0f}s"
            print(
                f"\r{line}" if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True
            )

    def done(self) -> None:
        if self.tty and self.shown > self.started:
            print(file=sys.stderr)
