"""Login (PAM, checked by the root helper), logout (POST only), the idle timeout."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from cloudy_panel.web.forms import ActionForm, LoginForm
from cloudy_panel.web.helper import HelperError, helper, message_for
from cloudy_panel.web.sessions import SessionStore

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def _store() -> SessionStore:
    return current_app.extensions["cloudy_sessions"]


def load_user() -> None:
    """g.user for a live session; an expired one is dropped with a note for the login page."""
    g.user = None
    sid = session.get("sid")
    if not sid:
        return
    user, expired = _store().touch(sid)
    if user is None:
        session.pop("sid", None)
        if expired:
            flash(gettext("Your session ended after a while without use: log in again."), "info")
        return
    g.user = user


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            if request.method == "GET" and not request.path.endswith(".json"):
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            return {"error": "login"}, 401
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# A path on this panel: one leading slash, then no backslash, space or control character (browsers
# drop tabs and newlines, so "/\t/evil" would become "//evil", another site).
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\x00-\x20\x7f\\]*")


def safe_next(target: str | None) -> str:
    """TARGET when it is a path on this panel, else the home page: never an open redirect."""
    if target and _LOCAL_PATH.fullmatch(target):
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if g.user is not None:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            result = helper("auth.login", user=form.user.data, password=form.password.data)
        except HelperError as exc:
            error = (
                gettext("Wrong user name or password, or the account is not a panel administrator.")
                if exc.code == "denied"
                else message_for(exc)
            )
        else:
            lang = session.get("lang")
            session.clear()  # a new session (and CSRF token) at login: no fixation
            if lang:
                session["lang"] = lang
            session["sid"] = _store().open(str(result.get("user") or form.user.data))
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
    status = 401 if error else (400 if form.is_submitted() and form.errors else 200)
    return render_template("login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    form = ActionForm()
    if form.validate_on_submit() and session.get("sid"):
        _store().close(session["sid"])
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))
