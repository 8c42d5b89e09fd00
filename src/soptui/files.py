"""Writing report and export files: only ever a regular file, replaced whole or not at all."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from soptui.errors import CommandError


class RefusedTarget(OSError):
    """The output path is not something a report may replace (a FIFO, device, link...)."""


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def refusal(path: Path) -> tuple[str, int | None]:
    """Why ``path`` must not be replaced ('' if it may), and the mode an existing file keeps.

    Uses ``lstat``: a symbolic link is judged itself, never what it points to.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "", None
    if stat.S_ISREG(info.st_mode):
        return "", stat.S_IMODE(info.st_mode)
    for test, kind in _KINDS:
        if test(info.st_mode):
            return f"it is {kind}, not a regular file; refusing to replace it", None
    return "it is not a regular file; refusing to replace it", None


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file beside it and an atomic rename.

    Only a missing path or an existing regular file is replaced (the file keeps its
    permission mode; a new one is private, 0600). FIFOs, devices, directories, sockets
    and symbolic links are refused with :class:`RefusedTarget`. If writing fails (a full
    disk, an I/O error) the target is untouched and the temporary file is removed.
    """
    reason, mode = refusal(path)
    if reason:
        raise RefusedTarget(0, reason, str(path))
    directory = path.parent if str(path.parent) else Path(".")
    import tempfile  # only when writing: a report to standard output does not pay for it

    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # Judge the path again just before the rename: it may have changed meanwhile.
        reason, _ = refusal(path)
        if reason:
            raise RefusedTarget(0, reason, str(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    sync_directory(directory)


def create_new(path: Path, text: str = "", mode: int = 0o600, *, exact_mode: bool = False) -> None:
    """Create ``path`` as a new file holding ``text``.

    Never overwrites (FileExistsError) and never follows a symbolic link planted at the path
    (``O_EXCL | O_NOFOLLOW``). The file gets ``mode`` as the umask allows it, or exactly
    ``mode`` with ``exact_mode``. Other failures raise OSError.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        if exact_mode:
            os.fchmod(handle.fileno(), mode)  # the umask must not widen or narrow what was chosen
        handle.write(text)


def sync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every filesystem allows it)."""
    with contextlib.suppress(OSError):
        fsync_path(directory, os.O_DIRECTORY)


def fsync_path(path: Path, flags: int = 0) -> None:
    """Flush ``path`` (a file, or with ``os.O_DIRECTORY`` a directory) to the disk."""
    fd = os.open(path, os.O_RDONLY | flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_output(path: Path, text: str) -> None:
    """:func:`write_private` for a command's ``-o FILE``: any failure is one CommandError line."""
    try:
        write_private(path, text)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from None
