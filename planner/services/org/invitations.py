"""One-time activation links: a random token (shown once, to whoever invites) of which
only the sha256 is stored; it expires (INVITATION_HOURS, 72 by default) and works once.
Activating sets the person's password (the house rules) and ends their other sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from ...extensions import db
from ...models import Invitation, User
from ...models.base import utcnow
from ...refusal import Refused, refuse_fields
from ...security import hash_password
from . import audit, fields
from .fields import _

TOKEN_BYTES = 32
UNUSABLE = "!"  # a password hash that no password matches (argon2 refuses to read it)


def unusable_password() -> str:
    return UNUSABLE + secrets.token_hex(16)


def has_password(user: User) -> bool:
    return not user.password_hash.startswith(UNUSABLE)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def hours() -> int:
    return int(current_app.config.get("INVITATION_HOURS", 72))


def invite(actor: User | None, user: User) -> str:
    """A new activation link's token for `user` (earlier unused links stop working). The
    token is returned once and never stored."""
    if not user.active:
        raise Refused(_("This person is deactivated: reactivate them first."))
    now = utcnow()
    db.session.execute(update(Invitation).where(
        Invitation.user_id == user.id, Invitation.used_at.is_(None),
        Invitation.expires_at > now).values(expires_at=now))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    inv = Invitation(user_id=user.id, token_hash=_digest(token),
                     expires_at=now + timedelta(hours=hours()),
                     created_by_id=actor.id if actor is not None else None)
    db.session.add(inv)
    db.session.flush()
    audit.record(actor or user, "invite", "invitation", user.id, None, None,
                 inv.expires_at.isoformat(), {"invitation_id": inv.id})
    db.session.flush()
    return token


class LinkProblem(Refused):
    """The link cannot be used: `code` is unknown, used or expired."""

    def __init__(self, code: str) -> None:
        messages = {
            "used": _("This activation link has been used already. Log in with your "
                      "password, or ask your manager for a new link."),
            "expired": _("This activation link has expired. Ask your manager or the "
                         "administrator for a new one."),
        }
        super().__init__(messages.get(code, _("This activation link is not valid.")))
        self.code = code


def find(token: str) -> Invitation:
    """The invitation of a link, or LinkProblem."""
    if not token or len(token) > 100 or not token.isascii():
        raise LinkProblem("unknown")
    inv: Invitation | None = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _digest(token)))
    if inv is None or not inv.user.active:
        raise LinkProblem("unknown")
    if inv.used_at is not None:
        raise LinkProblem("used")
    if inv.expires_at <= utcnow():
        raise LinkProblem("expired")
    return inv


def activate(token: str, password: Any, again: Any) -> User:
    """Set the password through a link (once): the link is spent, other sessions end."""
    inv = find(token)
    user = inv.user
    errors: dict[str, str] = {}
    text = fields.password(errors, "password", password, again, user.username)
    refuse_fields(errors)
    user.password_hash = hash_password(text)
    user.rotate_session()
    inv.used_at = utcnow()
    audit.record(user, "activate", "invitation", user.id, None, None, None,
                 {"invitation_id": inv.id})
    db.session.flush()
    return user


def pending(user_ids: list[int]) -> set[int]:
    """Those of `user_ids` with a link that still works."""
    if not user_ids:
        return set()
    return set(db.session.scalars(select(Invitation.user_id).where(
        Invitation.user_id.in_(user_ids), Invitation.used_at.is_(None),
        Invitation.expires_at > utcnow())))
