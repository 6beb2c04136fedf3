# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""The CNML parser as the modules load it: a box without python3-lxml still runs the module, which
then fails saying what to install (the roles install python3-lxml first)."""

from __future__ import annotations

from typing import Any

try:
    from ansible_collections.clommunity.cloudy.plugins.module_utils import cnml
except ImportError as _exc:
    cnml: Any = None
    IMPORT_ERROR: Exception | None = _exc
else:
    IMPORT_ERROR = None


def require_lxml(module: Any) -> None:
    """Fail MODULE, naming the package, when the CNML parser could not be loaded."""
    if IMPORT_ERROR is not None:
        module.fail_json(msg=f"python3-lxml is needed on the box ({IMPORT_ERROR}): apt install python3-lxml")
