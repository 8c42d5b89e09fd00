"""The app's key bindings in the active language (footers, tooltips, the command palette)."""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding
from textual.dom import DOMNode

from soptui.i18n import N_, _

__all__ = ["N_", "localise_bindings"]


def localise_bindings(node: DOMNode) -> None:
    """Translate the descriptions and tooltips of ``node``'s own copy of its bindings.

    ``BINDINGS`` are class-level English message ids; each instance gets its copy when built,
    so the app translates that copy into the language active at the time (zh and en may
    alternate in one process, e.g. in tests).
    """
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [_localised(binding) for binding in bindings]


def _localised(binding: Binding) -> Binding:
    return replace(
        binding,
        description=_(binding.description) if binding.description else binding.description,
        tooltip=_(binding.tooltip) if binding.tooltip else binding.tooltip,
    )
