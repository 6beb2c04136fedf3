"""A stand-in for the panel's root helper: a real Unix socket speaking cloudy_panel.protocol, so
the app's client code runs as on a box. It keeps a small model of a box: accounts, a lockout,
the Tahoe state machine, jobs, upgradable packages. Used by the unit tests, the browser test
and benchmarks/panel_pages.py."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

from cloudy_panel import protocol
from cloudy_panel.web.services import ACTIONS, load_services, secret_fields, validate

MAX_FAILURES = 5


class FakeHelper:
    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.passwords = {"admin": "admin-pass-1", "mallory": "mallory-pass"}
        self.admins = {"admin"}
        self.failures: dict[str, int] = {}
        self.services = load_services()  # tests may add descriptors here and in the app
        self.states = {service: "not-installed" for service in self.services}
        self.config: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.busy = False
        self.packages = [{"name": "openssl", "from": "3.0.14-1~deb12u2", "to": "3.0.15-1~deb12u1"}]
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(16)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stop = False

    def __enter__(self) -> FakeHelper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop = True
        self._server.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                try:
                    verb, args = protocol.decode_request(protocol.read_message(conn))
                    self.calls.append((verb, args))
                    answer = protocol.encode_result(self.answer(verb, args))
                except protocol.HelperError as exc:
                    answer = protocol.encode_error(exc.code, exc.message)
                except Exception as exc:  # a bug in the fake: answer, never leave the client waiting
                    answer = protocol.encode_error(protocol.FAILED, f"fake helper: {exc!r}")
                conn.sendall(answer)

    def verbs(self) -> list[str]:
        return [verb for verb, _ in self.calls]

    # The box model ------------------------------------------------------------------------
    def answer(self, verb: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "do_" + verb.replace(".", "_"), None)
        if handler is None:
            raise protocol.HelperError(protocol.BAD_VERB, f"unknown verb {verb}")
        return handler(**args)

    def do_auth_login(self, user: str, password: str) -> dict[str, Any]:
        if self.failures.get(user, 0) >= MAX_FAILURES:
            raise protocol.HelperError(protocol.LOCKED, "too many failures")
        if self.passwords.get(user) != password or user not in self.admins:
            self.failures[user] = self.failures.get(user, 0) + 1
            raise protocol.HelperError(protocol.DENIED, "authentication failed")
        self.failures.pop(user, None)
        return {"user": user}

    def do_auth_change_password(self, user: str, old: str, new: str) -> dict[str, Any]:
        if self.passwords.get(user) != old:
            raise protocol.HelperError(protocol.DENIED, "authentication failed")
        self.passwords[user] = new
        return {}

    def do_system_info(self) -> dict[str, Any]:
        # The shapes cloudy_panel/helper/system.py answers with.
        running = [unit for s, state in self.states.items() if state == "running" for unit in self.units(s)]
        return {
            "hostname": "box-1",
            "cpu": {"count": 2, "load": "0.25, 0.20, 0.10"},
            "memory": {"total": 2 * 1024**3, "available": 1024**3},
            "disk": {"total": 20 * 1024**3, "free": 15 * 1024**3},
            "overlay_ip": "10.99.0.2",
            "peers": ["box-2", "box-3"],
            "peers_expected": 3,
            "services": sorted(["avahi-daemon.service", "tinc@cloudy.service", *running]),
        }

    def units(self, service: str) -> tuple[str, ...]:
        return self.services[service].units

    def _job(self, log: list[str], then: Any = None) -> dict[str, Any]:
        job = f"job-{len(self.jobs) + 1}"
        self.jobs[job] = {"polls": 0, "log": log, "then": then}
        return {"job": job}

    def do_service_action(self, service: str, action: str, values: dict[str, Any]) -> dict[str, Any]:
        if service not in self.states or action not in ACTIONS:
            raise protocol.HelperError(protocol.BAD_ARGS, "unknown service or action")
        state = self.states[service]
        if action == "status":
            active = "active" if state == "running" else "inactive"
            loaded = "not-found" if state == "not-installed" else "loaded"
            units = {
                u: {"loaded": loaded, "active": active, "enabled": "enabled"} for u in self.units(service)
            }
            secret = secret_fields(self.services)
            choice = {k: v for k, v in self.config.get(service, {}).items() if k not in secret} or None
            return {"state": state, "detail": {"units": units, "choice": choice}}
        if action == "configure":
            clean, errors = validate(self.services[service], values)
            if errors:
                raise protocol.HelperError(protocol.BAD_ARGS, f"bad values: {sorted(errors)}")
            self.config[service] = clean
            return self._job([f"configure {service}: {clean['form']}"], lambda: self._set(service, "running"))
        if action == "install":
            if self.services[service].settings_first:
                raise protocol.HelperError(protocol.BAD_ARGS, f"{service} is installed with its settings")
            if self.busy:
                raise protocol.HelperError(protocol.BUSY, "dpkg is locked")
            return self._job([f"install {service}", "ok"], lambda: self._set(service, "installed"))
        if action == "uninstall":
            return self._job([f"uninstall {service}"], lambda: self._set(service, "not-installed"))
        self.states[service] = "running" if action == "start" else "stopped"
        return {}

    def _set(self, service: str, state: str) -> None:
        self.states[service] = state

    def do_job_status(self, job: str) -> dict[str, Any]:
        entry = self.jobs.get(job)
        if entry is None:
            raise protocol.HelperError(protocol.BAD_ARGS, "no such job")
        entry["polls"] += 1
        if entry["polls"] < 2:
            return {"state": "running", "log_tail": entry["log"][:1]}
        if entry["then"] is not None:
            entry["then"]()
            entry["then"] = None
        return {"state": "done", "log_tail": entry["log"]}

    def do_system_upgradable(self) -> dict[str, Any]:
        return {"packages": self.packages}

    def do_system_upgrade(self) -> dict[str, Any]:
        return self._job(["apt-get upgrade", "done"])
