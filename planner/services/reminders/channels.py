"""Web Push: the server's VAPID key pair and sending one message with pywebpush.

The VAPID private key is generated once into the instance folder (`vapid_private.pem`,
mode 600) unless VAPID_PRIVATE_KEY is set; browsers subscribe with its public key
(`applicationServerKey`), so rotating it (`flask planner vapid --rotate`) ends every
subscription: they are deleted and each device subscribes again on its next visit.

`Sender.send()` never raises: it answers an `Outcome` the dispatcher acts on
(ok, gone, retry with a delay, config problem, error). No database access here, so
nothing of a transaction can be held open while a push service is called.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, has_app_context
from py_vapid import Vapid02
from pywebpush import WebPusher

from .endpoints import BlockedAddress, EndpointPolicy, endpoint_problem, guarded_session

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger("planner.push")

KEY_FILE = "vapid_private.pem"
MAX_PAYLOAD = 3000  # bytes of JSON; the encrypted record must stay under 4 KB
URGENCIES = ("very-low", "low", "normal", "high")
JWT_LIFETIME = 12 * 3600  # push services refuse tokens valid for more than 24 h


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _key_path(instance_path: str) -> Path:
    return Path(instance_path) / KEY_FILE


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load_pem(data: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID key must be an EC P-256 private key")
    return key


def _from_env(value: str) -> ec.EllipticCurvePrivateKey:
    """VAPID_PRIVATE_KEY: a PEM, or the raw 32-byte key in base64url (web-push's format)."""
    if "-----BEGIN" in value:
        return _load_pem(value.encode())
    raw = base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
    if len(raw) != 32:
        raise ValueError("VAPID_PRIVATE_KEY: expected a PEM or 32 bytes in base64url")
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def load_or_create_key(instance_path: str, env_value: str | None = None
                       ) -> ec.EllipticCurvePrivateKey:
    """The VAPID private key: from the environment, else the instance file, created once
    (linked into place: two processes starting together agree on one key)."""
    if env_value:
        return _from_env(env_value)
    path = _key_path(instance_path)
    if path.exists():
        return _load_pem(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    # Written whole under a name of this process's own, then linked into place: link
    # fails if the file exists, and another process never reads a half-written file.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_pem(key))
    try:
        os.link(tmp, path)
    except FileExistsError:
        return _load_pem(path.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)
    return key


def rotate_key(instance_path: str) -> ec.EllipticCurvePrivateKey:
    """Write a new key pair into the instance folder (atomically)."""
    path = _key_path(instance_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_pem(key))
    tmp.replace(path)
    return key


def public_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The applicationServerKey: the uncompressed public point in base64url."""
    return b64url(key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def app_key(app: Flask) -> ec.EllipticCurvePrivateKey:
    """The app's VAPID key (cached on the app; the file is read once per process)."""
    key: ec.EllipticCurvePrivateKey | None = app.extensions.get("planner_vapid")
    if key is None:
        key = load_or_create_key(app.instance_path, app.config.get("VAPID_PRIVATE_KEY"))
        app.extensions["planner_vapid"] = key
    return key


def encode_payload(payload: dict[str, Any]) -> bytes:
    """JSON of the notification, the body shortened (with "…") until it fits MAX_PAYLOAD."""
    data = dict(payload)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    body = str(data.get("body", ""))
    while len(raw) > MAX_PAYLOAD and body:
        over = len(raw) - MAX_PAYLOAD
        body = body[: max(0, len(body) - max(over // 3, 1) - 1)]
        data["body"] = body + "…"
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if len(raw) > MAX_PAYLOAD:
        raise ValueError("notification payload too large even without a body")
    return raw


@dataclass
class Outcome:
    """What happened to one message: ok, gone (404/410: delete the subscription), retry
    (429, 5xx, timeout or connection error; `retry_after` seconds when the service said),
    config (400/401/403/413: our keys or request are wrong), refused (the endpoint or the
    address it reached is not allowed: endpoints.py) or error (anything else)."""

    status: str
    code: int | None = None
    retry_after: float | None = None
    detail: str = ""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class Sender:
    """Sends messages with one VAPID key; keeps a keep-alive HTTP session per thread and
    one signed VAPID token per push service origin until it nears expiry."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, subject: str, timeout: float = 10.0,
                 policy: EndpointPolicy | None = None):
        self.vapid = Vapid02(key)
        self.subject = subject
        self.timeout = timeout
        # Where pushes may go (endpoints.py): given, else the app's configuration when
        # made inside an app context, else the strict defaults.
        if policy is None:
            policy = EndpointPolicy.from_config(current_app.config) if has_app_context() \
                else EndpointPolicy()
        self.policy = policy
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = guarded_session(self.policy)
        return s

    def authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        aud = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        with self._lock:
            hit = self._tokens.get(aud)
            if hit and hit[1] - now > 600:
                return hit[0]
            exp = int(now) + JWT_LIFETIME
            header = self.vapid.sign({"aud": aud, "exp": exp, "sub": self.subject})
            token = str(header["Authorization"])
            self._tokens[aud] = (token, float(exp))
            return token

    def send(self, subscription: dict[str, Any], data: bytes, *, ttl: int, urgency: str,
             topic: str | None = None) -> Outcome:
        if ttl <= 0:
            raise ValueError("TTL must be positive (0 drops the message when the phone is off)")
        if urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {URGENCIES}")
        problem = endpoint_problem(subscription.get("endpoint"), self.policy)
        if problem is not None:
            return Outcome("refused", detail=f"endpoint refused: {problem}")
        headers = {"Authorization": self.authorization(subscription["endpoint"]),
                   "Urgency": urgency}
        if topic:
            headers["Topic"] = topic[:32]
        try:
            pusher = WebPusher(subscription, requests_session=self._session())
            resp = pusher.send(data, headers=headers, ttl=ttl, content_encoding="aes128gcm",
                               timeout=self.timeout)
        except BlockedAddress as exc:
            return Outcome("refused", detail=str(exc)[:300])
        except (requests.Timeout, requests.ConnectionError) as exc:
            return Outcome("retry", detail=f"{type(exc).__name__}: {exc}"[:300])
        except Exception as exc:  # a bad key in the subscription, an encryption error
            return Outcome("error", detail=f"{type(exc).__name__}: {exc}"[:300])
        assert not isinstance(resp, str)
        code = resp.status_code
        text = (resp.text or "")[:200]
        if 300 <= code < 400:  # never followed: a push service answers, it does not redirect
            return Outcome("error", code, detail=f"{code} redirect not followed")
        if code in (200, 201, 202):
            return Outcome("ok", code)
        if code in (404, 410):
            return Outcome("gone", code, detail=f"{code} {text}")
        if code == 429 or code >= 500:
            return Outcome("retry", code, parse_retry_after(resp.headers.get("Retry-After")),
                           f"{code} {text}")
        if code in (400, 401, 403, 413):
            log.error("push service refused the request (%s): check the VAPID keys and "
                      "VAPID_SUBJECT: %s", code, text)
            return Outcome("config", code, detail=f"{code} {text}")
        return Outcome("error", code, detail=f"{code} {text}")
