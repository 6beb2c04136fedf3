"""Where each box's web panel answers (role webui), for `cloudy up`, `deploy` and `status`."""

from typing import Any

from cloudy_deploy.plan import Plan

# Role webui's webui_https_port: the original Cloudy panel's port.
PANEL_PORT = 7443


def _url(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}:{PANEL_PORT}/"


def panel_urls(plan: Plan) -> list[dict[str, str]]:
    """Per box of the webui group: its panel on the overlay, and on the address the controller uses."""
    return [
        {"node": h.hostname, "url": _url(str(h.overlay_ip)), "public_url": _url(h.node.address)}
        for h in plan.hosts
        if "webui" in h.services
    ]


def panel_lines(panels: list[dict[str, str]]) -> list[str]:
    return [f"  panel of {p['node']}: {p['url']} (also {p['public_url']})" for p in panels]


def status_line(node: str, report: dict[str, Any]) -> str | None:
    """A box's panel as status.yml read it on the box (ansible_local.webui), or None without one."""
    panel = report.get("panel") or {}
    if not panel.get("url"):
        return None
    line = f"{node}: panel {panel['url']} sha256 {panel.get('sha256') or '?'}"
    # What the box's owner chose there (role webui's local fact cloudy_panel), e.g. tahoe (create).
    chosen = [
        f"{service} ({(values or {}).get('form', '-')})"
        for service, values in sorted((report.get("panel_choices") or {}).items())
    ]
    return line + (f"; chosen on the panel: {', '.join(chosen)}" if chosen else "")
