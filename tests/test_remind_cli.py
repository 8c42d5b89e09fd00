"""``soptui remind``: sends through the webhooks in notify.toml once, ``--dry-run`` sends nothing,
``--status`` reports, a bad or open notify.toml is refused, and no address or secret is shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soptui.journal import Journal
from soptui.playbooks.library import Source, load_library
from soptui.recorder import Identity, Recorder
from tests.conftest import REPO, Run
from tests.helpers import SHANGHAI
from tests.test_notify import DING_SECRET, SECRETS, assert_no_secrets, notify_text, write_notify
from tests.webhooks import Hooks, webhook_server

CLI = Callable[..., Run]


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    with webhook_server() as server:
        yield server


@pytest.fixture
def config_dir(isolated_env: Path) -> Path:
    return isolated_env / "config"


@pytest.fixture
def team(cli: CLI, tmp_path: Path, hooks: Hooks, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """notify.toml with three webhooks that take escalations only (so the bundled routines'
    due times, which depend on the hour the test runs, send nothing), and instant retries."""
    from soptui.commands import remind_commands

    monkeypatch.setattr(remind_commands, "sleep", lambda _seconds: None)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return write_notify(config_dir, notify_text(hooks, events='events = ["escalation"]'))


def open_incidents(tmp_path: Path, *titles: str) -> list[str]:
    """Incidents opened an hour ago in the CLI's journal: each one's first step is escalated."""
    library = load_library([Source(tmp_path / "pbs", "test")])
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        recorder = Recorder(journal, library, SHANGHAI, Identity("bob", "bob", "host"))
        opened = datetime.now(UTC) - timedelta(hours=1)
        return [recorder.open_incident("spam", title, at=opened).run_id for title in titles]


def events(tmp_path: Path, kind: str) -> list[dict[str, object]]:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        return [e.payload for e in journal.events_between() if e.kind == kind]


def test_remind_sends_each_escalation_once_and_status_lists_it(
    cli: CLI, team: Path, hooks: Hooks, tmp_path: Path
) -> None:
    [run_id] = open_incidents(tmp_path, "广告刷屏")
    code, out, err = cli("remind")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "sent to ops: 事件升级：P2 广告刷屏",
        "sent to webhook 2 (dingtalk): 事件升级：P2 广告刷屏",
        "sent to lark: 事件升级：P2 广告刷屏",
    ]
    assert [r.path.split("/")[1] for r in hooks.received] == ["wecom", "dingtalk", "feishu"]
    wecom = hooks.received[0].json["markdown"]["content"]
    assert wecom.startswith("### 🚨 事件升级：P2 广告刷屏\n“Contain”应在事件开启后 5分钟 内完成")
    assert f"soptui done spam contain --run {run_id}" in wecom
    assert "sign" in hooks.received[1].query and "sign" in hooks.received[2].json

    assert cli("remind") == (0, "", "")  # cron runs it again: nothing new, nothing printed
    assert len(hooks.received) == 3
    sent = events(tmp_path, "reminder.sent")
    assert sorted(p["webhook"] for p in sent) == ["lark", "ops", "webhook 2 (dingtalk)"]
    assert {p["key"] for p in sent} == {f"escalation:{run_id}:contain"}

    code, out, _err = cli("remind", "--status")
    assert code == 0 and out.count("sent") >= 3 and "webhook 2 (dingtalk)" in out and "STATE" in out
    code, out, _err = cli("remind", "--status", "--json")
    rows = json.loads(out)["reminders"]
    assert {(r["webhook"], r["state"], r["attempts"]) for r in rows} == {
        ("ops", "sent", 1),
        ("webhook 2 (dingtalk)", "sent", 1),
        ("lark", "sent", 1),
    }


def test_a_failed_send_exits_1_and_is_reported_by_status(
    cli: CLI, team: Path, hooks: Hooks, tmp_path: Path
) -> None:
    open_incidents(tmp_path, "刷屏")
    hooks.fail(3, 500)  # the first webhook's three attempts
    code, out, err = cli("remind")
    assert code == 1
    assert "not sent to ops: 事件升级：P2 刷屏: HTTP 500; next try " in err
    assert "1 reminder could not be sent" in err and "soptui remind --status" in err
    assert len(hooks.received) == 5 and "sent to lark" in out
    code, out, _err = cli("remind", "--status")
    failed = next(line for line in out.splitlines() if line.startswith("failed"))
    assert "ops" in failed and "HTTP 500" in failed and " 3 " in failed
    rows = {r["webhook"]: r for r in json.loads(cli("remind", "--status", "--json")[1])["reminders"]}
    assert rows["ops"]["state"] == "failed" and rows["ops"]["reason"] == "HTTP 500"
    next_try = datetime.fromisoformat(rows["ops"]["next_try_at"])
    assert timedelta(minutes=4) < next_try - datetime.now(UTC) <= timedelta(minutes=5)
    assert cli("remind")[0] == 0 and len(hooks.received) == 5  # not before its next try
    [failure] = [p for p in events(tmp_path, "reminder.failed") if p["attempts"]]
    assert failure["reason"] == "HTTP 500" and failure["webhook"] == "ops"


def test_a_dry_run_prints_what_and_where_and_sends_nothing(
    cli: CLI, team: Path, hooks: Hooks, tmp_path: Path
) -> None:
    [run_id] = open_incidents(tmp_path, "刷屏")
    before = len(events(tmp_path, "run.opened"))
    code, out, err = cli("remind", "--dry-run")
    assert (code, err) == (0, "")
    assert f"→ ops (escalation:{run_id}:contain)" in out
    assert "    🚨 事件升级：P2 刷屏" in out and "    负责人" not in out and "    — soptui" in out
    assert "dry run: nothing was sent or recorded" in out
    assert hooks.received == []
    assert events(tmp_path, "reminder.failed") == [] and len(events(tmp_path, "run.opened")) == before
    data = json.loads(cli("remind", "--dry-run", "--json")[1])
    assert data["dry_run"] is True and {r["status"] for r in data["reminders"]} == {"would send"}
    cli("remind")
    assert "already sent, not sent again: 3" in cli("remind", "--dry-run")[1]


def test_reminders_speak_the_teams_language(cli: CLI, team: Path, hooks: Hooks, tmp_path: Path) -> None:
    open_incidents(tmp_path, "spam wave")
    assert cli("--language", "en", "remind")[0] == 0
    assert hooks.received[2].json["content"]["text"].startswith("🚨 Escalation: P2 spam wave\n")


def test_a_missing_invalid_or_open_notify_toml_is_refused(cli: CLI, config_dir: Path, hooks: Hooks) -> None:
    code, _out, err = cli("remind")
    assert code == 1 and "no notify.toml" in err and str(config_dir / "notify.toml") in err
    path = write_notify(config_dir, notify_text(hooks), 0o644)
    for args in (("remind",), ("remind", "--dry-run")):
        code, _out, err = cli(*args)
        assert code == 1 and f"chmod o-rwx {path}" in err
        assert_no_secrets(err)
    path.chmod(0o600)
    path.write_text(notify_text(hooks).replace('kind = "feishu"', 'kind = "lark"'), encoding="utf-8")
    code, _out, err = cli("remind")
    assert code == 1 and f"{path}:16:1: webhooks[2].kind:" in err
    assert_no_secrets(err)
    code, out, err = cli("remind", "--status")  # the record is still shown, with a warning
    assert code == 0 and "no reminders were sent" in out and "webhooks[2].kind" in err


def test_no_address_or_secret_is_ever_shown(cli: CLI, team: Path, hooks: Hooks, tmp_path: Path) -> None:
    open_incidents(tmp_path, "one", "two")
    hooks.fail(3, 200, {"errcode": 93000, "errmsg": f"invalid webhook url {DING_SECRET}"})
    seen = []
    for args in (
        ("remind", "--dry-run"),
        ("remind", "--dry-run", "--json"),
        ("remind",),
        ("remind", "--json"),
        ("remind", "--status"),
        ("remind", "--status", "--json"),
        ("journal", "export"),
        ("journal", "export", "--format", "csv"),
    ):
        _code, out, err = cli(*args)
        seen.append(out + err)
    everything = "\n".join(seen)
    assert "reminder.sent" in everything and "93000" in everything
    for secret in SECRETS:
        assert secret not in everything
    assert f"127.0.0.1:{hooks.port}" not in everything


def test_two_remind_commands_at_once_send_each_reminder_once(
    team: Path, hooks: Hooks, tmp_path: Path
) -> None:
    """Two processes started together (cron and a person, say) against a slow chat server."""
    titles = ["one", "two", "three"]
    open_incidents(tmp_path, *titles)
    hooks.delay = 0.3
    environment = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "soptui", "remind"],
            cwd=REPO,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert len(hooks.received) == 9  # three incidents, three webhooks, once each
    texts = [json.dumps(r.json, ensure_ascii=False) + r.path for r in hooks.received]
    assert len(set(texts)) == 9
    for title in titles:
        assert sum(f"P2 {title}" in text for text in texts) == 3
    lines = "".join(out for out, _err in outputs).splitlines()
    assert len(lines) == 9 and all(line.startswith("sent to ") for line in lines)


def test_remind_speaks_chinese_to_a_chinese_operator(
    cli: CLI, team: Path, hooks: Hooks, tmp_path: Path
) -> None:
    open_incidents(tmp_path, "刷屏")
    hooks.fail(3, 500)
    code, out, err = cli("--language", "zh", "remind")
    assert code == 1 and "已发送到 lark：事件升级：P2 刷屏" in out
    assert "未能发送到 ops" in err and "1 条提醒没能发出" in err
    code, out, _err = cli("--language", "zh", "remind", "--status")
    assert "状态" in out and "失败" in out and "下次重试" in out
    preview = cli("--language", "zh", "remind", "--dry-run")[1]
    assert "已发送过、不再重发：2 条" in preview and "等待中：ops（escalation:" in preview


def test_follow_ups_past_due_are_reminded_once_naming_their_owner(
    cli: CLI, hooks: Hooks, tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soptui.commands import remind_commands
    from tests.conftest import write
    from tests.test_coordination import SYNC

    ten_am = datetime.now(SHANGHAI).replace(hour=10, minute=0)  # follow-ups are sent from 09:00
    monkeypatch.setattr(remind_commands, "sleep", lambda _seconds: None)
    monkeypatch.setattr(remind_commands, "clock", lambda: ten_am)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    write_notify(config_dir, notify_text(hooks, events='events = ["followup"]'))
    write(tmp_path / "pbs", "sync.toml", SYNC)
    library = load_library([Source(tmp_path / "pbs", "test")])
    a_week_ago = ten_am - timedelta(days=7)
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        recorder = Recorder(journal, library, SHANGHAI, Identity("bob", "bob", "host"), lambda: a_week_ago)
        run = recorder.routine_run("sync").run_id
        recorder.complete(run, "assign", "post the FAQ @bob +1d; later @bob +30d")
    listed = cli("actions", "--json")
    code, out, _err = cli("remind", "--dry-run")
    assert code == 0 and "→ ops (followup:" in out, (listed, out)
    assert "post the FAQ" in out and "later" not in out
    assert cli("remind")[0] == 0
    assert len(hooks.received) == 3  # one per webhook
    assert cli("remind") == (0, "", "")  # never twice
