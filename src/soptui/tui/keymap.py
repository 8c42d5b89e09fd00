"""The ``[keymap]`` setting: other keys for the app's bindings, by binding id.

Every binding of the app and its screens has an id (``today.review``, ``run.done`` …; the
list is in docs/keys.md, and :func:`binding_ids` gives it). ``config.toml`` may give any
of them other keys::

    [keymap]
    "today.review" = "v"
    "run.done" = "space,enter"

Textual applies the keymap (``App.set_keymap``). An unknown id, or a key Textual cannot
name, is left out with a warning placed at its line in the config file; it never stops the
app. The check imports every screen, so it runs only when a keymap is set.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from pathlib import Path

from textual.binding import Binding
from textual.keys import Keys, key_to_character

from soptui.config import setting_problem
from soptui.i18n import _
from soptui.playbooks.problems import Problem

MODULES = (
    "soptui.tui.app",
    "soptui.tui.groups",
    "soptui.tui.widgets",
    "soptui.tui.screens.today",
    "soptui.tui.screens.run",
    "soptui.tui.screens.review",
    "soptui.tui.screens.find",
    "soptui.tui.screens.incidents",
    "soptui.tui.screens.followups",
    "soptui.tui.screens.preview",
    "soptui.tui.screens.help",
    "soptui.tui.screens.modals",
    "soptui.tui.screens.small",
)
"""The modules whose classes hold the app's bindings."""
MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED = frozenset(key.value.rpartition("+")[2] for key in Keys) | {"space", "enter", "tab"}


def bindings() -> dict[str, Binding]:
    """Every binding with an id, by id (the first class that defines an id wins)."""
    found: dict[str, Binding] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for item in vars(cls).get("BINDINGS", []):
                if isinstance(item, Binding) and item.id:
                    found.setdefault(item.id, item)
    return found


def binding_ids() -> list[str]:
    """The ids a keymap may use, sorted."""
    return sorted(bindings())


def bad_key(key: str) -> bool:
    """Whether ``key`` is not something Textual can bind: ``v``, ``ctrl+r``, ``f5``,
    ``question_mark``, ``?`` are keys; ``ctlr+r``, ``ctrl+``, ``""`` are not."""
    *modifiers, base = key.split("+")
    if not base or any(m not in MODIFIERS for m in modifiers):
        return True
    if len(base) == 1:
        return not base.isprintable() or base.isspace() or base == ","
    return base not in _NAMED and key_to_character(base) is None


def checked_keymap(keymap: Mapping[str, str], source: Path | None) -> tuple[dict[str, str], list[Problem]]:
    """The entries of ``keymap`` the app can use, and a warning for each other one, placed at
    its key in ``source`` (the config file that set the keymap)."""
    known = bindings()
    usable: dict[str, str] = {}
    problems: list[Problem] = []

    def warn(binding_id: str, message: str) -> None:
        if source is None:
            problems.append(Problem(Path("config.toml"), 1, 1, message, f"keymap.{binding_id}", "warning"))
            return
        found = setting_problem(source, ("keymap", binding_id), message)
        problems.append(Problem(found.file, found.line, found.column, message, found.key, "warning"))

    for binding_id, keys in keymap.items():
        if binding_id not in known:
            warn(binding_id, _("unknown binding id {id!r} (see docs/keys.md); ignored").format(id=binding_id))
            continue
        wrong = [key for key in (part.strip() for part in keys.split(",")) if bad_key(key)]
        if wrong:
            warn(
                binding_id,
                _("{keys} is not a key (e.g. v, ctrl+r, f5, question_mark); ignored").format(
                    keys=", ".join(repr(key) for key in wrong)
                ),
            )
            continue
        usable[binding_id] = ",".join(part.strip() for part in keys.split(","))
    return usable, problems
