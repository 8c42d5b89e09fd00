"""Start-up notices as one summary with a key to see them all; snippets whose line breaks are the
author's; a default resolution summary shown in the viewer's language."""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

from textual.widgets import Static

from soptui.drafts import Drafts
from soptui.i18n import activate
from soptui.timeline import incident_report, timeline
from soptui.tui.screens.modals import ShowText
from soptui.tui.screens.today import TodayScreen
from tests.conftest import REPO
from tests.helpers import SHANGHAI
from tests.ui_support import build_app

WARNINGS = ["config.toml:3:1: color: unknown key 'color' (ignored)", "[bold]not markup[/] in a warning"]


async def test_start_up_notices_are_one_summary_and_bang_lists_them(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    app.services.warnings = list(WARNINGS)
    app.services.drafts = Drafts(tmp_path / "drafts")
    app.services.drafts.save("note@morning", {"kind": "typing", "run": "morning", "text": "half a note"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert [str(n.message) for n in app._notifications] == ["3 notices: press ! to see them"]
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("exclamation_mark")
        shown = app.screen
        assert isinstance(shown, ShowText) and not shown.can_save
        text = str(shown.query_one("#shown-text", Static).render())
        assert "half a note" in text and WARNINGS[0] in text
        assert "[bold]not markup[/] in a warning" in text  # plain text: the brackets stay literal
        await pilot.press("escape")
        assert isinstance(app.screen, TodayScreen)
        # the command palette offers the same list
        titles = [str(c.title) for c in app.get_system_commands(app.screen)]
        assert "Notices" in titles


async def test_a_single_notice_is_shown_as_it_is(tmp_path: Path) -> None:
    app, _recorder = build_app(tmp_path)
    app.services.warnings = WARNINGS[:1]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert [str(n.message) for n in app._notifications] == WARNINGS[:1]


def _bundled_snippets() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted([*(REPO / "playbooks").glob("*.toml"), *(REPO / "playbooks" / "en").glob("*.toml")]):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for step in data.get("steps", []):
            for snippet in step.get("snippets", []):
                found.append((f"{path.parent.name}/{path.name}", step["id"], snippet["text"]))
    return found


def test_bundled_snippets_break_lines_only_where_the_author_meant() -> None:
    """A line break in the middle of a sentence is the TOML source's wrap, not the author's: it
    would be pasted into the group as a broken line (use a line-ending backslash instead)."""
    wraps = []
    for where, step, text in _bundled_snippets():
        lines = text.rstrip("\n").split("\n")
        for line, following in itertools.pairwise(lines):
            mid_sentence = line.endswith(("，", ",", "、")) or (
                re.search(r"[a-z]$", line) is not None and re.match(r"[a-z]", following) is not None
            )
            if mid_sentence or (line.endswith(("：", ":")) and len(line) > 30):
                wraps.append((where, step, line))
    assert wraps == []
    assert len(_bundled_snippets()) > 20


def test_a_default_resolution_follows_the_viewers_language(tmp_path: Path) -> None:
    """`soptui incident resolve RUN` without a summary records "resolved" in the resolver's
    language; a Chinese viewer reads 已解决 (and an English one "resolved"), whoever wrote it."""
    _app, recorder = build_app(tmp_path)
    incident = recorder.open_incident("spam", "spam wave", "P2")
    recorder.resolve(incident.run_id, "resolved")  # written under an English UI
    state = recorder.state(incident.run_id)
    activate("zh")
    assert timeline(state)[-1].text == "已解决：已解决"
    assert "\n已解决\n" in incident_report(state, SHANGHAI, recorder.clock())
    activate("en")
    assert timeline(state)[-1].text == "resolved: resolved"
    # an operator's own words are never translated
    other = recorder.open_incident("spam", "again", "P3")
    recorder.resolve(other.run_id, "封了 3 个号")
    activate("zh")
    assert timeline(recorder.state(other.run_id))[-1].text == "已解决：封了 3 个号"
