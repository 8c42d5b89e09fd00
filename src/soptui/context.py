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

from soptui.config import Language, Settings, language_from_locale, load_settings, merged, setting_problem
from soptui.errors import CommandError, UsageError
from soptui.i18n import _, activate, active
from soptui.journal import Journal, JournalError
from soptui.paths import Paths, resolve_paths
from soptui.playbooks.library import Library, Source, bundled_source, load_library
from soptui.playbooks.problems import Problem
from soptui.recorder import Identity, Recorder
from soptui.team import TeamLayout, access_problem, check_team, group_members, path_problems
from soptui.text import visible

__all__ = ["CommandError", "Context", "UsageError", "journal_exists", "make_recorder", "open_journal"]


@dataclass
class Context:
    """Resolved settings and lazily loaded collaborators for one invocation."""

    paths: Paths
    settings: Settings
    config_problems: list[Problem] = field(default_factory=list)
    """Settings that were ignored (invalid, or an untrusted path in the team's config)."""
    extra_playbooks: list[Path] = field(default_factory=list)
    journal_option: Path | None = None
    operator_option: str | None = None
    language_option: Language | None = None
    team_dir: Path | None = None
    team_gid: int | None = None
    team_playbooks: list[Path] = field(default_factory=list)
    """Playbook directories from the team's config that passed the trust checks."""
    notices: list[str] = field(default_factory=list)
    """Other things to tell the operator once (e.g. their time zone is overridden)."""
    warnings_taken: bool = False

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
        own, problems = load_settings(paths.config_file)
        settings = own
        team = os.environ.get("SOPTUI_HOME") or own.team
        team_dir = Path(team).expanduser() if team else None
        team_gid: int | None = None
        team_playbooks: list[Path] = []
        notices: list[str] = []
        if team_dir is not None:
            access = access_problem(team_dir)
            if access:
                raise CommandError(access)
            refusals = check_team(team_dir)
            if refusals:
                raise CommandError(
                    _("the team directory cannot be trusted:") + "\n  " + "\n  ".join(refusals)
                )
            team_gid = team_dir.stat().st_gid
            config = TeamLayout(team_dir).config
            team_settings, team_problems = load_settings(config)
            team_settings, refused = _trusted_paths(team_settings, team_dir.resolve(), config, team_gid)
            settings = merged(team_settings, own)
            if team_settings.timezone:
                settings = settings.model_copy(update={"timezone": team_settings.timezone})
                if own.timezone and own.timezone != team_settings.timezone:
                    notices.append(
                        _("your config's timezone {own} is ignored: the team's zone is {team}").format(
                            own=own.timezone, team=team_settings.timezone
                        )
                    )
            if "playbooks" not in own.model_fields_set:
                # The team's directories are shared ones: their files get the trust checks.
                team_playbooks = [Path(d) for d in team_settings.playbooks]
                settings = settings.model_copy(update={"playbooks": []})
            problems = team_problems + refused + problems
        context = cls(paths, settings, problems, playbooks or [], journal, operator, language)
        if context.language != active():
            # The problems and notices above are worded in the active language: word them again
            # in the one the configuration asks for (the CLI activates it next anyway).
            activate(context.language)
            return cls.create(playbooks=playbooks, journal=journal, operator=operator, language=language)
        context.team_dir = team_dir
        context.team_gid = team_gid
        context.team_playbooks = team_playbooks
        context.notices = notices
        return context

    def take_warnings(self, *, problems: bool = True) -> list[str]:
        """What to tell the operator about their configuration, safe to print; once only.

        ``problems=False`` gives only the notices, for a command that reports the ignored
        settings itself (``check``). Later calls return nothing.
        """
        if self.warnings_taken:
            return []
        self.warnings_taken = True
        lines = list(self.notices)
        if problems:
            lines += [_("{problem} (ignored)").format(problem=problem) for problem in self.config_problems]
        return [visible(line, newlines=False) for line in lines]

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
        sources = [
            bundled_source(self.language, self.settings.enabled, self.settings.disabled),
            Source(self.paths.user_playbooks, "user"),
        ]
        if self.team_dir is not None:
            sources.append(Source(TeamLayout(self.team_dir).playbooks, "team", shared=True))
        for directory in self.team_playbooks:
            sources.append(Source(directory, str(directory), shared=True, group=self.team_gid))
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


def _trusted_paths(
    settings: Settings, team_dir: Path, config: Path, gid: int
) -> tuple[Settings, list[Problem]]:
    """The team's settings without the paths that fail the trust checks, and why each failed.

    A relative path is taken from the team directory (not from wherever a member happens to
    be), and every path is made absolute, so what is checked is what is used.
    """
    members = group_members(gid)
    refused: list[Problem] = []

    def trusted(value: str, key: tuple[str | int, ...]) -> str | None:
        path = Path(os.path.abspath(team_dir / Path(value).expanduser()))
        reasons = path_problems(path, gid, members)
        if not reasons:
            return str(path)
        message = _("{path} is not used: {reasons}").format(path=path, reasons="; ".join(reasons))
        refused.append(setting_problem(config, key, message))
        return None

    update: dict[str, object] = {}
    if settings.journal is not None:
        update["journal"] = trusted(settings.journal, ("journal",))
    if settings.playbooks:
        checked = (trusted(value, ("playbooks", i)) for i, value in enumerate(settings.playbooks))
        update["playbooks"] = [value for value in checked if value is not None]
    return settings.model_copy(update=update), refused


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


def journal_exists(context: Context) -> bool:
    """Whether the journal file is there; True when that cannot be told (e.g. a directory on
    its path is not searchable), so that :func:`open_journal` says why it cannot be opened
    instead of ``Path.exists`` raising PermissionError."""
    try:
        return context.journal_path.exists() or context.journal_path.is_symlink()
    except OSError:
        return True


def open_journal(context: Context, *, readonly: bool = False) -> Journal:
    """Open the context's journal, turning any failure into a CommandError."""
    try:
        journal = Journal.open(context.journal_path, readonly=readonly)
    except JournalError as error:
        raise CommandError(str(error)) from None
    for warning in journal.warnings:
        print(
            _("soptui: warning: {line}").format(line=visible(str(warning), newlines=False)),
            file=sys.stderr,
        )
    if not journal.readonly and not journal.checked_at_open:
        # Only the header and schema were read: a full check of a large file takes seconds.
        print(
            _(
                "soptui: note: the journal {journal_path} is large, so only its header "
                "and schema were checked before writing; run `soptui journal check` "
                "now and then"
            ).format(journal_path=context.journal_path),
            file=sys.stderr,
        )
    return journal


def make_recorder(context: Context, journal: Journal) -> Recorder:
    identity = Identity.of(context.operator, context.login)
    return Recorder(journal, context.library, context.zone, identity)
