"""A local stand-in for the chat platforms' webhooks: an HTTP server on 127.0.0.1 that records
every request and answers as WeCom, DingTalk or Feishu would (or fails, as told)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OK_ANSWERS: dict[str, dict[str, Any]] = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}, "StatusCode": 0, "StatusMessage": "success"},
}


@dataclass
class Received:
    """One request the server got."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Hooks:
    """The server's state: what it received, and how it answers next."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    """Answers to give before answering OK: (HTTP status, JSON body or None), first first."""
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, platform: str, tail: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{platform}{tail}"

    def fail(self, times: int, status: int = 500, body: dict[str, Any] | None = None) -> None:
        self.failures += [(status, body)] * times

    def bodies(self) -> list[Any]:
        return [r.json for r in self.received]


def _handler(hooks: Hooks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            with hooks.lock:
                hooks.received.append(
                    Received(parts.path, parse_qs(parts.query), dict(self.headers), body, time.time())
                )
                failure = hooks.failures.pop(0) if hooks.failures else None
            if hooks.delay:
                time.sleep(hooks.delay)
            platform = parts.path.strip("/").split("/")[0]
            status, answer = failure if failure else (200, OK_ANSWERS.get(platform, {"errcode": 0}))
            data = json.dumps(answer if answer is not None else {"error": "server error"}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def webhook_server() -> Iterator[Hooks]:
    """A recording webhook server on 127.0.0.1 (a random free port) for the test's duration."""
    hooks = Hooks()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hooks))
    hooks.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hooks
    finally:
        server.shutdown()
        server.server_close()
