"""The run-id format and its inverse: one place that writes and reads a run's id.

- a routine's run of a period: ``PLAYBOOK@PERIOD`` (``daily@2026-11-23``, ``weekly@2026-W48``),
  stable, so two operators opening one period share one run;
- an incident: ``PLAYBOOK#TOKEN`` (eight hex digits);
- an instance of a dated journey: ``PLAYBOOK~YYYY-MM-DD`` (its anchor day), then
  ``PLAYBOOK~YYYY-MM-DD-2``, ``-3`` … for more instances anchored on the same day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

ROUTINE_MARK = "@"
INCIDENT_MARK = "#"
INSTANCE_MARK = "~"
MAX_INSTANCES_PER_DAY = 99

RunKind = Literal["routine", "incident", "instance"]
_INSTANCE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:-([1-9]\d{0,2}))?")


@dataclass(frozen=True)
class RunId:
    """A run id taken apart. ``period`` is a routine's; ``anchor`` and ``number`` an
    instance's; ``token`` an incident's."""

    playbook_id: str
    kind: RunKind
    period: str | None = None
    anchor: date | None = None
    number: int = 1
    token: str | None = None


def routine_run_id(playbook_id: str, period: str) -> str:
    return f"{playbook_id}{ROUTINE_MARK}{period}"


def incident_run_id(playbook_id: str, token: str) -> str:
    return f"{playbook_id}{INCIDENT_MARK}{token}"


def instance_run_id(playbook_id: str, anchor: date, number: int = 1) -> str:
    suffix = "" if number == 1 else f"-{number}"
    return f"{playbook_id}{INSTANCE_MARK}{anchor.isoformat()}{suffix}"


def routine_period(run_id: str) -> str | None:
    """A routine run's period (``daily@2026-11-23`` → ``2026-11-23``); None for other runs."""
    if ROUTINE_MARK not in run_id:
        return None
    return run_id.rsplit(ROUTINE_MARK, 1)[1]


def instance_key(run_id: str) -> str | None:
    """The ``runs.period`` value an instance is stored with (``~2026-12-12``, ``~2026-12-12-2``):
    never a real period, so routines' and incidents' queries never see an instance."""
    if ROUTINE_MARK in run_id or INCIDENT_MARK in run_id or INSTANCE_MARK not in run_id:
        return None
    return INSTANCE_MARK + run_id.rsplit(INSTANCE_MARK, 1)[1]


def parse_run_id(run_id: str) -> RunId | None:
    """The parts of ``run_id``; None when it is none of the three forms (an imported run
    may carry any id: callers treat it as an incident-like run without a period)."""
    if ROUTINE_MARK in run_id:
        playbook_id, period = run_id.rsplit(ROUTINE_MARK, 1)
        return RunId(playbook_id, "routine", period=period)
    if INCIDENT_MARK in run_id:
        playbook_id, token = run_id.rsplit(INCIDENT_MARK, 1)
        return RunId(playbook_id, "incident", token=token)
    if INSTANCE_MARK in run_id:
        playbook_id, rest = run_id.rsplit(INSTANCE_MARK, 1)
        match = _INSTANCE.fullmatch(rest)
        if match is None:
            return None
        try:
            anchor = date.fromisoformat(match[1])
        except ValueError:
            return None
        return RunId(playbook_id, "instance", anchor=anchor, number=int(match[2] or 1))
    return None
