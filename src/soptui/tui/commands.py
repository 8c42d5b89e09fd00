"""One command per thing a user asks for: its key binding and its command-palette entry.

A screen (or widget) declares its commands once, and its bindings from them::

    USER_COMMANDS = (
        Command("today.review", "r", "app.review", N_("review"), N_("The week's review")),
        Command("today.move-down", "j", "cursor_down", show=False, palette=False),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

so the footer, the ``[keymap]`` setting (which finds bindings by id, tui/keymap.py), the
help page and the palette cannot drift apart. The palette (ctrl+p) lists every palette
command of the screen in front, titled "<screen>: <label>" in the app's language, with the
keys in force after the keymap, and runs the very action the key runs.

The class attribute is ``USER_COMMANDS``, not ``COMMANDS``: Textual's ``App.COMMANDS`` and
``Screen.COMMANDS`` already name the palette's command providers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import actions
from textual.actions import ActionError
from textual.app import SystemCommand
from textual.binding import Binding, BindingsMap, BindingType, Keymap

from soptui.i18n import N_, Language, translations
from soptui.tui.plain import as_markup

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen

__all__ = [
    "GROUPS",
    "Command",
    "bindings_of",
    "keymap_of",
    "keys_by_id",
    "keys_for",
    "palette_commands",
    "with_keys",
]


@dataclass(frozen=True)
class Command:
    """One user intent: the keys that ask for it, the action that does it, and its words.

    ``label`` and ``help`` are English message ids (``N_``): the footer shows the label, its
    tooltip and the palette the help. ``show`` puts it in the footer; ``palette`` in the
    command palette (not movement keys, "back", or a dialog's own keys, which are on it).
    """

    id: str
    """``<group>.<name>``: the binding id a keymap uses; the group names it in the palette."""
    keys: str
    """The default keys, comma-separated (``"question_mark,f1"``)."""
    action: str
    """The Textual action the keys run (``"app.review"``, ``"close('done')"``)."""
    label: str = ""
    help: str = ""
    show: bool = True
    palette: bool = True
    priority: bool = False
    """A priority binding: it acts before the focused widget sees the key."""

    @property
    def group(self) -> str:
        """What the palette names before the label: ``today`` of ``today.review``."""
        return self.id.partition(".")[0]

    def binding(self) -> Binding:
        """The key binding (English words: ``localise_bindings`` translates each instance's copy)."""
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=self.show,
            priority=self.priority,
            tooltip=self.help,
            id=self.id,
        )


def bindings_of(commands: Iterable[Command]) -> list[BindingType]:
    """The ``BINDINGS`` of a class, in the order its commands are declared."""
    return [command.binding() for command in commands]


GROUPS: dict[str, str] = {
    "today": N_("Today"),
    "run": N_("Run"),
    "review": N_("Review"),
    "search": N_("Search"),
    "incidents": N_("Incidents"),
    "followups": N_("Follow-ups"),
    "preview": N_("Preview"),
    "groups": N_("Groups"),
}
"""The palette's name for each group of palette commands (the screen's name)."""

TITLE = N_("{group}: {command}")
KEYS_HINT = N_("{help} · key {keys}")


def keymap_of(app: App[Any]) -> Keymap:
    """The keymap in force (``App.set_keymap`` keeps it; Textual has no public reader)."""
    return app._keymap


def keys_by_id(bindings: Iterable[BindingType], keymap: Keymap) -> dict[str, list[str]]:
    """Each binding id's keys once ``keymap`` is applied, as Textual applies it: a remapped
    binding has its new keys, and a key it took is gone from the binding that had it."""
    table = BindingsMap(bindings)
    if keymap:
        table.apply_keymap(keymap)
    keys: dict[str, list[str]] = {}
    for key, binding in table:
        if binding.id is not None and key not in keys.setdefault(binding.id, []):
            keys[binding.id].append(key)
    return keys


def with_keys(language: Language, help_text: str, keys: list[str]) -> str:
    """A palette help line with the keys that do the same (markup-escaped)."""
    if not keys:
        return as_markup(help_text)
    words = translations(language).gettext(KEYS_HINT)
    return as_markup(words.format(help=help_text, keys=", ".join(keys)))


def _chain(app: App[Any], screen: Screen[object]) -> list[DOMNode]:
    """The nodes whose keys work on ``screen`` now: the focused widget up to the app."""
    focused = screen.focused
    return list(focused.ancestors_with_self) if focused is not None else [screen, app]


def _enabled(app: App[Any], screen: Screen[object], node: DOMNode, action: str) -> bool:
    """Whether the action's target allows it now (``check_action``; None, dimmed in the
    footer, does not run either)."""
    try:
        destination, name, parameters = actions.parse(action)
    except ActionError:
        return False
    targets: dict[str, DOMNode | None] = {"": node, "app": app, "screen": screen, "focused": screen.focused}
    target = targets.get(destination)
    return target is not None and bool(target.check_action(name, parameters))


def _palette_entries(app: App[Any], screen: Screen[object]) -> Iterator[tuple[DOMNode, Command, list[str]]]:
    """(node, command, display keys) of each command the palette may offer on ``screen`` now."""
    keymap = keymap_of(app)
    seen: set[str] = set()
    for node in _chain(app, screen):
        commands: tuple[Command, ...] = getattr(type(node), "USER_COMMANDS", ())
        if not commands:
            continue
        keys = keys_by_id(bindings_of(commands), keymap)
        for command in commands:
            if command.id in seen or not _enabled(app, screen, node, command.action):
                continue
            seen.add(command.id)
            shown = [app.get_key_display(Binding(key, command.action)) for key in keys.get(command.id, [])]
            yield node, command, shown


def palette_commands(app: App[Any], screen: Screen[object], language: Language) -> Iterator[SystemCommand]:
    """The palette entries of ``screen``'s commands (and its focused widget's, and the app's):
    "<group>: <label>", the help with the keys in force, and the key's own action."""
    words = translations(language).gettext
    for node, command, keys in _palette_entries(app, screen):
        if not command.palette:
            continue
        title = words(TITLE).format(group=words(GROUPS[command.group]), command=words(command.label))
        run = partial(app.run_action, command.action, node, {"screen": screen})
        yield SystemCommand(
            as_markup(title), with_keys(language, words(command.help or command.label), keys), run
        )


def keys_for(app: App[Any], screen: Screen[object], action: str) -> list[str]:
    """The keys that run ``action`` on ``screen`` now (for palette entries the app lists by
    hand, such as the notices): empty when no command of the screen runs it."""
    for _node, command, keys in _palette_entries(app, screen):
        if command.action == action:
            return keys
    return []
