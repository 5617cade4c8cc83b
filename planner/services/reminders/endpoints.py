"""Where a push may go: the rules for a subscription's endpoint, so that neither a stored
endpoint nor a name that resolves inside the server's network makes the reminder worker
a proxy into it (server-side request forgery).

Two checks:

- `endpoint_problem(url, policy)` (a key of PROBLEMS, or None), when a device
  subscribes and again before each send: an https URL, no credentials, port 443, a
  host that is a valid DNS name (never an IP literal), inside `PUSH_SERVICE_DOMAINS`
  when that allow-list is set;
- `guarded_session(policy)`, the HTTP session every push goes through: after the TCP
  connection is made, the address actually connected to is checked (loopback, private,
  link-local, multicast, reserved and other non-public addresses are refused), so a name
  that answers a public address to one lookup and an inside one to the next (DNS
  rebinding) does not get through; redirects are never followed and no proxy from the
  environment is used.

`PUSH_ALLOW_LOOPBACK` (off by default) lets tests and local development use a fake push
service on 127.0.0.1 (any port, http too); nothing else inside is ever allowed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import lazy_gettext as _l
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_URL = 1000
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
LOOPBACK_NAMES = ("localhost",)


class BlockedAddress(Exception):
    """A push connection reached an address inside (not a public one): refused. Not an
    OSError, so neither urllib3 nor requests retries or wraps it."""


@dataclass(frozen=True)
class EndpointPolicy:
    """`domains`: the push services' domains allowed (empty: any public host);
    `allow_loopback`: tests and development only; `allow_http`: http URLs too (tests)."""

    domains: tuple[str, ...] = ()
    allow_loopback: bool = False
    allow_http: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EndpointPolicy:
        raw = config.get("PUSH_SERVICE_DOMAINS") or ()
        items: Iterable[str] = raw.split(",") if isinstance(raw, str) else raw
        domains = tuple(d.strip().lower().strip(".") for d in items if d and d.strip())
        return cls(domains, bool(config.get("PUSH_ALLOW_LOOPBACK")),
                   bool(config.get("PUSH_ALLOW_HTTP")))


def blocked_address(address: str) -> bool:
    """True for an address a push must never reach: anything not globally routable
    (loopback, private, link-local, shared, unspecified), multicast and reserved; an
    IPv4 address mapped into IPv6 counts as the IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback
            or ip.is_link_local or ip.is_private or ip.is_unspecified)


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_loopback_host(host: str) -> bool:
    ip = _ip_literal(host)
    return host in LOOPBACK_NAMES if ip is None else ip.is_loopback


def valid_dns_name(host: str) -> bool:
    """A host name as DNS has it: ASCII labels (IDNs in their xn-- form) of letters,
    digits and hyphens, at least two of them, the last not all digits (so `127.1` or
    `2130706433`, which resolvers read as addresses, are not names)."""
    if not host or len(host) > 253:
        return False
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    return all(_LABEL.match(label) for label in labels)


def in_domains(host: str, domains: tuple[str, ...]) -> bool:
    return not domains or any(host == d or host.endswith("." + d) for d in domains)


# Why an endpoint is refused: a code (the worker's log) and a sentence for the person.
PROBLEMS = {
    "not_https": _l("The subscription's endpoint must be an https URL."),
    "invalid": _l("The subscription's endpoint is not a valid URL."),
    "credentials": _l("The subscription's endpoint must not carry a user name or password."),
    "ip_literal": _l("The subscription's endpoint must name a push service, not an IP "
                     "address."),
    "bad_host": _l("The subscription's endpoint does not name a valid host."),
    "port": _l("The subscription's endpoint must use the https port (443)."),
    "not_allowed": _l("This push service is not allowed here."),
}


def endpoint_problem(url: Any, policy: EndpointPolicy) -> str | None:
    """Why a push endpoint is refused (a key of PROBLEMS), or None when it may be used."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        return "not_https"
    if any(ord(ch) <= 32 or ord(ch) >= 127 for ch in url):
        return "invalid"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "invalid"
    host = (parts.hostname or "").lower()
    loopback = policy.allow_loopback and _is_loopback_host(host)
    if parts.scheme != "https" and not (
            parts.scheme == "http" and (policy.allow_http or loopback)):
        return "not_https"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    if loopback:
        return None
    if _ip_literal(host) is not None:
        return "ip_literal"
    if not valid_dns_name(host) or host in LOOPBACK_NAMES:
        return "bad_host"
    if port not in (None, 443):
        return "port"
    if not in_domains(host.rstrip("."), policy.domains):
        return "not_allowed"
    return None


# ------------------------------------------------------------------ the transport


def _checked_connection(base: type[HTTPConnection], policy: EndpointPolicy) -> type[Any]:
    """A urllib3 connection class that checks the peer of every socket it opens."""

    def _new_conn(self: HTTPConnection) -> socket.socket:
        sock = base._new_conn(self)
        try:
            peer = sock.getpeername()[0]
            if blocked_address(peer) and not (
                    policy.allow_loopback and ipaddress.ip_address(peer).is_loopback):
                raise BlockedAddress(f"{self.host} connected to {peer}, which is not a "
                                     "public address")
        except BaseException:
            sock.close()
            raise
        return sock

    return type(f"Checked{base.__name__}", (base,), {"_new_conn": _new_conn})


class _CheckedAdapter(HTTPAdapter):
    def __init__(self, policy: EndpointPolicy) -> None:
        self.policy = policy
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = type("CheckedHTTPPool", (HTTPConnectionPool,), {
            "ConnectionCls": _checked_connection(HTTPConnection, self.policy)})
        https = type("CheckedHTTPSPool", (HTTPSConnectionPool,), {
            "ConnectionCls": _checked_connection(HTTPSConnection, self.policy)})
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


class _NoRedirects(requests.Session):
    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def guarded_session(policy: EndpointPolicy) -> requests.Session:
    """A keep-alive session that checks every connection's peer, follows no redirect
    and ignores proxy settings from the environment."""
    session = _NoRedirects()
    session.trust_env = False
    adapter = _CheckedAdapter(policy)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
