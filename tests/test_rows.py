"""Rows: replacing one row's text redraws that row alone, and the list still shows every row right."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets.option_list import Option

from soptui.tui.rows import Rows


class RowsApp(App[None]):
    CSS = "Rows { width: 30; height: 12; }"

    def compose(self) -> ComposeResult:
        yield Rows(*[Option(Content(f"row {i}"), id=f"r{i}") for i in range(40)])


def cached(rows: Rows, index: int) -> list[object]:
    """The renderings OptionList keeps for row ``index`` (none once it is forgotten)."""
    option = rows.get_option_at_index(index)
    cache = rows._option_render_cache
    return [cache.get(key) for key in cache.keys() if key[0] is option]  # noqa: SIM118


def shown(rows: Rows) -> list[str]:
    return [rows.render_line(y).text.rstrip() for y in range(rows.scrollable_content_region.height)]


async def test_replacing_a_row_keeps_the_other_rows_renderings() -> None:
    app = RowsApp()
    async with app.run_test() as pilot:
        rows = app.query_one(Rows)
        await pilot.pause()
        before = {i: cached(rows, i) for i in (2, 3, 4)}
        assert all(before.values()), "the fast path reads OptionList's render cache: did Textual rename it?"

        rows.replace_row(3, Content("row three, done"))
        assert cached(rows, 3) == []  # forgotten, to be rendered again ...
        assert cached(rows, 2) == before[2] and cached(rows, 4) == before[4]  # ... and only it
        await pilot.pause()

        # After the frame rows 2 and 4 still hold the very same strips: they were not rendered again.
        assert all(a is b for a, b in zip(cached(rows, 2), before[2], strict=True))
        assert all(a is b for a, b in zip(cached(rows, 4), before[4], strict=True))
        assert shown(rows)[3].strip() == "row three, done"
        assert shown(rows)[4].strip() == "row 4"


async def test_a_row_that_wraps_onto_more_lines_moves_the_rows_below() -> None:
    app = RowsApp()
    async with app.run_test() as pilot:
        rows = app.query_one(Rows)
        await pilot.pause()
        rows.replace_row(1, Content("a title long enough to wrap onto a second line"))
        await pilot.pause()
        lines = [line.strip() for line in shown(rows)]
        assert lines[0] == "row 0"
        assert lines[1].startswith("a title long")
        assert "second line" in lines[2] or "second line" in lines[3]
        assert "row 2" in lines  # still shown, below the wrapped row
        assert lines.index("row 2") > 2


async def test_a_row_replaced_before_the_list_is_drawn_takes_textuals_path() -> None:
    rows = Rows(Option(Content("one"), id="a"))
    rows.replace_row(0, Content("uno"))  # not mounted: no caches to spare, no crash
    assert str(rows.get_option_at_index(0).prompt) == "uno"


async def test_a_textual_without_the_caches_still_replaces_the_row(monkeypatch: pytest.MonkeyPatch) -> None:
    app = RowsApp()
    async with app.run_test() as pilot:
        rows = app.query_one(Rows)
        await pilot.pause()

        def renamed(index: int) -> int:
            raise AttributeError("'Rows' object has no attribute '_get_visual'")

        # As if a Textual release renamed a helper, found only after the prompt was set.
        monkeypatch.setattr(rows, "_row_height", renamed)
        rows.replace_row(3, Content("row three, done"))
        await pilot.pause()
        assert shown(rows)[3].strip() == "row three, done"
