"""``soptui journal export | import | copy | backup | check``."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic

from soptui.commands.options import day_range
from soptui.context import CommandError, Context, journal_exists, make_ledger, open_journal
from soptui.events import utc_text
from soptui.files import write_output
from soptui.i18n import _
from soptui.journal import JournalError, JournalReadOnly, JournalStore, open_journal_at, store
from soptui.journal.base import is_url, location_of
from soptui.journal.copying import BATCH, CopyResult, copy_journal, team_problem
from soptui.journal.exchange import (
    CSV_LINE_END,
    ImportProblem,
    export_csv,
    export_jsonl,
    import_events,
    parse_lines,
    read_lines,
)
from soptui.ledger import ActionError
from soptui.playbooks.loader import NotRegularFile, open_regular
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
    ledger = make_ledger(context, open_journal(context))

    def closed(run_id: str) -> datetime | None:
        try:
            return ledger.state(run_id).closed_at
        except ActionError:
            return None

    marker = {"by": context.login, "at": utc_text(datetime.now(UTC)), "file": source.name}
    try:
        result = import_events(ledger.journal, versions, events, closed, marker)
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
    if is_url(context.journal_location):
        raise CommandError(
            _(
                "`soptui journal backup` copies a SQLite file, and the journal {location} is in "
                "PostgreSQL: back it up with pg_dump (see docs/postgresql.md), or copy it into a "
                "file with: soptui journal copy URL FILE.sqlite3"
            ).format(location=context.journal_shown)
        )
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
    if is_url(context.journal_location):
        return _check_database(context)
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


def _check_database(context: Context) -> int:
    """A PostgreSQL journal: the server checks its own pages; say it answers, at which schema,
    with how many events."""
    journal = open_journal(context, readonly=True)
    try:
        events = journal.event_count()
    except JournalError as error:
        raise CommandError(str(error)) from None
    finally:
        journal.close()
    print(
        visible(
            _(
                "the journal {location} answers: {events} event(s); PostgreSQL checks its own pages "
                "(see docs/postgresql.md for amcheck and pg_dump)"
            ).format(location=context.journal_shown, events=events),
            newlines=False,
        )
    )
    return 0


def copy(context: Context, source_text: str, target_text: str, team: str | None) -> int:
    """Copy every event (with playbook versions and runs) from SOURCE into TARGET, either a
    file or a PostgreSQL URL; idempotent by event UUID."""
    if team is not None and (problem := team_problem(team)):
        raise CommandError(problem)
    source_at, target_at = location_of(source_text), location_of(target_text)
    if str(source_at) == str(target_at):
        raise CommandError(_("SOURCE and TARGET are the same journal; nothing to copy"))
    source = _open_source(source_at)
    try:
        try:
            target = open_journal_at(target_at)
        except JournalError as error:
            raise CommandError(str(error)) from None
        try:
            if target.readonly:
                raise CommandError(
                    _("the journal {path} is read-only; nothing can be recorded").format(path=target.location)
                )
            total = source.event_count()
            progress = _CopyProgress(total) if total > BATCH else None
            result = copy_journal(source, target, _closed(context, target), team=team, progress=progress)
            if progress is not None:
                progress.done()
        except JournalError as error:
            raise CommandError(str(error)) from None
        finally:
            target.close()
    finally:
        source.close()
    _report_copy(result, source.location, target.location)
    return 0


def _open_source(location: Path | str) -> JournalStore:
    try:
        return open_journal_at(location, readonly=True)
    except JournalReadOnly:
        # Written by an older soptui: opening it to write brings its tables up to date first.
        try:
            return open_journal_at(location)
        except JournalError as error:
            raise CommandError(str(error)) from None
    except JournalError as error:
        raise CommandError(str(error)) from None


def _closed(context: Context, journal: JournalStore) -> Callable[[str], datetime | None]:
    ledger = make_ledger(context, journal)

    def closed(run_id: str) -> datetime | None:
        try:
            return ledger.state(run_id).closed_at
        except ActionError:
            return None

    return closed


def _report_copy(result: CopyResult, source: str, target: str) -> None:
    if result.conflicts:
        first = ", ".join(result.conflicts[:3]) + (", …" if len(result.conflicts) > 3 else "")
        print(
            _(
                "soptui: warning: {conflicts} event(s) of {source} have the UUID of a different event "
                "already in {target} and were not copied: {first}"
            ).format(conflicts=len(result.conflicts), source=source, target=target, first=first),
            file=sys.stderr,
        )
    if result.version_conflicts:
        print(
            _(
                "soptui: warning: {version_conflicts} playbook version(s) in {source} differ from the "
                "version stored under the same hash in {target}; the stored one was kept: {value}"
            ).format(
                version_conflicts=len(result.version_conflicts),
                source=source,
                target=target,
                value=", ".join(h[:12] for h in result.version_conflicts[:3]),
            ),
            file=sys.stderr,
        )
    print(
        visible(
            _("copied {added} new event(s) from {source} to {target}; {already} already there").format(
                added=result.added, source=source, target=target, already=result.already
            ),
            newlines=False,
        )
    )


@contextmanager
def team_snapshot(context: Context, team: str) -> Iterator[None]:
    """Point ``context`` at a private, temporary journal holding only ``team``'s events (for
    ``review --team``): runs of different teams that share an id stay apart there."""
    if problem := team_problem(team):
        raise CommandError(problem)
    source = open_journal(context, readonly=True)
    location = source.location
    with tempfile.TemporaryDirectory(prefix="soptui-team-") as directory:
        path = Path(directory) / "team.sqlite3"
        try:
            snapshot = open_journal_at(path)
            try:
                total = source.event_count()
                progress = _CopyProgress(total) if total > 10 * BATCH else None
                result = copy_journal(
                    source, snapshot, _closed(context, snapshot), only_team=team, progress=progress
                )
                if progress is not None:
                    progress.done()
            finally:
                snapshot.close()
        except JournalError as error:
            raise CommandError(str(error)) from None
        finally:
            source.close()
        if team not in result.teams:
            known = ", ".join(sorted(t for t in result.teams if t is not None)) or _("none")
            raise CommandError(
                _("no events of team {team!r} in the journal {location} (its teams: {known})").format(
                    team=team, location=location, known=known
                )
            )
        saved = context.journal_option
        context.journal_option = path
        context.__dict__.pop("journal_path", None)
        try:
            yield
        finally:
            context.journal_option = saved
            context.__dict__.pop("journal_path", None)


class _CopyProgress:
    """Events copied so far on stderr, for a large journal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, read: int, total: int) -> None:
        line = _("copying… {read} of {total} event(s)").format(read=read, total=total)
        print(f"\r{line}" if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)
        self.shown = True

    def done(self) -> None:
        if self.tty and self.shown:
            print(file=sys.stderr)


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
