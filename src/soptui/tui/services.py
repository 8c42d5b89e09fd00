"""What the app needs from the rest of soptui, passed in so tests can build their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from soptui.drafts import Drafts
from soptui.i18n import Language, t
from soptui.ledger import Ledger
from soptui.playbooks.library import Library, Source
from soptui.recorder import Recorder


@dataclass
class Services:
    """The recorder (the write side, wrapping the ledger: journal + library), language, clock
    and where files go. Screens read through :attr:`ledger` and act through :attr:`recorder`."""

    recorder: Recorder
    language: Language
    reports_dir: Path
    warnings: list[str]
    drafts: Drafts = field(default_factory=lambda: Drafts(None))
    demo: bool = False
    """A throwaway demo journal: the headers say so."""
    snippet_values: dict[str, dict[str, str]] = field(default_factory=dict)
    """What was typed into snippet placeholders, by run id: the next copy in the run pre-fills it."""
    sources: list[Source] = field(default_factory=list)
    """The playbook search path: the app reloads the library when its files change."""
    severities: dict[str, str] = field(default_factory=dict)
    """What each incident severity means, as the config says (soptui.severities has the defaults)."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Other keys for bindings, by binding id (the config's checked ``[keymap]``)."""

    @property
    def ledger(self) -> Ledger:
        return self.recorder.ledger

    @property
    def library(self) -> Library:
        return self.recorder.library

    @property
    def zone(self) -> ZoneInfo:
        return self.recorder.zone

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.recorder.clock

    @property
    def operator(self) -> str:
        return self.recorder.identity.operator

    def now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def t(self, key: str, **values: object) -> str:
        return t(self.language, key, **values)
