"""Clommunity: a page per service descriptor that follows the service's state, and its gateway."""

from __future__ import annotations

import http.client
import urllib.parse
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import NotFound

from cloudy_panel.web.auth import login_required
from cloudy_panel.web.forms import ActionForm, service_form
from cloudy_panel.web.helper import HelperError, helper, message_for
from cloudy_panel.web.pages import announced
from cloudy_panel.web.services import BUTTONS, STATES, Service, validate

bp = Blueprint("services", __name__, url_prefix="/clommunity")
BUTTON_ACTIONS = ("install", "start", "stop", "uninstall")
# Headers passed on from the gateway's answer; hop-by-hop and cookies stay out.
GATEWAY_HEADERS = ("Content-Type", "Content-Length", "Last-Modified", "ETag", "Content-Disposition")


def _service(service_id: str) -> Service:
    service = current_app.extensions["cloudy_services"].get(service_id)
    if service is None:
        raise NotFound()
    return service


def _status(service: Service) -> tuple[str, dict[str, Any], str | None]:
    try:
        result = helper("service.action", service=service.id, action="status", values={})
    except HelperError as exc:
        return "unknown", {}, message_for(exc)
    state = result.get("state")
    detail = result.get("detail") if isinstance(result.get("detail"), dict) else {}
    return (state if state in STATES else "unknown"), detail, None


# The Guifi menu: guifi.net's services (Proxy3, SNPServices, DNSServices) once their roles exist.
guifi = Blueprint("guifi", __name__, url_prefix="/guifi")


def _index(category: str) -> Any:
    services = current_app.extensions["cloudy_services"].values()
    rows = [(service, _status(service)[0]) for service in services if service.category == category]
    if not rows and category != "clommunity":
        raise NotFound()
    return render_template("clommunity.html", rows=rows, category=category)


@bp.route("/")
@login_required
def index() -> Any:
    return _index("clommunity")


@guifi.route("/")
@login_required
def guifi_index() -> Any:
    return _index("guifi")


def _render(service: Service, forms: dict[str, Any], status: int = 200, chosen: str = "") -> Any:
    state, detail, error = _status(service)
    # On a box without the service, a form asked for by name (a discovery's button, e.g. "Join grid")
    # is shown too: configuring installs with its values.
    shown = state in service.form_states or (
        state == "not-installed" and (service.settings_first or bool(chosen))
    )
    buttons = tuple(b for b in BUTTONS.get(state, ()) if not (service.settings_first and b == "install"))
    return (
        render_template(
            "service.html",
            service=service,
            state=state,
            detail=detail,
            error=error,
            buttons=buttons,
            forms=forms if shown else {},
            chosen=chosen,
            action_form=ActionForm(),
        ),
        status,
    )


@bp.route("/<service_id>")
@login_required
def page(service_id: str) -> Any:
    service = _service(service_id)
    chosen = request.args.get("form", "")
    forms = {}
    prefill = _discovered(service, chosen, request.args.get("pick", ""))
    for form in service.forms:
        forms[form.id] = service_form(form, prefill if form.id == chosen else None)
    return _render(service, forms, chosen=chosen)


def _discovered(service: Service, form_id: str, pick: str) -> dict[str, str] | None:
    """A discovery action's values for FORM_ID, read from the announcement PICK (by instance name);
    they are checked like typed values when the form is sent."""
    if not pick:
        return None
    for found in service.discovery:
        if found.form == form_id and (item := announced(found.avahi_type, pick)) is not None:
            return {field: item.txt.get(key, "") for field, key in found.prefill.items()}
    return None


def _started(service: Service, result: dict[str, Any]) -> Any:
    if "job" in result:
        back = url_for("services.page", service_id=service.id)
        return redirect(url_for("pages.job", job_id=str(result["job"]), back=back))
    flash(gettext("Done."), "success")
    return redirect(url_for("services.page", service_id=service.id))


@bp.route("/<service_id>/configure/<form_id>", methods=["POST"])
@login_required
def configure(service_id: str, form_id: str) -> Any:
    service = _service(service_id)
    chosen = service.form(form_id)
    if chosen is None:
        raise NotFound()
    forms = {f.id: service_form(f) for f in service.forms}
    form = forms[form_id]
    if not form.validate_on_submit():
        # Nothing is sent to the box: the form comes back with each field's error.
        return _render(service, forms, status=400, chosen=form_id)
    values = {"form": form_id} | {f.name: getattr(form, f.name).data for f in chosen.fields}
    _clean, errors = validate(service, values)  # the checks across fields (the helper makes them too)
    if errors:
        for name, message in errors.items():
            getattr(form, name).errors = [gettext(message)]
        return _render(service, forms, status=400, chosen=form_id)
    try:
        result = helper("service.action", service=service.id, action="configure", values=values)
    except HelperError as exc:
        flash(message_for(exc), "error")
        return _render(service, forms, status=409 if exc.code == "busy" else 400, chosen=form_id)
    return _started(service, result)


@bp.route("/<service_id>/<action>", methods=["POST"])
@login_required
def act(service_id: str, action: str) -> Any:
    service = _service(service_id)
    if action not in BUTTON_ACTIONS:
        raise NotFound()
    try:
        result = helper("service.action", service=service.id, action=action, values={})
    except HelperError as exc:
        flash(message_for(exc), "error")
        return redirect(url_for("services.page", service_id=service.id))
    return _started(service, result)


@bp.route("/<service_id>/gateway/", defaults={"path": ""})
@bp.route("/<service_id>/gateway/<path:path>")
@login_required
def gateway(service_id: str, path: str) -> Any:
    """The service's own web UI on loopback, behind the panel's login (GET only: it only shows)."""
    service = _service(service_id)
    if not service.gateway_port:
        raise NotFound()
    # Quoted: a file name with a space or CR/LF must reach the gateway as a path, not break the request.
    query = request.query_string.decode("latin-1")
    target = urllib.parse.quote("/" + path) + (
        ("?" + urllib.parse.quote(query, safe="=&%+")) if query else ""
    )
    conn = http.client.HTTPConnection(
        current_app.config["PANEL_GATEWAY_HOST"], service.gateway_port, timeout=30
    )
    try:
        conn.request("GET", target, headers={"Accept": request.headers.get("Accept", "*/*")})
        answer = conn.getresponse()
        body = answer.read()
    except (OSError, http.client.HTTPException):
        return render_template(
            "error.html", message=gettext("The service's web interface does not answer.")
        ), 502
    finally:
        conn.close()
    headers = {h: answer.headers[h] for h in GATEWAY_HEADERS if answer.headers.get(h)}
    # A sandbox: a file from the grid shown here runs no script in the panel's origin.
    headers["Content-Security-Policy"] = "sandbox"
    return Response(body, status=answer.status, headers=headers)
