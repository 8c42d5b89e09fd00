"""Shared fixtures: every test runs with its own config, data and journal locations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from soptui.playbooks.library import Library, Source, bundled_root, load_library

REPO = Path(__file__).resolve().parents[1]
TOML_TEST = REPO / "tests" / "data" / "toml-test"

MINIMAL = """\
title = "Minimal"
cadence = "daily"

[[steps]]
id = "one"
title = "Step one"
"""


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep a developer's own config, playbooks and journal out of every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SOPTUI_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("SOPTUI_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("SOPTUI_CACHE_DIR", str(home / "cache"))
    for name in ("SOPTUI_JOURNAL", "SOPTUI_PLAYBOOKS", "SOPTUI_OPERATOR", "SOPTUI_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    from soptui.i18n import activate

    activate("en")  # a test that ran the app or CLI in Chinese leaves the process in Chinese
    yield home


def write(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` as ``directory/name`` and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def zh() -> Library:
    """The bundled Chinese playbooks, loaded once."""
    return load_library([Source(bundled_root(), "bundled")])


@pytest.fixture(scope="session")
def en() -> Library:
    """The bundled English playbooks, loaded once."""
    return load_library([Source(bundled_root() / "en", "bundled")])


Run = tuple[int, str, str]
"""What a CLI call gave: exit status, stdout, stderr."""


@pytest.fixture
def cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Run]:
    """``soptui`` in-process, on the test playbooks in ``tmp_path/pbs`` and a journal of its own.

    Never a traceback: every refusal is one clear line (asserted on every call).
    """
    from soptui.cli import main
    from tests.helpers import DAILY, INCIDENT

    directory = tmp_path / "pbs"
    write(directory, "morning.toml", DAILY)
    write(directory, "spam.toml", INCIDENT)
    monkeypatch.setenv("SOPTUI_PLAYBOOKS", str(directory))
    monkeypatch.setenv("SOPTUI_JOURNAL", str(tmp_path / "j.sqlite3"))
    monkeypatch.setenv("SOPTUI_OPERATOR", "alice")

    def run(*args: str) -> Run:
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return run


from tests.pg_support import backend, pg_server  # noqa: E402, F401  (journal backends: SQLite, PostgreSQL)
from tests.tmux_support import tmux  # noqa: E402, F401  (a fixture shared by the real-terminal tests)
