"""The user's settings (``config.toml``), read with tomllib and validated by the pydantic
model of :mod:`soptui.config_spec` (only when the file changed: see the validated cache).

Every setting is optional; soptui works with no configuration at all.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from soptui.i18n import _
from soptui.playbooks.cache import ValidatedCache
from soptui.playbooks.loader import _cached, _parse, _read
from soptui.playbooks.problems import Problem, dotted

Language = Literal["zh", "en"]


@dataclass
class Settings:
    """What an operator or a team may set in config.toml (each setting is documented in
    :class:`soptui.config_spec.Settings`, which validates the file)."""

    operator: str | None = None
    timezone: str | None = None
    language: Language | None = None
    playbooks: list[str] = field(default_factory=list)
    journal: str | None = None
    team: str | None = None
    enabled: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    severities: dict[str, str] = field(default_factory=dict)
    keymap: dict[str, str] = field(default_factory=dict)
    model_fields_set: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    """The settings the file states (the others are defaults), as pydantic calls it."""

    @classmethod
    def from_data(cls, stated: Mapping[str, Any]) -> Settings:
        """The settings a validated file states (JSON data), defaults for the rest."""
        return cls(**stated, model_fields_set=frozenset(stated))

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Settings:
        """A copy with ``update`` applied; its keys count as stated (as in pydantic)."""
        changes = dict(update or {})
        return replace(self, **changes, model_fields_set=self.model_fields_set | set(changes))


def load_settings(path: Path, cache: ValidatedCache | None = None) -> tuple[Settings, list[Problem]]:
    """Read config.toml; a missing file means defaults.

    One bad setting never costs the others: every key that is valid on its own is kept,
    and each invalid one becomes a problem (the caller says it was ignored). Only a file
    that cannot be read or is not TOML at all gives the defaults. With a ``cache``, a file
    that validated cleanly before and has not changed is not validated again (no pydantic).
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
    raw, value, problems = _cached(path, "Settings", cache)
    if problems:
        return Settings(), problems
    if isinstance(value, dict):
        try:
            return Settings.from_data(value), []
        except (TypeError, ValueError):
            pass  # an entry this soptui cannot use: validate the file again
    document, problems = _read(path, raw)  # refuses a FIFO or device without blocking on it
    if document is None:
        return Settings(), problems
    data, problems = _parse(document)
    if data is None:
        return Settings(), problems
    from soptui.config_spec import validated

    stated, problems = validated(data, document)
    if not problems and raw is not None and cache is not None:
        cache.put("Settings", raw.stamp, stated)
    return Settings.from_data(stated), problems


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
