"""Recognise: the app factory."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.config import DEFAULT_INSTANCE, PROJECT_ROOT, Settings
from portal.security import DatabaseId, PortalRequest


def create_app(settings: Settings | None = None) -> Flask:
    """Build the portal from `settings` (default: the PORTAL_* environment)."""
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(DEFAULT_INSTANCE),
    )
    app.request_class = PortalRequest
    app.config.from_mapping(settings.flask_config())
    # JSON keeps the order the code builds (id first), as the API contract shows it.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["portal_settings"] = settings
    # Row ids in URLs are database integers: a larger number is a 404, not a database error.
    app.url_map.converters["int"] = DatabaseId
    register_extensions(app, settings)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask, settings: Settings) -> None:
    from portal import auth, crypto, i18n, media, ratelimit, search
    from portal.extensions import csrf, db, migrate

    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    media.init_app(app)
    search.init_app(app)
    crypto.init_app(app)
    ratelimit.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a load balancer the client's address arrives in X-Forwarded-For; rate limits
        # key on it. Trusting more hops than there are proxies would let clients forge it.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores ON DELETE CASCADE unless asked; PostgreSQL always enforces it.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets readers go on while a tip is written, and several processes share the file;
        # the busy timeout makes concurrent writers wait their turn instead of failing.
        cursor.execute("PRAGMA busy_timeout=10000")
        if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from portal.admin.views import blueprint as admin
    from portal.alerts.views import blueprint as alerts
    from portal.api.views import blueprint as api
    from portal.auth.views import blueprint as auth
    from portal.moderation import blueprint as moderation
    from portal.public.views import blueprint as public
    from portal.publishing import blueprint as publishing
    from portal.tips.views import blueprint as tips

    app.register_blueprint(public)
    app.register_blueprint(api)
    app.register_blueprint(tips)
    app.register_blueprint(alerts)
    app.register_blueprint(auth)
    app.register_blueprint(moderation)
    app.register_blueprint(publishing)
    app.register_blueprint(admin)


def register_errorhandlers(app: Flask) -> None:
    from portal.errors import register

    register(app)


def register_security(app: Flask) -> None:
    from portal.security import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from portal.templating import register

    register(app)


def register_cli(app: Flask) -> None:
    from portal.cli import register

    register(app)
