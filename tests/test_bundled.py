"""The bundled SOPs: valid, complete, and the Chinese and English sets parallel."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from soptui.playbooks.library import Library
from soptui.playbooks.models import Playbook
from tests.conftest import REPO

ZH_ROLES = {"社群经理", "内容创作者", "数据分析师", "活动策划", "管理员", "客服"}
EN_ROLES = {
    "community manager",
    "content creator",
    "data analyst",
    "event planner",
    "admin",
    "customer service",
}


def test_bundled_sets_check_clean(zh: Library, en: Library) -> None:
    assert [str(p) for p in zh.errors] == []
    assert [str(p) for p in en.errors] == []


def test_the_set_a_team_needs(zh: Library) -> None:
    by_cadence: dict[str, int] = {}
    for entry in zh:
        by_cadence[entry.playbook.cadence] = by_cadence.get(entry.playbook.cadence, 0) + 1
    assert by_cadence.get("daily", 0) >= 2
    assert by_cadence.get("weekly", 0) >= 4
    assert by_cadence.get("monthly", 0) >= 5
    assert by_cadence.get("incident", 0) >= 3
    metrics = zh.metrics()
    for name in ("members.new", "members.active", "messages.count", "activity.rate", "interaction.rate"):
        assert name in metrics, name
    assert len(zh.goals) >= 2
    assert {g.metric for g in zh.goals} <= set(metrics)


@pytest.mark.parametrize(("language", "roles"), [("zh", ZH_ROLES), ("en", EN_ROLES)])
def test_every_step_has_a_seed_role_and_an_estimate(
    language: str, roles: set[str], zh: Library, en: Library
) -> None:
    library = zh if language == "zh" else en
    for entry in library:
        for step in entry.playbook.steps:
            assert step.role in roles, (entry.playbook.id, step.id, step.role)
            assert step.estimate is not None, (entry.playbook.id, step.id)
        if entry.playbook.is_incident:
            assert any(s.escalate_after for s in entry.playbook.steps), entry.playbook.id


def shape(playbook: Playbook) -> object:
    """Everything that must match between languages: ids, structure, numbers, conditions."""
    return (
        playbook.id,
        playbook.cadence,
        playbook.due,
        playbook.severities,
        playbook.review_every,
        [
            (
                s.id,
                s.optional,
                s.condition and (s.condition.step, s.condition.op),  # choice literals are translated
                s.escalate_after,
                s.estimate,
                len(s.checklist),
                len(s.snippets),
                s.input and s.input.model_dump(exclude={"label", "unit", "choices"}),
                s.input and len(s.input.choices or []),
            )
            for s in playbook.steps
        ],
    )


def test_chinese_and_english_stay_parallel(zh: Library, en: Library) -> None:
    assert sorted(zh.entries) == sorted(en.entries)
    for playbook_id, entry in zh.entries.items():
        assert shape(entry.playbook) == shape(en.entries[playbook_id].playbook), playbook_id
    assert [(g.id, g.metric, g.target, g.by, g.measure) for g in zh.goals] == [
        (g.id, g.metric, g.target, g.by, g.measure) for g in en.goals
    ]


def test_soptui_check_passes_on_the_bundled_set() -> None:
    for language in ("zh", "en"):
        result = subprocess.run(
            [sys.executable, "-m", "soptui", "--language", language, "check"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr


DOMAIN = [
    "soptui.events",
    "soptui.runs",
    "soptui.schedule",
    "soptui.agenda",
    "soptui.journeys",
    "soptui.playbooks.workdays",
    "soptui.timeline",
    "soptui.run_ids",
    "soptui.ledger",
    "soptui.recorder",
    "soptui.coordination",
    "soptui.review",
    "soptui.playbooks.library",
    "soptui.playbooks.loader",
    "soptui.playbooks.cache",
    "soptui.playbooks.spec",
    "soptui.config",
    "soptui.config_spec",
    "soptui.text",
    "soptui.notify",
    "soptui.reminders",
]


def imported_by(modules: list[str]) -> set[str]:
    """Top-level packages loaded by importing ``modules`` in a fresh interpreter."""
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print(sorted(sys.modules))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return {name.split(".")[0] for name in ast.literal_eval(result.stdout)}


def test_headless_modules_never_import_textual_or_rich() -> None:
    """The domain and the store are plain Python: no terminal library (the import contract)."""
    loaded = imported_by([*DOMAIN, "soptui.journal", "soptui.cli"])
    assert not loaded & {"textual", "rich"}


@pytest.mark.parametrize(
    "module", ["soptui.playbooks.library", "soptui.runs", "soptui.run_ids", "soptui.config", "soptui.text"]
)
def test_domain_modules_never_load_the_store(module: str) -> None:
    """Loading a library or folding a run needs no sqlite3 (the store sits below, not beside)."""
    assert "sqlite3" not in imported_by([module])


def test_the_read_side_never_loads_the_write_side() -> None:
    """Reading (the ledger, the review, journeys, the read-only commands' modules) needs no
    recorder: `soptui review` and `soptui due` never load the code that writes."""
    code = (
        "import sys\n"
        "import soptui.ledger, soptui.review, soptui.review.render, soptui.journeys, soptui.agenda\n"
        "import soptui.commands.review_commands, soptui.context\n"
        "print('soptui.recorder' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_app_loads_the_run_screen_on_first_use() -> None:
    """The run screen is a fifth of what the app imports before its first frame: not loaded
    until a run is opened (as search, review and help are)."""
    code = "import sys\nimport soptui.tui.app\nprint('soptui.tui.screens.run' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
