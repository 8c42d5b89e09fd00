"""Team mode: one directory on a shared server holding the team's journal, playbooks and config.

The directory belongs to a Unix group; members read and write, nobody else can read. Files
in it are trusted only if they belong to the team: anything world-writable, owned by a user
outside the group, or planted as a symbolic link is refused with a clear message.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from soptui.files import create_new
from soptui.i18n import _

JOURNAL_NAME = "journal.sqlite3"
CONFIG_NAME = "config.toml"
PLAYBOOKS_NAME = "playbooks"


class TeamError(Exception):
    """A team directory that cannot be set up or trusted, explained."""


@dataclass(frozen=True)
class TeamLayout:
    root: Path

    @property
    def journal(self) -> Path:
        return self.root / JOURNAL_NAME

    @property
    def config(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def playbooks(self) -> Path:
        return self.root / PLAYBOOKS_NAME


def group_members(gid: int) -> set[int]:
    """Uids of the group's members (listed members and users whose primary group it is)."""
    members: set[int] = set()
    try:
        names = set(grp.getgrgid(gid).gr_mem)
    except KeyError:
        names = set()
    for entry in pwd.getpwall():
        if entry.pw_gid == gid or entry.pw_name in names:
            members.add(entry.pw_uid)
    return members


def _owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return f"gid {gid}"


def trust_problems(path: Path, team_gid: int, members: set[int] | None = None) -> list[str]:
    """Why ``path`` (inside a team directory) cannot be trusted; empty when it can."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return []
    except OSError as error:
        return [_("{path}: cannot inspect: {strerror}").format(path=path, strerror=error.strerror or error)]
    if stat.S_ISLNK(info.st_mode):
        return [
            _("{path} is a symbolic link in a shared directory; soptui does not follow it").format(path=path)
        ]
    problems = []
    if info.st_mode & stat.S_IWOTH:
        problems.append(
            _("{path} is writable by everyone (mode {mode:o}); run: chmod o-w {path}").format(
                path=path, mode=stat.S_IMODE(info.st_mode)
            )
        )
    members = group_members(team_gid) if members is None else members
    if info.st_uid != 0 and info.st_uid not in members:
        problems.append(
            _("{path} is owned by {owner_name}, who is not in the team group {group_name}").format(
                path=path, owner_name=_owner_name(info.st_uid), group_name=_group_name(team_gid)
            )
        )
    return problems


def path_problems(path: Path, team_gid: int, members: set[int] | None = None) -> list[str]:
    """Why ``path``, named by the team's config, cannot be trusted; empty when it can.

    The same rules as the team directory, applied to every existing component of the path
    from ``/`` down: no symbolic links, nothing writable by everyone (an ancestor directory
    may be if it is sticky, like /tmp: others cannot replace what is in it), and each owned
    by root, by you or by a member of the team's group. ``path`` must be absolute.
    """
    members = group_members(team_gid) if members is None else members
    trusted_owners = {0, os.geteuid(), *members}
    parts = path.parts
    for depth in range(1, len(parts) + 1):
        component = Path(*parts[:depth])
        last = depth == len(parts)
        try:
            info = component.lstat()
        except FileNotFoundError:
            return []  # soptui creates the rest itself
        except OSError as error:
            return [
                _("{component}: cannot inspect: {strerror}").format(
                    component=component, strerror=error.strerror or error
                )
            ]
        if stat.S_ISLNK(info.st_mode):
            return [
                _("{component} is a symbolic link; soptui does not follow links in the team's config").format(
                    component=component
                )
            ]
        mode = stat.S_IMODE(info.st_mode)
        sticky_dir = stat.S_ISDIR(info.st_mode) and mode & stat.S_ISVTX and not last
        if mode & stat.S_IWOTH and not sticky_dir:
            return [
                _("{component} is writable by everyone (mode {mode:o})").format(
                    component=component, mode=mode
                )
            ]
        if info.st_uid not in trusted_owners:
            return [
                _("{component} is owned by {owner_name}, who is not in the team group {group_name}").format(
                    component=component, owner_name=_owner_name(info.st_uid), group_name=_group_name(team_gid)
                )
            ]
    return []


def in_group(gid: int) -> bool:
    """Whether this process has ``gid`` (as its group or a supplementary one)."""
    return os.geteuid() == 0 or gid == os.getegid() or gid in os.getgroups()


def access_problem(root: Path) -> str | None:
    """Why you cannot open the team directory when the reason is that you are not in its group."""
    try:
        info = root.stat()
    except OSError:
        return None
    if in_group(info.st_gid) or os.access(root, os.R_OK | os.X_OK):
        return None
    group = _group_name(info.st_gid)
    if os.geteuid() in group_members(info.st_gid):
        return _(
            "you are in the team's group {group}, but this session started before "
            "you were added, so you cannot open {root}.\nLog out and log in again "
            "(or run `newgrp {group}`)."
        ).format(group=group, root=root)
    return _(
        "you are not in the team's group {group}, so you cannot open "
        "{root}.\nAsk an administrator to add you:\n  sudo usermod -aG {group} "
        "$USER\nthen log out and log in again."
    ).format(group=group, root=root)


def check_team(root: Path) -> list[str]:
    """Every reason the team directory, its journal and its playbooks cannot be trusted."""
    layout = TeamLayout(root)
    try:
        info = root.lstat()
    except OSError as error:
        return [_("team directory {root}: {strerror}").format(root=root, strerror=error.strerror or error)]
    if stat.S_ISLNK(info.st_mode):
        # The root itself may be a link an administrator made; resolve it once, then check.
        root = root.resolve()
        layout = TeamLayout(root)
        info = root.stat()
    gid = info.st_gid
    access = access_problem(root)
    if access:
        return [access]
    members = group_members(gid)
    problems = trust_problems(root, gid, members)
    for path in (layout.journal, layout.config, layout.playbooks):
        problems += trust_problems(path, gid, members)
    return problems


def umask_problem() -> str | None:
    """A warning when the umask would keep the group from reading or writing new files."""
    current = os.umask(0)
    os.umask(current)
    if current & 0o060:
        return _(
            "your umask is {current:03o}: files you create would not be "
            "group-writable. Add `umask 007` to the team members' shell profile "
            "(~/.profile)"
        ).format(current=current)
    return None


def init_team(root: Path, group: str | None, timezone: str | None, language: str | None) -> list[str]:
    """Create a team directory; returns warnings. Raises TeamError when it cannot."""
    from soptui.journal import Journal, JournalError  # here only: a library load needs no sqlite3

    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise TeamError(_("{root} exists and is not an empty directory").format(root=root))
    if group is not None:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise TeamError(
                _("no group named {group!r}; create it first: groupadd {group}").format(group=group)
            ) from None
    else:
        gid = os.getgid()
    layout = TeamLayout(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        # setgid: new files belong to the team's group; sticky: a member can write the journal
        # and the config but cannot delete or rename what another person owns (like /tmp).
        _share(root, gid, 0o3770)
        layout.playbooks.mkdir()
        _share(layout.playbooks, gid, 0o2770)
        settings: dict[str, object] = {}
        if timezone:
            settings["timezone"] = timezone
        if language:
            settings["language"] = language
        text = "# soptui team settings: every member's app reads these.\n" + tomli_w.dumps(settings)
        create_new(layout.config, text, 0o660)
        _share(layout.config, gid, 0o660)
        Journal.open(layout.journal).close()
        _share(layout.journal, gid, 0o660)
    except PermissionError as error:
        raise TeamError(
            _("permission denied: {filename} (are you in group {group}?)").format(
                filename=error.filename, group=group
            )
        ) from None
    except (OSError, JournalError) as error:
        raise TeamError(_("cannot set up {root}: {error}").format(root=root, error=error)) from None
    warnings = []
    problem = umask_problem()
    if problem:
        warnings.append(problem)
    if group is None:
        warnings.append(
            _("no --group given: the directory belongs to your primary group {group_name}").format(
                group_name=_group_name(gid)
            )
        )
    return warnings


def _share(path: Path, gid: int, mode: int) -> None:
    os.chown(path, -1, gid)
    os.chmod(path, mode)
