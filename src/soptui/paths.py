"""Where soptui's files live: the only module that asks platformdirs.

Every location can be overridden from the environment, which is also how the tests keep
a developer's own files out of their way:

- ``SOPTUI_CONFIG_DIR``: the directory of ``config.toml`` and the user's ``playbooks/``;
- ``SOPTUI_DATA_DIR``: the directory of the default journal;
- ``SOPTUI_CACHE_DIR``: the cache of validated playbooks (safe to delete at any time);
- ``SOPTUI_JOURNAL``: the journal file itself;
- ``SOPTUI_PLAYBOOKS``: extra playbook directories, separated by ``os.pathsep``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "soptui"


@dataclass(frozen=True)
class Paths:
    """The resolved locations for one run of soptui."""

    config_dir: Path
    data_dir: Path
    journal: Path
    extra_playbooks: tuple[Path, ...]
    cache_dir: Path | None = None
    """Where validated playbooks are cached (None: no cache)."""

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def user_playbooks(self) -> Path:
        return self.config_dir / "playbooks"

    @property
    def drafts_dir(self) -> Path:
        return self.data_dir / "drafts"


def resolve_paths(env: Mapping[str, str] | None = None) -> Paths:
    """Resolve every location from the environment, else the platform's defaults."""
    env = os.environ if env is None else env
    config_dir = _dir(env, "SOPTUI_CONFIG_DIR", "config")
    data_dir = _dir(env, "SOPTUI_DATA_DIR", "data")
    journal = Path(env["SOPTUI_JOURNAL"]) if env.get("SOPTUI_JOURNAL") else data_dir / "journal.sqlite3"
    extra = tuple(Path(p) for p in env.get("SOPTUI_PLAYBOOKS", "").split(os.pathsep) if p)
    cache_dir = _dir(env, "SOPTUI_CACHE_DIR", "cache")
    return Paths(config_dir, data_dir, journal.expanduser(), extra, cache_dir)


def _dir(env: Mapping[str, str], name: str, kind: str) -> Path:
    if env.get(name):
        return Path(env[name]).expanduser()
    import platformdirs

    if kind == "config":
        return Path(platformdirs.user_config_dir(APP))
    if kind == "cache":
        return Path(platformdirs.user_cache_dir(APP))
    return Path(platformdirs.user_data_dir(APP))
