"""The panel's server: `python3 -m cloudy_panel.serve` (cloudy-panel.service, unprivileged).

cheroot serves the Flask app over TLS with the box's own key and certificate (7443), and answers
plain HTTP (7000) with a redirect to it. Settings come from /etc/cloudy-panel/panel.json (role webui).
"""

from __future__ import annotations

import argparse
import json
import re
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {"listen": "0.0.0.0", "https_port": 7443, "http_port": 7000, "threads": 4}
# A Host header we may echo in a redirect: a host name, an IPv4 or a bracketed IPv6 address.
HOST_RE = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(?::[0-9]{1,5})?")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def load_config(path: str) -> dict[str, Any]:
    config = json.loads(Path(path).read_text())
    if not isinstance(config, dict):
        raise ValueError(f"{path}: not a JSON object")
    for key in ("tls_cert", "tls_key"):
        if not config.get(key):
            raise ValueError(f"{path}: {key} is missing")
    return {**DEFAULTS, **config}


def redirect_app(https_port: int, fallback_host: str) -> Wsgi:
    """A WSGI app that sends every request to the same path over HTTPS."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = HOST_RE.fullmatch(environ.get("HTTP_HOST", ""))
        host = match.group("host") if match else fallback_host
        path = environ.get("PATH_INFO", "/") or "/"
        if not path.startswith("/") or path.startswith("//"):
            path = "/"
        query = environ.get("QUERY_STRING", "")
        location = f"https://{host}:{https_port}{path}" + (f"?{query}" if query else "")
        start_response(
            "301 Moved Permanently",
            [("Location", location), ("Content-Type", "text/plain"), ("Content-Length", "0")],
        )
        return [b""]

    return app


def servers(config: dict[str, Any], app: Wsgi) -> list[Any]:
    """The HTTPS server of APP and the HTTP redirect server (cheroot, from python3-cheroot)."""
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    listen = config["listen"]
    threads = int(config["threads"])
    https = wsgi.Server((listen, int(config["https_port"])), app, numthreads=threads)
    adapter = BuiltinSSLAdapter(config["tls_cert"], config["tls_key"])
    adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
    https.ssl_adapter = adapter
    fallback = str(config.get("overlay_ip") or "localhost")
    redirect = redirect_app(int(config["https_port"]), fallback)
    http = wsgi.Server((listen, int(config["http_port"])), redirect, numthreads=1)  # redirects only
    return [https, http]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cloudy-panel", description=__doc__)
    parser.add_argument("--config", default="/etc/cloudy-panel/panel.json")
    opts = parser.parse_args(argv)
    try:
        config = load_config(opts.config)
        from cloudy_panel.web import create_app

        https, http = servers(config, create_app(config))
    except (OSError, ValueError, ssl.SSLError) as exc:
        print(f"cloudy-panel: cannot start: {exc}", file=sys.stderr)
        return 2
    threading.Thread(target=http.safe_start, name="redirect", daemon=True).start()
    https.safe_start()  # until SIGTERM (systemd) or Ctrl-C
    return 0


if __name__ == "__main__":
    sys.exit(main())
