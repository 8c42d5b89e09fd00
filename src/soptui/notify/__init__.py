"""Reminders in the team's chat: notify.toml, message bodies, signing and sending.

Domain and transport only: no terminal library and no journal here (what was sent is recorded
by :mod:`soptui.reminders`, which uses this package).
"""

from soptui.notify.config import (
    NOTIFY_NAME,
    REMINDER_KINDS,
    NotifyConfig,
    NotifyError,
    Platform,
    ReminderKind,
    Target,
    Webhook,
    find_notify,
    load_notify,
    notify_file,
)
from soptui.notify.message import Reminder, markdown_text, message_body, neutral, plain_text
from soptui.notify.transport import Delivery, Sender, dingtalk_sign, feishu_sign, http_post, prepare

__all__ = [
    "NOTIFY_NAME",
    "REMINDER_KINDS",
    "Delivery",
    "NotifyConfig",
    "NotifyError",
    "Platform",
    "Reminder",
    "ReminderKind",
    "Sender",
    "Target",
    "Webhook",
    "dingtalk_sign",
    "feishu_sign",
    "find_notify",
    "http_post",
    "load_notify",
    "markdown_text",
    "message_body",
    "neutral",
    "notify_file",
    "plain_text",
    "prepare",
]
