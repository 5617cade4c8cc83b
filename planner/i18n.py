"""Locale selection (zh_Hans_CN by default, English available) and translation build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import gettext as _gettext
from flask_babel import ngettext as _ngettext
from flask_login import current_user

from .extensions import babel

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_translations() -> None:
    """Compile each messages.po into messages.mo when the .mo is missing or older."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo)


def gettext(msgid: str, /, **variables: Any) -> str:
    """Translated in a request; plain English where there is none (the CLI, the reminder
    worker, a service run by a script). The one fallback every module uses."""
    if has_request_context():
        return str(_gettext(msgid, **variables))
    return msgid % variables if variables else msgid


def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> str:
    """A count said in the right number (%(num)d is the count), with the same fallback."""
    if has_request_context():
        return str(_ngettext(singular, plural, num, **variables))
    return (singular if num == 1 else plural) % {"num": num, **variables}


def speaks_chinese() -> bool:
    """Whether the current answer is in Chinese: the request's locale, or the default
    (zh) where there is no request."""
    return not has_request_context() or str(get_locale()).startswith("zh")


def normalize(tag: str | None) -> str | None:
    if not tag:
        return None
    t = tag.replace("-", "_").lower()
    if t.startswith("zh"):
        return "zh_Hans_CN"
    if t.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    lang = normalize(request.args.get("lang"))
    if lang:
        session["lang"] = lang
        return lang
    if current_user and current_user.is_authenticated and current_user.locale:
        return str(current_user.locale)
    lang = normalize(session.get("lang"))
    if lang:
        return lang
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return normalize(best) or current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang() -> str:
    return "zh-CN" if str(get_locale()).startswith("zh") else "en"


def init_app(app: Flask) -> None:
    compile_translations()
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.jinja_env.globals["html_lang"] = html_lang
    _fast_template_gettext(app)


_TRANSLATIONS: dict[object, object] = {}


def _fast_template_gettext(app: Flask) -> None:
    """Templates' _() with the translations found once per locale: Flask-Babel looks
    them up per call by str(locale), which rebuilds the identifier (a page has ~100
    strings). Same catalog, same answers."""
    from flask_babel import get_locale, get_translations

    def translations() -> Any:
        loc = get_locale()
        tr = _TRANSLATIONS.get(loc)
        if tr is None:
            tr = get_translations()
            if loc is not None and type(tr).__name__ == "Translations":
                _TRANSLATIONS[loc] = tr
        return tr

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
