"""Ticking groups by keyboard in the app: a per-group step's sub-list."""

from __future__ import annotations

from pathlib import Path

from soptui.journal import Journal
from soptui.playbooks.library import Source, load_library
from soptui.recorder import Identity, Recorder
from soptui.tui.app import make_app
from soptui.tui.screens.modals import Confirm, Prompt
from soptui.tui.screens.run import RunScreen
from soptui.tui.services import Services
from tests.helpers import SHANGHAI, Clock
from tests.test_groups import team_dir
from tests.ui_support import MONDAY_9AM


def build(tmp_path: Path, login: str = "bob"):  # type: ignore[no-untyped-def]
    library = load_library([Source(team_dir(tmp_path), "team")])
    journal = Journal.open(tmp_path / "journal.sqlite3")
    recorder = Recorder(journal, library, SHANGHAI, Identity(login, login, "host"), Clock(MONDAY_9AM))
    return make_app(Services(recorder, "en", tmp_path / "reports", []), "morning"), recorder


def group_rows(app) -> list[str]:  # type: ignore[no-untyped-def]
    options = app.screen.query_one("#group-list")
    return [str(options.get_option_at_index(i).prompt)[2:] for i in range(options.option_count)]


async def test_ticking_groups_by_keyboard(tmp_path: Path) -> None:
    app, recorder = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, RunScreen)
        # "Welcome newcomers" runs for the 新人群 and 城市群 groups; bob owns new-1: his first.
        assert app.focused is screen.query_one("#group-list")
        assert [r.split(" · ")[0] for r in group_rows(app)] == ["· 新人1群", "· 上海会员1群"]
        await pilot.press("space")  # tick new-1, move down
        assert group_rows(app)[0].startswith("✓ 新人1群")
        await pilot.press("s")
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"群已解散", "enter")
        state = recorder.state("morning@2026-11-23")
        assert state.steps["welcome"].status == "done"
        assert state.steps["welcome"].groups["sh-1"].reason == "群已解散"
        # On to the sweep (three groups, a value each): tick all remaining with one value.
        assert screen.selected == "sweep" and app.focused is screen.query_one("#group-list")
        await pilot.press("slash", *"vip", "enter")  # filter
        assert [r.split(" · ")[0] for r in group_rows(app)] == ["· VIP群"]
        await pilot.press("space")
        assert isinstance(app.screen, Prompt)
        await pilot.press("4", "enter")
        await pilot.press("a")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await pilot.press("0", "enter")
        sweep = recorder.state("morning@2026-11-23").steps["sweep"]
        assert sweep.status == "done"
        assert {g: m.value for g, m in sweep.groups.items()} == {"vip": 4, "new-1": 0, "sh-1": 0}
        await pilot.press("escape")
        assert isinstance(app.screen, RunScreen)  # esc left the groups, not the run


async def test_the_review_screen_shows_the_groups(tmp_path: Path) -> None:
    from soptui.tui.screens.review import ReviewScreen

    app, recorder = build(tmp_path)
    run_id = recorder.routine_run("morning").run_id
    recorder.complete(run_id, "sweep", "3", group="vip")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("escape", "escape", "r")
        assert isinstance(app.screen, ReviewScreen)
        shown = str(app.screen.query_one("#review-groups").render())
        assert "VIP群 (vip) 1/1" in shown and "not touched: 新人1群" in shown
