"""create_app's body: configuration, security settings, blueprints."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, CSRFProtect

from cloudy_panel.web.avahi import BROWSE, FRESH_SECONDS
from cloudy_panel.web.i18n import LANGUAGES, init_babel, select_locale
from cloudy_panel.web.services import load_services
from cloudy_panel.web.sessions import SessionStore

REQUIRED = ("helper_socket", "secret_key_file")


def _secret_key(path: str) -> bytes:
    """The key that signs the cookies, made on the box by the role; never a default."""
    key = Path(path).read_bytes().strip()
    if len(key) < 32:
        raise ValueError(f"{path}: the secret key is shorter than 32 bytes")
    return key


def build_app(config: dict[str, Any]) -> Flask:
    missing = [k for k in REQUIRED if not config.get(k)]
    if missing:
        raise ValueError(f"panel configuration lacks {', '.join(missing)}")
    app = Flask(__name__)
    idle = float(config.get("session_idle_minutes", 30))
    app.config.update(
        SECRET_KEY=_secret_key(config["secret_key_file"]),
        SESSION_COOKIE_NAME="cloudy_panel",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=idle),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which has its own timeout
        WTF_CSRF_SSL_STRICT=True,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        BABEL_DEFAULT_LOCALE="en",
        MAX_CONTENT_LENGTH=64 * 1024,
        PANEL=dict(config),
        PANEL_HELPER=config["helper_socket"],
        PANEL_BROWSE=tuple(config.get("avahi_browse") or BROWSE),
        PANEL_BROWSE_FRESH=float(config.get("browse_fresh_seconds", FRESH_SECONDS)),
        PANEL_GATEWAY_HOST=config.get("gateway_host", "127.0.0.1"),
    )
    app.jinja_env.autoescape = True
    app.extensions["cloudy_sessions"] = SessionStore(idle * 60)
    app.extensions["cloudy_services"] = load_services()
    app.extensions["cloudy_browsers"] = {}
    CSRFProtect(app)
    init_babel(app)

    from cloudy_panel.web import auth, pages, service_pages

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(service_pages.bp)
    app.register_blueprint(service_pages.guifi)
    app.before_request(auth.load_user)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "languages": LANGUAGES,
            "current_lang": select_locale(),
            "panel": app.config["PANEL"],
            "menu_services": app.extensions["cloudy_services"],
            "state_names": {
                "not-installed": gettext("Not installed"),
                "installed": gettext("Installed, not configured"),
                "stopped": gettext("Stopped"),
                "running": gettext("Running"),
                "unknown": gettext("Unknown"),
            },
            "action_names": {
                "install": gettext("Install"),
                "start": gettext("Start"),
                "stop": gettext("Stop"),
                "uninstall": gettext("Uninstall"),
            },
            "job_states": {
                "running": gettext("Running"),
                "done": gettext("Done"),
                "failed": gettext("Failed"),
                "unknown": gettext("Unknown"),
            },
        }

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        message = gettext("The form was refused: it is stale or did not come from this panel.")
        return render_template("error.html", message=message), 400

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app
