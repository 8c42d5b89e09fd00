"""The user's settings (``config.toml``): a pydantic model, read with tomllib.

Every setting is optional; soptui works with no configuration at all.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from soptui.i18n import _
from soptui.playbooks.loader import _parse, _read, _validate
from soptui.playbooks.problems import Problem, dotted

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
    enabled: list[str] = []
    """Bundled playbooks to show, by id or tag (e.g. ["starter"]); empty: every bundled playbook."""
    disabled: list[str] = []
    """Bundled playbooks to hide, by id or tag; wins over ``enabled``. Other directories are
    never filtered."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    _("unknown time zone {value!r}; use an IANA name such as Asia/Shanghai").format(
                        value=value
                    )
                ) from None
        return value


def load_settings(path: Path) -> tuple[Settings, list[Problem]]:
    """Read config.toml; a missing file means defaults.

    One bad setting never costs the others: every key that is valid on its own is kept,
    and each invalid one becomes a problem (the caller says it was ignored). Only a file
    that cannot be read or is not TOML at all gives the defaults.
    """
    try:
        path.stat()
    except FileNotFoundError:
        return Settings(), []
    except OSError as error:  # e.g. a directory on the way that this user cannot search
        return Settings(), [
            Problem(
                path, 1, 1, _("cannot read the settings: {strerror}").format(strerror=error.strerror or error)
            )
        ]
    document, problems = _read(path)  # refuses a FIFO or device without blocking on it
    if document is None:
        return Settings(), problems
    data, problems = _parse(document)
    if data is None:
        return Settings(), problems
    settings, problems = _validate(Settings, data, document)
    if settings is not None:
        return settings, problems
    kept = {key: value for key, value in data.items() if _valid_alone(key, value)}
    try:
        return Settings.model_validate(kept), problems
    except ValidationError:  # no setting depends on another today; be safe if one ever does
        return Settings(), problems


def _valid_alone(key: str, value: Any) -> bool:
    try:
        Settings.model_validate({key: value})
    except ValidationError:
        return False
    return True


def setting_problem(path: Path, key: tuple[str | int, ...], message: str) -> Problem:
    """A problem with the setting ``key`` of the config file ``path``, placed at its line."""
    document, _ = _read(path)
    if document is None:
        return Problem(path, 1, 1, message, dotted(key))
    return document.at(key, message)


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
