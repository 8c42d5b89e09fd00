"""A run's steps, one row each: the mark, the number and title, and what is late, queued or due.

The list only shows; the run screen moves the selection (keys typed ahead move through it, so
the row a key leaves is the one the next key acts on) and gives the list each new run state
(:meth:`StepList.show`). Only the rows whose text changed are drawn again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import timedelta

from textual.content import Content
from textual.widgets.option_list import Option

from soptui.i18n import duration_text
from soptui.runs import MARKS, RunState, StepState
from soptui.text import visible
from soptui.tui.plain import with_cursor
from soptui.tui.rows import Rows

QUEUED = "⧗"
"""The mark of a step whose action is kept as a draft, waiting for the journal to accept it."""
STATUS_STYLES = {"done": "$success", "skipped": "$warning", "n/a": "dim"}


def step_row(
    number: int,
    step: StepState,
    words: Callable[[str], str],
    *,
    current: bool = False,
    queued: bool = False,
    late: timedelta | None = None,
    due: str | None = None,
) -> Content:
    """One step's row, without the cursor column: ``✓ 1 Welcome newcomers``.

    ``current``: the first pending step (▶); ``queued``: its action waits in a draft (⧗);
    ``late``: how far past its escalation (!); ``due``: a journey step's label and due time."""
    mark, style = MARKS[step.status], STATUS_STYLES.get(step.status, "")
    if current:
        mark, style = "▶", "bold"
    if queued and step.status == "pending":
        mark, style = QUEUED, "italic"
    suffix = ""
    if late is not None:
        mark, style, suffix = "!", "bold $error", f" +{duration_text(late)}"
    if step.status == "skipped" and step.reason:
        suffix = f" ({step.reason})"
    if step.step.optional and step.status == "pending":
        suffix += f" ({words('optional')})"
    if due is not None:
        suffix += f" · {due}"
    label = visible(f"{mark} {number} {step.step.title}{suffix}", newlines=False)
    return Content.styled(label, style) if style else Content(label)


class StepList(Rows):
    """The steps of a run; the selected one is highlighted and carries the cursor mark."""

    def __init__(self, words: Callable[[str], str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.words = words
        self._keys: list[tuple[object, ...]] = []

    def show(
        self,
        state: RunState,
        selected: str | None,
        *,
        late: Mapping[str, timedelta] | None = None,
        queued: Collection[str] = (),
        due: Mapping[str, str] | None = None,
    ) -> None:
        """Show ``state``'s steps with ``selected`` highlighted.

        ``late``: pending steps past their escalation, by step id; ``queued``: the steps whose
        action is a pending draft; ``due``: a journey's step labels and due times, by step id.
        """
        late, due = late or {}, due or {}
        current = state.current()
        current_id = current.step.id if current is not None else None
        ids = list(state.steps)
        # What each row is drawn from: a row whose inputs are unchanged is not built again (the
        # list is shown twice per completed step, and a run may have 200 steps).
        keys: list[tuple[object, ...]] = [
            (
                step.step.title,
                step.step.optional,
                step.status,
                step.reason,
                step_id == current_id,
                step_id in queued,
                late.get(step_id),
                due.get(step_id),
                step_id == selected,
            )
            for step_id, step in state.steps.items()
        ]

        def row(index: int) -> Content:
            step_id = ids[index]
            body = step_row(
                index + 1,
                state.steps[step_id],
                self.words,
                current=step_id == current_id,
                queued=step_id in queued,
                late=late.get(step_id),
                due=due.get(step_id),
            )
            return with_cursor(body, step_id == selected)

        if [option.id for option in self.options] == ids:
            # Same steps: change only the lines whose mark or text changed (no rebuild, less output).
            for index, key in enumerate(keys):
                if index < len(self._keys) and self._keys[index] == key:
                    continue
                prompt = row(index)
                if str(self.get_option_at_index(index).prompt) != prompt.plain:
                    self.replace_row(index, prompt)
        else:
            self.clear_options()
            self.add_options([Option(row(index), id=step_id) for index, step_id in enumerate(ids)])
        self._keys = keys
        if selected in state.steps:
            index = ids.index(selected)
            if self.highlighted != index:
                self.highlighted = index
