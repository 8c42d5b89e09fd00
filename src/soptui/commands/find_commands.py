"""``soptui search QUERY`` (the journal and the playbooks' text) and ``soptui history PLAYBOOK
STEP`` (both read only)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from soptui.commands.options import day_range
from soptui.commands.show import unknown_playbook
from soptui.context import CommandError, Context, UsageError, journal_exists, open_journal
from soptui.i18n import _
from soptui.journal import JournalError, JournalReadOnly, JournalStore, open_journal_at
from soptui.search import (
    HISTORY_LIMITS,
    HistoryValue,
    PlaybookHit,
    SearchError,
    SearchHit,
    history_text,
    outside_word,
    search,
    search_playbooks,
    step_history,
)
from soptui.text import safe_json, table, visible


def _journal(context: Context) -> JournalStore:
    if not journal_exists(context):
        raise CommandError(_("no journal at {journal_path}").format(journal_path=context.journal_path))
    try:
        return open_journal_at(context.journal_location, readonly=True)
    except JournalReadOnly:
        # A journal from before the search index: opening it to write adds the index once.
        return open_journal(context)
    except JournalError as error:
        raise CommandError(str(error)) from None


WHAT = ("all", "journal", "playbooks")
"""What ``soptui search --what`` searches: the journal, the playbooks' text, or both."""


def run_search(
    context: Context,
    query: str,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
    what: str = "all",
) -> int:
    start, end = day_range(since, until, context.zone)
    if limit < 1:
        raise UsageError(_("--limit must be at least 1"))
    try:
        found = search_playbooks(context.library, query, limit) if what != "journal" else []
    except SearchError as error:
        raise UsageError(str(error)) from None
    hits: list[SearchHit] = []
    if what != "playbooks":
        journal = _journal(context)
        try:
            hits = search(journal, query, start, end, limit)
        except SearchError as error:
            raise UsageError(str(error)) from None
        except JournalError as error:
            raise CommandError(str(error)) from None
        finally:
            journal.close()
    if as_json:
        data: dict[str, object] = {"query": query}
        if what != "playbooks":
            data["results"] = [h.to_json(context.zone) for h in hits]
        if what != "journal":
            data["playbooks"] = [h.to_json() for h in found]
        print(safe_json(data, indent=2))
        return 0
    if not hits and not found:
        print(visible(_("nothing found for {query}").format(query=query), newlines=False))
        return 0
    if hits:
        print(table([_search_header(), *(search_row(h, context.zone) for h in hits)]))
    if found:
        if hits:
            print()
        print(_("In the playbooks:"))
        header = [_("PLAYBOOK"), _("STEP"), _("TEXT")]
        print(table([header, *(playbook_row(h) for h in found)]))
    return 0


def playbook_row(hit: PlaybookHit) -> list[str]:
    """A playbook hit: its id, the step's id (blank for the playbook's own text), the match."""
    return [
        visible(hit.playbook_id, newlines=False),
        visible(hit.step_id or "", newlines=False),
        visible(hit.marked(), newlines=False),
    ]


def _search_header() -> list[str]:
    return [_("TIME"), _("WHO"), _("PLAYBOOK"), _("STEP"), _("TEXT")]


def where_of(hit: SearchHit) -> tuple[str, str]:
    """The playbook and step columns of a hit (the day log has neither; an incident's title and
    severity follow its playbook)."""
    event = hit.event
    playbook = event.playbook_id or outside_word(event)
    if hit.incident is not None:
        playbook = f"{playbook} {hit.incident.label()}"
    step = event.step_id or ("" if event.run_id is None else "-")
    if event.group_id:
        step = f"{step} [{event.group_id}]"
    return playbook, step


def search_row(hit: SearchHit, zone: ZoneInfo) -> list[str]:
    playbook, step = where_of(hit)
    return [
        hit.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        visible(hit.event.operator, newlines=False),
        visible(playbook, newlines=False),
        visible(step, newlines=False),
        visible(hit.marked(), newlines=False),
    ]


def run_history(context: Context, playbook_id: str, step_id: str, as_json: bool) -> int:
    library = context.library
    entry = library.entries.get(playbook_id)
    if entry is None:
        raise CommandError(unknown_playbook(library, playbook_id))
    playbook = entry.playbook
    step = playbook.step(step_id)
    if step is None:
        known = ", ".join(s.id for s in playbook.steps if s.input is not None) or _("none")
        raise CommandError(
            _("no step {step_id!r} in {id!r} (steps with a value: {known})").format(
                step_id=step_id, id=playbook_id, known=known
            )
        )
    if step.input is None:
        raise CommandError(
            _("step {step_id!r} records no value, so it has no history of values").format(step_id=step_id)
        )
    journal = _journal(context)
    try:
        history = step_history(journal, playbook_id, step_id, max(HISTORY_LIMITS))
    except JournalError as error:
        raise CommandError(str(error)) from None
    finally:
        journal.close()
    per_group = playbook.is_per_group(step)
    if as_json:
        print(
            safe_json(
                {
                    "playbook": playbook_id,
                    "step": step_id,
                    "per_group": per_group,
                    "unit": step.input.unit,
                    "values": [history_json(item, context.zone) for item in history],
                },
                indent=2,
            )
        )
        return 0
    label = step.input.label or step.title
    print(visible(f"{playbook.title} · {label}", newlines=False))
    if not history:
        print(_("no values recorded yet"))
        return 0
    print(history_text(history, context.zone, per_group))
    return 0


def history_json(item: HistoryValue, zone: ZoneInfo) -> dict[str, object]:
    return {
        "date": item.at.astimezone(zone).date().isoformat(),
        "at": item.at.astimezone(zone).isoformat(timespec="seconds"),
        "value": item.value,
        "operator": item.operator,
        "group": item.group,
        "run": item.run_id,
    }
