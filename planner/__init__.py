"""planner: decompose the sales target first, then plan the sales work."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from .parsing import RouteMap

ROOT = Path(__file__).resolve().parent.parent


class PlannerFlask(Flask):
    """Flask with the app's URL converters (planner.parsing.RouteMap): record ids are
    ASCII digits within range, and no path parameter holds a NUL or a lone surrogate."""

    url_map_class = RouteMap


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides what the environment says (tests use it)."""
    app = PlannerFlask(
        __name__,
        instance_path=os.environ.get("PLANNER_INSTANCE", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    from .config import load_config

    app.config.from_mapping(load_config(app.instance_path))
    if config:
        app.config.update(config)
    _behind_proxies(app)

    from . import i18n
    from .extensions import csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)

    from .db import configure_engine
    from .db import init_app as db_init_app

    with app.app_context():
        configure_engine(db.engine)
    db_init_app(app)
    from .services import cache

    with app.app_context():
        cache.init_app(app)

    from . import auth, errors, security
    from .api.endpoints import bp as api_bp
    from .cli import planner_cli
    from .pwa import bp as pwa_bp
    from .web import filters
    from .web.pages import bp as web_bp

    security.init_app(app)
    from . import assets

    assets.init_app(app)
    errors.init_app(app)
    filters.init_app(app)  # every template filter, once
    app.register_blueprint(auth.bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(pwa_bp)
    app.cli.add_command(planner_cli)
    # The commands that build a second app (the benchmarks' own databases) take this
    # factory from here rather than importing it: no import cycle through the CLI.
    app.extensions["planner.create_app"] = create_app
    return app


def _behind_proxies(app: Flask) -> None:
    """Trust TRUSTED_PROXIES hops of X-Forwarded-For/-Proto/-Host (Werkzeug's ProxyFix):
    the client's address, scheme and host as the proxies saw them (login throttling by the
    client's own address, https:// links, Secure cookies behind TLS). 0 trusts none."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
