"""Reminders in the app: the bell's list with mark-read, the reminder
preferences, and the Web Push subscription of this device (subscribe, unsubscribe; the
subscription is dropped at logout on this device)."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, user_logged_out
from sqlalchemy import delete, func, select

from ..errors import json_error
from ..extensions import db
from ..models import PushSubscription, Reminder, ReminderPreference, Role
from ..services import reminders
from . import bp
from .render import render

SESSION_KEY = "push_endpoint"

KIND_LABELS = {
    reminders.MORNING_PLAN: _l("Morning plan: today's targets and visits"),
    reminders.FOLLOW_UP: _l("Follow-ups due and overdue"),
    reminders.END_OF_DAY: _l("End of the day, when nothing was logged"),
    reminders.WEEKLY_REVIEW: _l("Weekly review due (Friday 17:00)"),
    reminders.BEHIND_TARGET: _l("Behind target"),
    reminders.TEAM_DIGEST: _l("Daily digest of my team"),
    reminders.REVIEW_GROUP: _l("Weekly reviews: submitted, approved, returned"),
}


def _kinds_for(role: Role) -> tuple[str, ...]:
    return reminders.MANAGER_KINDS if role != Role.REP else reminders.REP_KINDS


def _local_path(url: str | None) -> str:
    """A reminder's link, only if it is a path on this site."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return url_for("web.notifications")
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc else url_for("web.notifications")


@bp.get("/notifications")
@login_required
def notifications() -> ResponseReturnValue:
    items = reminders.inbox(current_user.id, now=reminders.utcnow())
    devices = db.session.scalar(select(func.count(PushSubscription.id)).where(
        PushSubscription.user_id == current_user.id)) or 0
    return render("notifications/index.html", "notifications/_list.html", items=items,
                  devices=devices, local_path=_local_path)


@bp.post("/notifications/read")
@login_required
def notifications_read_all() -> ResponseReturnValue:
    reminders.mark_read(current_user.id, now=reminders.utcnow())
    db.session.commit()
    return redirect(url_for("web.notifications"))


@bp.post("/notifications/<int:reminder_id>/read")
@login_required
def notification_read(reminder_id: int) -> ResponseReturnValue:
    r = db.session.get(Reminder, reminder_id)
    if r is None or r.user_id != current_user.id:
        abort(404)
    reminders.mark_read(current_user.id, reminder_id, reminders.utcnow())
    db.session.commit()
    return redirect(url_for("web.notifications"))


@bp.get("/notifications/<int:reminder_id>/open")
@login_required
def notification_open(reminder_id: int) -> ResponseReturnValue:
    """Where a tap on a notification (or on the list) goes: marks it read, then its link."""
    r = db.session.get(Reminder, reminder_id)
    if r is None or r.user_id != current_user.id:
        abort(404)
    if r.read_at is None:
        reminders.mark_read(current_user.id, reminder_id, reminders.utcnow())
        db.session.commit()
    return redirect(_local_path((r.payload or {}).get("url")))


# ------------------------------------------------------------------ preferences
def _valid_hhmm(value: str) -> bool:
    return reminders.parse_hhmm(value) is not None and len(value) == 5


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def notification_settings() -> ResponseReturnValue:
    row = db.session.get(ReminderPreference, current_user.id)
    prefs = reminders.prefs_of(row)
    kinds = _kinds_for(current_user.role)
    errors: dict[str, str] = {}
    form = {
        "kinds": [k for k in kinds if k not in prefs.kinds_off],
        "morning_time": prefs.morning.strftime("%H:%M"),
        "evening_time": prefs.evening.strftime("%H:%M"),
        "quiet_start": prefs.quiet_start.strftime("%H:%M") if prefs.quiet_start else "",
        "quiet_end": prefs.quiet_end.strftime("%H:%M") if prefs.quiet_end else "",
    }
    status = 200
    if request.method == "POST":
        chosen = request.form.getlist("kinds")
        unknown = [k for k in chosen if k not in kinds]
        form = {
            "kinds": [k for k in chosen if k in kinds],
            "morning_time": (request.form.get("morning_time") or "").strip(),
            "evening_time": (request.form.get("evening_time") or "").strip(),
            "quiet_start": (request.form.get("quiet_start") or "").strip(),
            "quiet_end": (request.form.get("quiet_end") or "").strip(),
        }
        if unknown:
            errors["kinds"] = _("Unknown reminder kind.")
        for name in ("morning_time", "evening_time"):
            if not _valid_hhmm(form[name]):
                errors[name] = _("Enter a time as HH:MM, e.g. 08:30.")
        qs, qe = form["quiet_start"], form["quiet_end"]
        if bool(qs) != bool(qe):
            errors["quiet_start"] = _("Give both ends of the quiet hours, or neither.")
        for name in ("quiet_start", "quiet_end"):
            if form[name] and not _valid_hhmm(form[name]):
                errors[name] = _("Enter a time as HH:MM, e.g. 08:30.")
        if not errors:
            if row is None:
                row = ReminderPreference(user_id=current_user.id)
                db.session.add(row)
            row.kinds_off = [k for k in kinds if k not in form["kinds"]]
            row.morning_time = form["morning_time"]
            row.evening_time = form["evening_time"]
            row.quiet_start = qs or None
            row.quiet_end = qe or None
            db.session.commit()
            flash(_("Reminder settings saved."), "ok")
            return redirect(url_for("web.notification_settings"))
        status = 422
    return render("notifications/settings.html", status=status, kinds=kinds,
                  labels=KIND_LABELS, form=form, errors=errors)


# ------------------------------------------------------------------ this device's push
def _b64_len(value: Any, size: int) -> bool:
    if not isinstance(value, str) or len(value) > 200:
        return False
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) == size and (size != 65 or raw[0] == 4)


def _bad(message: str) -> Any:
    return json_error(422, message)


@bp.get("/push/key")
@login_required
def push_key() -> ResponseReturnValue:
    resp = jsonify({"publicKey": reminders.public_key(reminders.app_key(current_app))})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/push/subscribe")
@login_required
def push_subscribe() -> ResponseReturnValue:
    """Save this device's subscription (PushSubscription.toJSON()) for the current user.
    An endpoint another user subscribed on this device before becomes this user's."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _bad(_("Send the subscription as JSON."))
    endpoint = data.get("endpoint")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    problem = reminders.endpoint_problem(
        endpoint, reminders.EndpointPolicy.from_config(current_app.config))
    if problem is not None:
        return _bad(str(reminders.ENDPOINT_PROBLEMS[problem]))
    if not _b64_len(keys.get("p256dh"), 65) or not _b64_len(keys.get("auth"), 16):
        return _bad(_("The subscription's keys are not valid."))
    sub = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(endpoint=endpoint)
        db.session.add(sub)
    sub.user_id = current_user.id
    sub.p256dh = keys["p256dh"]
    sub.auth = keys["auth"]
    sub.user_agent = (request.headers.get("User-Agent") or "")[:300]
    sub.failures = 0
    pref = db.session.get(ReminderPreference, current_user.id)
    if pref is None:
        pref = ReminderPreference(user_id=current_user.id, kinds_off=[],
                                  quiet_start=reminders.QUIET[0], quiet_end=reminders.QUIET[1])
        db.session.add(pref)
    pref.locale = str(get_locale() or "") or None  # reminders in this page's language
    db.session.commit()
    session[SESSION_KEY] = endpoint
    return jsonify({"ok": True, "message": _("Reminders are on for this device.")}), 201


@bp.post("/push/unsubscribe")
@login_required
def push_unsubscribe() -> ResponseReturnValue:
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _bad(_("Send the endpoint to turn off."))
    n = db.session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint,
        PushSubscription.user_id == current_user.id)).rowcount
    db.session.commit()
    session.pop(SESSION_KEY, None)
    return jsonify({"ok": True, "removed": n,
                    "message": _("Reminders are off for this device.")})


def _drop_at_logout(sender: Any, user: Any) -> None:
    """Logging out on a device drops that device's subscription (the next person to use
    the phone must not get this user's reminders)."""
    endpoints = {session.pop(SESSION_KEY, None)}
    if request.method == "POST":  # push.js adds the device's endpoint to the logout form
        endpoints.add(request.form.get("push_endpoint"))
    endpoints = {e for e in endpoints if isinstance(e, str) and e}
    if not endpoints or user is None or not getattr(user, "id", None):
        return
    db.session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint.in_(endpoints), PushSubscription.user_id == user.id))
    db.session.commit()


user_logged_out.connect(_drop_at_logout)
