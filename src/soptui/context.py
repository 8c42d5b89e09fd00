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
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from soptui.config import Language, Settings, language_from_locale, load_settings, merged, setting_problem
from soptui.errors import CommandError, UsageError
from soptui.i18n import _, activate, active
from soptui.journal import JournalError, JournalStore, open_journal_at
from soptui.journal.base import Location, is_url, location_of, shown
from soptui.ledger import Clock, Ledger, utc_now
from soptui.paths import Paths, resolve_paths
from soptui.playbooks.cache import ValidatedCache
from soptui.playbooks.library import Library, Source, bundled_source, load_library
from soptui.playbooks.problems import Problem
from soptui.team import TeamLayout, access_problem, check_team, group_members, path_problems
from soptui.text import visible

if TYPE_CHECKING:
    from soptui.recorder import Recorder

__all__ = [
    "CommandError",
    "Context",
    "UsageError",
    "journal_exists",
    "make_ledger",
    "make_recorder",
    "open_journal",
]


@dataclass
class Context:
    """Resolved settings and lazily loaded collaborators for one invocation."""

    paths: Paths
    settings: Settings
    config_problems: list[Problem] = field(default_factory=list)
    """Settings that were ignored (invalid, or an untrusted path in the team's config)."""
    extra_playbooks: list[Path] = field(default_factory=list)
    journal_option: Location | None = None
    """--journal: a file, or a PostgreSQL URL."""
    operator_option: str | None = None
    language_option: Language | None = None
    team_dir: Path | None = None
    team_gid: int | None = None
    team_playbooks: list[Path] = field(default_factory=list)
    """Playbook directories from the team's config that passed the trust checks."""
    notices: list[str] = field(default_factory=list)
    """Other things to tell the operator once (e.g. their time zone is overridden)."""
    opened: list[JournalStore] = field(default_factory=list, repr=False)
    """Journals opened for this invocation: closed when the command ends, whatever way it ends."""
    warnings_taken: bool = False
    cache: ValidatedCache | None = None
    """The validated-file cache the settings came through (the library uses it too)."""

    @classmethod
    def create(
        cls,
        *,
        playbooks: list[Path] | None = None,
        journal: Location | None = None,
        operator: str | None = None,
        language: Language | None = None,
    ) -> Context:
        paths = resolve_paths()
        cache = ValidatedCache.open(paths.cache_dir)
        own, problems = load_settings(paths.config_file, cache)
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
            team_settings, team_problems = load_settings(config, cache)
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
            if team_settings.severities:  # what P1 means is the team's agreement, like its zone
                settings = settings.model_copy(update={"severities": team_settings.severities})
                if own.severities and own.severities != team_settings.severities:
                    notices.append(
                        _("your config's [severities] are ignored: the team's config defines them")
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
        context.cache = cache
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

    @property
    def journal_location(self) -> Location:
        """The journal: --journal, else SOPTUI_JOURNAL, the config, the team's, the user's; a
        file, or a PostgreSQL URL (``postgresql://…``, kept as typed: never a Path)."""
        if self.journal_option is not None:
            return self.journal_option
        if os.environ.get("SOPTUI_JOURNAL"):
            return location_of(os.environ["SOPTUI_JOURNAL"])
        if self.settings.journal:
            return location_of(self.settings.journal)
        if self.team_dir is not None:
            return TeamLayout(self.team_dir).journal
        return self.paths.journal

    @property
    def journal_shown(self) -> str:
        """The journal's location for messages (a URL without password or parameters)."""
        return shown(self.journal_location)

    @cached_property
    def journal_path(self) -> Path:
        """The journal file; a CommandError when the journal is in PostgreSQL (for commands
        that only make sense on a file)."""
        location = self.journal_location
        if isinstance(location, Path):
            return location
        raise CommandError(
            _("the journal is in PostgreSQL ({location}), not in a file").format(location=shown(location))
        )

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

    def close_journals(self) -> None:
        """Close what this invocation opened (a read-only command's journal too: an open
        connection keeps SQLite's -wal and -shm files beside the journal)."""
        while self.opened:
            self.opened.pop().close()

    @cached_property
    def library(self) -> Library:
        """Every playbook on the search path; unchanged files come from the validated cache."""
        cache = self.cache or ValidatedCache.open(self.paths.cache_dir)
        library = load_library(self.sources(), self.today(), cache)
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
    if settings.journal is not None and not is_url(settings.journal):  # a database URL is no path
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
    if is_url(context.journal_location):
        return True  # a database: opening it says whether (and why not)
    try:
        return context.journal_path.exists() or context.journal_path.is_symlink()
    except OSError:
        return True


def open_journal(context: Context, *, readonly: bool = False) -> JournalStore:
    """Open the context's journal (a file or PostgreSQL), turning any failure into a CommandError."""
    try:
        journal = open_journal_at(context.journal_location, readonly=readonly)
    except JournalError as error:
        raise CommandError(str(error)) from None
    context.opened.append(journal)
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
            ).format(journal_path=journal.location),
            file=sys.stderr,
        )
    return journal


def make_ledger(context: Context, journal: JournalStore, clock: Clock = utc_now) -> Ledger:
    """The journal read as runs, for commands that only read."""
    return Ledger(journal, context.library, context.zone, clock)


def make_recorder(context: Context, journal: JournalStore, clock: Clock = utc_now) -> Recorder:
    """A recorder acting as the context's operator, for commands that write."""
    # Imported here: commands that only read (review, due, search) never build one.
    from soptui.recorder import Identity, Recorder

    identity = Identity.of(context.operator, context.login)
    return Recorder(journal, context.library, context.zone, identity, clock)
