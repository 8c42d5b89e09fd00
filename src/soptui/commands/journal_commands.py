"""``soptui journal export | import | backup``."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from soptui.context import CommandError, Context, UsageError, make_recorder, open_journal
from soptui.files import write_private
from soptui.journal import JournalError
from soptui.journal.exchange import (
    ImportProblem,
    export_csv,
    export_jsonl,
    import_events,
    parse_lines,
)
from soptui.recorder import ActionError


def _day(text: str | None, context: Context, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(0), context.zone)
    except ValueError:
        raise UsageError(f"{option} {text!r}: use YYYY-MM-DD") from None


def export(context: Context, fmt: str, since: str | None, until: str | None, output: Path | None) -> int:
    start = _day(since, context, "--since")
    end = _day(until, context, "--until")
    end = end + timedelta(days=1) if end else None  # --until is inclusive
    journal = open_journal(context, readonly=True) if context.journal_path.exists() else None
    if journal is None:
        raise CommandError(f"no journal at {context.journal_path}")
    lines = (export_csv if fmt == "csv" else export_jsonl)(journal, start, end)
    try:
        if output is None:
            for line in lines:
                sys.stdout.write(line + "\n")
        else:
            write_private(output, "".join(line + "\n" for line in lines))
            print(f"wrote {output}", file=sys.stderr)
    except JournalError as error:
        raise CommandError(str(error)) from None
    except BrokenPipeError:
        raise
    except OSError as error:
        raise CommandError(f"cannot write {output}: {error.strerror or error}") from None
    return 0


def import_file(context: Context, source: Path) -> int:
    try:
        with source.open(encoding="utf-8") as handle:
            versions, events = parse_lines(handle, str(source))
    except OSError as error:
        raise CommandError(f"cannot read {source}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise CommandError(f"{source}: not UTF-8 (byte {error.start})") from None
    except ImportProblem as error:
        raise CommandError(f"{error}; nothing was imported") from None
    recorder = make_recorder(context, open_journal(context))

    def closed(run_id: str) -> datetime | None:
        try:
            return recorder.state(run_id).closed_at
        except ActionError:
            return None

    try:
        result = import_events(recorder.journal, versions, events, closed)
    except JournalError as error:
        raise CommandError(str(error)) from None
    print(f"imported {result.added} new event(s); {result.already} already present")
    return 0


def backup(context: Context, target: Path | None) -> int:
    if target is None:
        stamp = datetime.now(context.zone).strftime("%Y%m%d-%H%M%S")
        target = context.journal_path.with_name(f"journal-backup-{stamp}.sqlite3")
    if target.exists() or target.is_symlink():
        raise CommandError(f"{target} already exists; choose a new file name")
    journal = open_journal(context, readonly=True)
    try:
        journal.backup(target)
    except JournalError as error:
        raise CommandError(str(error)) from None
    print(f"backed up {journal.event_count()} event(s) to {target}")
    return 0
