"""``notify.toml``: the team's chat webhooks, read and checked like a playbook.

The file holds webhook addresses and signing secrets, which let anyone post into the team's
chat: it is refused when everyone on the machine may read or change it, and its addresses and
secrets are never shown. They are kept as :class:`pydantic.SecretStr` (whose ``repr`` and
``str`` are stars); a webhook is named by its ``name``, else ``webhook 2 (wecom)``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

from soptui.i18n import _
from soptui.playbooks.fields import parse_duration, parse_time_of_day
from soptui.playbooks.loader import load_checked
from soptui.playbooks.positions import Path as KeyPath
from soptui.team import trust_problems

NOTIFY_NAME = "notify.toml"

Platform = Literal["wecom", "dingtalk", "feishu"]
ReminderKind = Literal["due", "overdue", "journey", "escalation", "followup"]
REMINDER_KINDS: tuple[ReminderKind, ...] = ("due", "overdue", "journey", "escalation", "followup")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

Label = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f\x7f]+$")]


def _minutes(value: object) -> timedelta:
    return parse_duration(value, max_days=1)


class NotifyError(Exception):
    """notify.toml is missing, unreadable, too open or invalid: one message for a person, which
    never holds a webhook's address or secret."""


class Webhook(BaseModel):
    """One group robot: where reminders go."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, hide_input_in_errors=True
    )

    kind: Platform
    """wecom (企业微信群机器人), dingtalk (钉钉自定义机器人) or feishu (飞书/Lark 自定义机器人)."""
    url: SecretStr
    """The robot's webhook address, as the platform shows it (https://…). Never printed."""
    secret: SecretStr | None = None
    """DingTalk's signing secret (SEC…) or Feishu's signature secret, when the robot has one."""
    events: list[ReminderKind] = Field(default_factory=lambda: list(REMINDER_KINDS))
    """Which reminders this robot gets: due, overdue, journey, escalation, followup (default: all)."""
    name: Label | None = None
    """A short name used in soptui's output and journal instead of the address, e.g. "ops-group"."""

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: SecretStr) -> SecretStr:
        # The messages below never repeat the value: it is a credential.
        text = value.get_secret_value()
        try:
            parts = urlsplit(text)
        except ValueError:
            raise ValueError(_("not a web address")) from None
        if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text) or not parts.hostname:
            raise ValueError(_("not a web address"))
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
            return value
        raise ValueError(_("must be an https:// address (http:// only for 127.0.0.1 or localhost)"))

    @field_validator("secret")
    @classmethod
    def _one_line(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            text = value.get_secret_value()
            if not text or text != text.strip() or any(ord(ch) < 0x20 for ch in text):
                raise ValueError(_("must be the secret on one line, without spaces around it"))
        return value

    @field_validator("events")
    @classmethod
    def _some_events(cls, value: list[ReminderKind]) -> list[ReminderKind]:
        if not value:
            raise ValueError(_("name at least one kind of reminder, or leave events out for all"))
        return list(dict.fromkeys(value))


class NotifyFile(BaseModel):
    """notify.toml: the team's chat robots and when reminders are sent."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, hide_input_in_errors=True
    )

    due_within: Annotated[timedelta, BeforeValidator(_minutes)] = timedelta(minutes=30)
    """How long before a due time a routine is announced as coming due, e.g. "30m"."""
    day_starts: Annotated[time, BeforeValidator(parse_time_of_day)] = time(9, 0)
    """Things due on a whole day (a routine due at the end of a day, a journey step without a
    time, a follow-up) are announced from this time of that day, "HH:MM"."""
    webhooks: list[Webhook] = Field(default_factory=list, max_length=20)
    """The robots, each a [[webhooks]] table."""


@dataclass(frozen=True)
class Target:
    """A webhook with the label that names it everywhere (output, journal)."""

    webhook: Webhook
    label: str

    def wants(self, kind: str) -> bool:
        return kind in self.webhook.events


@dataclass(frozen=True)
class NotifyConfig:
    path: Path
    settings: NotifyFile
    targets: list[Target]


def label_of(webhook: Webhook, index: int) -> str:
    """``name``, else ``webhook 2 (wecom)`` (1-based, in file order). Stable across languages:
    the journal names a webhook by it, so that nothing is sent twice."""
    return webhook.name or f"webhook {index + 1} ({webhook.kind})"


def notify_file(team_dir: Path | None, config_dir: Path) -> Path | None:
    """The notify.toml in use: the team directory's (beside the team's config.toml), else the
    user's config directory's; None when neither has one."""
    for directory in (team_dir, config_dir):
        if directory is None:
            continue
        candidate = directory / NOTIFY_NAME
        if os.path.lexists(candidate):
            return candidate
    return None


def openness_problem(path: Path, team_gid: int | None) -> str | None:
    """Why ``path`` may not hold webhook secrets: readable or writable by everyone, or (in a team
    directory) a symbolic link or a file of someone outside the team. None when it may."""
    if team_gid is not None:
        problems = trust_problems(path, team_gid)
        if problems:
            return "; ".join(problems)
    try:
        info = path.stat()
    except OSError as error:
        return _("{path}: cannot read: {reason}").format(path=path, reason=error.strerror or error)
    mode = stat.S_IMODE(info.st_mode)
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        return _(
            "{path} holds webhook addresses and secrets but everyone on this machine may read or "
            "change it (mode {mode:o}); run: chmod o-rwx {path}"
        ).format(path=path, mode=mode)
    return None


def load_notify(path: Path, team_gid: int | None = None) -> NotifyConfig:
    """Read and check ``path``; :class:`NotifyError` names the file and, for a bad value, its
    line, column and key (never the value of ``url`` or ``secret``)."""
    problem = openness_problem(path, team_gid)
    if problem:
        raise NotifyError(problem)
    settings, problems = load_checked(path, NotifyFile, _rules)
    if settings is None or problems:
        raise NotifyError(
            _("{path} cannot be used:").format(path=path) + "".join(f"\n  {problem}" for problem in problems)
        )
    targets = [Target(webhook, label_of(webhook, i)) for i, webhook in enumerate(settings.webhooks)]
    return NotifyConfig(path, settings, targets)


def _rules(file: NotifyFile) -> list[tuple[KeyPath, str]]:
    found: list[tuple[KeyPath, str]] = []
    if not file.webhooks:
        found.append(((), _("no [[webhooks]]: add one with kind and url (docs/team.md)")))
    seen: dict[str, int] = {}
    for index, webhook in enumerate(file.webhooks):
        label = label_of(webhook, index)
        if label in seen:
            found.append(
                (
                    ("webhooks", index, "name"),
                    _("the name {name!r} is already used by webhook {number}").format(
                        name=label, number=seen[label] + 1
                    ),
                )
            )
        seen.setdefault(label, index)
    return found


def find_notify(team_dir: Path | None, config_dir: Path, team_gid: int | None) -> NotifyConfig:
    """The configuration in use, checked; :class:`NotifyError` when there is none or it is bad."""
    path = notify_file(team_dir, config_dir)
    if path is None:
        where: Sequence[Path] = [d / NOTIFY_NAME for d in (team_dir, config_dir) if d is not None]
        raise NotifyError(
            _("no notify.toml: write one with the team's chat webhooks at {paths} (see docs/team.md)").format(
                paths=_(" or ").join(str(p) for p in where)
            )
        )
    in_team = team_dir is not None and path.parent == team_dir
    return load_notify(path, team_gid if in_team else None)
