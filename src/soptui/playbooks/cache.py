"""The cache of validated files: start-up without pydantic while nothing changed.

Validating a playbook means importing pydantic and building its models, which costs more
than everything else soptui does before its first frame. What validation produces is kept
here, per file, as the canonical JSON the plain models of :mod:`soptui.playbooks.models`
are rebuilt from; the loader asks this cache first and validates only on a miss.

An entry is used only when every part of its stamp matches the file as read now: its
absolute path, size, ``mtime_ns`` and the SHA-256 of its bytes (the bytes that are then
parsed, so a file changed between the check and the read cannot slip through). The whole
cache is dropped when soptui's version or the code that validates changes.

The cache is data another user could try to plant, so it is trusted only when the cache
directory and the file are owned by this user and not writable by group or others, and the
file is a regular file opened without following a symbolic link. An untrusted, unreadable,
corrupt or outdated cache is ignored (never an error) and, in a trusted directory, replaced
whole: a private (0600) temporary file renamed over it. Only files that validated without
a problem are kept; a file with a problem is validated (and explained) on every start.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soptui import __version__

CACHE_FILE = "validated.json"
CACHE_FORMAT = 1
MAX_CACHE_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 5000
"""Entries kept across saves (files not seen this time are kept while they exist, up to this)."""
_CODE = ("models.py", "spec.py", "fields.py", "rules.py", "loader.py", "roster.py", "workdays.py")
"""The modules whose change can change what validation gives: part of the cache's version."""


@dataclass(frozen=True)
class Stamp:
    """What identifies one version of a file: where it is, its size, mtime and content."""

    path: str
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path, data: bytes, info: os.stat_result) -> Stamp:
        """The stamp of ``data``, read from ``path`` whose open descriptor gave ``info``."""
        return cls(os.path.abspath(path), info.st_size, info.st_mtime_ns, hashlib.sha256(data).hexdigest())

    def matches(self, entry: Any) -> bool:
        return (
            isinstance(entry, dict)
            and entry.get("size") == self.size
            and entry.get("mtime_ns") == self.mtime_ns
            and entry.get("sha256") == self.sha256
        )


def code_version() -> str:
    """soptui's version, and the size and mtime of the modules that validate (a developer's
    edit to a model drops the cache even before the version changes)."""
    here = Path(__file__).parent
    parts = [__version__, str(CACHE_FORMAT)]
    for name in _CODE:
        try:
            info = os.stat(here / name)
        except OSError:
            parts.append(f"{name}:-")
            continue
        parts.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return " ".join(parts)


def trusted(info: os.stat_result) -> bool:
    """Owned by this user and not writable by group or others."""
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


@dataclass
class ValidatedCache:
    """Validated files by kind ("Playbook", "GoalsFile" …) and stamp; see the module docstring.

    ``directory`` None means no cache (every lookup misses, nothing is written).
    """

    directory: Path | None
    version: str = field(default_factory=code_version)
    entries: dict[str, Any] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    """The keys looked up or stored this time (kept first when saving)."""
    dirty: bool = False
    writable: bool = False
    """Whether the directory may be written (missing, or trusted)."""
    hits: int = 0
    misses: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)
    """The app's workers fold runs too (stored versions): one thread at a time."""

    @classmethod
    def open(cls, directory: Path | None) -> ValidatedCache:
        """The cache kept in ``directory``: its entries if the file is trusted and current,
        else none (and the file is replaced at the next save, if the directory is trusted)."""
        cache = cls(directory)
        if directory is None:
            return cache
        try:
            info = os.stat(directory)
        except FileNotFoundError:
            cache.writable = True
            return cache
        except OSError:
            return cache
        if not stat.S_ISDIR(info.st_mode) or not trusted(info):
            return cache  # planted or shared: neither read nor written
        cache.writable = True
        loaded = _read_trusted(directory / CACHE_FILE)
        if (
            isinstance(loaded, dict)
            and loaded.get("format") == CACHE_FORMAT
            and loaded.get("version") == cache.version
            and isinstance(loaded.get("entries"), dict)
        ):
            cache.entries = _texts_as_bytes(loaded["entries"])
        else:
            cache.dirty = True  # missing, untrusted, corrupt or outdated: write a new one
        return cache

    @staticmethod
    def key(kind: str, stamp: Stamp) -> str:
        return f"{kind}:{stamp.path}"

    def get(self, kind: str, stamp: Stamp) -> Any | None:
        """The value stored for this exact version of the file, else None."""
        if self.directory is None:
            return None
        key = self.key(kind, stamp)
        with self.lock:
            self.used.add(key)
            entry = self.entries.get(key)
            if isinstance(entry, dict) and stamp.matches(entry):
                self.hits += 1
                return entry.get("value")
            self.misses += 1
            return None

    def put(self, kind: str, stamp: Stamp, value: Any) -> None:
        """Remember what validating this version of the file gave (JSON data; a text is
        given back by :meth:`get` as UTF-8 bytes)."""
        if self.directory is None:
            return
        if isinstance(value, str):
            value = value.encode()
        key = self.key(kind, stamp)
        entry = {"size": stamp.size, "mtime_ns": stamp.mtime_ns, "sha256": stamp.sha256, "value": value}
        with self.lock:
            if self.entries.get(key) != entry:
                self.entries[key] = entry
                self.dirty = True
            self.used.add(key)

    def save(self) -> bool:
        """Write the cache if it changed; False when it could not be (never raises)."""
        with self.lock:
            return self._save()

    def _save(self) -> bool:
        if self.directory is None or not self.dirty or not self.writable:
            return False
        kept = {key: self.entries[key] for key in self.used if key in self.entries}
        # The others stay while their file exists (another language's bundled set, say);
        # stored versions (no file) stay only while some run still uses them.
        for key, entry in self.entries.items():
            if len(kept) >= MAX_ENTRIES:
                break
            if key not in kept and os.path.exists(key.partition(":")[2]):
                kept[key] = entry
        text = json.dumps(
            {"format": CACHE_FORMAT, "version": self.version, "entries": kept},
            ensure_ascii=False,
            separators=(",", ":"),
            default=_bytes_as_text,
        )
        try:
            _write_trusted(self.directory, text)
        except (OSError, ValueError):
            return False
        self.dirty = False
        return True


def _texts_as_bytes(entries: dict[str, Any]) -> dict[str, Any]:
    """``entries`` with each text value (a playbook's canonical JSON) as UTF-8 bytes: the
    playbooks keep these very objects, and a Chinese text takes two or four bytes a
    character as a ``str``."""
    for entry in entries.values():
        if isinstance(entry, dict) and isinstance(entry.get("value"), str):
            entry["value"] = entry["value"].encode()
    return entries


def _bytes_as_text(value: object) -> str:
    """How ``json.dumps`` writes a value kept as bytes: the text it was read as."""
    if isinstance(value, bytes):
        return value.decode()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _read_trusted(path: Path) -> Any:
    """The JSON in ``path`` if it is a regular file this user owns and only this user may
    write (opened without following a link); else None. Never raises."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not trusted(info) or info.st_size > MAX_CACHE_BYTES:
            return None
        chunks = []
        while chunk := os.read(fd, 1024 * 1024):
            chunks.append(chunk)
        return json.loads(b"".join(chunks))
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(fd)


def _write_trusted(directory: Path, text: str) -> None:
    """Replace the cache file whole: a new private (0600) file renamed over the old one, in
    a directory this user owns (created 0700 when missing) and no one else may write."""
    with contextlib.suppress(FileExistsError):
        os.makedirs(directory, mode=0o700)
    info = os.stat(directory)
    if not stat.S_ISDIR(info.st_mode) or not trusted(info):
        raise OSError(f"{directory} is not a private directory of this user")
    # mkstemp creates the file exclusively (never through a planted link), mode 0600; the
    # rename replaces whatever the name held (a link is replaced, never followed).
    import tempfile  # only when the cache changed: a warm start does not pay for it

    fd, temporary = tempfile.mkstemp(prefix=f".{CACHE_FILE}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, directory / CACHE_FILE)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
