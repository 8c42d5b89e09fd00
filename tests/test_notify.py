"""Reminders in the team's chat: notify.toml, the platforms' bodies and signatures (against a
local HTTP server), retries, what needs attention, and sending each reminder once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from soptui.events import parse_utc
from soptui.journal import Journal
from soptui.journal.exchange import export_jsonl
from soptui.notify import (
    NotifyError,
    Reminder,
    Sender,
    Webhook,
    find_notify,
    load_notify,
    message_body,
    neutral,
    plain_text,
)
from soptui.notify.transport import judge, prepare
from soptui.recorder import Recorder
from soptui.reminders import (
    attention,
    deliver,
    reminder_status,
    retry_delay,
    sent_id,
)
from tests.conftest import REPO
from tests.helpers import DAILY, INCIDENT, Clock, library_from, recorder_for
from tests.webhooks import Hooks, webhook_server


@dataclass(frozen=True)
class FollowUpItem:
    """A follow-up made by hand: what ``attention`` takes (soptui.reminders.FollowUp)."""

    what: str
    owner: str
    due: date
    id: str | None = None


WECOM_KEY = "wecom-key-693a91f6-7aaa"
DING_TOKEN = "ding-token-5e3d587e"
DING_SECRET = "SECding-secret-0123456789abcdef"
FEISHU_HOOK = "feishu-hook-d78e-4a07"
FEISHU_SECRET = "feishu-secret-nIMtb7r3N9"
SECRETS = (WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_HOOK, FEISHU_SECRET)

PEOPLE = """\
[[people]]
id = "alice"
name = "王小丽"
roles = ["社群经理"]

[[people]]
id = "bob"
name = "李博"
roles = ["客服", "管理员"]
"""

OWNED_DAILY = DAILY.replace('cadence = "daily"', 'cadence = "daily"\nowner = "community manager"')
OWNED_INCIDENT = INCIDENT.replace('cadence = "incident"', 'cadence = "incident"\nowner = "admin"')
LAUNCH = """\
title = "Launch"
cadence = "sequence"
owner = "社群经理"

[[steps]]
id = "remind"
title = "Remind members"
offset = "-1d"
at = "20:00"

[[steps]]
id = "live"
title = "Go live"
offset = "0d"
at = "20:00"
"""

NOON = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wednesday 12:00 in Shanghai


def notify_text(hooks: Hooks, *, events: str = "") -> str:
    return f"""\
due_within = "30m"

[[webhooks]]
kind = "wecom"
name = "ops"
url = "{hooks.url("wecom", "/cgi-bin/webhook/send?key=" + WECOM_KEY)}"
{events}

[[webhooks]]
kind = "dingtalk"
url = "{hooks.url("dingtalk", "/robot/send?access_token=" + DING_TOKEN)}"
secret = "{DING_SECRET}"
{events}

[[webhooks]]
kind = "feishu"
name = "lark"
url = "{hooks.url("feishu", "/open-apis/bot/v2/hook/" + FEISHU_HOOK)}"
secret = "{FEISHU_SECRET}"
{events}
"""


def write_notify(directory: Path, text: str, mode: int = 0o600) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "notify.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert "127.0.0.1:" not in text and "http://" not in text


@pytest.fixture
def hooks() -> object:
    with webhook_server() as server:
        yield server


# -- notify.toml -------------------------------------------------------------------------------


def test_notify_toml_is_read_with_labels_and_defaults(tmp_path: Path, hooks: Hooks) -> None:
    path = write_notify(tmp_path, notify_text(hooks, events='events = ["overdue", "escalation"]'))
    config = load_notify(path)
    assert [t.label for t in config.targets] == ["ops", "webhook 2 (dingtalk)", "lark"]
    assert config.settings.due_within == timedelta(minutes=30)
    assert config.settings.day_starts == time(9, 0)
    assert config.targets[0].wants("overdue") and not config.targets[0].wants("due")
    # The credentials are kept as secrets: nothing that prints the configuration shows them.
    assert_no_secrets(repr(config) + str(config) + repr(config.targets[1].webhook.model_dump()))
    minimal = write_notify(tmp_path / "min", '[[webhooks]]\nkind = "wecom"\nurl = "https://example.com/x"\n')
    assert load_notify(minimal).targets[0].webhook.events == [
        "due",
        "overdue",
        "journey",
        "escalation",
        "followup",
    ]


@pytest.mark.parametrize(("mode", "word"), [(0o644, "644"), (0o602, "602"), (0o666, "666")])
def test_a_notify_toml_others_may_read_or_change_is_refused(
    tmp_path: Path, hooks: Hooks, mode: int, word: str
) -> None:
    path = write_notify(tmp_path, notify_text(hooks), mode)
    with pytest.raises(NotifyError) as refused:
        load_notify(path)
    message = str(refused.value)
    assert str(path) in message and f"chmod o-rwx {path}" in message and word in message
    assert_no_secrets(message)
    path.chmod(0o640)
    assert load_notify(path).targets


@pytest.mark.parametrize(
    ("text", "where", "why"),
    [
        (
            '[[webhooks]]\nkind = "slack"\nurl = "https://x.example/s3cr3t"\n',
            ":2:1: webhooks[0].kind:",
            "wecom",
        ),
        (
            '[[webhooks]]\nkind = "wecom"\nurl = "http://x.example/s3cr3t"\n',
            ":3:1: webhooks[0].url:",
            "https://",
        ),
        (
            '[[webhooks]]\nkind = "wecom"\nurl = "not an address s3cr3t"\n',
            ":3:1: webhooks[0].url:",
            "web address",
        ),
        (
            '[[webhooks]]\nkind = "wecom"\nurl = "https://x.example/s3cr3t"\nevents = ["later"]\n',
            ":4:11: webhooks[0].events[0]:",
            "'due'",
        ),
        ('[[webhooks]]\nkind = "wecom"\nurl = "https://x.example/s3cr3t"\ncolour = 1\n', ":4:1:", "colour"),
        ('[[webhooks]]\nkind = "wecom"\n', ":1:1: webhooks[0]:", "url"),
        ('due_within = "30m"\n', ":1:1:", "no [[webhooks]]"),
        (
            'due_within = 30\n[[webhooks]]\nkind = "wecom"\nurl = "https://x.example/s3cr3t"\n',
            ":1:1: due_within:",
            "25m",
        ),
        (
            'day_starts = "9h"\n[[webhooks]]\nkind = "wecom"\nurl = "https://x.example/s3cr3t"\n',
            ":1:1: day_starts:",
            "10:00",
        ),
        (
            '[[webhooks]]\nkind = "wecom"\nurl = "https://x.example/s3cr3t"\nname = "a"\n'
            '[[webhooks]]\nkind = "feishu"\nurl = "https://y.example/s3cr3t"\nname = "a"\n',
            ":8:1: webhooks[1].name:",
            "already used",
        ),
        ('[[webhooks]\nkind = "wecom"\n', ":1:", "TOML"),
    ],
)
def test_a_bad_notify_toml_names_file_line_and_column(
    tmp_path: Path, text: str, where: str, why: str
) -> None:
    path = write_notify(tmp_path, text)
    with pytest.raises(NotifyError) as refused:
        load_notify(path)
    message = str(refused.value)
    assert f"{path}{where}" in message and why in message
    assert "s3cr3t" not in message


def test_notify_toml_is_found_in_the_team_directory_first(tmp_path: Path) -> None:
    team, own = tmp_path / "team", tmp_path / "config"
    with pytest.raises(NotifyError, match="no notify.toml"):
        find_notify(team, own, None)
    write_notify(own, '[[webhooks]]\nkind = "wecom"\nurl = "https://own.example/k"\nname = "mine"\n')
    assert find_notify(team, own, None).targets[0].label == "mine"
    write_notify(team, '[[webhooks]]\nkind = "wecom"\nurl = "https://team.example/k"\nname = "team"\n', 0o660)
    assert find_notify(team, own, os.getgid()).targets[0].label == "team"


def test_a_symbolic_link_in_the_team_directory_is_refused(tmp_path: Path) -> None:
    team = tmp_path / "team"
    target = write_notify(
        tmp_path / "elsewhere", '[[webhooks]]\nkind = "wecom"\nurl = "https://e.example/k"\n'
    )
    team.mkdir()
    (team / "notify.toml").symlink_to(target)
    with pytest.raises(NotifyError, match="symbolic link"):
        find_notify(team, tmp_path / "config", os.getgid())


# -- bodies and signatures ---------------------------------------------------------------------

REMINDER = Reminder(
    "overdue:morning:2026-12-02",
    "overdue",
    "Overdue: Morning round",
    ["Was due 10:00: overdue by 1 h 5 min.", "Open it: soptui run morning"],
    "王小丽",
)


def test_the_bodies_each_platform_documents() -> None:
    assert message_body(REMINDER, "wecom", "en") == {
        "msgtype": "markdown",
        "markdown": {
            "content": "### ❗ Overdue: Morning round\nWas due 10:00: overdue by 1 h 5 min.\n"
            "Open it: soptui run morning\n"
            '<font color="comment">Owner: 王小丽</font>\n<font color="comment">soptui</font>'
        },
    }
    assert message_body(REMINDER, "dingtalk", "en") == {
        "msgtype": "markdown",
        "markdown": {
            "title": "❗ Overdue: Morning round",
            "text": "### ❗ Overdue: Morning round\n\nWas due 10:00: overdue by 1 h 5 min.\n\n"
            "Open it: soptui run morning\n\n> Owner: 王小丽\n\nsoptui",
        },
    }
    assert message_body(REMINDER, "feishu", "en") == {
        "msg_type": "text",
        "content": {
            "text": "❗ Overdue: Morning round\nWas due 10:00: overdue by 1 h 5 min.\n"
            "Open it: soptui run morning\nOwner: 王小丽\n— soptui"
        },
    }
    assert "负责人：王小丽" in plain_text(REMINDER, "zh")


def test_untrusted_text_cannot_make_links_mentions_or_markup() -> None:
    evil = (
        '[点我](https://evil.example) <@all> <at user_id="all">所有人</at> '
        "**粗** `code` _em_ ~~del~~ &lt; \\* #1 @13800000000"
    )
    reminder = Reminder("k", "escalation", evil, [evil, "line\nbreak\x1b[31m"], evil)
    for platform in ("wecom", "dingtalk", "feishu"):
        body = json.dumps(message_body(reminder, platform, "zh"), ensure_ascii=False)  # type: ignore[arg-type]
        for markup in (
            "[",
            "](",
            "<@",
            "<at",
            "**",
            "`",
            "~~",
            "&lt;",
            "\\\\*",
            "://",
            "\x1b",
            "\\u001b",
        ):
            assert markup not in body.replace('<font color=\\"comment\\">', "").replace("</font>", ""), (
                platform,
                markup,
            )
    assert neutral("snake_case_name and _emphasis_") == "snake_case_name and ＿emphasis＿"
    assert [neutral(x) for x in ("# 标题", "- 列表", "> 引用", "1. 第一")] == [
        "＃ 标题",
        "－ 列表",
        "＞ 引用",
        "1． 第一",
    ]
    # What cannot change the rendering stays, so a command in a reminder can be copied.
    assert neutral("soptui done spam contain --run spam#3fa9") == "soptui done spam contain --run spam#3fa9"
    assert neutral("--run launch~2026-12-03 @alice") == "－-run launch~2026-12-03 @alice"
    assert neutral("x" * 500).endswith("…") and len(neutral("x" * 500)) == 200


def test_a_long_reminder_stays_within_wecoms_4096_bytes() -> None:
    reminder = Reminder("k", "due", "长" * 300, ["很长的一行" * 60] * 12, "王小丽")
    content = message_body(reminder, "wecom", "zh")["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith('<font color="comment">soptui</font>') and "负责人" in content


def test_dingtalk_signature_goes_on_the_url() -> None:
    webhook = Webhook(
        kind="dingtalk",
        url=f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}",
        secret=DING_SECRET,
    )  # type: ignore[arg-type]
    request = prepare(webhook, {"msgtype": "markdown"}, 1_764_000_000.123)
    stamp = "1764000000123"
    digest = hmac.new(DING_SECRET.encode(), f"{stamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    expected = quote_plus(base64.b64encode(digest))
    assert request.url == (
        f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}&timestamp={stamp}&sign={expected}"
    )
    assert json.loads(request.body) == {"msgtype": "markdown"}
    assert DING_TOKEN not in repr(request)


def test_feishu_signature_goes_in_the_body() -> None:
    webhook = Webhook(
        kind="feishu", url=f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}", secret=FEISHU_SECRET
    )  # type: ignore[arg-type]
    request = prepare(webhook, {"msg_type": "text", "content": {"text": "hi"}}, 1_764_000_000.9)
    key = f"1764000000\n{FEISHU_SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert json.loads(request.body) == {
        "timestamp": "1764000000",
        "sign": expected,
        "msg_type": "text",
        "content": {"text": "hi"},
    }
    assert request.url.endswith(FEISHU_HOOK)


def test_answers_are_judged_as_each_platform_documents() -> None:
    assert judge("wecom", 200, b'{"errcode":0,"errmsg":"ok"}').reason is None
    assert judge("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}').reason == (
        "code 310000: sign not match"
    )
    assert judge("feishu", 200, b'{"code":0,"msg":"success"}').reason is None
    assert judge("feishu", 200, b'{"StatusCode":0,"StatusMessage":"success"}').reason is None
    assert (
        judge("feishu", 200, b'{"code":19021,"msg":"sign match fail"}').reason
        == "code 19021: sign match fail"
    )
    assert judge("wecom", 200, b"<html>").reason == "the answer was not JSON"
    assert judge("wecom", 502, b"").retry and not judge("wecom", 404, b"").retry
    assert judge("wecom", 200, b'{"errcode":45009,"errmsg":"api freq out of limit"}').retry


# -- sending over HTTP -------------------------------------------------------------------------


def _webhook(hooks: Hooks, kind: str) -> Webhook:
    tails = {
        "wecom": f"/cgi-bin/webhook/send?key={WECOM_KEY}",
        "dingtalk": f"/robot/send?access_token={DING_TOKEN}",
        "feishu": f"/open-apis/bot/v2/hook/{FEISHU_HOOK}",
    }
    secret = {"dingtalk": DING_SECRET, "feishu": FEISHU_SECRET}.get(kind)
    return Webhook.model_validate({"kind": kind, "url": hooks.url(kind, tails[kind]), "secret": secret})


def test_each_platform_gets_its_exact_body_and_signature(hooks: Hooks) -> None:
    pauses: list[float] = []
    sender = Sender(sleep=pauses.append, clock=lambda: 1_764_000_000.5)
    for kind in ("wecom", "dingtalk", "feishu"):
        assert sender.send(_webhook(hooks, kind), message_body(REMINDER, kind, "en")).ok  # type: ignore[arg-type]
    wecom, ding, feishu = hooks.received
    assert wecom.path == "/wecom/cgi-bin/webhook/send" and wecom.query == {"key": [WECOM_KEY]}
    assert wecom.json == message_body(REMINDER, "wecom", "en")
    assert wecom.headers["Content-Type"].startswith("application/json")
    stamp = "1764000000500"
    digest = hmac.new(DING_SECRET.encode(), f"{stamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    assert ding.query == {
        "access_token": [DING_TOKEN],
        "timestamp": [stamp],
        "sign": [base64.b64encode(digest).decode()],
    }
    assert ding.json == message_body(REMINDER, "dingtalk", "en")
    key = f"1764000000\n{FEISHU_SECRET}".encode()
    assert feishu.json == {
        "timestamp": "1764000000",
        "sign": base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode(),
        **message_body(REMINDER, "feishu", "en"),
    }
    assert pauses == []


def test_a_failing_server_is_retried_with_backoff(hooks: Hooks) -> None:
    hooks.fail(2, 500)
    pauses: list[float] = []
    delivery = Sender(sleep=pauses.append).send(
        _webhook(hooks, "wecom"), message_body(REMINDER, "wecom", "en")
    )
    assert delivery.ok and delivery.attempts == 3
    assert pauses == [1.0, 2.0]
    assert len(hooks.received) == 3 and hooks.received[0].body == hooks.received[2].body


def test_failures_give_a_short_reason_without_the_address(hooks: Hooks) -> None:
    pauses: list[float] = []
    sender = Sender(sleep=pauses.append, attempts=3)
    hooks.fail(5, 503)
    failed = sender.send(_webhook(hooks, "dingtalk"), message_body(REMINDER, "dingtalk", "en"))
    assert (failed.ok, failed.attempts, failed.reason) == (False, 3, "HTTP 503")
    assert pauses == [1.0, 2.0]
    hooks.failures.clear()
    hooks.fail(1, 200, {"errcode": 93000, "errmsg": f"invalid webhook url, key={WECOM_KEY}"})
    refused = sender.send(_webhook(hooks, "wecom"), message_body(REMINDER, "wecom", "en"))
    assert (refused.ok, refused.attempts) == (False, 1)  # a bad key is not worth retrying
    assert refused.reason is not None and refused.reason.startswith("code 93000: invalid webhook url")
    assert WECOM_KEY not in refused.reason
    hooks.fail(1, 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
    assert Sender(sleep=pauses.append).send(_webhook(hooks, "feishu"), {}).reason == (
        "code 19021: sign match fail or timestamp is not within one hour"
    )
    hooks.delay = 0.5
    slow = Sender(sleep=pauses.append, attempts=1, timeout=0.1).send(_webhook(hooks, "wecom"), {})
    assert not slow.ok and slow.reason is not None and "0" in slow.reason
    hooks.delay = 0
    closed = Webhook.model_validate({"kind": "wecom", "url": "http://127.0.0.1:9/k-" + WECOM_KEY})
    refused_connection = Sender(sleep=pauses.append, attempts=2).send(closed, {})
    assert not refused_connection.ok and refused_connection.attempts == 2
    for delivery in (failed, refused, slow, refused_connection):
        assert_no_secrets(str(delivery))


# -- what needs attention ----------------------------------------------------------------------


def _recorder(tmp_path: Path, clock: Clock, journal: Journal | None = None) -> Recorder:
    library = library_from(tmp_path, morning=OWNED_DAILY, spam=OWNED_INCIDENT, launch=LAUNCH, people=PEOPLE)
    return recorder_for(tmp_path, library, clock=clock, journal=journal)


def test_what_needs_attention_names_owner_and_what_to_do(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))  # 08:00 in Shanghai
    recorder = _recorder(tmp_path, clock)
    with recorder.journal.writing():
        recorder.journal.mark_seen(["morning"], clock.now)
    recorder.start_instance("launch", date(2026, 12, 3), at=clock.now)
    incident = recorder.open_incident("spam", "广告刷屏 [链接](http://x)", "P1")
    assert (
        attention(recorder.ledger, clock.now, "en") == []
    )  # nothing due yet, the journey's day starts at 09:00

    clock.now = datetime(2026, 12, 2, 1, 40, tzinfo=UTC)  # 09:40: morning round due at 10:00
    found = {r.key: r for r in attention(recorder.ledger, clock.now, "en")}
    assert set(found) == {
        f"escalation:{incident.run_id}:contain",
        "due:morning:2026-12-02",
        "journey:launch~2026-12-03:remind",
    }
    due = found["due:morning:2026-12-02"]
    assert due.title == "Due soon: Morning round" and due.kind == "due"
    assert due.lines == [
        "Due at 10:00 (in 20 min).",
        "Not started; first step: Welcome newcomers.",
        "Open it: soptui run morning",
    ]
    assert due.owner == "王小丽"
    escalation = found[f"escalation:{incident.run_id}:contain"]
    assert escalation.title == "Escalation: P1 广告刷屏 [链接](http://x)"
    assert escalation.lines[0] == "“Contain” should be done within 5 min of opening: 1 h 35 min past that."
    assert escalation.lines[2] == f"When done: soptui done spam contain --run {incident.run_id}"
    assert escalation.owner == "李博"  # the playbook's owner role "admin" is the roster's 管理员
    journey = found["journey:launch~2026-12-03:remind"]
    assert (
        journey.title == "Launch 2026-12-03: T-1 Remind members" and journey.lines[0] == "Due today at 20:00."
    )
    assert journey.owner == "王小丽"

    recorder.complete(recorder.routine_run("morning").run_id, "welcome")
    clock.now = datetime(2026, 12, 2, 3, 5, tzinfo=UTC)  # 11:05: an hour and five minutes late
    overdue = next(r for r in attention(recorder.ledger, clock.now, "en") if r.kind == "overdue")
    assert overdue.key == "overdue:morning:2026-12-02"
    assert overdue.lines[:2] == [
        "Was due 10:00: overdue by 1 h 5 min.",
        "1/5 steps done; next: Moderation sweep.",
    ]
    zh = next(r for r in attention(recorder.ledger, clock.now, "zh") if r.kind == "overdue")
    assert zh.title == "已超时：Morning round" and zh.lines[0] == "应于 10:00 完成，已超时 1小时5分。"


def test_follow_ups_past_due_are_worded_with_their_owner(tmp_path: Path) -> None:
    clock = Clock(NOON)
    recorder = _recorder(tmp_path, clock)
    items = [
        FollowUpItem("更新群公告", "alice", date(2026, 12, 1), "a1b2"),
        FollowUpItem("整理反馈", "amy", date(2026, 11, 28)),
        FollowUpItem("not yet", "alice", date(2026, 12, 2)),
    ]
    found = [r for r in attention(recorder.ledger, clock.now, "en", followups=items) if r.kind == "followup"]
    assert (found[0].key, found[0].title, found[0].lines, found[0].owner) == (
        "followup:a1b2:2026-12-01",
        "Follow-up past due: 更新群公告",
        ["Was due 2026-12-01."],
        "王小丽",
    )
    assert found[1].owner == "amy" and found[1].key.endswith(":2026-11-28") and len(found) == 2
    early = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)  # 08:30, before the day starts
    assert not [r for r in attention(recorder.ledger, early, "en", followups=items) if r.kind == "followup"]


# -- once, and only once -----------------------------------------------------------------------


def _setup(
    tmp_path: Path, hooks: Hooks, clock: Clock, journal: Journal | None = None
) -> tuple[Recorder, object]:
    recorder = _recorder(tmp_path, clock, journal)
    config = load_notify(write_notify(tmp_path / "config", notify_text(hooks)))
    return recorder, config


def test_each_reminder_is_sent_once_per_webhook(tmp_path: Path, hooks: Hooks) -> None:
    clock = Clock(NOON)
    recorder, config = _setup(tmp_path, hooks, clock)
    recorder.open_incident("spam", "刷屏", at=NOON - timedelta(hours=1))
    sender = Sender(sleep=lambda _s: None)
    reminders = attention(recorder.ledger, clock.now, "zh")
    assert [r.kind for r in reminders] == ["escalation"]
    first = deliver(recorder, config, reminders, sender, "zh")  # type: ignore[arg-type]
    assert [(o.webhook, o.status, o.attempts) for o in first] == [
        ("ops", "sent", 1),
        ("webhook 2 (dingtalk)", "sent", 1),
        ("lark", "sent", 1),
    ]
    assert len(hooks.received) == 3
    again = deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), sender, "zh")  # type: ignore[arg-type]
    assert [o.status for o in again] == ["already sent"] * 3 and len(hooks.received) == 3
    sent = [e for e in recorder.journal.events_between() if e.kind == "reminder.sent"]
    assert {e.uuid for e in sent} == {
        sent_id(reminders[0].key, label) for label in ("ops", "webhook 2 (dingtalk)", "lark")
    }
    assert all(e.payload["attempts"] == 1 and e.payload["key"] == reminders[0].key for e in sent)
    export = "\n".join(export_jsonl(recorder.journal, None, None))
    assert '"reminder.sent"' in export
    assert_no_secrets(export)


def test_a_webhook_gets_only_the_kinds_it_asked_for(tmp_path: Path, hooks: Hooks) -> None:
    clock = Clock(NOON)
    recorder = _recorder(tmp_path, clock)
    config = load_notify(write_notify(tmp_path / "config", notify_text(hooks, events='events = ["overdue"]')))
    recorder.open_incident("spam", "刷屏", at=NOON - timedelta(hours=1))
    outcomes = deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), Sender(), "zh")
    assert outcomes == [] and hooks.received == []


def test_a_failed_send_is_recorded_retried_later_with_doubling_waits(tmp_path: Path, hooks: Hooks) -> None:
    clock = Clock(NOON)
    recorder, config = _setup(tmp_path, hooks, clock)
    config.targets[1:] = []  # type: ignore[attr-defined]
    recorder.open_incident("spam", "刷屏", at=NOON - timedelta(hours=1))
    pauses: list[float] = []
    sender = Sender(sleep=pauses.append)
    hooks.fail(100, 500)
    outcome = deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), sender, "zh")[0]  # type: ignore[arg-type]
    assert (outcome.status, outcome.attempts, outcome.reason) == ("failed", 3, "HTTP 500")
    assert outcome.next_try_at == NOON + timedelta(minutes=5)
    failed = [e for e in recorder.journal.events_between() if e.kind == "reminder.failed"]
    assert [e.payload["attempts"] for e in failed] == [0, 3]  # the claim, then the failure
    assert failed[1].payload["reason"] == "HTTP 500" and failed[1].payload["webhook"] == "ops"
    assert parse_utc(failed[1].payload["next_try_at"]) == NOON + timedelta(minutes=5)

    clock.advance(minutes=2)  # too early: nothing is tried
    waiting = deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), sender, "zh")[0]  # type: ignore[arg-type]
    assert waiting.status == "waiting" and len(hooks.received) == 3
    waits = []
    for _ in range(6):
        clock.now = outcome.next_try_at or clock.now
        outcome = deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), sender, "zh")[0]  # type: ignore[arg-type]
        assert outcome.status == "failed"
        waits.append((outcome.next_try_at or clock.now) - clock.now)
    assert waits == [timedelta(minutes=m) for m in (10, 20, 40, 60, 60, 60)]
    assert [retry_delay(n) for n in (1, 2, 3, 4, 5, 30)] == [
        timedelta(minutes=m) for m in (5, 10, 20, 40, 60, 60)
    ]

    rows = reminder_status(recorder.ledger, clock.now)
    assert [(r.webhook, r.state, r.attempts, r.reason, r.failures) for r in rows] == [
        ("ops", "failed", 3, "HTTP 500", 7)
    ]
    assert rows[0].next_try_at == clock.now + timedelta(hours=1)

    hooks.failures.clear()
    clock.now = rows[0].next_try_at or clock.now
    done = deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), sender, "zh")[0]  # type: ignore[arg-type]
    assert (done.status, done.attempts) == ("sent", 1)
    assert [(r.state, r.attempts) for r in reminder_status(recorder.ledger, clock.now)] == [("sent", 1)]


def test_a_run_killed_while_sending_is_reported_and_tried_again_after_the_lease(
    tmp_path: Path, hooks: Hooks
) -> None:
    clock = Clock(NOON)
    recorder, config = _setup(tmp_path, hooks, clock)
    config.targets[1:] = []  # type: ignore[attr-defined]
    recorder.open_incident("spam", "刷屏", at=NOON - timedelta(hours=1))

    class Killed(BaseException):
        pass

    def killed(*_args: object) -> tuple[int, bytes]:
        raise Killed

    with pytest.raises(Killed):
        deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), Sender(post=killed), "zh")  # type: ignore[arg-type]
    assert [r.state for r in reminder_status(recorder.ledger, clock.now)] == ["sending"]
    clock.advance(minutes=5)
    assert (
        deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), Sender(), "zh")[0].status
        == "waiting"
    )  # type: ignore[arg-type]
    clock.advance(minutes=6)
    assert [r.state for r in reminder_status(recorder.ledger, clock.now)] == ["interrupted"]
    assert (
        deliver(recorder, config, attention(recorder.ledger, clock.now, "zh"), Sender(), "zh")[0].status
        == "sent"
    )  # type: ignore[arg-type]


def test_two_senders_at_once_send_each_reminder_once(tmp_path: Path, hooks: Hooks) -> None:
    """Two invocations, each with its own connection to the journal (as two processes have),
    start together against a slow server: every key reaches every webhook once."""
    clock = Clock(NOON)
    first, config = _setup(tmp_path, hooks, clock)
    for n in range(3):
        first.open_incident("spam", f"刷屏 {n}", at=NOON - timedelta(hours=1))
    second = _recorder(tmp_path, clock, Journal.open(tmp_path / "journal.sqlite3"))
    hooks.delay = 0.2
    start = threading.Barrier(2)
    results: dict[int, list[str]] = {}

    def run(number: int, recorder: Recorder) -> None:
        reminders = attention(recorder.ledger, clock.now, "zh")
        start.wait()
        outcomes = deliver(recorder, config, reminders, Sender(sleep=lambda _s: None), "zh")  # type: ignore[arg-type]
        results[number] = [o.status for o in outcomes]

    threads = [threading.Thread(target=run, args=(n, r)) for n, r in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(hooks.received) == 9  # 3 incidents × 3 webhooks
    paths_and_titles = [(r.path, json.dumps(r.json, ensure_ascii=False)) for r in hooks.received]
    assert len(set(paths_and_titles)) == 9
    statuses = sorted(results[0] + results[1])
    assert statuses.count("sent") == 9 and len(statuses) == 18
    assert set(statuses) <= {"sent", "waiting", "already sent"}


def test_a_dry_run_sends_and_records_nothing(tmp_path: Path, hooks: Hooks) -> None:
    clock = Clock(NOON)
    recorder, config = _setup(tmp_path, hooks, clock)
    recorder.open_incident("spam", "刷屏", at=NOON - timedelta(hours=1))
    count = recorder.journal.event_count()
    outcomes = deliver(
        recorder, config, attention(recorder.ledger, clock.now, "zh"), Sender(), "zh", dry_run=True
    )  # type: ignore[arg-type]
    assert [o.status for o in outcomes] == ["would send"] * 3
    assert "🚨 升级" in outcomes[0].text or "🚨" in outcomes[0].text
    assert hooks.received == [] and recorder.journal.event_count() == count


def test_the_notify_package_needs_no_journal_and_no_terminal() -> None:
    code = "import sys, soptui.notify\nprint(sorted(m.split('.')[0] for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    loaded = set(json.loads(result.stdout.replace("'", '"')))
    assert not loaded & {"sqlite3", "_sqlite3", "textual", "rich"}


def test_the_example_in_the_team_guide_is_a_valid_notify_toml(tmp_path: Path) -> None:
    guide = (REPO / "docs" / "team.md").read_text(encoding="utf-8")
    example = guide.split("<<'TOML'\n", 1)[1].split("\nTOML\n", 1)[0]
    config = load_notify(write_notify(tmp_path, example.replace("…", "x")))
    assert [(t.label, t.webhook.kind) for t in config.targets] == [
        ("运营群", "wecom"),
        ("值班群", "dingtalk"),
        ("管理群", "feishu"),
    ]
    assert config.targets[1].webhook.events == ["overdue", "escalation"]
    assert "*/5 * * * * SOPTUI_HOME=/srv/soptui/community soptui remind" in guide
