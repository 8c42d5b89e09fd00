"""A reminder, and its message body as each chat platform documents it.

Message formats (checked against the platforms' documentation and public examples of it):

- WeCom group robot (企业微信群机器人, developer.work.weixin.qq.com/document/path/91770):
  ``{"msgtype": "markdown", "markdown": {"content": "..."}}``; content at most 4096 bytes of
  UTF-8; a subset of Markdown (headings, bold, links, quotes, inline code) plus
  ``<font color="info|comment|warning">`` and ``<@userid>`` mentions.
- DingTalk custom robot (钉钉自定义机器人, open.dingtalk.com/document/orgapp/custom-robot-access):
  ``{"msgtype": "markdown", "markdown": {"title": "...", "text": "..."}}``; the title is what
  the notification preview shows; ``@mobile`` in the text mentions someone only when the
  body's ``at`` lists them (soptui sends no ``at``).
- Feishu/Lark custom bot (飞书自定义机器人, open.feishu.cn/document/client-docs/bot-v3/add-custom-bot):
  ``{"msg_type": "text", "content": {"text": "..."}}``; plain text in which
  ``<at user_id="...">`` tags mention people.

Text from playbooks, notes and the roster is data: before it goes into any body, every
character a platform could read as markup (links, emphasis, code, HTML-like tags and so
``<@userid>`` and ``<at>`` mentions, entities, escapes, and at the start of a line headings,
quotes and lists) becomes its full-width twin, which reads the same to a person, and ``://``
loses its ASCII colon, so no address becomes a link. What is harmless stays as typed, so a
command such as ``soptui done spam contain --run spam#3fa9`` can still be copied: ``#`` and
``-`` inside a line, ``~`` alone, ``_`` inside a word, and ``@`` (DingTalk mentions only the
numbers a body's ``at`` lists, and soptui sends none). Control characters are dropped and
each piece is one line of bounded length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from soptui.i18n import N_, Language, t
from soptui.notify.config import Platform, ReminderKind
from soptui.text import strip_unsafe

MAX_PIECE_CHARS = 200
MAX_LINES = 12
MAX_CONTENT_BYTES = 4000
"""WeCom refuses markdown content over 4096 bytes; the others allow more. One limit for all."""
FOOTER = "soptui"
"""Ends every message: a DingTalk or Feishu robot with a "custom keyword" security setting
accepts soptui's messages when that keyword is ``soptui``."""

MARKS: dict[str, str] = {"due": "⏰", "overdue": "❗", "journey": "📅", "escalation": "🚨", "followup": "📌"}
OWNER = N_("Owner: {owner}")

_TWINS = str.maketrans(
    {
        "*": "＊",
        "`": "｀",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "&": "＆",
        "\\": "＼",
        "|": "｜",
    }
)
_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_TILDES = re.compile(r"~(?=~)|(?<=~)~")
_LINE_START = str.maketrans({"#": "＃", "-": "－", "+": "＋", "=": "＝"})
_NUMBERED = re.compile(r"^(\d+)([.)])")
_SPACES = re.compile(r"\s+")


@dataclass
class Reminder:
    """One thing that needs attention, ready to send: plain text in the team's language."""

    key: str
    """Stable idempotency key, e.g. ``overdue:morning-round:2026-12-02``: a webhook gets each
    key at most once."""
    kind: ReminderKind
    title: str
    lines: list[str] = field(default_factory=list)
    """What it is about and what to do, one plain-text line each."""
    owner: str | None = None
    """Who should act (names from the roster), or None when the roster does not say."""


def neutral(text: str, limit: int = MAX_PIECE_CHARS) -> str:
    """``text`` as one line that no chat platform reads as markup (see the module's docstring)."""
    flat = _SPACES.sub(" ", strip_unsafe(text)).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    flat = flat.translate(_TWINS).replace("://", "：//")
    flat = _TILDES.sub("～", _UNDERSCORE.sub("＿", flat))
    # What only counts at the start of a line: headings, lists, rules, numbered lists.
    flat = flat[:1].translate(_LINE_START) + flat[1:]
    return _NUMBERED.sub(lambda m: m[1] + ("．" if m[2] == "." else "）"), flat)


def _pieces(reminder: Reminder, language: Language) -> tuple[str, list[str], str | None]:
    """The title, lines and owner line, neutralised, within the limits."""
    title = f"{MARKS.get(reminder.kind, '')} {neutral(reminder.title)}".strip()
    lines = [neutral(line) for line in reminder.lines[:MAX_LINES] if line.strip()]
    owner = t(language, OWNER, owner=neutral(reminder.owner)) if reminder.owner else None
    return title, lines, owner


def plain_text(reminder: Reminder, language: Language) -> str:
    """The reminder as plain text (Feishu's text message, and what ``--dry-run`` shows)."""
    title, lines, owner = _pieces(reminder, language)
    return _fit([title, *lines, *([owner] if owner else []), f"— {FOOTER}"], "\n")


def markdown_text(reminder: Reminder, language: Language, platform: Platform) -> str:
    """The reminder as WeCom's or DingTalk's Markdown. DingTalk needs a blank line between
    paragraphs; WeCom keeps single line breaks."""
    title, lines, owner = _pieces(reminder, language)
    gap = "\n\n" if platform == "dingtalk" else "\n"
    if platform == "wecom":
        tail = [f'<font color="comment">{owner}</font>'] if owner else []
        tail.append(f'<font color="comment">{FOOTER}</font>')
    else:
        tail = [*([f"> {owner}"] if owner else []), FOOTER]
    return _fit([f"### {title}", *lines, *tail], gap)


def _fit(parts: list[str], gap: str) -> str:
    """Join ``parts``, dropping lines before the last two (owner and footer) to stay within
    MAX_CONTENT_BYTES."""
    text = gap.join(parts)
    body = list(parts)
    while len(text.encode()) > MAX_CONTENT_BYTES and len(body) > 3:
        del body[-3]
        text = gap.join([*body[:-2], "…", *body[-2:]])
    return text


def message_body(reminder: Reminder, platform: Platform, language: Language) -> dict[str, Any]:
    """The JSON body the platform's robot takes (before any signature fields)."""
    if platform == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown_text(reminder, language, platform)}}
    if platform == "dingtalk":
        title, _lines, _owner = _pieces(reminder, language)
        return {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": markdown_text(reminder, language, platform)},
        }
    return {"msg_type": "text", "content": {"text": plain_text(reminder, language)}}
