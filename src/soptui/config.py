"""The user's settings (``config.toml``): a pydantic model, read with tomllib.

Every setting is optional; soptui works with no configuration at all.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from soptui.playbooks.loader import load_model
from soptui.playbooks.problems import Problem

Language = Literal["zh", "en"]


class Settings(BaseModel):
    """What an operator or a team may set in config.toml."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    operator: str | None = Field(default=None, min_length=1, max_length=64)
    """Name recorded with each action; defaults to SOPTUI_OPERATOR, else the login name."""
    timezone: str | None = None
    """The team's IANA time zone (e.g. "Asia/Shanghai"); defaults to the system's."""
    language: Language | None = None
    """Language of the bundled playbooks and the app: "zh" or "en"; defaults from the locale."""
    playbooks: list[str] = []
    """Extra playbook directories, searched after the user's own."""
    journal: str | None = None
    """The journal file; SOPTUI_JOURNAL and --journal take precedence."""
    team: str | None = None
    """A shared team directory (see `soptui team init`); SOPTUI_HOME takes precedence."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai"
                ) from None
        return value


def load_settings(path: Path) -> tuple[Settings, list[Problem]]:
    """Read config.toml; a missing file means defaults, a bad one means problems."""
    if not path.is_file():
        return Settings(), []
    settings, problems = load_model(path, Settings)
    return (settings or Settings()), problems


def merged(base: Settings, override: Settings) -> Settings:
    """``base`` with every setting ``override`` states explicitly."""
    return base.model_copy(update={k: getattr(override, k) for k in override.model_fields_set})


def language_from_locale(env: Mapping[str, str] | None = None) -> Language:
    """Chinese when the locale says zh, else English."""
    env = os.environ if env is None else env
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    current = locale.getlocale()[0] or ""
    return "zh" if current.lower().startswith("zh") else "en"
