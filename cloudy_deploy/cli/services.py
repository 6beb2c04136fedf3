"""`cloudy services`: the services announced in the micro cloud (cloudy_deploy/services.py)."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cloudy_deploy import hostkeys, progress, runner
from cloudy_deploy import project as proj
from cloudy_deploy import services as svc
from cloudy_deploy.cli.options import Home, Json, Sources, planned
from cloudy_deploy.errors import BadInput
from cloudy_deploy.ui import PlainTable, err, out, say

MAX_SECONDS = 60.0


def _table(rows: list[svc.Service]) -> PlainTable:
    table = PlainTable("type", "name", "node", "overlay ip", "port", "txt")
    for s in rows:
        txt = " ".join(f"{k}={v}" if v else k for k, v in s.txt.items())
        # Text, not markup: names and TXT are whatever a host on the overlay announced.
        cells = (s.type, s.name, s.node, s.overlay_ip or "-", str(s.port), txt)
        table.add_row(*(Text(c) for c in cells))
    return table


def _on_a_box(
    home: Path | None, source: list[str] | None, service_type: str | None, via: str | None
) -> list[svc.Service]:
    """Browse on a box of the plan through the runner (playbooks/browse.yml, read-only)."""
    project, the_plan = planned(home, source)  # read-only: neither cloudy.lock nor the deploy's inventory
    hosts = sorted((h for h in the_plan.hosts if "avahi" in h.groups), key=lambda h: h.overlay_ip)
    where = project.spec_path or "the built-in spec"
    if not the_plan.hosts:
        raise BadInput(
            f"{where}: its sources give no nodes, so no box can browse: check them with `cloudy discover`"
        )
    if not hosts:
        raise BadInput(
            f"{where}: no box runs avahi (services.avahi: none), so none can browse: "
            "set services.avahi to all and deploy, or use --local on the overlay"
        )
    boxes = svc.browse_boxes([h.hostname for h in hosts], via)
    hostkeys.require_known(the_plan, ",".join(boxes), project.home)
    with proj.scratch_inventory(project, the_plan) as inventory:
        record = runner.run_playbook(
            svc.PLAYBOOK,
            inventory,
            progress.QuietDisplay(),
            command="services",
            home=home,
            limit=",".join(boxes),
            forks=len(boxes),
            extravars=svc.browse_extravars(service_type),
        )
    try:
        box, result = svc.from_reports(record.reports, boxes)
    except ValueError:
        if record.error:
            say(f"the services playbook did not run: {record.error}")
        for name, stats in record.hosts.items():
            for failure in stats.failures:
                say(f"{name}: {failure}")
        say(f"no box could browse (tried {', '.join(boxes)}): run `cloudy deploy`, or pick one with --via")
        raise typer.Exit(1) from None
    for note in result.notes:
        say(note)
    say(f"as {box} sees them (avahi-browse over the overlay)")
    return svc.services_from_records(result.records, service_type)


def services(
    service_type: Annotated[
        str | None, typer.Option("--type", help="Only this type, e.g. _ssh._tcp or ssh [default: all]")
    ] = None,
    local: Annotated[
        bool,
        typer.Option("--local", help="Browse from this machine with zeroconf (it must be on the overlay)"),
    ] = False,
    interface: Annotated[
        list[str] | None,
        typer.Option(
            "--interface",
            help="With --local: browse only on the interface of this local address, repeatable "
            "[default: every interface]",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, max=MAX_SECONDS, help="With --local: seconds to listen")
    ] = 3.0,
    via: Annotated[
        str | None,
        typer.Option("--via", help="Browse on this box (inventory name) [default: the first that answers]"),
    ] = None,
    as_json: Json = False,
    source: Sources = None,
    home: Home = None,
) -> None:
    """Services announced in the micro cloud: type, name, node, overlay IP, port, TXT. Changes nothing."""
    wanted = svc.normalise_type(service_type) if service_type else None
    if local and via:
        raise BadInput("--local and --via exclude each other: --local browses from this machine")
    if interface and not local:
        raise BadInput("--interface only goes with --local (a box browses on the overlay's interface)")
    if local:
        rows = svc.services_from_records(svc.browse_local(wanted, timeout, interface), wanted)
        say(f"as this machine sees them (zeroconf, {timeout:g} s)")
    else:
        rows = _on_a_box(home, source, wanted, via)
    if as_json:
        out.print_json(json.dumps([s.to_json() for s in rows]))
    elif rows:
        err.print(_table(rows))
    else:
        say("no services announced" + (f" of type {wanted}" if wanted else ""))
