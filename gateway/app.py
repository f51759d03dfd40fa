"""The gateway's application factory.

    gunicorn -c gateway/gunicorn.conf.py "gateway.app:create_app()"

Settings come from environment variables through ``services.common.config`` (AMQP_URI,
DZIENNIK_RPC_TIMEOUT, DZIENNIK_RPC_POOL_SIZE, DZIENNIK_SECRET_KEY, DZIENNIK_COOKIE_SECURE,
DZIENNIK_TRUSTED_PROXIES);
``create_app(config)`` overrides any of them for tests. The gateway does not use eventlet and
never monkey-patches: it runs in plain threads (gunicorn gthread workers)."""
import services  # noqa: F401,I001  (first: silences eventlet's deprecation warning)

import logging

from flask import Flask
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from services.common import config as settings

from . import VERSION
from .errors import ErrorSchema, handle_http_exception, register_error_handlers
from .logs import configure_logging, end_request, finish_request, start_request
from .rpc import RpcPool

log = logging.getLogger("gateway")

DEV_SECRET = settings.SETTINGS["DZIENNIK_SECRET_KEY"][0]


class RegisterApi(Api):
    """flask-smorest's Api with our error envelope, for errors and for their documentation."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)


def default_settings():
    return {
        "AMQP_URI": settings.get("AMQP_URI"),
        "RPC_TIMEOUT": float(settings.get("DZIENNIK_RPC_TIMEOUT")),
        "RPC_POOL_SIZE": int(settings.get("DZIENNIK_RPC_POOL_SIZE")),
        "HEALTH_RPC_TIMEOUT": 2.0,
        "SECRET_KEY": settings.get("DZIENNIK_SECRET_KEY"),
        "SESSION_COOKIE_SECURE": settings.get("DZIENNIK_COOKIE_SECURE") != "0",
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Reverse proxies in front (nginx, an Ingress) whose X-Forwarded-For/-Proto are trusted;
        # 0 = none: the client address is the peer's, a forged header is ignored.
        "TRUSTED_PROXIES": int(settings.get("DZIENNIK_TRUSTED_PROXIES", "0")),
        # flask-smorest: the OpenAPI document at /api/openapi.json, no CDN-based UI.
        "API_TITLE": "Dziennik elektroniczny API",
        "API_VERSION": VERSION,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {"description": "API dziennika elektronicznego: jedyne wejście do usług "
                                    "(identity, scheduling, grades, attendance, messaging, archive)."},
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        },
    }


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(default_settings())
    if config:
        app.config.update(config)
    app.config.setdefault("LOG_SETUP", not app.config.get("TESTING", False))
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    configure_logging(app)
    if app.config["SECRET_KEY"] == DEV_SECRET and not app.config.get("TESTING"):
        log.warning("DZIENNIK_SECRET_KEY is the development default: set it in production")

    if app.config["TRUSTED_PROXIES"] > 0:
        # The user's address (login log, throttling, audit) is the one the proxy saw.
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)

    app.extensions["dziennik_rpc"] = RpcPool(app.config["AMQP_URI"], app.config["RPC_POOL_SIZE"],
                                             app.config["RPC_TIMEOUT"])

    app.before_request(start_request)
    app.after_request(finish_request)
    app.teardown_request(end_request)

    api = RegisterApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "Token z POST /api/v1/auth/login."})
    api.spec.components.security_scheme(
        "cookieAuth", {"type": "apiKey", "in": "cookie", "name": "dz_session",
                       "description": "Ciasteczko sesji; żądania zmieniające dane wymagają X-CSRF-Token."})
    from .api import register_api
    register_api(api)
    from . import ops
    api.register_blueprint(ops.ops_api)
    app.register_blueprint(ops.metrics_bp)
    app.extensions["dziennik_api"] = api

    from . import docs, health
    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
    from .web import register_web; register_web(app)   # noqa: E702  (the pages: gateway/web)
    register_error_handlers(app)
    return app
