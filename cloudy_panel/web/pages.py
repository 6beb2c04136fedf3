"""Home, User, Languages, Avahi search, System, and the job page every long action leads to."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from werkzeug.exceptions import NotFound

from cloudy_panel.web import avahi
from cloudy_panel.web.auth import login_required, safe_next
from cloudy_panel.web.forms import ActionForm, LanguageForm, PasswordForm
from cloudy_panel.web.helper import HelperError, helper, message_for

bp = Blueprint("pages", __name__)
JOB_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
WEB_TYPE = "_cloudy-web._tcp"


@bp.app_template_filter("size")
def size(value: Any) -> str:
    """Bytes as people read them (1.5 GiB); anything else as it is."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return str(value)


@bp.route("/")
@login_required
def home() -> Any:
    try:
        info, error = helper("system.info"), None
    except HelperError as exc:
        info, error = {}, message_for(exc)
    return render_template("home.html", info=info, error=error)


@bp.route("/user", methods=["GET", "POST"])
@login_required
def user() -> Any:
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            helper("auth.change_password", user=g.user, old=form.old.data, new=form.new.data)
        except HelperError as exc:
            if exc.code == "denied":
                form.old.errors = [gettext("The current password is wrong.")]
            else:
                form.new.errors = [message_for(exc)]
            status = 400
        else:
            flash(gettext("Your password was changed."), "success")
            return redirect(url_for("pages.user"))
    elif form.is_submitted():
        status = 400
    return render_template("user.html", form=form, logout=ActionForm()), status


@bp.route("/languages", methods=["GET", "POST"])
def languages() -> Any:
    # Open before login too: it shows nothing about the box.
    form = LanguageForm(lang=session.get("lang") or None)
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        return redirect(url_for("pages.languages"))
    return render_template("languages.html", form=form), 400 if form.is_submitted() else 200


def _actions(item: avahi.Announcement) -> list[dict[str, str]]:
    """The buttons an announcement offers: a descriptor's discovery action, or Open for a panel."""
    actions = []
    for service in current_app.extensions["cloudy_services"].values():
        for found in service.discovery:
            if found.avahi_type == item.type:
                # The link names the announcement, not its values: a FURL stays out of URLs and logs.
                url = url_for("services.page", service_id=service.id, form=found.form, pick=item.name)
                actions.append({"label": gettext(found.label), "url": url})
    if item.type == WEB_TYPE:
        host = f"[{item.address}]" if ":" in item.address else item.address
        actions.append({"label": gettext("Open"), "url": f"https://{host}:{item.port}/"})
    return actions


def browsed() -> list[avahi.Announcement]:
    """The services announced now, from the app's browse cache (one per browse command)."""
    command = current_app.config["PANEL_BROWSE"]
    browsers = current_app.extensions["cloudy_browsers"]
    if command not in browsers:  # a lost race makes a second Browser, which only costs a run
        browsers[command] = avahi.Browser(command, fresh=current_app.config["PANEL_BROWSE_FRESH"])
    return browsers[command].announcements()


def announced(avahi_type: str, name: str) -> avahi.Announcement | None:
    """The announcement of this type and instance name on the overlay now, if any."""
    return next((a for a in browsed() if a.type == avahi_type and a.name == name), None)


def _announcements() -> list[dict[str, Any]]:
    items = browsed()
    return [dict(item.as_json(), actions=_actions(item)) for item in items]


@bp.route("/avahi")
@login_required
def search() -> Any:
    items = _announcements()
    types = sorted({item["type"] for item in items})
    return render_template("avahi.html", items=items, types=types)


@bp.route("/avahi.json")
@login_required
def search_json() -> Any:
    return jsonify(announcements=_announcements())


@bp.route("/system", methods=["GET", "POST"])
@login_required
def system() -> Any:
    packages, error = None, None
    if request.method == "POST":  # "check": apt's simulation, read-only but slow, so on demand
        try:
            packages = helper("system.upgradable").get("packages", [])
        except HelperError as exc:
            error = message_for(exc)
    return render_template("system.html", packages=packages, error=error, form=ActionForm())


@bp.route("/system/upgrade", methods=["POST"])
@login_required
def upgrade() -> Any:
    try:
        job = helper("system.upgrade")["job"]
    except (HelperError, KeyError) as exc:
        flash(message_for(exc) if isinstance(exc, HelperError) else gettext("No job was started."), "error")
        return redirect(url_for("pages.system"))
    return redirect(url_for("pages.job", job_id=job, back=url_for("pages.system")))


def _job_status(job_id: str) -> dict[str, Any]:
    if not JOB_RE.fullmatch(job_id):
        raise NotFound()
    try:
        status = helper("job.status", job=job_id)
    except HelperError as exc:
        if exc.code == "bad-args":
            raise NotFound() from None
        return {"state": "unknown", "log_tail": [], "error": message_for(exc)}
    return {"state": status.get("state", "unknown"), "log_tail": [str(x) for x in status.get("log_tail", [])]}


@bp.route("/jobs/<job_id>")
@login_required
def job(job_id: str) -> Any:
    back = safe_next(request.args.get("back"))
    return render_template("job.html", job_id=job_id, status=_job_status(job_id), back=back)


@bp.route("/jobs/<job_id>/status.json")
@login_required
def job_json(job_id: str) -> Any:
    return jsonify(_job_status(job_id))
