"""Everything one soptui invocation needs, built once from paths, settings and options.

The CLI builds a :class:`Context`; commands and the app take what they need from it.
Nothing here runs at import time.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from soptui.config import Language, Settings, language_from_locale, load_settings, merged
from soptui.errors import CommandError, UsageError
from soptui.journal import Journal, JournalError
from soptui.paths import Paths, resolve_paths
from soptui.playbooks.library import Library, Source, bundled_source, load_library
from soptui.playbooks.problems import Problem
from soptui.recorder import Identity, Recorder
from soptui.team import TeamLayout, check_team

__all__ = ["CommandError", "Context", "UsageError", "make_recorder", "open_journal"]


@dataclass
class Context:
    """Resolved settings and lazily loaded collaborators for one invocation."""

    paths: Paths
    settings: Settings
    config_problems: list[Problem] = field(default_factory=list)
    extra_playbooks: list[Path] = field(default_factory=list)
    journal_option: Path | None = None
    operator_option: str | None = None
    language_option: Language | None = None
    team_dir: Path | None = None

    @classmethod
    def create(
        cls,
        *,
        playbooks: list[Path] | None = None,
        journal: Path | None = None,
        operator: str | None = None,
        language: Language | None = None,
    ) -> Context:
        paths = resolve_paths()
        settings, problems = load_settings(paths.config_file)
        team = os.environ.get("SOPTUI_HOME") or settings.team
        team_dir = Path(team).expanduser() if team else None
        if team_dir is not None:
            refusals = check_team(team_dir)
            if refusals:
                raise CommandError("the team directory cannot be trusted:\n  " + "\n  ".join(refusals))
            team_settings, team_problems = load_settings(TeamLayout(team_dir).config)
            settings = merged(team_settings, settings)
            problems = team_problems + problems
        context = cls(paths, settings, problems, playbooks or [], journal, operator, language)
        context.team_dir = team_dir
        return context

    @cached_property
    def language(self) -> Language:
        return self.language_option or self.settings.language or language_from_locale()

    @cached_property
    def zone(self) -> ZoneInfo:
        """The team's time zone: config, else the system's local zone."""
        if self.settings.timezone:
            return ZoneInfo(self.settings.timezone)
        tz = os.environ.get("TZ", "").lstrip(":")
        if tz:
            try:
                return ZoneInfo(tz)
            except (ValueError, OSError, KeyError):
                pass
        return _system_zone()

    @cached_property
    def login(self) -> str:
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return f"uid{os.getuid()}"

    @cached_property
    def operator(self) -> str:
        return (
            self.operator_option or os.environ.get("SOPTUI_OPERATOR") or self.settings.operator or self.login
        )

    @cached_property
    def journal_path(self) -> Path:
        if self.journal_option is not None:
            return self.journal_option
        if os.environ.get("SOPTUI_JOURNAL"):
            return self.paths.journal
        if self.settings.journal:
            return Path(self.settings.journal).expanduser()
        if self.team_dir is not None:
            return TeamLayout(self.team_dir).journal
        return self.paths.journal

    def sources(self) -> list[Source]:
        """The playbook search path, in order."""
        sources = [bundled_source(self.language), Source(self.paths.user_playbooks, "user")]
        if self.team_dir is not None:
            sources.append(Source(TeamLayout(self.team_dir).playbooks, "team", shared=True))
        configured = [Path(d).expanduser() for d in self.settings.playbooks]
        for directory in [*configured, *self.paths.extra_playbooks, *self.extra_playbooks]:
            sources.append(Source(directory, str(directory)))
        return sources

    def today(self) -> date:
        return datetime.now(self.zone).date()

    @cached_property
    def library(self) -> Library:
        library = load_library(self.sources(), self.today())
        library.problems[:0] = self.config_problems
        return library


def _system_zone() -> ZoneInfo:
    """The system's zone from /etc/localtime, else UTC."""
    try:
        target = os.path.realpath("/etc/localtime")
        marker = "zoneinfo/"
        if marker in target:
            return ZoneInfo(target.split(marker, 1)[1])
    except (OSError, ValueError, KeyError):
        pass
    return ZoneInfo("UTC")


def open_journal(context: Context, *, readonly: bool = False) -> Journal:
    """Open the context's journal, turning any failure into a CommandError."""
    try:
        journal = Journal.open(context.journal_path, readonly=readonly)
    except JournalError as error:
        raise CommandError(str(error)) from None
    for warning in journal.warnings:
        print(f"soptui: warning: {warning}", file=sys.stderr)
    return journal


def make_recorder(context: Context, journal: Journal) -> Recorder:
    identity = Identity.of(context.operator, context.login)
    return Recorder(journal, context.library, context.zone, identity)
