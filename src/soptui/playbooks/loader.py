"""Reading one playbook or goals file: limits, TOML, validation, positioned problems.

Nothing here raises for bad file content: every failure becomes a :class:`Problem` with
file, line and column, because a playbook is text anyone on the team may have edited.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from soptui.i18n import _, active
from soptui.playbooks.models import FORMAT_VERSION, Goal, GoalsFile, Playbook
from soptui.playbooks.positions import Path as KeyPath
from soptui.playbooks.positions import Position, key_positions, locate
from soptui.playbooks.problems import Problem, dotted
from soptui.playbooks.rules import goal_errors, playbook_errors, stale_review

MAX_FILE_BYTES = 1024 * 1024
MAX_LINE_CHARS = 10_000
MAX_DOTTED_PARTS = 32
GOALS_FILE = "goals.toml"

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_DOTS = re.compile(r"^\s*\[*\s*[\w\"'-]+(\s*\.\s*[\w\"'-]+){" + str(MAX_DOTTED_PARTS) + ",}")
M = TypeVar("M", bound=BaseModel)


@dataclass
class LoadedPlaybook:
    """A valid playbook, where it came from and the hash of its content."""

    playbook: Playbook
    path: Path
    content_hash: str
    warnings: list[Problem] = field(default_factory=list)


def content_hash(playbook: Playbook) -> str:
    """A stable hash of what the playbook says (not how the file is formatted)."""
    canonical = playbook.model_dump_json(exclude_defaults=False).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]


class _Document:
    """The decoded text of one file and the positions of its keys (computed on demand)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._positions: dict[KeyPath, Position] | None = None

    def at(self, key: KeyPath, message: str, severity: str = "error") -> Problem:
        if self._positions is None:
            self._positions = key_positions(self.text)
        line, column = locate(self._positions, key)
        return Problem(self.path, line, column, message, dotted(key), severity)  # type: ignore[arg-type]


class NotRegularFile(OSError):
    """The path is a FIFO, socket, device or directory: reading it could hang or never end."""


def open_regular(path: Path) -> int:
    """A blocking read-only descriptor on ``path`` if it is a regular file.

    Opened with O_NONBLOCK (opening a FIFO for reading must not wait for a writer), then
    checked with fstat on the open descriptor, so a file swapped in after a check cannot
    slip through. Raises IsADirectoryError, :class:`NotRegularFile` or another OSError.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == errno.ENXIO:  # a socket (or a FIFO opened for writing): no file to read
            raise NotRegularFile(errno.ENXIO, "not a regular file", str(path)) from None
        raise
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of a regular file (see :func:`open_regular`)."""
    fd = open_regular(path)
    try:
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(limit - size, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read(path: Path) -> tuple[_Document | None, list[Problem]]:
    """Read and decode a file within the limits, or explain why not."""

    def fail(message: str, line: int = 1, column: int = 1) -> tuple[None, list[Problem]]:
        return None, [Problem(path, line, column, message)]

    try:
        data = read_regular(path, MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        return fail(_("is a directory, not a playbook file"))
    except NotRegularFile:
        return fail(_("not a regular file (a FIFO, socket or device); refusing to read it"))
    except OSError as error:
        return fail(_("cannot read: {strerror}").format(strerror=error.strerror or error))
    if len(data) > MAX_FILE_BYTES:
        return fail(
            _("file is larger than {value} KiB; a playbook must be smaller").format(
                value=MAX_FILE_BYTES // 1024
            )
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        bad = data[error.start : error.start + 1].hex()
        return fail(
            _("not UTF-8: invalid byte 0x{bad} at byte {start}").format(bad=bad, start=error.start),
            line,
            column,
        )
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        return fail(_("NUL byte at character {nul}").format(nul=nul), line, nul - text.rfind("\n", 0, nul))
    for number, line_text in enumerate(text.split("\n"), start=1):
        if len(line_text) > MAX_LINE_CHARS:
            return fail(
                _("line is longer than {MAX_LINE_CHARS} characters").format(MAX_LINE_CHARS=MAX_LINE_CHARS),
                number,
                1,
            )
        if _DOTS.match(line_text):
            return fail(
                _("dotted key has more than {MAX_DOTTED_PARTS} parts").format(
                    MAX_DOTTED_PARTS=MAX_DOTTED_PARTS
                ),
                number,
                1,
            )
    return _Document(path, text), []


def _parse(document: _Document) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        return tomllib.loads(document.text), []
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        line, column = (int(match[1]), int(match[2])) if match else _end(document.text)
        reason = _TOML_POSITION.sub("", message).replace("(at end of document)", "").strip()
        return None, [Problem(document.path, line, column, _("TOML syntax: {reason}").format(reason=reason))]
    except RecursionError:
        return None, [Problem(document.path, 1, 1, _("tables or arrays are nested too deeply"))]


def _end(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def _validate(model: type[M], data: dict[str, Any], doc: _Document) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        problems: dict[tuple[int, int, str], Problem] = {}
        for item in error.errors(include_url=False):
            problem = _pydantic_problem(doc, data, item)
            key = (problem.line, problem.column, problem.key)
            if key in problems:  # a union's members each complain: say it once, joined
                earlier = problems[key]
                problem = Problem(
                    earlier.file,
                    earlier.line,
                    earlier.column,
                    _("{message}, or {message2}").format(message=earlier.message, message2=problem.message),
                    earlier.key,
                )
            problems[key] = problem
        return None, list(problems.values())
    except RecursionError:
        return None, [doc.at((), _("tables or arrays are nested too deeply"))]


def _data_path(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    """The part of a pydantic ``loc`` that exists in the data.

    Unions add member names ("int", "literal['last']") to ``loc``; they are not keys.
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        if _has(node, part):
            node = node[part]
        elif isinstance(node, dict | list) and part == loc[-1] and isinstance(part, str | int):
            path.append(part)  # a missing or unknown key: keep it to name it
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _pydantic_problem(doc: _Document, data: dict[str, Any], error: Any) -> Problem:
    loc = _data_path(data, tuple(error["loc"]))
    kind = error["type"]
    if kind == "extra_forbidden":
        return doc.at(loc, _("unknown key {value!r}").format(value=loc[-1]))
    if kind == "missing":
        return doc.at(loc[:-1], _("missing required key {value!r}").format(value=loc[-1]))
    message = str(error["msg"])
    if message.startswith("Value error, "):  # soptui's own validators: already in the operator's language
        message = message.removeprefix("Value error, ")
        return doc.at(loc, message[:1].lower() + message[1:])
    message = message[:1].lower() + message[1:]
    if active() != "en":  # pydantic speaks English only: say what it is about in the operator's language
        message = _("value not accepted ({detail})").format(detail=message)
    return doc.at(loc, message)


def _read_data(path: Path) -> tuple[_Document | None, dict[str, Any] | None, list[Problem]]:
    """Read and parse one TOML file (limits and syntax checked), positions kept for later."""
    document, problems = _read(path)
    if document is None:
        return None, None, problems
    data, problems = _parse(document)
    return document, data, problems


def load_playbook(path: Path, today: date | None = None) -> tuple[LoadedPlaybook | None, list[Problem]]:
    """Load one playbook file; return it (or None) and every problem found."""
    document, data, problems = _read_data(path)
    if document is None or data is None:
        return None, problems
    version = data.get("format", FORMAT_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        message = _(
            "this playbook needs a newer soptui (format {version}; this one reads {FORMAT_VERSION})"
        ).format(version=version, FORMAT_VERSION=FORMAT_VERSION)
        return None, [document.at(("format",), message)]
    data.setdefault("id", path.stem)
    if isinstance(data.get("steps"), list) and len(data["steps"]) > 200:
        return None, [
            document.at(
                ("steps",), _("too many steps ({len}); the limit is 200").format(len=len(data["steps"]))
            )
        ]
    playbook, problems = _validate(Playbook, data, document)
    if playbook is None:
        return None, problems
    problems = [document.at(key, message) for key, message in playbook_errors(playbook)]
    if problems:
        return None, problems
    loaded = LoadedPlaybook(playbook, path, content_hash(playbook))
    stale = stale_review(playbook, today) if today else None
    if stale:
        loaded.warnings.append(document.at(("reviewed",), stale, "warning"))
    return loaded, []


def load_model(path: Path, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Read, parse and validate any TOML file against ``model`` (config, the roster)."""
    return load_checked(path, model, lambda _loaded: [])


def load_checked(
    path: Path, model: type[M], rules: Callable[[M], list[tuple[KeyPath, str]]]
) -> tuple[M | None, list[Problem]]:
    """Read, parse and validate a TOML file against ``model``, then ``rules`` that look across
    entries; each problem at its own key."""
    document, data, problems = _read_data(path)
    if document is None or data is None:
        return None, problems
    loaded, problems = _validate(model, data, document)
    if loaded is None:
        return None, problems
    problems = [document.at(key, message) for key, message in rules(loaded)]
    return (None if problems else loaded), problems


def load_goals(path: Path, metrics: Iterable[str]) -> tuple[list[Goal], list[Problem]]:
    """Load goals.toml, checking each goal's metric against ``metrics``."""
    known = dict.fromkeys(metrics)
    goals_file, problems = load_checked(
        path, GoalsFile, lambda loaded: list(goal_errors(loaded.goals, known))
    )
    return (goals_file.goals if goals_file else []), problems
