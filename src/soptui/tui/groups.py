"""The groups of a per-group step: a filterable list the operator ticks by keyboard.

The panel only shows and asks; the run screen records. Ticking posts :class:`GroupPanel.Act`
and the screen answers with the new run state (:meth:`GroupPanel.show`). Two hundred groups
are one OptionList (it draws only the visible rows), never two hundred widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from soptui.playbooks.roster import Roster
from soptui.runs import MARKS, StepState
from soptui.text import visible
from soptui.tui.commands import Command, bindings_of
from soptui.tui.plain import with_cursor
from soptui.tui.rows import Rows
from soptui.tui.words import N_, localise_bindings


def ordered_groups(step: StepState, roster: Roster, login: str) -> list[str]:
    """The step's groups with the operator's own first (owners see their groups first)."""
    mine = [g for g in step.expected if (group := roster.group(g)) is not None and group.owner == login]
    return mine + [g for g in step.expected if g not in mine]


def group_line(step: StepState, roster: Roster, group_id: str) -> str:
    group = roster.group(group_id)
    mark = step.groups.get(group_id)
    sign = MARKS[mark.status] if mark else "·"
    name = group.name if group else group_id
    owner = roster.name_of(group.owner) if group and group.owner else ""
    claim = step.group_claims.get(group_id)
    if claim is not None and mark is None:
        owner = f"{owner} ✋{claim.operator}" if owner else f"✋{claim.operator}"
    extra = ""
    if mark is not None and mark.value is not None:
        extra = f" = {mark.value}"
    elif mark is not None and mark.reason:
        extra = f" ({mark.reason})"
    return visible(f"{sign} {name}{' · ' + owner if owner else ''}{extra}", newlines=False)


class GroupPanel(Vertical):
    """Tick (space), skip (s) or tick all remaining (a) groups; / filters by name or tag."""

    USER_COMMANDS = (
        Command("groups.tick", "space", "tick", N_("tick"), N_("Tick the group and move down")),
        Command("groups.skip", "s", "skip", N_("skip"), N_("Skip the group (asks for a reason)")),
        Command("groups.all", "a", "all", N_("all"), N_("Tick every remaining group")),
        Command("groups.filter", "slash", "filter", N_("filter"), N_("Filter by name or tag")),
        Command("groups.claim", "m", "claim", N_("mine"), N_("Claim the group (again: release)")),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    @dataclass
    class Act(Message):
        """The operator asked to tick or skip groups (the screen records it)."""

        kind: Literal["tick", "skip", "all", "claim"]
        groups: list[str]

    def __init__(self, roster: Roster, login: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        localise_bindings(self)
        self.roster = roster
        self.login = login
        self.step: StepState | None = None
        self._order: list[str] = []
        self._lines: dict[str, str] = {}
        self._cursor: str | None = None  # the row drawn with the cursor mark

    def compose(self) -> ComposeResult:
        yield Input(id="group-filter", placeholder="/")
        yield Rows(id="group-list")

    def on_mount(self) -> None:
        self.query_one("#group-filter", Input).display = False

    def show(self, step: StepState | None) -> None:
        """Show ``step``'s groups (or hide the panel for an ordinary step)."""
        self.step = step
        self.display = step is not None and step.per_group
        if step is None or not step.per_group:
            return
        self._order = ordered_groups(step, self.roster, self.login)
        self._fill()

    def _visible_ids(self) -> list[str]:
        text = self.query_one("#group-filter", Input).value.strip().casefold()
        if not text:
            return self._order
        found = []
        for group_id in self._order:
            group = self.roster.group(group_id)
            words = [group_id, *(group.tags if group else []), group.name if group else ""]
            if any(text in word.casefold() for word in words):
                found.append(group_id)
        return found

    def _fill(self) -> None:
        """Rebuild the rows only when which groups they show changed; otherwise change only
        the lines whose text changed (a tick: one line of 200). The cursor moves by _mark_cursor."""
        step = self.step
        if step is None:
            return
        options = self.query_one("#group-list", Rows)
        current = options.highlighted_option.id if options.highlighted_option else None
        ids = self._visible_ids()
        lines = {g: group_line(step, self.roster, g) for g in ids}
        if [o.id for o in options.options] == ids:
            changed = [g for g in ids if self._lines.get(g) != lines[g]]
            self._lines = lines
            for group_id in changed:
                prompt = with_cursor(Content(lines[group_id]), group_id == self._cursor)
                options.replace_row(options.get_option_index(group_id), prompt)
            self._mark_cursor()
            return
        self._lines = lines
        self._cursor = None
        options.clear_options()
        options.add_options([Option(with_cursor(Content(lines[g]), False), id=g) for g in ids])
        if current in ids:
            options.highlighted = ids.index(current)
        elif ids:
            left = [g for g in ids if g not in step.groups]
            options.highlighted = ids.index(left[0]) if left else 0
        self._mark_cursor()

    @on(OptionList.OptionHighlighted, "#group-list")
    def _mark_cursor(self) -> None:
        """Move the cursor mark: only the row it leaves and the row it reaches are redrawn."""
        options = self.query_one("#group-list", Rows)
        current = options.highlighted_option.id if options.highlighted_option else None
        if current == self._cursor:
            return
        for group_id, here in ((self._cursor, False), (current, True)):
            if group_id is not None and group_id in self._lines:
                prompt = with_cursor(Content(self._lines[group_id]), here)
                options.replace_row(options.get_option_index(group_id), prompt)
        self._cursor = current

    def _current(self) -> str | None:
        option = self.query_one("#group-list", OptionList).highlighted_option
        return option.id if option else None

    def action_tick(self) -> None:
        group = self._current()
        if group is not None and self.step is not None and group not in self.step.groups:
            self.post_message(self.Act("tick", [group]))

    def action_skip(self) -> None:
        group = self._current()
        if group is not None and self.step is not None and group not in self.step.groups:
            self.post_message(self.Act("skip", [group]))

    def action_claim(self) -> None:
        group = self._current()
        if group is not None and self.step is not None and group not in self.step.groups:
            self.post_message(self.Act("claim", [group]))

    def action_all(self) -> None:
        if self.step is not None and self.step.groups_left:
            self.post_message(self.Act("all", list(self.step.groups_left)))

    def action_filter(self) -> None:
        box = self.query_one("#group-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#group-filter")
    def _filtered(self) -> None:
        self._fill()

    @on(Input.Submitted, "#group-filter")
    def _filter_done(self) -> None:
        self.query_one("#group-list", OptionList).focus()

    def advance(self) -> None:
        """After a tick: the next group still open, below the current one."""
        options = self.query_one("#group-list", OptionList)
        if options.highlighted is not None and options.highlighted + 1 < options.option_count:
            options.highlighted += 1
