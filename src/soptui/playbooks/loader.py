"""Reading one playbook or goals file: limits, TOML, validation, positioned problems.

Nothing here raises for bad file content: every failure becomes a :class:`Problem` with
file, line and column, because a playbook is text anyone on the team may have edited.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from soptui.i18n import _, active
from soptui.playbooks.cache import Stamp, ValidatedCache
from soptui.playbooks.models import FORMAT_VERSION, Goal, GoalsFile, Plain, Playbook
from soptui.playbooks.problems import Problem, dotted
from soptui.playbooks.rules import goal_errors, playbook_errors, stale_review

MAX_FILE_BYTES = 1024 * 1024
MAX_LINE_CHARS = 10_000
MAX_DOTTED_PARTS = 32
GOALS_FILE = "goals.toml"

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_DOTS = re.compile(r"^\s*\[*\s*[\w\"'-]+(\s*\.\s*[\w\"'-]+){" + str(MAX_DOTTED_PARTS) + ",}")
M = TypeVar("M", bound="BaseModel")
PM = TypeVar("PM", bound=Plain)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from soptui.playbooks.positions import Path as KeyPath
    from soptui.playbooks.positions import Position


@dataclass
class LoadedPlaybook:
    """A valid playbook, where it came from and the hash of its content."""

    playbook: Playbook
    path: Path
    content_hash: str
    warnings: list[Problem] = field(default_factory=list)


def content_hash(playbook: Playbook) -> str:
    """A stable hash of what the playbook says (not how the file is formatted)."""
    return hashlib.sha256(playbook.canonical_bytes()).hexdigest()[:16]


class _Document:
    """The decoded text of one file and the positions of its keys (computed on demand)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._positions: dict[KeyPath, Position] | None = None

    def at(self, key: KeyPath, message: str, severity: str = "error") -> Problem:
        # The position scanner (and tomllib) load only when a problem is placed.
        from soptui.playbooks.positions import key_positions, locate

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
    return read_stamped(path, limit)[0]


def read_stamped(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """Up to ``limit`` bytes of a regular file and the ``fstat`` of the descriptor they were
    read from (so a stamp describes exactly the bytes read)."""
    fd = open_regular(path)
    try:
        info = os.fstat(fd)
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(limit - size, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), info
    finally:
        os.close(fd)


@dataclass(frozen=True)
class _Raw:
    """A file's bytes as read, and their stamp for the validated-file cache."""

    data: bytes
    stamp: Stamp


def _read_raw(path: Path) -> tuple[_Raw | None, list[Problem]]:
    """Read a file within the size limit, or explain why not."""

    def fail(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(path, 1, 1, message)]

    try:
        data, info = read_stamped(path, MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        return fail(_("is a directory, not a playbook file"))
    except NotRegularFile:
        return fail(_("not a regular file (a FIFO, socket or device); refusing to read it"))
    except OSError as error:
        return fail(_("cannot read: {strerror}").format(strerror=error.strerror or error))
    return _Raw(data, Stamp.of(path, data, info)), []


def _read(path: Path, raw: _Raw | None = None) -> tuple[_Document | None, list[Problem]]:
    """Read (unless ``raw`` holds what was read) and decode a file within the limits, or
    explain why not."""

    def fail(message: str, line: int = 1, column: int = 1) -> tuple[None, list[Problem]]:
        return None, [Problem(path, line, column, message)]

    if raw is None:
        raw, problems = _read_raw(path)
        if raw is None:
            return None, problems
    data = raw.data
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
    import tomllib  # only for a file the validated cache does not hold

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
    from pydantic import ValidationError  # only here: an unchanged file never needs pydantic

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


def _read_data(
    path: Path, raw: _Raw | None = None
) -> tuple[_Document | None, dict[str, Any] | None, list[Problem]]:
    """Read and parse one TOML file (limits and syntax checked), positions kept for later."""
    document, problems = _read(path, raw)
    if document is None:
        return None, None, problems
    data, problems = _parse(document)
    return document, data, problems


def _cached(path: Path, kind: str, cache: ValidatedCache | None) -> tuple[_Raw | None, Any, list[Problem]]:
    """The file's bytes and, if ``cache`` holds this exact version of it, the cached value."""
    if cache is None:
        return None, None, []
    raw, problems = _read_raw(path)
    if raw is None:
        return None, None, problems
    return raw, cache.get(kind, raw.stamp), []


def _decoded(path: Path, raw: _Raw) -> _Document:
    """The document of bytes that decoded before (their hash is in the cache)."""
    return _Document(path, raw.data.decode("utf-8").removeprefix("\ufeff"))


def load_playbook(
    path: Path, today: date | None = None, cache: ValidatedCache | None = None
) -> tuple[LoadedPlaybook | None, list[Problem]]:
    """Load one playbook file; return it (or None) and every problem found.

    With a ``cache``, a file whose exact bytes validated before is rebuilt from the cache
    (no TOML parsing, no pydantic); any other file is validated and, if valid, cached.
    """
    raw, value, problems = _cached(path, "Playbook", cache)
    if problems:
        return None, problems
    if raw is not None and isinstance(value, bytes):
        try:
            playbook = Playbook.from_json(value)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            playbook = None  # an entry this soptui cannot rebuild: validate the file again
        if playbook is not None:
            return _loaded(playbook, path, today, lambda: _decoded(path, raw)), []
    loaded, problems = _load_playbook(path, today, raw)
    if loaded is not None and raw is not None and cache is not None:
        cache.put("Playbook", raw.stamp, loaded.playbook.model_dump_json())
    return loaded, problems


def stored_playbook(body: str, cache: ValidatedCache | None = None) -> Playbook:
    """A playbook version as the journal stores it (its canonical JSON), validated: raises
    ValueError (pydantic's ValidationError is one) if it is not a valid playbook now.

    With a ``cache``, a body that validated before is rebuilt from the cache without
    pydantic (a run started before its playbook was edited is folded on every start).
    """
    data = body.encode()
    digest = hashlib.sha256(data).hexdigest()
    stamp = Stamp(f"stored:{digest}", len(data), 0, digest)
    value = cache.get("StoredPlaybook", stamp) if cache is not None else None
    if isinstance(value, bytes):
        try:
            return Playbook.from_json(value)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            pass
    playbook = Playbook.model_validate_json(body)
    if cache is not None:
        cache.put("StoredPlaybook", stamp, playbook.model_dump_json())
        cache.save()
    return playbook


def _loaded(
    playbook: Playbook, path: Path, today: date | None, document: Callable[[], _Document]
) -> LoadedPlaybook:
    loaded = LoadedPlaybook(playbook, path, content_hash(playbook))
    stale = stale_review(playbook, today) if today else None
    if stale:
        loaded.warnings.append(document().at(("reviewed",), stale, "warning"))
    return loaded


def _load_playbook(
    path: Path, today: date | None, raw: _Raw | None
) -> tuple[LoadedPlaybook | None, list[Problem]]:
    document, data, problems = _read_data(path, raw)
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
    from soptui.playbooks import spec

    model, problems = _validate(spec.Playbook, data, document)
    if model is None:
        return None, problems
    playbook = Playbook.from_json(model.model_dump_json())
    problems = [document.at(key, message) for key, message in playbook_errors(playbook, data)]
    if problems:
        return None, problems
    return _loaded(playbook, path, today, lambda: document), []


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


def load_plain(
    path: Path,
    model: type[PM],
    rules: Callable[[PM], Iterable[tuple[KeyPath, str]]],
    cache: ValidatedCache | None = None,
) -> tuple[PM | None, list[Problem]]:
    """:func:`load_checked` for a plain model (validated by its namesake in spec.py): read,
    validate, then ``rules`` that look across entries (or other files). With a ``cache``, an
    unchanged file is rebuilt from it without pydantic; the rules run every time."""
    kind = model.__name__
    raw, value, problems = _cached(path, kind, cache)
    if problems:
        return None, problems
    if raw is not None and value is not None:
        try:
            cached: PM | None = model.from_data(value)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            cached = None  # an entry this soptui cannot rebuild: validate the file again
        if cached is not None:
            findings = list(rules(cached))
            if not findings:
                return cached, []
            return None, [_decoded(path, raw).at(key, message) for key, message in findings]
    document, data, problems = _read_data(path, raw)
    if document is None or data is None:
        return None, problems
    validated, problems = _validate(model._spec_model(), data, document)
    if validated is None:
        return None, problems
    dumped = json.loads(validated.model_dump_json())
    loaded = model.from_data(dumped)
    if raw is not None and cache is not None:
        cache.put(kind, raw.stamp, dumped)
    problems = [document.at(key, message) for key, message in rules(loaded)]
    return (None if problems else loaded), problems


def load_goals(
    path: Path, metrics: Iterable[str], cache: ValidatedCache | None = None
) -> tuple[list[Goal], list[Problem]]:
    """Load goals.toml, checking each goal's metric against ``metrics``."""
    known = dict.fromkeys(metrics)
    goals_file, problems = load_plain(path, GoalsFile, lambda loaded: goal_errors(loaded.goals, known), cache)
    return (goals_file.goals if goals_file else []), problems
