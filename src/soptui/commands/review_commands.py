"""``soptui review``: the week's review as a screen or a report in four formats."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from soptui.context import CommandError, Context, UsageError, journal_exists, make_ledger, open_journal
from soptui.files import write_output
from soptui.i18n import _
from soptui.journal import JournalError
from soptui.ledger import ActionError
from soptui.review import ReviewRange, build_review, week_range
from soptui.review.render import render_csv, render_json, render_markdown, render_text
from soptui.review_sections import SECTIONS
from soptui.schedule import FIRST_DAY, parse_date_option, period_of


def review_range(context: Context, week: str | None, start: str | None, until: str | None) -> ReviewRange:
    """The range from the options: --week, or --from/--until, or this ISO week."""
    if week and (start or until):
        raise UsageError(_("give --week or --from/--until, not both"))
    if week:
        return week_range(period_of("weekly", parse_date_option("--week", week, week=True)))
    if start or until:
        first = parse_date_option("--from", start) if start else None
        last = parse_date_option("--until", until) if until else context.today()
        first = first or max(last - timedelta(days=6), FIRST_DAY)
        if first > last:
            raise UsageError(_("--from must not be after --until"))
        if (last - first).days > 366:
            raise UsageError(_("a review covers at most a year"))
        return ReviewRange(first, last, f"{first} → {last}")
    return week_range(period_of("weekly", context.today()))


def review(
    context: Context,
    fmt: str | None,
    week: str | None,
    start: str | None,
    until: str | None,
    section: str | None,
    output: Path | None,
    excel: bool = False,
    read_only: bool = False,
    team: str | None = None,
) -> int:
    rng = review_range(context, week, start, until)
    if team is not None:
        # Only that team's events, in a private snapshot: runs of two teams sharing an id stay apart.
        from soptui.commands.journal_commands import team_snapshot

        with team_snapshot(context, team):
            return review(context, fmt, week, start, until, section, output, excel, read_only=True)
    if fmt is None:
        if output is not None or section is not None:
            raise UsageError(_("-o and --section need --format"))
        from soptui.commands.app_commands import open_app

        return open_app(context, None, review=rng, read_only=read_only)
    if section is not None and fmt != "csv":
        raise UsageError(_("--section applies to --format csv"))
    if excel and fmt != "csv":
        raise UsageError(_("--excel applies to --format csv"))
    if not journal_exists(context):
        raise CommandError(
            _("no journal at {journal_path}; nothing to review yet").format(journal_path=context.journal_path)
        )
    journal = open_journal(context, readonly=True)
    try:
        report = build_review(make_ledger(context, journal), rng)
    except (JournalError, ActionError) as error:
        raise CommandError(str(error)) from None
    finally:
        journal.close()
    if fmt == "json":
        text = render_json(report)
    elif fmt == "markdown":
        text = render_markdown(report)
    elif fmt == "csv":
        text = render_csv(report, section or "routines", excel=excel)
    else:
        text = render_text(report)
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return 0
    write_output(output, text)
    print(_("wrote {output}").format(output=output), file=sys.stderr)
    return 0


__all__ = ["SECTIONS", "review", "review_range"]
