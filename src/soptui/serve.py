"""``soptui serve``: the app in a browser, through textual-serve, behind a token.

textual-serve runs one app process per browser connection: a shell command it starts with
Textual's web driver, talking to the page over a websocket. This module builds that command
from the serve command's own settings (each word quoted), puts a token check in front of
textual-serve's aiohttp application (a middleware, so textual-serve itself is used as it is),
and runs the server until Ctrl-C or SIGTERM.

Nothing here imports Textual, textual-serve or aiohttp when the module is imported: they are
loaded by :func:`run`, and a missing textual-serve is one clear error naming the extra.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import ipaddress
import os
import shlex
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from soptui.errors import CommandError
from soptui.i18n import _

if TYPE_CHECKING:
    from aiohttp import web
    from aiohttp.typedefs import Handler, Middleware

INSTALL_HINT = "pip install 'soptui[serve]'"
TOKEN_PARAMETER = "token"
WEBSOCKET_PATH = "/ws"
SHUTDOWN_TIMEOUT = 2.0
"""How long a stop waits for open connections once their apps were told to quit (seconds)."""


@dataclass(frozen=True)
class ServeOptions:
    """What ``soptui serve`` was asked for."""

    host: str
    port: int
    app_command: str
    """The shell command textual-serve runs for each browser connection (see :func:`app_command`)."""
    public_url: str | None = None
    """The address browsers use (a reverse proxy's); default: ``http://HOST:PORT``."""


def app_command(
    python: str,
    *,
    journal: str | None,
    operator: str,
    language: str,
    playbooks: Sequence[str],
    read_only: bool,
) -> str:
    """The command that opens the app on the week's review, with the serve command's settings.

    textual-serve hands it to a shell, so every word is quoted: a journal path or an operator
    name is never read as shell syntax.
    """
    words = [python, "-m", "soptui", "--operator", operator, "--language", language]
    if journal is not None:
        words += ["--journal", journal]
    for directory in playbooks:
        words += ["--playbooks", directory]
    words.append("review")
    if read_only:
        words.append("--read-only")
    return shlex.join(words)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.1, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` for a browser; a wildcard address becomes this machine's name."""
    if host in ("", "0.0.0.0", "::"):
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def page_url(public_url: str, token: str) -> str:
    """The link to open: the page, with the token."""
    return f"{public_url.rstrip('/')}/?{TOKEN_PARAMETER}={token}"


def new_token() -> str:
    """A fresh random token (URL-safe, 256 bits)."""
    import secrets

    return secrets.token_urlsafe(32)


def token_matches(supplied: str | None, token: str) -> bool:
    """Whether ``supplied`` is the token, compared in constant time."""
    if not supplied:
        return False
    return hmac.compare_digest(supplied.encode("utf-8", "surrogateescape"), token.encode("utf-8"))


def cookie_name(token: str) -> str:
    """The cookie that carries the token after the first page: named after a digest of the
    token, so two servers on one host (cookies ignore the port) do not overwrite each other."""
    return "soptui-" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def refusal_page() -> str:
    """The short page a request without the token gets (403), in the active language."""
    title = html.escape(_("soptui: access refused"))
    text = html.escape(
        _("This page needs the link with its token, as printed by `soptui serve` when it started.")
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n<p>{text}</p></body></html>\n"
    )


def token_guard(token: str, *, secure: bool) -> Middleware:
    """An aiohttp middleware: every request needs the token (403 and a short page without it).

    The page takes it from ``?token=`` and sets it as an HttpOnly, SameSite=Strict cookie, which
    the browser then sends with the websocket, the static files and any download.
    """
    from aiohttp import web

    cookie = cookie_name(token)
    refused = refusal_page()

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        from_query = token_matches(request.query.get(TOKEN_PARAMETER), token)
        if not (from_query or token_matches(request.cookies.get(cookie), token)):
            return web.Response(
                status=403,
                text=refused,
                content_type="text/html",
                charset="utf-8",
                headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
            )
        response = await handler(request)
        if not response.prepared:  # a websocket has sent its headers already
            response.headers["Referrer-Policy"] = "no-referrer"  # the page's address holds the token
            response.headers["X-Content-Type-Options"] = "nosniff"
            if from_query:
                response.headers["Cache-Control"] = "no-store"
                response.set_cookie(cookie, token, httponly=True, samesite="Strict", secure=secure, path="/")
        return response

    return guard


def session_tracker() -> tuple[Middleware, Callable[[web.Application], Awaitable[None]]]:
    """A middleware that remembers the websocket sessions, and a shutdown hook that ends them,
    so a stop does not wait for browsers to hang up.

    Each session's connection is closed: textual-serve then tells that session's app to quit
    and waits for it, as when the browser goes away.
    """
    from aiohttp import web

    sessions: dict[asyncio.Task[object], web.Request] = {}

    @web.middleware
    async def track(request: web.Request, handler: Handler) -> web.StreamResponse:
        task = asyncio.current_task()
        if request.path != WEBSOCKET_PATH or task is None:
            return await handler(request)
        sessions[task] = request
        try:
            return await handler(request)
        finally:
            sessions.pop(task, None)

    async def end_sessions(app: web.Application) -> None:
        for request in list(sessions.values()):
            if request.transport is not None:
                request.transport.close()
        if sessions:
            await asyncio.wait(list(sessions), timeout=SHUTDOWN_TIMEOUT)

    return track, end_sessions


def _server_class() -> type:
    """textual-serve's Server, without its banner (it would print the command, journal and all)."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise CommandError(
            _("`soptui serve` needs textual-serve, which is not installed: {command}").format(
                command=INSTALL_HINT
            )
        ) from None

    class QuietServer(Server):
        async def on_startup(self, app: web.Application) -> None:
            """Say nothing: :func:`run` prints the link itself."""

    return QuietServer


def run(options: ServeOptions, token: str, announce: Callable[[str], None]) -> None:
    """Serve until Ctrl-C or SIGTERM; ``announce`` gets the link once the port is bound."""
    server_class = _server_class()
    asyncio.run(_serve(server_class, options, token, announce))


async def _serve(
    server_class: type, options: ServeOptions, token: str, announce: Callable[[str], None]
) -> None:
    from aiohttp import web

    server = server_class(options.app_command, host=options.host, port=options.port, title="soptui")
    app: web.Application = await server._make_app()
    secure = (options.public_url or "").startswith("https:")
    track, end_sessions = session_tracker()
    app.middlewares.append(token_guard(token, secure=secure))
    app.middlewares.append(track)
    app.on_shutdown.append(end_sessions)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, options.host, options.port)
        try:
            await site.start()
        except OSError as error:
            raise CommandError(
                _("cannot listen on {host} port {port}: {reason}").format(
                    host=options.host, port=options.port, reason=_reason(error)
                )
            ) from None
        port = _bound_port(runner.addresses, options.port)
        server.public_url = (options.public_url or base_url(options.host, port)).rstrip("/")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        announce(page_url(server.public_url, token))
        await stop.wait()
    finally:
        await runner.cleanup()


def _bound_port(addresses: list[object], asked: int) -> int:
    """The port actually bound (``--port 0`` asks the system for a free one)."""
    for address in addresses:
        if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
            return address[1]
    return asked


def _reason(error: OSError) -> str:
    """Why binding failed, in the system's words ("Address already in use"), without
    asyncio's wrapping of it."""
    if error.errno and error.errno > 0 and not isinstance(error, socket.gaierror):
        return os.strerror(error.errno)
    return str(error.strerror or error)
