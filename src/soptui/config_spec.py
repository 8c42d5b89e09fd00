"""config.toml as a pydantic model: what validates a settings file.

Only :func:`soptui.config.load_settings` imports this module, and only when a settings file
must be validated (it changed, or is not in the validated cache): the rest of soptui reads
the plain :class:`soptui.config.Settings`. Keep the fields of the two in step (a test
compares them); the field documentation lives here.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from soptui.config import Language
from soptui.i18n import _
from soptui.playbooks.loader import _Document, _validate
from soptui.playbooks.problems import Problem
from soptui.severities import a_table, check_levels, checked_meaning, checked_name

SeverityName = Annotated[str, AfterValidator(checked_name)]
"""A severity level's name in config: P1, S2, 紧急… (no spaces, at most 20 characters)."""
SeverityMeaning = Annotated[str, AfterValidator(checked_meaning)]
"""What a level means: one line, at most 120 characters."""
KeymapId = Annotated[str, Field(min_length=1, max_length=64)]
"""A binding's id, e.g. ``today.review``."""
KeymapKeys = Annotated[str, Field(min_length=1, max_length=100)]
"""A key, or several separated by commas: ``v``, ``ctrl+r,f5``."""


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
    severities: Annotated[
        dict[SeverityName, SeverityMeaning], BeforeValidator(a_table), AfterValidator(check_levels)
    ] = {}
    """What each incident severity means, one line each: ``[severities]`` then ``P1 = "…"``;
    P1, P2 and P3 have defaults in the app's language. A playbook's ``severities`` says which
    levels it offers."""
    keymap: dict[KeymapId, KeymapKeys] = {}
    """Other keys for the app's bindings, by binding id: ``[keymap]`` then
    ``"today.review" = "v"`` (several keys: ``"v,ctrl+r"``). docs/keys.md lists the ids; an
    unknown id or key is ignored, with a warning."""

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


def validated(data: dict[str, Any], document: _Document) -> tuple[dict[str, Any], list[Problem]]:
    """The settings ``data`` states that are valid (as JSON data), and a problem for each
    one that is not."""
    stated, problems = _stated(data, document)
    return stated.model_dump(mode="json", exclude_unset=True), problems


def _stated(data: dict[str, Any], document: _Document) -> tuple[Settings, list[Problem]]:
    settings, problems = _validate(Settings, data, document)
    if settings is not None:
        return settings, problems
    kept = {key: value for key, value in data.items() if _valid_alone(key, value)}
    for key, value in data.items():
        if key not in kept and isinstance(value, dict):  # a table ([severities]): keep its good entries
            entries = {name: item for name, item in value.items() if _valid_alone(key, {name: item})}
            if entries and _valid_alone(key, entries):
                kept[key] = entries
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
