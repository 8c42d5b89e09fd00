"""The review's sections, by name (CSV ``--section``); a module of its own so the CLI can name
them without importing the review."""

SECTIONS = (
    "routines",
    "skipped",
    "left",
    "slow",
    "metrics",
    "goals",
    "incidents",
    "notes",
    "people",
    "groups",
    "journeys",
    "handovers",
    "amendments",
    "followups",
)

__all__ = ["SECTIONS"]
