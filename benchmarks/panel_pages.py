"""The panel's search page with 50 announced services (target: at most 300 ms on this machine).

Serves the panel as on a box (`python -m cloudy_panel.serve`: cheroot, TLS) over the fake helper,
logs in, and times GET /avahi (the page with its table) and GET /avahi.json (the refresh) over
HTTPS, plus the Home page. avahi-browse's output comes from a file, so the figure is the panel's
own cost; on a box, avahi-browse itself adds the time it takes to resolve (not measured here).

    .venv/bin/python benchmarks/panel_pages.py [--services 50] [--rounds 30]
"""

from __future__ import annotations

import argparse
import http.client
import re
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.local_panel import serve_panel  # the repository, first on sys.path

FURL = "pb://" + "d" * 32 + "@tcp:10.99.0.{n}:3458/introducer"
TYPES = ("_tahoe-introducer._tcp", "_tahoe-storage._tcp", "_cloudy-web._tcp", "_cloudy._tcp", "_ssh._tcp")


def announcements(count: int) -> list[str]:
    lines = []
    for n in range(count):
        kind = TYPES[n % len(TYPES)]
        box, ip = f"box-{n // len(TYPES) + 2}", f"10.99.0.{n // len(TYPES) + 2}"
        txt = (
            f'"grid=cloudy" "furl={FURL.format(n=n // len(TYPES) + 2)}"' if "introducer" in kind else '"v=1"'
        )
        lines.append(
            f"=;tap0;IPv4;service\\032{n}\\032on\\032{box};{kind};local;{box}.local;{ip};{3000 + n};{txt}"
        )
    return lines


class Client:
    """HTTPS to the panel with its cookie, one connection per request (as a browser's first)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 443
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # the box's own self-signed certificate
        self.cookie = ""
        self.base = base

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=30)
        headers = {"Cookie": self.cookie, "Referer": self.base + "/"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body or None, headers=headers)
        answer = conn.getresponse()
        text = answer.read().decode()
        for header in answer.headers.get_all("Set-Cookie") or []:
            if header.startswith("cloudy_panel="):
                self.cookie = header.split(";", 1)[0]
        conn.close()
        return answer.status, text

    def login(self) -> None:
        _, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        if token is None:
            sys.exit("no CSRF token on the login page")
        form = urlencode({"csrf_token": token.group(1), "user": "admin", "password": "admin-pass-1"})
        status, _ = self.request("POST", "/login", form)
        if status != 302:
            sys.exit(f"login failed: {status}")


def timed(client: Client, path: str, rounds: int, check: str) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        status, text = client.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200 or check not in text:
            sys.exit(f"GET {path}: {status}, without {check!r}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=30)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve_panel(Path(tmp), announcements(opts.services)) as panel:
        client = Client(panel["url"])
        client.login()
        last = f"service {opts.services - 1} on"
        print(
            f"panel over HTTPS (cheroot, TLS) on loopback, {opts.services} announced services, "
            f"{opts.rounds} rounds"
        )
        for label, path, check in (
            ("search page  GET /avahi     ", "/avahi", last),
            ("refresh      GET /avahi.json", "/avahi.json", last),
            ("home         GET /          ", "/", "box-1"),
        ):
            timed(client, path, 3, check)  # warm: templates compiled, catalogues loaded
            ms = sorted(timed(client, path, opts.rounds, check))
            p95 = ms[int(len(ms) * 0.95) - 1]
            print(
                f"{label}  median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms"
            )
        print("target: the search page with 50 services in at most 300 ms")


if __name__ == "__main__":
    main()
