"""Calls to the root helper, from a request (the socket path is in the app's configuration)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext

from cloudy_panel.protocol import HelperError, call

__all__ = ["HelperError", "helper", "message_for"]


def helper(verb: str, **args: Any) -> dict[str, Any]:
    return call(current_app.config["PANEL_HELPER"], verb, **args)


def message_for(error: HelperError) -> str:
    """What the user reads for a helper's refusal, in their language (the helper's text is English)."""
    messages = {
        "busy": gettext("The box is installing packages now; try again in a few minutes."),
        "locked": gettext("Too many failed attempts: this account is locked for a while."),
        "denied": gettext("Refused by the box."),
        "bad-args": gettext("The box refused these values."),
        "bad-verb": gettext("The box does not know this action."),
    }
    return messages.get(error.code, gettext("The box's helper failed: %(detail)s", detail=error.message))
