"""Clouder's page: Docker's state, containers and images (read with docker's JSON output), and its
forms. "run" and "publish" apply role clouder with the panel's apps (clouder_apps); "start", "stop"
and "remove" act on one container's unit. Registered into services' hooks when the verbs load."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from cloudy_panel.helper import services
from cloudy_panel.helper.context import Context
from cloudy_panel.protocol import BAD_ARGS, FAILED, HelperError
from cloudy_panel.web.services import Service

DOCKER_TIMEOUT = 5  # seconds per docker call: a hung daemon must not hang the page
LABEL = "org.cloudy.clouder"  # "app" (the panel's and clouder_apps) or "box" (the cloud's boxes)
UNITS = {"app": "clouder-app@{}.service", "box": "clouder-box@{}.service"}
# Role avahi's helper: withdraws a removed app's announcement at once (its unit is gone).
AVAHI_ANNOUNCE = Path("/usr/local/lib/cloudy/avahi-announce")
HOST_PORT_RE = re.compile(r":(\d{1,5})->")


def parse_json_lines(text: str) -> list[dict[str, Any]]:
    """One object per line, as `docker ... --format '{{json .}}'` prints them; others are skipped."""
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def docker(ctx: Context, *args: str) -> str | None:
    """docker's output, or None when it is missing, fails or does not answer in time."""
    try:
        done = ctx.run(["docker", *args], timeout=DOCKER_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def labels(text: object) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in str(text or "").split(",") if "=" in item)
    return {key: value for key, value in pairs}


def container(row: dict[str, Any]) -> dict[str, Any]:
    """A `docker ps -a` row as the page shows it; kind is "app", "box" or "" (not Cloudy's)."""
    port = HOST_PORT_RE.search(str(row.get("Ports", "")))
    kind = labels(row.get("Labels")).get(LABEL, "")
    return {
        "name": str(row.get("Names", "")).split(",")[0],
        "image": str(row.get("Image", "")),
        "state": str(row.get("State", "")),
        "status": str(row.get("Status", "")),
        "port": int(port.group(1)) if port else None,
        "kind": kind if kind in UNITS else "",
    }


def image(row: dict[str, Any]) -> dict[str, str] | None:
    repo, tag = str(row.get("Repository", "")), str(row.get("Tag", ""))
    if "<none>" in (repo, tag) or not repo:
        return None  # dangling: nothing to run by name
    return {"name": f"{repo}:{tag}", "size": str(row.get("Size", ""))}


def containers(ctx: Context) -> list[dict[str, Any]]:
    return [container(r) for r in parse_json_lines(docker(ctx, "ps", "-a", "--format", "{{json .}}") or "")]


def images(ctx: Context) -> list[dict[str, str]]:
    found = (image(r) for r in parse_json_lines(docker(ctx, "images", "--format", "{{json .}}") or ""))
    return sorted((i for i in found if i), key=lambda i: i["name"])


def recorded(ctx: Context) -> dict[str, Any]:
    """What the panel ran here (local facts): the last form's values and `apps`, role clouder's list."""
    choice = services.read_facts(ctx)["services"].get("clouder")
    choice = choice if isinstance(choice, dict) else {}
    apps = choice.get("apps")
    return choice | {"apps": [a for a in apps if isinstance(a, dict)] if isinstance(apps, list) else []}


def detail(ctx: Context, state: str) -> dict[str, Any]:
    """Docker's version, the containers and the images; nothing asked of a Docker that does not run."""
    if state != "running":
        return {"docker": {"active": False, "version": ""}, "containers": [], "images": [], "options": {}}
    version = (docker(ctx, "version", "--format", "{{.Server.Version}}") or "").strip()
    apps = {a.get("name"): a for a in recorded(ctx)["apps"]}
    rows = containers(ctx)
    for row in rows:  # the panel's own apps: publishable, and whether they are announced
        row["panel"] = row["kind"] == "app" and row["name"] in apps
        row["announced"] = bool(row["panel"] and apps[row["name"]].get("publish"))
    found = images(ctx)
    return {
        "docker": {"active": True, "version": version},
        "containers": rows,
        "images": found,
        "options": {"image": [i["name"] for i in found]},
    }


def with_app(apps: list[dict[str, Any]], app: dict[str, Any]) -> list[dict[str, Any]]:
    """The list with APP in place of the app of its name (or added at the end)."""
    names = [a.get("name") for a in apps]
    if app["name"] in names:
        return [app if a.get("name") == app["name"] else a for a in apps]
    return [*apps, app]


def run_app(ctx: Context, service: Service, values: dict[str, Any]) -> dict[str, Any]:
    """Form "run": one more app in clouder_apps (or the app of that name replaced)."""
    name, wanted = values["name"], values["image"]
    other = next((c for c in containers(ctx) if c["name"] == name), None)
    apps = recorded(ctx)["apps"]
    if other and not (other["kind"] == "app" and name in [a.get("name") for a in apps]):
        raise HelperError(BAD_ARGS, f"a container {name} exists that this panel did not run")
    present = [i["name"] for i in images(ctx)]
    if wanted not in present and f"{wanted}:latest" not in present:
        raise HelperError(BAD_ARGS, f"image {wanted} is not on this box")
    app = {"name": name, "image": wanted, "port": values["port"], "publish": values["publish"] == "yes"}
    return {"job": services.apply_role(ctx, service, values | {"apps": with_app(apps, app)})}


def publish(ctx: Context, service: Service, values: dict[str, Any]) -> dict[str, Any]:
    """Form "publish": the app's entry with publish and its host port; the role announces it."""
    choice = recorded(ctx)
    app = next((a for a in choice["apps"] if a.get("name") == values["name"]), None)
    if app is None:
        raise HelperError(FAILED, f"{values['name']} was not run from this panel: its admin publishes it")
    app = app | {"publish": True, "host_port": values["port"]}
    # The choice recorded stays the last "run" form's; only the apps change.
    return {"job": services.apply_role(ctx, service, choice | {"apps": with_app(choice["apps"], app)})}


def systemctl(ctx: Context, *argv: str) -> None:
    done = ctx.run(["systemctl", *argv])
    if done.returncode != 0:
        raise HelperError(FAILED, f"systemctl {' '.join(argv)} failed: {done.stderr.strip()[-200:]}")


def act(ctx: Context, service: Service, values: dict[str, Any]) -> dict[str, Any]:
    """Forms "start", "stop", "remove": on a Cloudy container's unit; apps only are removed."""
    form, name = values["form"], values["name"]
    found = next((c for c in containers(ctx) if c["name"] == name), None)
    if found is None or not found["kind"]:
        raise HelperError(BAD_ARGS, f"no Clouder container {name} on this box")
    unit = UNITS[found["kind"]].format(name)
    if form in ("start", "stop"):
        systemctl(ctx, form, "--", unit)
        return services.status(ctx, service)
    if found["kind"] != "app":
        raise HelperError(BAD_ARGS, f"{name} is a box of the cloud: its admin's cloudy.yml holds it")
    systemctl(ctx, "disable", "--now", "--", unit)
    done = ctx.run(["docker", "rm", "-f", name], timeout=60)
    if done.returncode != 0:
        raise HelperError(FAILED, f"docker rm failed: {done.stderr.strip()[-200:]}")
    if AVAHI_ANNOUNCE.exists():  # the unit's own drop-in withdrew it when it stopped; to be sure
        ctx.run([str(AVAHI_ANNOUNCE), "down", unit])
    choice = recorded(ctx)
    if any(a.get("name") == name for a in choice["apps"]):
        apps = [a for a in choice["apps"] if a.get("name") != name]
        services.record_choice(ctx, service, choice | {"apps": apps}, ["clouder"])
    return services.status(ctx, service)


def configure(ctx: Context, service: Service, values: dict[str, Any]) -> dict[str, Any]:
    if values["form"] == "run":
        return run_app(ctx, service, values)
    if values["form"] == "publish":
        return publish(ctx, service, values)
    return act(ctx, service, values)


def plan(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Every app the panel ran, as the panel's (clouder_from): the role's pruning and announcements
    then leave the admin's containers (cloudy.yml) alone."""
    return ["clouder"], {"clouder_apps": values.get("apps", []), "clouder_from": "panel"}


services.PLANS["clouder"] = plan
services.CONFIGURE["clouder"] = configure
services.DETAILS["clouder"] = detail
