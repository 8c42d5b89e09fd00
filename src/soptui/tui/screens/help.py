"""Help for the screen in front of you, generated from its key bindings so it cannot drift.

Each row is one action: the keys come from the screen's ``BINDINGS`` (its commands, see
tui/commands.py) with the ``[keymap]`` applied, as the footer shows them; the words from the
translation catalogue under ``help.<binding id>``. A binding without words is a bug the
tests catch (tests/test_help.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown

from soptui.i18n import Language, t
from soptui.markdown import escape_md
from soptui.tui.commands import Command, bindings_of, keymap_of, keys_by_id
from soptui.tui.words import N_, localise_bindings

KEY_NAMES = {
    "space": "space",
    "enter": "enter",
    "escape": "esc",
    "question_mark": "?",
    "exclamation_mark": "!",
    "slash": "/",
    "down": "↓",
    "up": "↑",
    "left": "←",
    "right": "→",
}


def key_display(key: str) -> str:
    """How the footer writes a key: ``^r`` for ctrl+r, ``?`` for question_mark."""
    if key.startswith("ctrl+"):
        return "^" + key.removeprefix("ctrl+")
    return KEY_NAMES.get(key, key)


def screen_kind(screen: Screen[object]) -> str:
    """The help page's name: today, run, incident, review."""
    from soptui.tui.screens.run import RunScreen

    if isinstance(screen, RunScreen):
        return "incident" if screen.state.is_incident else "run"
    return type(screen).__name__.removesuffix("Screen").lower()


def help_rows(
    bindings: list[Binding], language: Language, in_force: Mapping[str, list[str]] | None = None
) -> list[tuple[str, str]]:
    """(keys, what they do), one row per action, in the order the screen declares them;
    ``in_force`` has each binding id's keys when a keymap changed them."""
    rows: dict[str, tuple[list[str], str]] = {}
    for binding in bindings:
        if binding.id is None or binding.id.startswith("hidden."):
            continue
        # run.tick1…run.tick9, run.resolve-ctrl, run.move-up: one row per action
        group = binding.id.rstrip("0123456789").split("-")[0]
        declared = [k.strip() for k in binding.key.split(",")]
        keys = [key_display(k) for k in (in_force or {}).get(binding.id, declared)]
        if not keys:  # every key went to another binding: nothing to show
            continue
        if group in rows:
            rows[group][0].extend(k for k in keys if k not in rows[group][0])
        else:
            rows[group] = (keys, t(language, f"help.{group}"))
    shown = []
    for keys, words in rows.values():
        if len(keys) > 3 and all(k.isdigit() for k in keys):
            keys = [f"{keys[0]}–{keys[-1]}"]
        shown.append((", ".join(keys), words))
    return shown


def help_markdown(screen: Screen[object], language: Language) -> str:
    kind = screen_kind(screen)
    bindings = [
        b
        for b in type(screen).BINDINGS
        if isinstance(b, Binding) and screen.check_action(b.action.split("(")[0], ()) is not False
    ]
    lines = [
        f"# {escape_md(t(language, f'help-title.{kind}'))}",
        "",
        escape_md(t(language, f"help-intro.{kind}")),
        "",
        f"| {t(language, 'help-key')} | {t(language, 'help-action')} |",
        "|---|---|",
    ]
    keymap = keymap_of(screen.app)
    in_force = keys_by_id(bindings, keymap) if keymap else None
    rows = help_rows(bindings, language, in_force)
    lines += [f"| {escape_md(keys)} | {escape_md(words)} |" for keys, words in rows]
    lines += [
        f"| ^p | {escape_md(t(language, 'help.palette'))} |",
        "",
        escape_md(t(language, "help-marks")),
        "",
        escape_md(t(language, "help-close")),
    ]
    return "\n".join(lines) + "\n"


class HelpScreen(ModalScreen[None]):
    """The keys of the screen it was opened from, and what they do."""

    USER_COMMANDS = (
        Command("help.close", "escape,q,enter,question_mark", "app.pop_screen", N_("close"), palette=False),
    )
    BINDINGS = bindings_of(USER_COMMANDS)

    def __init__(self, language: Language, screen: Screen[object]) -> None:
        super().__init__()
        localise_bindings(self)
        self.language = language
        self.text = help_markdown(screen, language)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Markdown(self.text)
