"""The end-of-week review: routines, steps, metrics, goals, incidents, notes, people, and the
team's hand-overs, amendments and follow-ups."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, ProgressBar, Static

from soptui.files import write_private
from soptui.i18n import _, weekday
from soptui.journal import JournalError
from soptui.ledger import ActionError
from soptui.review import Review, ReviewRange, build_review, coordination, week_range
from soptui.review.render import (
    bar,
    group_lines,
    journey_lines,
    minutes,
    number,
    percent,
    render_markdown,
    signed_pct,
    trend,
)
from soptui.run_ids import routine_period, routine_run_id
from soptui.schedule import period_of
from soptui.text import pad, visible
from soptui.tui.commands import Command, bindings_of
from soptui.tui.messages import OpenRun
from soptui.tui.plain import plain, styled
from soptui.tui.services import Services
from soptui.tui.words import N_, localise_bindings

SHOWN = 10
"""Lines per coordination section on the screen (the reports have them all)."""
TREND_TITLE = 28
"""Terminal cells for a metric's name before its trend (the goals' names line up with it)."""


def cell(text: object) -> Text:
    """A table cell that is never parsed as markup."""
    return Text(visible(str(text), newlines=False))


class ReviewScreen(Screen[None]):
    """Review one week (or any range); left/right move by a week."""

    USER_COMMANDS = (
        Command("review.prev", "left,h", "move(-1)", N_("prev"), N_("Previous week")),
        Command("review.next", "right,l", "move(1)", N_("next"), N_("Next week")),
        Command("review.now", "t", "this_week", N_("now"), N_("This week")),
        Command("review.export", "e", "export", N_("export Markdown"), N_("Save the review as Markdown")),
        Command("review.back", "escape,b", "back", N_("back"), N_("Back to Today"), palette=False),
        Command(
            "review.help", "question_mark,f1", "app.help", N_("help"), N_("Keys of this screen"), show=False
        ),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, services: Services, rng: ReviewRange | None = None) -> None:
        super().__init__()
        localise_bindings(self)
        self.services = services
        self.rng = rng or week_range(period_of("weekly", services.now().date()))
        self.review: Review | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="review-header", classes="header")
        with VerticalScroll(id="review-body"):
            yield Label(self.services.t("routines"), classes="section")
            yield DataTable(id="review-routines", cursor_type="row", zebra_stripes=True)
            yield Label(self.services.t("review-legend"), id="review-legend", classes="subtle")
            yield Label(self.services.t("metrics"), classes="section")
            yield DataTable(id="review-metrics", cursor_type="row")
            yield Label(id="review-compared", classes="subtle")
            with VerticalScroll(id="review-trends"):
                yield Static(id="review-trend-lines")
            yield Label(self.services.t("goals"), classes="section")
            yield VerticalScroll(id="review-goals")
            yield Label(self.services.t("incidents"), classes="section")
            yield DataTable(id="review-incidents", cursor_type="row")
            yield Static(id="review-steps")
            yield Static(id="review-notes")
            yield Static(id="review-groups")
            yield Static(id="review-journeys")
            yield Static(id="review-handovers", classes="review-coordination")
            yield Static(id="review-amendments", classes="review-coordination")
            yield Static(id="review-followups", classes="review-coordination")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.query_one("#review-routines", DataTable).focus()

    def load(self) -> None:
        try:
            self.review = build_review(self.services.ledger, self.rng)
        except (JournalError, ActionError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self._draw(self.review)

    def _draw(self, review: Review) -> None:
        s = self.services
        title = _("Week review")
        keys = _("← prev  → next  t now")
        header = f" {title} · {review.label} · {review.start:%m-%d} → {review.end:%m-%d}      {keys}"
        self.query_one("#review-header", Static).update(plain(header, newlines=False))
        routines = self.query_one("#review-routines", DataTable)
        routines.clear(columns=True)
        routines.add_columns(*s.t("routine-columns").split("|"))
        for r in review.routines:
            strip = "  ".join(r.strip) if r.strip else r.cadence
            median = "—" if r.median_duration is None else f"{number(minutes(r.median_duration), 0)} min"
            routines.add_row(
                cell(r.title),
                cell(strip),
                cell(f"{len(r.completed)}/{len(r.expected)}"),
                cell(f"{len(r.on_time)}/{len(r.completed)}"),
                cell(median),
                key=r.playbook_id,
            )
        metrics = self.query_one("#review-metrics", DataTable)
        metrics.clear(columns=True)
        metrics.add_columns(*s.t("metric-columns").split("|"))
        for m in review.metrics:
            change = "—" if m.change is None else f"{number(m.change)} ({signed_pct(m.change_pct)})"
            metrics.add_row(
                cell(m.label),
                cell(number(m.value) + (f" {coordination.AMENDED_MARK}" if m.amended else "")),
                cell(number(m.previous)),
                cell(change),
                cell(trend(review, m.per_period)),
                key=m.metric,
            )
        compared = "\n".join(filter(None, [self._compared(review), coordination.amended_note(review)]))
        self.query_one("#review-compared", Label).update(plain(compared))
        trends = self._trend_lines(review)
        self.query_one("#review-trend-lines", Static).update(Content("\n").join(trends))
        self.query_one("#review-trends").display = bool(trends)  # no blank line without them
        goals = self.query_one("#review-goals", VerticalScroll)
        goals.remove_children()
        for g in [g for g in review.goals if not g.sample]:
            status = "—" if g.on_track is None else s.t("on-track" if g.on_track else "behind")
            needed = (
                "" if g.needed_per_week is None else " · " + s.t("goal-to-go", n=number(g.needed_per_week))
            )
            progress = ProgressBar(total=1.0, show_eta=False, show_percentage=False)
            progress.progress = max(0.0, min(1.0, g.progress or 0.0))
            goals.mount(
                Horizontal(
                    Label(plain(g.title, newlines=False), classes="goal-title"),
                    progress,
                    Label(
                        plain(
                            f" {percent(g.progress)} · {s.t('goal-time')} {percent(g.time_elapsed)}"
                            f" · {status}{needed}",
                            newlines=False,
                        )
                    ),
                    classes="goal-row",
                )
            )
        samples = [g for g in review.goals if g.sample]
        if len(samples) == len(review.goals):
            goals.mount(Label(s.t("no-goals"), classes="subtle"))
        if samples:
            goals.mount(Label(s.t("sample-goals"), classes="subtle"))
            for g in samples:
                detail = s.t("sample-goal", metric=g.metric, target=number(g.target), by=g.by.isoformat())
                goals.mount(
                    Horizontal(
                        Label(plain(g.title, newlines=False), classes="goal-title"),
                        Label(plain(" " + detail, newlines=False)),
                        classes="goal-row",
                    )
                )
        incidents = self.query_one("#review-incidents", DataTable)
        incidents.clear(columns=True)
        incidents.add_columns(*s.t("incident-columns").split("|"))
        for i in review.incidents:
            resolved = "open" if i.time_to_resolve is None else f"{number(minutes(i.time_to_resolve), 0)} min"
            incidents.add_row(
                cell(i.severity),
                cell(i.title),
                cell(f"{i.opened_at.astimezone(s.zone):%m-%d %H:%M}"),
                cell(resolved),
                cell(i.escalations),
                key=i.run_id,
            )
        steps = [
            f"✗ {x.title} ×{x.count} (" + ", ".join(f"{r} ×{n}" for r, n in x.reasons) + ")"
            for x in review.skipped[:5]
        ]
        steps += [f"… {x.title} left ×{x.count}" for x in review.left[:5]]
        steps += [
            f"⏱ {x.title}: {number(minutes(x.mean), 0)} / ~{number(minutes(x.estimate), 0)} min"
            for x in review.slow
        ]
        self.query_one("#review-steps", Static).update(plain(s.t("steps") + "\n" + ("\n".join(steps) or "—")))
        notes = [
            f"{weekday(n.at.astimezone(s.zone))} {n.at.astimezone(s.zone):%H:%M} "
            f"{n.operator} · {n.where}: {n.text}"
            for n in review.notes[-20:]
        ]
        people = " · ".join(f"{p.label} {p.actions}" for p in review.people)
        self.query_one("#review-notes", Static).update(
            plain(
                s.t("notes")
                + "\n"
                + ("\n".join(notes) or "—")
                + "\n\n"
                + s.t("people")
                + "\n"
                + (people or "—")
            )
        )
        groups = self.query_one("#review-groups", Static)
        groups.display = bool(review.groups)  # only for a team with a roster and per-group steps
        groups.update(plain(_("Groups") + "\n" + "\n".join(group_lines(review))))
        journeys = self.query_one("#review-journeys", Static)
        journeys.display = review.journey_counts is not None
        journeys.update(plain(_("Journeys") + "\n" + "\n".join(journey_lines(review))))
        self._coordination(review)

    def _coordination(self, review: Review) -> None:
        """Hand-overs, amendments and follow-ups: a few lines each (the latest hand-overs and
        amendments, the first follow-ups; ``… +N`` says how many more the reports have), shown
        only when there are any."""
        for selector, heading, lines, latest in (
            ("#review-handovers", coordination.HANDOVERS, coordination.handover_lines(review), True),
            ("#review-amendments", coordination.AMENDMENTS, coordination.amendment_lines(review), True),
            ("#review-followups", coordination.FOLLOWUPS, coordination.followup_lines(review), False),
        ):
            section = self.query_one(selector, Static)
            section.display = bool(lines)
            kept = lines[-SHOWN:] if latest else lines[:SHOWN]
            body = [visible(line, newlines=False) for line in kept]  # one line each, whatever was typed
            if len(lines) > SHOWN:
                body.insert(0 if latest else len(body), f"… +{len(lines) - SHOWN}")
            section.update(plain("\n".join([self.services.t(heading), *body])))

    @staticmethod
    def _trend_lines(review: Review) -> list[Content]:
        """A line per metric with two values or more: its name, a bar a day, and the days shown.

        One text for all of them, not three labels a metric: mounting widgets was most of the
        screen's own time. A day without a value is ·; days still to come are not drawn."""
        shown = [(day, n) for n, day in enumerate(review.days) if review.has_come(day)]
        span = f"{shown[0][0]:%m-%d} → {shown[-1][0]:%m-%d}" if shown else ""
        lines = []
        for m in review.metrics:
            values = [m.per_period[n] for _, n in shown]
            if sum(v is not None for v in values) >= 2:  # a trend needs two values
                bars = " ".join(trend(review, m.per_period)[: len(shown)])
                title = Content(pad(visible(m.label, newlines=False), TREND_TITLE))
                lines.append(title + Content(f"{bars}  ") + styled(span, "$text-muted"))
        return lines

    def _compared(self, review: Review) -> str:
        """What the metrics' "previous" covers (nothing without metrics)."""
        if not review.metrics or review.metrics[0].compared_from is None:
            return ""
        first = review.metrics[0]
        days = f"{first.compared_from:%m-%d} → {first.compared_until:%m-%d}"
        unit = self.services.t("unit-week" if review.is_week else "unit-period")
        return self.services.t(
            "compared-same-days" if first.same_days else "compared-whole", unit=unit, days=days
        )

    def action_move(self, delta: int) -> None:
        self.rng = self.rng.next() if delta > 0 else self.rng.previous()
        self.load()

    def action_this_week(self) -> None:
        self.rng = week_range(period_of("weekly", self.services.now().date()))
        self.load()

    def action_export(self) -> None:
        if self.review is None:
            return
        target = self.services.reports_dir / f"review-{self.review.label.replace(' → ', '_')}.md"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_private(target, render_markdown(self.review))
        except OSError as error:
            self.notify(
                _("cannot save {path}: {error}").format(path=target, error=error.strerror or error),
                severity="error",
                markup=False,
            )
            return
        self.notify(self.services.t("saved", path=target), markup=False, timeout=10)

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#review-routines")
    def _routine(self, event: DataTable.RowSelected) -> None:
        """Drill down: the routine's runs in this range."""
        if self.review is None or event.row_key.value is None:
            return
        playbook_id = event.row_key.value
        stats = next((r for r in self.review.routines if r.playbook_id == playbook_id), None)
        if stats is None:
            return
        runs = [routine_run_id(playbook_id, p) for p in stats.completed + stats.missed]
        existing = [r for r in runs if self.services.ledger.journal.run(r) is not None]
        if not existing:
            self.notify(_("no runs in this range"), markup=False)
            return
        from soptui.tui.screens.modals import Pick

        def chosen(run_id: str | None) -> None:
            if run_id:
                self.post_message(OpenRun(run_id))

        choices = [(r, routine_period(r) or r) for r in sorted(existing)]
        self.app.push_screen(Pick(stats.title, choices), chosen)

    @on(DataTable.RowSelected, "#review-incidents")
    def _incident(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(OpenRun(str(event.row_key.value)))


__all__ = ["ReviewScreen", "bar"]
