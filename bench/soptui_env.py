"""The environment a bench starts soptui in: its own files under a scratch home, the bench's
journal (and playbooks), a UTF-8 terminal in the team's zone, and compiled modules kept."""

from __future__ import annotations

import os
from pathlib import Path


def soptui_env(home: Path | str, journal: Path, playbooks: Path | None = None) -> dict[str, str]:
    """The variables that decide what a soptui process reads and writes, and how it starts.

    Compiled modules are kept as an installed soptui keeps them (``PYTHONPYCACHEPREFIX``):
    some machines export ``PYTHONDONTWRITEBYTECODE``, which would recompile soptui's source on
    every start; :func:`inherited` leaves it out."""
    env = {
        "SOPTUI_JOURNAL": str(journal),
        "SOPTUI_CONFIG_DIR": f"{home}/config",
        "SOPTUI_DATA_DIR": f"{home}/data",
        "SOPTUI_CACHE_DIR": f"{home}/cache",
        "PYTHONPYCACHEPREFIX": f"{home}/pycache",
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "TZ": "Asia/Shanghai",
    }
    if playbooks is not None:
        env["SOPTUI_PLAYBOOKS"] = str(playbooks)
    return env


def inherited() -> dict[str, str]:
    """This process's environment, but what would change how soptui starts or draws."""
    return {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS", "PYTHONDONTWRITEBYTECODE")}
