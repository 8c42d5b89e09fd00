"""``soptui serve``: the week's review in a browser, behind a token, read-only by default.

The server runs as a real subprocess on a temporary journal; the page is loaded by a real
headless browser (Debian's chromium, driven by Playwright, never a downloaded browser).
"""

from __future__ import annotations

import ast
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from soptui.serve import (
    app_command,
    base_url,
    cookie_name,
    is_loopback,
    page_url,
    token_matches,
)
from tests.conftest import REPO, Run

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REVIEW_TITLE = "周回顾"  # the review screen's header, in Chinese (the operators' first language)
REFUSED = "无法记录"  # from "the journal … is read-only; nothing can be recorded", in Chinese
ESCAPES = re.compile(r"\x1b(\[[0-9;?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|.)")


# -- the pieces ------------------------------------------------------------------------


def test_the_app_command_quotes_every_word() -> None:
    """textual-serve gives the command to a shell: no setting is ever read as shell syntax."""
    operator = "eve; touch /tmp/pwned $(id) `id` 'q' \"dq\""
    journal = "/tmp/a journal/$HOME/j.sqlite3"
    command = app_command(
        "/usr/bin/python3",
        journal=journal,
        operator=operator,
        language="zh",
        playbooks=["/srv/team playbooks", "rel;dir"],
        read_only=True,
    )
    assert shlex.split(command) == [
        "/usr/bin/python3",
        "-m",
        "soptui",
        "--operator",
        operator,
        "--language",
        "zh",
        "--journal",
        journal,
        "--playbooks",
        "/srv/team playbooks",
        "--playbooks",
        "rel;dir",
        "review",
        "--read-only",
    ]
    writable = app_command("py", journal=None, operator="a", language="en", playbooks=[], read_only=False)
    assert shlex.split(writable) == ["py", "-m", "soptui", "--operator", "a", "--language", "en", "review"]


def test_loopback_and_urls() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.1.2.3", "example.org", ""))
    assert base_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert base_url("::1", 8000) == "http://[::1]:8000"
    assert page_url("https://review.example.org/", "abc") == "https://review.example.org/?token=abc"


def test_token_comparison() -> None:
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cre", "s3cret")
    assert not token_matches("", "s3cret")
    assert not token_matches(None, "s3cret")
    assert not token_matches("\udcff不是", "s3cret")  # any text: never an exception
    assert cookie_name("a") != cookie_name("b")
    token = "Zq3xYv-9_token"
    assert token not in cookie_name(token) and cookie_name(token) == cookie_name(token)  # a digest


def test_importing_serve_loads_no_web_or_terminal_library() -> None:
    """``soptui --help`` and the other commands stay fast: textual-serve loads only to serve."""
    code = (
        "import sys, soptui.serve, soptui.commands.serve_commands, soptui.cli\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert not {"textual", "textual_serve", "aiohttp", "rich"} & set(ast.literal_eval(result.stdout))


# -- the command, without a server ------------------------------------------------------


@dataclass
class Served:
    """What the serve command was asked to run (its server replaced by a recorder)."""

    options: list[object] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> Served:
    import soptui.commands.serve_commands as commands

    served = Served()

    def run(options: object, token: str, announce: Callable[[str], None]) -> None:
        served.options.append(options)
        announce(f"http://127.0.0.1:8000/?token={token}")

    monkeypatch.setattr(commands, "run", run)
    return served


def test_the_app_gets_the_serve_commands_settings(
    cli: Callable[..., Run], no_server: Served, tmp_path: Path
) -> None:
    cli("done", "morning", "welcome")
    extra = tmp_path / "extra playbooks"
    extra.mkdir()
    code, out, err = cli("--playbooks", str(extra), "--operator", "bob", "--language", "zh", "serve")
    assert code == 0, err
    words = shlex.split(no_server.options[0].app_command)  # type: ignore[attr-defined]
    assert words[:3] == [sys.executable, "-m", "soptui"]
    assert words[3:] == [
        "--operator",
        "bob",
        "--language",
        "zh",
        "--journal",
        str(tmp_path / "j.sqlite3"),
        "--playbooks",
        str(extra),
        "review",
        "--read-only",
    ]
    assert "http://127.0.0.1:8000/?token=" in out and "只读" in out
    assert "警告" not in err  # 127.0.0.1: nothing to warn about

    code, out, err = cli("serve", "--allow-actions")
    assert code == 0, err
    assert "--read-only" not in shlex.split(no_server.options[1].app_command)  # type: ignore[attr-defined]
    assert "record actions" in out


def test_binding_elsewhere_warns(cli: Callable[..., Run], no_server: Served) -> None:
    cli("done", "morning", "welcome")
    code, _out, err = cli("serve", "--host", "0.0.0.0")
    assert code == 0
    assert "warning: listening on 0.0.0.0: anyone who can reach it and has the token can read" in err
    assert "reverse proxy with TLS" in err
    code, _out, err = cli("--language", "zh", "serve", "--host", "10.0.0.5", "--allow-actions")
    assert "警告" in err and "10.0.0.5" in err and "记录操作" in err


def test_read_only_needs_a_journal(cli: Callable[..., Run], no_server: Served) -> None:
    code, _out, err = cli("serve")
    assert code == 1
    assert "no journal at" in err and not no_server.options


def test_bad_options_are_usage_errors(cli: Callable[..., Run], no_server: Served) -> None:
    cli("done", "morning", "welcome")
    assert cli("serve", "--port", "70000")[0] == 2
    code, _out, err = cli("serve", "--public-url", "review.example.org")
    assert code == 2 and "--public-url" in err


def test_a_port_in_use_is_one_clear_line(cli: Callable[..., Run]) -> None:
    cli("done", "morning", "welcome")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = cli("serve", "--port", str(port))
    assert code == 1 and "token=" not in out
    assert err.strip() == f"soptui: error: cannot listen on 127.0.0.1 port {port}: Address already in use"


def test_the_help_is_chinese(cli: Callable[..., Run]) -> None:
    _code, out, _err = cli("--language", "zh", "serve", "--help")
    assert "浏览器" in out and "只读" in out and "--allow-actions" in out
    _code, out, _err = cli("review", "--help")
    assert "--read-only" not in out  # only for the app that serve starts


def test_without_textual_serve_says_how_to_install_it(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("done", "morning", "welcome")
    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    code, _out, err = cli("serve")
    assert code == 1
    assert "needs textual-serve" in err and "pip install 'soptui[serve]'" in err


# -- a real server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    lines: queue.Queue[str]

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as in a terminal; the exit status and what it printed on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        assert self.process.stderr is not None
        return self.process.returncode, self.process.stderr.read()


@pytest.fixture
def journal(cli: Callable[..., Run]) -> Path:
    """A journal with one step done yesterday: today's run is not open yet, so opening it
    would write."""
    yesterday = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)
    code, _out, err = cli("done", "morning", "welcome", "--at", f"{yesterday:%Y-%m-%d}T09:00")
    assert code == 0, err
    return Path(os.environ["SOPTUI_JOURNAL"])


@pytest.fixture
def server(journal: Path) -> Iterator[Server]:
    """``soptui --language zh serve`` on a free port, until the test ends."""
    command = [sys.executable, "-m", "soptui", "--language", "zh", "serve", "--port", str(free_port())]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=journal.parent,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:  # drained to the end: textual-serve passes the apps' stderr on
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    url = ""
    deadline = time.monotonic() + 20
    while not url and time.monotonic() < deadline and process.poll() is None:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        found = re.search(r"http://\S+\?token=\S+", line)
        url = found.group(0) if found else ""
    if not url:
        process.kill()
        assert process.stderr is not None
        pytest.fail(f"soptui serve printed no link: {process.stderr.read()}")
    served = Server(process, url, lines)
    yield served
    if process.poll() is None:
        served.stop()


def fetch(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def test_without_the_token_every_request_is_refused(server: Server) -> None:
    for path in ("/", "/?token=wrong", f"/?token={server.token}x", "/ws", "/static/js/textual.js"):
        status, headers, body = fetch(server.base + path)
        assert status == 403, path
        assert "拒绝访问" in body and "soptui serve" in body, path  # a short page, in Chinese

    status, headers, body = fetch(server.url)
    assert status == 200
    assert 'data-session-websocket-url="ws://127.0.0.1:' in body
    assert headers["Referrer-Policy"] == "no-referrer"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert fetch(server.base + "/static/js/textual.js", cookie.split(";")[0])[0] == 200

    code, stderr = server.stop()
    assert code == 0 and "Traceback" not in stderr


# -- a real browser ---------------------------------------------------------------------


def screen_text(frames: list[bytes]) -> str:
    """What the app wrote to the browser's terminal, its escape sequences taken out."""
    return ESCAPES.sub("", b"".join(frames).decode("utf-8", "replace"))


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium")
def test_the_review_in_a_browser(server: Server, journal: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from soptui.journal import Journal

    def events() -> int:
        with Journal.open(journal, readonly=True) as opened:
            return opened.event_count()

    before = events()
    frames: list[bytes] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.on(
                "websocket",
                lambda socket: socket.on(
                    "framereceived",
                    lambda data: frames.append(data if isinstance(data, bytes) else data.encode()),
                ),
            )
            page.goto(server.url)

            def wait_for(text: str, since: int = 0) -> bool:
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    if text in screen_text(frames[since:]):
                        return True
                    page.wait_for_timeout(100)
                return False

            assert wait_for(REVIEW_TITLE), screen_text(frames)[-2000:]
            page.wait_for_timeout(500)  # let the table finish drawing
            shot = tmp_path / "serve-review.png"
            page.screenshot(path=str(shot))
            print(f"\nscreenshot of the review in the browser: {shot}")

            # An action, read-only: the screen says so and the journal is not written.
            page.focus("textarea.xterm-helper-textarea")  # xterm.js takes the keys here
            since = len(frames)
            page.keyboard.press("Escape")  # back to Today
            page.wait_for_timeout(500)
            page.keyboard.press("Enter")  # open the morning round: it would open today's run
            assert wait_for(REFUSED, since), screen_text(frames[since:])[-2000:]
            refused = tmp_path / "serve-read-only.png"
            page.screenshot(path=str(refused))
            print(f"screenshot of the refused action: {refused}")
            assert events() == before

            # Ctrl-C while a browser is connected: the server and the app stop cleanly.
            started = time.monotonic()
            code, stderr = server.stop()
            assert code == 0 and "Traceback" not in stderr, stderr
            assert time.monotonic() - started < 10
        finally:
            browser.close()
    assert events() == before
