"""Posting a message to a chat robot: signing, the HTTP request, the platform's answer, retries.

Signatures, as the platforms document them:

- DingTalk (open.dingtalk.com/document/orgapp/customize-robot-security-settings, "加签"):
  ``timestamp`` in milliseconds; the string to sign is ``f"{timestamp}\\n{secret}"``, signed
  with HMAC-SHA256 keyed with the secret, Base64-encoded, then URL-encoded; both go on the
  URL: ``&timestamp=...&sign=...``. The timestamp must be within an hour of DingTalk's clock.
- Feishu/Lark (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot, "签名校验"):
  ``timestamp`` in seconds; HMAC-SHA256 keyed with ``f"{timestamp}\\n{secret}"`` over an
  empty message, Base64-encoded; both go in the JSON body as ``"timestamp"`` (a string) and
  ``"sign"``. The timestamp must be within an hour of Feishu's clock.
- WeCom has no signature: the key in the address is the credential.

Answers: WeCom and DingTalk reply ``{"errcode": 0, "errmsg": "ok"}``; Feishu replies
``{"code": 0, "msg": "success", ...}`` (older robots ``{"StatusCode": 0, ...}``). Anything
else, an HTTP error or a timeout is a failed attempt with a short reason. Reasons and
exceptions never hold the webhook's address or secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote_plus, urlsplit

from soptui.i18n import _
from soptui.notify.config import Platform, Webhook

TIMEOUT = 10.0
ATTEMPTS = 3
FIRST_PAUSE = 1.0
"""Seconds before the second attempt; doubled before each later one (1 s, 2 s, 4 s …)."""
MAX_ANSWER_BYTES = 64 * 1024
MAX_REASON_CHARS = 160
RATE_LIMITED = frozenset({45009, 130101, 9499, 11232})
"""Platform codes that mean "too many messages, slow down" (WeCom, DingTalk, Feishu): worth
another attempt after a pause, unlike a bad key or signature."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` query value (already URL-encoded)."""
    text = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), text, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign`` body field."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


@dataclass(frozen=True)
class Prepared:
    """One signed request, ready to post. Holds the address: never print it."""

    url: str
    body: bytes

    def __repr__(self) -> str:
        return "Prepared(url=***, body=...)"


def prepare(webhook: Webhook, body: dict[str, Any], now: float) -> Prepared:
    """The request for ``body``, signed as the platform asks when the webhook has a secret;
    ``now`` is the Unix time in seconds."""
    url = webhook.url.get_secret_value()
    secret = webhook.secret.get_secret_value() if webhook.secret else None
    payload = dict(body)
    if secret and webhook.kind == "dingtalk":
        stamp = int(now * 1000)
        url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={dingtalk_sign(secret, stamp)}"
    elif secret and webhook.kind == "feishu":
        stamp = int(now)
        payload = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **payload}
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Prepared(url, data)


@dataclass(frozen=True)
class Answer:
    """What one attempt got: ``reason`` is None when the platform accepted the message."""

    reason: str | None
    retry: bool = False


def judge(platform: Platform, status: int, raw: bytes) -> Answer:
    """Read the platform's answer to a POST that got HTTP ``status``."""
    if status >= 300:
        return Answer(_("HTTP {status}").format(status=status), retry=status >= 500 or status == 429)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return Answer(_("the answer was not JSON"))
    if not isinstance(data, dict):
        return Answer(_("the answer was not JSON"))
    if platform == "feishu":
        code = data.get("code", data.get("StatusCode"))
        message = data.get("msg", data.get("StatusMessage", ""))
    else:
        code, message = data.get("errcode"), data.get("errmsg", "")
    if code == 0 and not isinstance(code, bool):
        return Answer(None)
    if code is None:
        return Answer(_("the answer had no result code"))
    text = _("code {code}: {message}").format(code=code, message=str(message)[:100])
    return Answer(text, retry=isinstance(code, int) and code in RATE_LIMITED)


class Poster(Protocol):
    """Posts ``body`` to ``url``; returns (HTTP status, the answer's bytes)."""

    def __call__(self, url: str, body: bytes, timeout: float) -> tuple[int, bytes]: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook never redirects; following one would post the message somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    """POST JSON with urllib (proxies from the environment, as usual); HTTP errors are returned
    as statuses, network failures raised."""
    opener = urllib.request.build_opener(_NoRedirects())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "soptui"},
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as error:
        with error:
            return int(error.code), error.read(MAX_ANSWER_BYTES)


@dataclass(frozen=True)
class Delivery:
    """How sending one message went."""

    ok: bool
    attempts: int
    reason: str | None = None


@dataclass
class Sender:
    """Sends messages, each with up to ``attempts`` tries, pausing ``pause``, ``2 × pause`` …
    between them. ``post``, ``sleep`` and ``clock`` are injectable for tests."""

    post: Poster = http_post
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    attempts: int = ATTEMPTS
    pause: float = FIRST_PAUSE
    timeout: float = TIMEOUT

    def send(self, webhook: Webhook, body: dict[str, Any]) -> Delivery:
        reason: str | None = None
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self.sleep(self.pause * 2 ** (attempt - 2))
            answer = self._once(webhook, body)
            if answer.reason is None:
                return Delivery(True, attempt)
            reason = answer.reason
            if not answer.retry:
                return Delivery(False, attempt, scrub(reason, [webhook]))
        return Delivery(False, self.attempts, scrub(reason or "", [webhook]))

    def _once(self, webhook: Webhook, body: dict[str, Any]) -> Answer:
        # Signed afresh for every attempt: a signature's timestamp must be recent.
        request = prepare(webhook, body, self.clock())
        try:
            status, raw = self.post(request.url, request.body, self.timeout)
        except TimeoutError:
            return Answer(_("no answer within {seconds} s").format(seconds=int(self.timeout)), retry=True)
        except urllib.error.URLError as error:
            return Answer(_network_reason(error.reason), retry=True)
        except OSError as error:
            return Answer(_network_reason(error), retry=True)
        except Exception as error:  # e.g. http.client's errors: their text may hold the address
            return Answer(_("the request failed ({kind})").format(kind=type(error).__name__), retry=True)
        return judge(webhook.kind, status, raw)


def _network_reason(reason: object) -> str:
    """A short reason from a network error, without anything that could hold the address."""
    if isinstance(reason, TimeoutError):
        return _("no answer in time")
    if isinstance(reason, OSError) and reason.strerror:
        return _("cannot connect: {reason}").format(reason=reason.strerror)
    return _("cannot connect ({kind})").format(kind=type(reason).__name__)


def scrub(reason: str, webhooks: Iterable[Webhook]) -> str:
    """``reason`` cut short, with the webhooks' addresses, hosts, keys and secrets taken out
    should a platform's message ever repeat one."""
    secrets: list[str] = []
    for webhook in webhooks:
        url = webhook.url.get_secret_value()
        parts = urlsplit(url)
        secrets += [url, parts.query, parts.path, parts.netloc]
        if webhook.secret:
            secrets.append(webhook.secret.get_secret_value())
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        reason = reason.replace(secret, "…")
    return " ".join(reason.split())[:MAX_REASON_CHARS]
