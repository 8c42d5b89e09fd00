"""The two ways a command fails for a person; import-light so the CLI can catch them cheaply."""

from __future__ import annotations


class UsageError(Exception):
    """Bad command-line input: exit status 2."""


class CommandError(Exception):
    """A clear, one-line failure for a person: exit status 1."""
