"""Incident severities: what P1, P2 and P3 mean (domain: no terminal library, no SQL).

Which levels an incident playbook offers is the playbook's own ``severities`` (P1, P2, P3 unless
it says otherwise, most severe first). What each level *means* is the team's agreement, set in
``config.toml`` (the team's wins over a member's)::

    [severities]
    P1 = "核心服务或大量成员受影响：立即处理，通知负责人"
    P2 = "…"

Levels the config does not mention keep the defaults below (P1, P2 and P3, in the app's
language); a level with neither has no meaning shown. See docs/team.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from soptui.i18n import N_, _
from soptui.text import has_unsafe

MAX_NAME = 20
MAX_MEANING = 120
MAX_LEVELS = 10

DEFAULT_MEANINGS: dict[str, str] = {
    "P1": N_(
        "many members or a core service affected, or safety, legal or major-loss risk: act now, tell the lead"
    ),
    "P2": N_("spreading, or affecting several groups or members, still contained: act within the hour"),
    "P3": N_("one member or one group, not spreading: handle it today"),
}
"""The meanings of the default levels, consistent with the bundled incident playbooks."""


def checked_name(value: str) -> str:
    """``value`` if it can name a severity level (ValueError saying why not otherwise)."""
    if not 1 <= len(value) <= MAX_NAME or any(c.isspace() for c in value) or has_unsafe(value):
        raise ValueError(
            _("a severity is a short name without spaces (at most {value} characters), e.g. P1").format(
                value=MAX_NAME
            )
        )
    return value


def checked_meaning(value: str) -> str:
    """``value`` stripped, if it can say what a level means (ValueError otherwise)."""
    text = value.strip()
    if not text or "\n" in text or has_unsafe(text):
        raise ValueError(_('a severity\'s meaning is one line of text, e.g. P1 = "act now"'))
    if len(text) > MAX_MEANING:
        raise ValueError(
            _("a severity's meaning is at most {value} characters (this one has {count})").format(
                value=MAX_MEANING, count=len(text)
            )
        )
    return text


def a_table(value: object) -> object:
    """``value`` if it is a table (ValueError saying how to write one otherwise)."""
    if not isinstance(value, dict):
        raise ValueError(_('write the severities as a table: [severities] then one line each, P1 = "…"'))
    return value


def check_levels(levels: dict[str, str]) -> dict[str, str]:
    """``levels`` when there are not too many of them (ValueError otherwise)."""
    if len(levels) > MAX_LEVELS:
        raise ValueError(
            _("at most {value} severities (this has {count})").format(value=MAX_LEVELS, count=len(levels))
        )
    return levels


def meaning(level: str, configured: Mapping[str, str]) -> str | None:
    """What ``level`` means: the configured words, else the default's (in the active language)."""
    if level in configured:
        return configured[level]
    default = DEFAULT_MEANINGS.get(level)
    return _(default) if default else None


def described(levels: Sequence[str], configured: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Each level with its meaning (None when it has none), in the given order."""
    return [(level, meaning(level, configured)) for level in levels]


def listed(levels: Sequence[str], configured: Mapping[str, str]) -> str:
    """The levels for a message: ``P1 (act now) · P2 (…) · P3``."""
    parts = []
    for level, words in described(levels, configured):
        parts.append(_("{level} ({meaning})").format(level=level, meaning=words) if words else level)
    return " · ".join(parts)


def resolve(value: str, levels: Sequence[str]) -> str | None:
    """The level ``value`` names: exactly, else ignoring case (``p1`` is P1); None if none."""
    if value in levels:
        return value
    folded = [level for level in levels if level.casefold() == value.strip().casefold()]
    return folded[0] if len(folded) == 1 else None
