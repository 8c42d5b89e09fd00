"""An option list whose rows change one at a time: replacing a row renders that row alone again.

Textual's ``OptionList.replace_option_prompt_at_index`` forgets the rendering of every row and
measures every row again. A completed step changes two rows (its mark and the next step's), a
ticked group two (its mark and the cursor), yet every visible row was rendered again from its
text: 3 ms of the 8 ms frame after each key on the bench (issue 13).

:meth:`Rows.replace_row` forgets only the changed row's renderings, as long as the row keeps
its height; the list is then repainted as Textual repaints it, from the other rows' kept
renderings. (Repainting only the changed row's lines left a stale cursor mark when the list
scrolled in the same frame, so the whole list is repainted.) A row that grows or shrinks (a
long title wrapping differently) takes Textual's own path, which measures every row again.
It reaches into ``OptionList``'s caches; if a Textual release renames them it falls back to
the public method, and ``tests/test_rows.py`` fails, so the saving is not lost unseen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.content import Content
from textual.widgets import OptionList

if TYPE_CHECKING:
    from textual.css.styles import RulesMap


class Rows(OptionList):
    """An ``OptionList`` that renders one row again when one row's text changes."""

    def replace_row(self, index: int, prompt: Content) -> None:
        """Show ``prompt`` as the text of row ``index``, rendering only that row again."""
        try:
            replaced = self._replace_in_place(index, prompt)
        except AttributeError:  # a Textual release renamed what this reaches into: its own way
            replaced = False
        if not replaced:
            self.replace_option_prompt_at_index(index, prompt)

    def _replace_in_place(self, index: int, prompt: Content) -> bool:
        """Replace the row keeping the other rows' renderings; False: not measured yet."""
        renders = self._option_render_cache
        height = self._line_cache.heights.get(index)  # None: not measured yet
        if height is None or not self.scrollable_content_region:
            return False
        option = self.get_option_at_index(index)
        option._set_prompt(prompt)
        if self._row_height(index) != height:
            self._clear_caches()  # rows below move: measure them all again (Textual's way)
            return True
        for key in [key for key in renders.keys() if key[0] is option]:  # noqa: SIM118 (LRUCache: no __iter__)
            renders.discard(key)
        self.refresh()  # the other rows are painted from their kept renderings
        return True

    def _row_height(self, index: int) -> int:
        """How many lines row ``index`` takes at the list's width (as OptionList measures it)."""
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width - self._get_left_gutter_width() - padding.width
        option = self.get_option_at_index(index)
        rules = cast("RulesMap", self.styles)  # as OptionList itself measures rows
        return self._get_visual(option).get_height(rules, width) + int(option._divider)
