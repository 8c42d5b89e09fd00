"""Team coordination from the shell: claim, release, handover, amend, actions (issue 17)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run, write
from tests.test_coordination import SYNC


@pytest.fixture
def sync(tmp_path: Path) -> None:
    write(tmp_path / "pbs", "sync.toml", SYNC)


def test_claim_and_release_a_run(cli: Callable[..., Run]) -> None:
    code, out, _err = cli("claim", "morning")
    assert code == 0 and "morning@" in out
    code, _out, err = cli("claim", "morning")
    assert (code, err.strip()) == (1, "soptui: error: you have already claimed this run")
    assert cli("release", "morning")[0] == 0
    code, _out, err = cli("release", "morning")
    assert code == 1 and "you have not claimed this run" in err


def test_claiming_groups_needs_the_step(cli: Callable[..., Run]) -> None:
    code, _out, err = cli("claim", "morning", "--group", "g1")
    assert code == 2 and "--group needs --step" in err


def test_a_hand_over_note_is_listed_for_others_until_acknowledged(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("handover", "3群有人刷屏，已禁言；明早复查") == (
        0,
        "hand-over noted: the next operators see it when they start soptui\n",
        "",
    )
    code, out, _err = cli("handover")
    assert (code, out) == (0, "no hand-over notes waiting for you\n")  # not to its writer
    monkeypatch.setattr("soptui.context.Context.login", property(lambda self: "bob"))
    code, out, _err = cli("handover", "--ack")
    assert code == 0 and "3群有人刷屏，已禁言；明早复查" in out and "1 hand-over note(s) acknowledged" in out
    assert cli("handover")[1] == "no hand-over notes waiting for you\n"


def test_amend_keeps_the_old_value_and_needs_a_reason_and_one_change(cli: Callable[..., Run]) -> None:
    assert cli("done", "morning", "new-members", "--value", "12")[0] == 0
    code, _out, err = cli("amend", "morning", "new-members", "--reason", "typo")
    assert code == 2 and "give either --value" in err
    code, _out, err = cli("amend", "morning", "new-members", "--reason", "typo", "--value", "x")
    assert code == 1 and "'x' is not a whole number" in err
    assert cli("amend", "morning", "new-members", "--reason", "counted twice", "--value", "21")[0] == 0
    code, out, _err = cli("journal", "export")
    amend = [json.loads(line) for line in out.splitlines() if '"amend"' in line]
    assert [(e["payload"]["old"], e["payload"]["new"], e["payload"]["reason"]) for e in amend] == [
        (12, 21, "counted twice")
    ]


@pytest.mark.usefixtures("sync")
def test_action_items_are_listed_closed_and_moved(cli: Callable[..., Run]) -> None:
    assert (
        cli("done", "sync", "assign", "--value", "post the report @root +2d; tidy the FAQ @ann +9d")[0] == 0
    )
    code, out, _err = cli("actions", "--json")
    items = json.loads(out)
    assert [(i["what"], i["owner"], i["status"]) for i in items] == [
        ("post the report", "root", "open"),
        ("tidy the FAQ", "ann", "open"),
    ]
    mine = json.loads(cli("actions", "--mine", "--json")[1])
    assert [i["what"] for i in mine] == ["post the report"]
    first = items[0]["id"].split(":")[0][:8] + ":0"
    code, out, _err = cli("action", "move", first, "+5d")
    assert code == 0 and "moved to" in out
    assert cli("action", "done", first)[0] == 0
    assert [i["what"] for i in json.loads(cli("actions", "--json")[1])] == ["tidy the FAQ"]
    assert len(json.loads(cli("actions", "--all", "--json")[1])) == 2
    code, _out, err = cli("action", "move", first, "someday")
    assert code == 2 and "'someday' is not a date" in err
    code, _out, err = cli("action", "drop", "ffffffff")
    assert code == 1 and "no action item 'ffffffff'" in err
    code, out, _err = cli("actions")
    assert "tidy the FAQ" in out and "post the report" not in out


def test_actions_on_a_fresh_machine_lists_nothing(cli: Callable[..., Run]) -> None:
    assert cli("actions") == (0, "no open action items\n", "")
