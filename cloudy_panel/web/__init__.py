"""The panel's Flask app. `create_app` imports Flask lazily, so the root helper can read the
service descriptors (cloudy_panel.web.services, stdlib only) without loading the web stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any]) -> Flask:
    """The app for /etc/cloudy-panel/panel.json's keys (helper_socket, secret_key_file, overlay_ip, cloud,
    node, services_dir, session_idle_minutes)."""
    from cloudy_panel.web.app import build_app

    return build_app(config)
