"""A fake Web Push service on 127.0.0.1 for the tests and the reminders benchmark (no real
push service can be reached here).

`subscribe()` makes a subscription as a browser would (a P-256 key pair and a 16-byte
auth secret, an endpoint on this server). Each POST is checked like a push service does:
the VAPID `Authorization: vapid t=<JWT>,k=<key>` (ES256 signature against the key the
subscription was made with, `aud` = this origin, `exp` in the next 24 h, a `sub`),
`TTL` (a positive integer), `Urgency`, `Content-Encoding: aes128gcm`; the body is
decrypted with http_ece using the subscription's private key and auth secret. Answers are
201, or what the test scripted for that endpoint (404, 410, 429 with Retry-After, 500...).
A request that fails a check answers 400/401/403 and is kept in `errors`.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

URGENCIES = {"very-low", "low", "normal", "high"}


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


@dataclass
class Device:
    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    server_key: str  # the applicationServerKey the browser subscribed with
    script: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    delay: float = 0.0


@dataclass
class Received:
    token: str
    payload: dict[str, Any]
    ttl: int
    urgency: str
    topic: str | None
    status: int  # what the fake answered


class FakePushService:
    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []  # every well-formed request, whatever answered
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self._jwt_ok: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ------------------------------------------------------------ set-up
    def start(self) -> FakePushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def __enter__(self) -> FakePushService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def subscribe(self, server_key: str) -> dict[str, Any]:
        """A subscription as PushManager.subscribe() returns it (toJSON())."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        token = secrets.token_urlsafe(12)
        self.devices[token] = Device(token, key, auth, server_key)
        p256dh = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.origin}/push/{token}",
                "keys": {"p256dh": _b64e(p256dh), "auth": _b64e(auth)}}

    def script(self, endpoint: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        """The next answers for this endpoint (then 201 again)."""
        dev = self.devices[endpoint.rsplit("/", 1)[1]]
        for a in answers:
            dev.script.append(a if isinstance(a, tuple) else (a, {}))

    def slow(self, endpoint: str, seconds: float) -> None:
        self.devices[endpoint.rsplit("/", 1)[1]].delay = seconds

    def delivered(self) -> list[Received]:
        """Messages answered 201 (what a phone would get)."""
        with self.lock:
            return [r for r in self.received if r.status == 201]

    # ------------------------------------------------------------ checks
    def _check_vapid(self, header: str, dev: Device) -> str | None:
        if not header.startswith("vapid "):
            return "Authorization is not 'vapid t=...,k=...'"
        parts = dict(p.strip().split("=", 1) for p in header[6:].split(",") if "=" in p)
        token, k = parts.get("t", ""), parts.get("k", "")
        if k != dev.server_key:
            return "VAPID key k= is not the key the subscription was made with"
        if token in self._jwt_ok:
            return None
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            head = json.loads(_b64d(head_b64))
            claims = json.loads(_b64d(claims_b64))
            sig = _b64d(sig_b64)
        except ValueError:
            return "VAPID token is not a JWT"
        if head.get("alg") != "ES256" or len(sig) != 64:
            return "VAPID token is not ES256"
        pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64d(k))
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        try:
            pub.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "VAPID signature does not verify"
        if claims.get("aud") != self.origin:
            return f"VAPID aud {claims.get('aud')!r} is not {self.origin!r}"
        exp = int(claims.get("exp", 0))
        now = time.time()
        if not now < exp <= now + 24 * 3600:
            return "VAPID exp is not within the next 24 hours"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "VAPID sub is not a mailto: or https: URL"
        with self.lock:
            self._jwt_ok.add(token)
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, code: int, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _refuse(self, code: int, why: str) -> None:
                with service.lock:
                    service.errors.append(why)
                self._answer(code)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                token = self.path.rsplit("/", 1)[-1]
                dev = service.devices.get(token)
                if not self.path.startswith("/push/") or dev is None:
                    self._answer(404)
                    return
                why = service._check_vapid(self.headers.get("Authorization", ""), dev)
                if why:
                    self._refuse(403 if "key" in why else 401, why)
                    return
                refusal = _check_headers(self.headers, body)
                if refusal:
                    self._refuse(*refusal)
                    return
                ttl, urgency = self.headers["TTL"], self.headers["Urgency"]
                try:
                    plain = http_ece.decrypt(body, private_key=dev.private_key,
                                             auth_secret=dev.auth, version="aes128gcm")
                    payload = json.loads(plain)
                except Exception as exc:
                    self._refuse(400, f"cannot decrypt: {exc!r}")
                    return
                if dev.delay:
                    time.sleep(dev.delay)
                with service.lock:
                    code, headers = dev.script.popleft() if dev.script else (201, {})
                    service.received.append(Received(token, payload, int(ttl), urgency,
                                                     self.headers.get("Topic"), code))
                self._answer(code, headers)

        return Handler


def _check_headers(headers: Any, body: bytes) -> tuple[int, str] | None:
    """(status, why) when a push request breaks RFC 8030/8291's rules, else None."""
    ttl = headers.get("TTL", "")
    if not ttl.isdigit() or int(ttl) <= 0:
        return 400, f"TTL {ttl!r} is not a positive integer"
    urgency = headers.get("Urgency", "")
    if urgency not in URGENCIES:
        return 400, f"Urgency {urgency!r}"
    if headers.get("Content-Encoding") != "aes128gcm":
        return 400, "Content-Encoding is not aes128gcm"
    if len(body) > 4096:
        return 413, f"payload of {len(body)} bytes"
    return None
