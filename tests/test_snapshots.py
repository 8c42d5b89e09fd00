"""SVG snapshots of each screen at 80x24 (and Today at 120x40), in English and Chinese.

Update deliberately with: pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soptui.i18n import Language
from tests.helpers import Clock
from tests.ui_support import MONDAY_9AM, build_app

LANGUAGES: list[Language] = ["en", "zh"]


def prepared(tmp_path: Path, language: Language) -> Any:
    """An app with some history: one step done, a note, an open incident 18 minutes old."""
    clock = Clock(MONDAY_9AM)
    app, recorder = build_app(tmp_path, language, clock=clock)
    run = recorder.routine_run("morning")
    recorder.complete(run.run_id, "welcome")
    recorder.tick(run.run_id, "found-negative" if False else "welcome", 0)
    incident = recorder.open_incident("spam", "广告刷屏 spam wave" if language == "zh" else "spam wave", "P2")
    clock.advance(minutes=3)
    recorder.complete(incident.run_id, "contain")
    recorder.note(incident.run_id, "[bold]literal[/] note")
    clock.advance(minutes=15)
    return app


@pytest.mark.parametrize("language", LANGUAGES)
def test_today(snap_compare: Any, tmp_path: Path, language: Language) -> None:
    assert snap_compare(prepared(tmp_path, language), terminal_size=(80, 24))


def test_today_large(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(prepared(tmp_path, "en"), terminal_size=(120, 40))


@pytest.mark.parametrize("language", LANGUAGES)
def test_run(snap_compare: Any, tmp_path: Path, language: Language) -> None:
    assert snap_compare(prepared(tmp_path, language), press=["enter"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_incident(snap_compare: Any, tmp_path: Path, language: Language) -> None:
    assert snap_compare(prepared(tmp_path, language), press=["down", "enter"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_help(snap_compare: Any, tmp_path: Path, language: Language) -> None:
    assert snap_compare(prepared(tmp_path, language), press=["question_mark"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_run_at_60x20(snap_compare: Any, tmp_path: Path, language: Language) -> None:
    assert snap_compare(prepared(tmp_path, language), press=["enter"], terminal_size=(60, 20))


@pytest.mark.parametrize("language", LANGUAGES)
def test_today_at_60x20(snap_compare: Any, tmp_path: Path, language: Language) -> None:
    """The documented minimum: incidents first, one line per row."""
    assert snap_compare(prepared(tmp_path, language), terminal_size=(60, 20))


def test_too_small(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(prepared(tmp_path, "en"), terminal_size=(50, 15))


@pytest.mark.parametrize("language", LANGUAGES)
def test_review(snap_compare: Any, tmp_path: Path, language: Language) -> None:
    assert snap_compare(prepared(tmp_path, language), press=["r"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_incident_report_keys_fit_80x24(snap_compare: Any, tmp_path: Path, language: Language) -> None:
    """The report dialog's close and save keys are in a footer, in view at 80x24."""
    resolve = ["enter", "escape", "R", "y", *"ok", "enter"]  # the incident, its list, resolve, confirm
    assert snap_compare(prepared(tmp_path, language), press=resolve, terminal_size=(80, 24))
