"""What a visit says, whichever channel sent it: the form's payload as the outbox makes
it, the canonical payload and its hash (same id + other hash = conflict)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from ...money import MoneyError, parse_fen
from .rules import LEAD_LIMITS, MONEY_FIELDS, UUID_RE


def parse_money(value: Any) -> int | None:
    """Yuan (a string like "12,345.67" or a number) -> fen, by the app's one money parser
    (planner.money). None if it is not a plain amount."""
    try:
        return parse_fen(value)
    except MoneyError:
        return None


# Form fields that are not part of the visit: the outbox leaves them out of its payload.
FORM_ONLY = ("csrf_token", "q", "context", "id", "lead_uuid")


def form_payload(form: Any) -> dict[str, Any]:
    """The payload static/js/offline/form.js makes of the same form (formPayload +
    saveForm), so a form POST whose answer was lost and the same visit sent again from the
    outbox hash alike: trimmed values, empty ones left out, products as a list; a customer
    picked wins over a lead's name typed, and a new lead carries the form's lead UUID."""
    payload: dict[str, Any] = {}
    for key in form.keys():
        if key in FORM_ONLY:
            continue
        values = [str(v).strip() for v in form.getlist(key)]
        if key == "products":
            payload[key] = values
            continue
        filled = [v for v in values if v != ""]
        if filled:
            payload[key] = filled[-1]
    if payload.get("customer_id"):
        # A customer picked: the visit is to that customer (a lead's name typed before
        # the pick is not a new lead).
        for key in LEAD_LIMITS:
            payload.pop(key, None)
    elif payload.get("new_customer_name"):
        lead = str(form.get("lead_uuid", "")).strip().lower()
        if UUID_RE.match(lead):
            payload["customer_uuid"] = lead
    return payload


# Keys that are not part of what the visit says: the id is the key itself; `logged_at` is
# when the phone saved it (the time of a visit whose time was left empty), which a form
# POST does not carry: the same visit sent both ways must hash alike.
NOT_HASHED = (*FORM_ONLY, "logged_at", "user", "type")


_NOT_HASHED = frozenset(NOT_HASHED)
_MONEY_KEYS = tuple((key, f"{key}_fen") for key in MONEY_FIELDS)
_PLAIN_YUAN = re.compile(r"[0-9]{1,15}(?:\.[0-9]{0,2})?")  # the common case, parsed quickly


def _canon_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        v = value.strip()
        return v.lower() if key == "customer_uuid" else v
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        items = [_canon_value(key, v) for v in value]
        return sorted((v for v in items if v not in (None, "")), key=str)
    return value


def _canon_fen(value: Any) -> int | None:
    if isinstance(value, str) and _PLAIN_YUAN.fullmatch(value):
        yuan, _point, cents = value.partition(".")
        return int(yuan) * 100 + int((cents + "00")[:2])
    return parse_money(value)


def canonical_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a visit says, the same whichever way it came (form, API, outbox): trimmed
    text, numbers as their digits, empty values and the channel's own keys left out,
    products in order, and money as integer fen (`12800` yuan = `amount_signed_fen`
    1280000) where it parses."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in _NOT_HASHED:
            continue
        if type(value) is str:  # nearly every value: quickly
            v: Any = value.strip()
            if key == "customer_uuid":
                v = v.lower()
        else:
            v = _canon_value(str(key), value)
        if v is not None and v != "" and v != []:
            out[str(key)] = v
    for key, fen_key in _MONEY_KEYS:
        if key not in out and fen_key not in out:
            continue
        fen_raw = payload.get(fen_key)
        if isinstance(fen_raw, int) and not isinstance(fen_raw, bool):
            fen: int | None = fen_raw
        elif fen_key in out:
            continue  # not money: hashed as sent (it is rejected anyway)
        else:
            fen = _canon_fen(out[key])
        if fen is None:
            continue
        out.pop(key, None)
        out.pop(fen_key, None)
        if fen:
            out[fen_key] = fen
    return out


def _digest(payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def payload_hash(payload: Mapping[str, Any]) -> str:
    """sha256 of the canonical payload: same id + other hash = conflict."""
    return _digest(canonical_payload(payload))


def same_payload(stored: str | None, payload: Mapping[str, Any]) -> bool:
    """Whether a stored hash is this payload's: the canonical hash, or the hash of the
    payload exactly as sent (how hashes were made before the canonical form)."""
    return stored is not None and (stored == payload_hash(payload) or stored == _digest(payload))
