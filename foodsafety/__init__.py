"""The campus food safety action data system: application factory."""

from __future__ import annotations

import json
import logging
import os

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import BASE_DIR, Config, DevelopmentConfig, TestConfig
from foodsafety import compression, fields, i18n, transactions
from foodsafety.errors import ApiError, register_error_handlers, request_id
from foodsafety.extensions import api, db, migrate
from foodsafety.headers import content_security_policy
from foodsafety.limits import leases as limits
from foodsafety.statistics import summaries, versions

# marshmallow fixes a field's messages when the field is built (at class definition): these run
# before any schema module is imported (Python imports this package first).
i18n.install()  # Chinese validation messages
fields.install()  # every number in the API is ASCII


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits, 1 to ID_MAX (what an id column holds); any
    other number matches no route, so it is the same 404 as a missing row. The bounds appear
    in the OpenAPI document (flask-smorest reads `min`/`max`)."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int = 1, max: int = fields.ID_MAX,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed=False)


CONFIGS = {"production": Config, "development": DevelopmentConfig, "test": TestConfig}
JSON_METHODS = {"POST", "PUT", "PATCH"}


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Build the application: config, extensions, blueprints, error handlers and CLI."""
    if config_class is None:
        config_class = CONFIGS.get(Config.ENV_NAME, Config)
    app = transactions.TransactionalFlask(
        __name__, instance_path=str(overrides.get("INSTANCE_DIR", config_class.INSTANCE_DIR)))
    app.config.from_object(config_class)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (see README).")
    app.json.ensure_ascii = False
    app.url_map.converters["int"] = IdConverter  # before any blueprint binds its rules
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    db.init_app(app)
    transactions.install(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearerAuth": []}]})
    register_error_handlers(app)
    compression.init_app(app)  # the last after_request hook to run: it sees the final body
    _register_request_hooks(app)
    limits.init_app(app)
    versions.init_app(app)
    summaries.init_app(app)
    from foodsafety.audit.hooks import register as register_audit

    register_audit(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _register_request_hooks(app: Flask) -> None:
    from foodsafety.accounts.auth import load_current_user

    @app.before_request
    def _before() -> None:
        g.request_id = request.headers.get("X-Request-ID", "")[:32] or request_id()
        if request.path.startswith("/api/") and request.method in JSON_METHODS:
            _check_json_body(app)
        load_current_user()

    @app.after_request
    def _after(response):
        response.headers["X-Request-ID"] = request_id()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _check_json_body(app: Flask) -> None:
    """API writes take JSON (415 otherwise) of bounded size (413), except a view's multipart upload
    (a view class says so with `multipart = True`)."""
    view_class = getattr(app.view_functions.get(request.endpoint), "view_class", None)
    if getattr(view_class, "multipart", False) and request.mimetype == "multipart/form-data":
        return
    if not request.content_length and "Transfer-Encoding" not in request.headers:
        return  # no body at all: a view that needs one answers 422 for its missing fields
    if request.mimetype != "application/json":
        raise ApiError(415)
    limit = app.config["MAX_JSON_BYTES"]
    if (request.content_length or 0) > limit:
        raise ApiError(413)
    data = request.stream.read(limit + 1)  # also bounds chunked bodies, which carry no length
    if len(data) > limit:
        raise ApiError(413)
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        raise ApiError(400, "请求体不是有效的 JSON。", reason="invalid_json") from None
    request._cached_data = data  # noqa: SLF001  (where get_data/get_json look first)


def _register_blueprints(app: Flask) -> None:
    from foodsafety.accounts.routes import blp as accounts_blp
    from foodsafety.audit.routes import blp as audit_blp
    from foodsafety.enforcement.routes import blp as enforcement_blp
    from foodsafety.fieldwork.routes import blp as fieldwork_blp
    from foodsafety.health import bp as health_bp
    from foodsafety.imports.routes import blp as imports_blp
    from foodsafety.inspections.routes import blp as inspections_blp
    from foodsafety.photos.routes import blp as photos_blp
    from foodsafety.records.pages import bp as record_pages_bp
    from foodsafety.records.routes import blp as records_blp
    from foodsafety.rectification.routes import blp as rectification_blp
    from foodsafety.registry.routes import blp as registry_blp
    from foodsafety.scheduler.routes import blp as scheduler_blp
    from foodsafety.statistics.pages import bp as stats_pages_bp
    from foodsafety.statistics.routes import blp as statistics_blp
    from foodsafety.web.routes import bp as web_bp
    from foodsafety.web.school_api import blp as school_view_blp
    from forms.mobile.routes import bp as mobile_bp
    from forms.routes import blp as forms_blp

    for blp in (accounts_blp, audit_blp, registry_blp, inspections_blp, rectification_blp, enforcement_blp,
                statistics_blp, imports_blp, photos_blp, fieldwork_blp, records_blp):
        api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix or ''}")
    for blp in (forms_blp, school_view_blp, scheduler_blp):
        api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix}")
    app.register_blueprint(web_bp)
    app.register_blueprint(mobile_bp)
    app.register_blueprint(stats_pages_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(record_pages_bp)


def _register_cli(app: Flask) -> None:
    from foodsafety.accounts.cli import users_cli
    from foodsafety.audit.cli import audit_cli
    from foodsafety.backup.cli import backup_cli
    from foodsafety.demo_data.cli import demo_cli
    from foodsafety.imports.cli import imports_cli
    from foodsafety.photos.cli import photos_cli
    from foodsafety.registry.cli import registry_cli
    from foodsafety.scheduler.cli import scheduler_cli
    from foodsafety.statistics.cli import stats_cli

    for group in (users_cli, audit_cli, photos_cli, registry_cli, imports_cli, demo_cli, stats_cli,
                  scheduler_cli, backup_cli):
        app.cli.add_command(group)


__all__ = ["create_app", "CONFIGS", "DevelopmentConfig", "TestConfig"]
