"""`cloudy lab ...`: a local lab of real systemd Debian boxes."""

import json
import os
import sys
from typing import Annotated

import typer

from cloudy_deploy.cli.options import Home, Json, bar
from cloudy_deploy.lab import manager
from cloudy_deploy.paths import check_writable, state_root
from cloudy_deploy.ui import PlainTable, err, out, say

lab_app = typer.Typer(
    help="A local lab of real systemd Debian boxes, reachable over SSH.", no_args_is_help=True
)
LabName = Annotated[str, typer.Option("--name", help="Lab name (letters, digits, inner hyphens)")]


@lab_app.command("up")
def lab_up(
    nodes: Annotated[
        int | None,
        typer.Option("--nodes", "-n", help="Number of boxes [default: 3, or as many as the lab has]"),
    ] = None,
    name: LabName = "lab",
    subnet: Annotated[
        str | None,
        typer.Option("--subnet", help="IPv4 subnet of the lab network [default: a free /24]"),
    ] = None,
    host_ca: Annotated[
        bool,
        typer.Option("--host-ca/--no-host-ca", help="Trust the host's CA certificates in the boxes"),
    ] = True,
    mirror: Annotated[
        str | None,
        typer.Option("--mirror", help="Debian mirror for the base image [default: the host's apt source]"),
    ] = None,
    home: Home = None,
) -> None:
    """Start N local Debian boxes (systemd containers with SSH), recorded as the `lab` source."""
    req = manager.UpRequest(lab=name, nodes=nodes, subnet=subnet, host_ca=host_ca, mirror=mirror, home=home)
    check_writable(state_root(home))  # the lab's state: before any box starts
    with bar(nodes or manager.DEFAULT_NODES, f"lab {name}: boxes up") as shown:
        lab = manager.up(req, say, tick=lambda: shown.advance(shown.task_ids[0]))
    say(f"lab {lab.lab}: {len(lab.nodes)} boxes on {lab.network} ({lab.subnet}), image {lab.image}")
    _status_table(manager.status(home, lab.lab))


@lab_app.command("down")
def lab_down(name: LabName = "lab", home: Home = None) -> None:
    """Remove the lab's boxes, network and state (images are kept)."""
    if manager.down(name, home, say):
        say(f"lab {name}: removed")


def _status_table(rows: list[manager.BoxStatus]) -> None:
    table = PlainTable("lab", "box", "address", "container", "running", "ssh")
    for r in rows:
        table.add_row(
            r.lab,
            r.name,
            r.address,
            r.container,
            "yes" if r.running else "NO",
            "yes" if r.ssh else "NO",
        )
    err.print(table)


@lab_app.command("status")
def lab_status(
    name: Annotated[str | None, typer.Option("--name", help="Only this lab")] = None,
    as_json: Json = False,
    home: Home = None,
) -> None:
    """Each box with its address, whether it runs and whether it answers SSH."""
    rows = manager.status(home, name)
    if as_json:
        out.print_json(json.dumps([r.__dict__ for r in rows]))
    elif not rows:
        say("no lab here: start one with `cloudy lab up`")
    else:
        _status_table(rows)


@lab_app.command("ssh", context_settings={"allow_interspersed_args": False})
def lab_ssh(
    node: Annotated[str, typer.Argument(help="Box name, e.g. lab-1")],
    command: Annotated[list[str] | None, typer.Argument(help="Command to run instead of a shell")] = None,
    home: Home = None,
) -> None:
    """Open a shell on a lab box, or run CMD there (strict host key checking)."""
    argv = manager.ssh_argv(home, node, command or [])
    sys.stdout.flush()
    os.execvp(argv[0], argv)


@lab_app.command("image")
def lab_image(
    host_ca: Annotated[bool, typer.Option("--host-ca/--no-host-ca")] = True,
    mirror: Annotated[str | None, typer.Option("--mirror")] = None,
) -> None:
    """Build the lab's images when missing and print the node image's tag (molecule uses it)."""
    from cloudy_deploy.lab.docker_api import connect
    from cloudy_deploy.lab.images import NodeRecipe, ensure_images

    print(ensure_images(connect(), NodeRecipe(host_ca=host_ca), mirror, say))
