"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl on a Unix socket in a temp dir.

The server starts once per test session, the first time a test asks for it (``pg_server``
in conftest.py), listens on no TCP port, and is stopped and deleted at the end. Each test
gets a database schema of its own (``fresh_url``): creating one takes milliseconds, where a
database takes a quarter of a second.

initdb refuses to run as root: as root (here and in CI) the server runs as the ``postgres``
system user (else ``nobody``) in a directory given to that user, and the tests connect over
the socket as the database superuser ``postgres``, trusted (no password).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from soptui.journal.base import JournalStore, Location, open_journal_at

SUPERUSER = "postgres"
DATABASE = "soptui_test"


def binaries() -> Path | None:
    """The directory holding initdb and pg_ctl (Debian's newest, else the PATH's)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


def missing_reason() -> str | None:
    """Why no server can be started here (None when it can)."""
    if binaries() is None:
        return "PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install -e '.[test]'"
    if os.geteuid() == 0 and _server_user() is None:
        return "running as root and neither a postgres nor a nobody user exists to run the server"
    return None


def _server_user() -> pwd.struct_passwd | None:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    return None


class PostgresServer:
    """One server process with its data directory and socket in a temporary directory."""

    def __init__(self) -> None:
        self.bin = binaries()
        assert self.bin is not None
        # The socket's path must stay under ~100 bytes: /tmp, not a long TMPDIR.
        short = "/tmp" if os.access("/tmp", os.W_OK) else None
        self.root = Path(tempfile.mkdtemp(prefix="soptui-pg-", dir=short))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as: list[str] = []
        self._numbers = itertools.count(1)
        if os.geteuid() == 0:
            user = _server_user()
            assert user is not None
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", user.pw_name, "--"]
        self.root.chmod(0o755)  # the test process (root or not) reaches the socket

    def _run(self, *command: str) -> None:
        assert self.bin is not None
        result = subprocess.run(
            [*self._as, str(self.bin / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {result.stderr or result.stdout}\n{log}")

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = " ".join(
            [
                "-c listen_addresses=''",
                f"-c unix_socket_directories='{self.root}'",
                "-c fsync=off",  # a test server: the OS never crashes under it
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c shared_buffers=32MB",
            ]
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start"
        )
        self._watch()
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")
        with psycopg.connect(self.url(DATABASE), autocommit=True) as db:
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    def _watch(self) -> None:
        """Stop the server and delete its directory if this process dies without doing it (a test
        run killed by a timeout skips the fixtures' teardown)."""
        assert self.bin is not None
        command = [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
            f"{shlex.join(command)}; rm -rf {shlex.quote(str(self.root))}"
        )
        subprocess.Popen(
            ["sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = DATABASE, schema: str | None = None) -> str:
        """A libpq URL for ``database`` over the socket (in ``schema`` when given)."""
        url = f"postgresql://{SUPERUSER}@/{database}?host={quote(str(self.root), safe='')}"
        if schema is not None:
            url += "&options=" + quote(f"-csearch_path={schema},public", safe="")
        return url

    def fresh_url(self, name: str = "t") -> str:
        """The URL of a new, empty schema: a journal of its own for one test."""
        import psycopg

        schema = f"{name}_{os.getpid()}_{next(self._numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE SCHEMA "{schema}"')
        return self.url(schema=schema)


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


class Backend:
    """The journal backend a parametrised test runs on: ``sqlite`` (a file in tmp_path) or
    ``postgresql`` (a fresh schema of the session's server per journal name)."""

    def __init__(self, name: str, tmp_path: Path, server: PostgresServer | None) -> None:
        self.name = name
        self.tmp_path = tmp_path
        self.server = server
        self._urls: dict[str, str] = {}
        self._opened: list[JournalStore] = []

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"

    def location(self, name: str = "journal") -> Location:
        """Where the test's journal called ``name`` lives (the same place on every call)."""
        if self.server is None:
            return self.tmp_path / f"{name}.sqlite3"
        if name not in self._urls:
            self._urls[name] = self.server.fresh_url(name.replace("-", "_")[:20])
        return self._urls[name]

    def open(self, name: str = "journal", *, readonly: bool = False) -> JournalStore:
        journal = open_journal_at(self.location(name), readonly=readonly)
        self._opened.append(journal)
        return journal

    def close_all(self) -> None:
        for journal in self._opened:
            with contextlib.suppress(Exception):
                journal.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server, started the first time a test asks for it."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with running_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Run the test once on each journal backend (the PostgreSQL run skips without a server)."""
    server = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    chosen = Backend(request.param, tmp_path, server)
    yield chosen
    chosen.close_all()
