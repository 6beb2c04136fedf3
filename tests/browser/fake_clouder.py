"""The fake helper with a Clouder box: Docker running, an app, a box of the cloud, a container
that is not Cloudy's, two images. Its answers have the shapes of cloudy_panel/helper/clouder.py."""

from __future__ import annotations

from typing import Any

from cloudy_panel import protocol
from cloudy_panel.web.services import validate
from tests.browser.fake_helper import FakeHelper


class ClouderHelper(FakeHelper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.states["clouder"] = "running"
        self.images = [{"name": "nginx:1.25", "size": "187MB"}, {"name": "redis:7", "size": "117MB"}]
        self.containers = [
            self.row("web", "nginx:1.25", "running", 8080, "app", panel=True),
            self.row("gcodis-box-4", "cloudy/node:1", "running", None, "box"),
            self.row("stranger", "redis:7", "exited", None, ""),
        ]

    @staticmethod
    def row(name: str, image: str, state: str, port: int | None, kind: str, panel: bool = False) -> dict:
        status = "Up 2 hours" if state == "running" else "Exited (0) 1 hour ago"
        row = {"name": name, "image": image, "state": state, "status": status, "port": port, "kind": kind}
        return row | {"panel": panel, "announced": False}

    def do_service_action(self, service: str, action: str, values: dict[str, Any]) -> dict[str, Any]:
        if service != "clouder" or action not in ("status", "configure"):
            return super().do_service_action(service, action, values)
        if action == "status":
            answer = super().do_service_action(service, action, values)
            running = self.states["clouder"] == "running"
            answer["detail"] |= {
                "docker": {"active": running, "version": "20.10.24+dfsg1" if running else ""},
                "containers": self.containers if running else [],
                "images": self.images if running else [],
                "options": {"image": [i["name"] for i in self.images]} if running else {},
            }
            return answer
        clean, errors = validate(self.services[service], values)
        if errors:
            raise protocol.HelperError(protocol.BAD_ARGS, f"bad values: {sorted(errors)}")
        row = next((c for c in self.containers if c["name"] == clean["name"]), None)
        form = clean["form"]
        if form == "run":
            if clean["image"] not in [i["name"] for i in self.images]:
                raise protocol.HelperError(protocol.BAD_ARGS, f"image {clean['image']} is not on this box")
            new = self.row(clean["name"], clean["image"], "running", clean["port"], "app", panel=True)
            return self._job([f"run {clean['name']}"], lambda: self.containers.append(new))
        if row is None or not row["kind"] or (form == "remove" and row["kind"] != "app"):
            raise protocol.HelperError(protocol.BAD_ARGS, f"cannot {form} {clean['name']}")
        if form == "publish":
            done = lambda: row.update(port=clean["port"], announced=True)  # noqa: E731
            return self._job([f"publish {row['name']}"], done)
        if form == "remove":
            self.containers.remove(row)
        else:
            row["state"] = "running" if form == "start" else "exited"
        return self.do_service_action(service, "status", {})
