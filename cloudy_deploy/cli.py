"""The `cloudy` command line (DESIGN.md, 'Command line')."""

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from cloudy_deploy import __version__
from cloudy_deploy.errors import BadInput, NotBuiltYet
from cloudy_deploy.lab import manager
from cloudy_deploy.ui import err, out, say

app = typer.Typer(
    help="Turn Debian boxes of a community network into a Cloudy micro cloud.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
lab_app = typer.Typer(
    help="A local lab of real systemd Debian boxes, reachable over SSH.", no_args_is_help=True
)
app.add_typer(lab_app, name="lab")

Home = Annotated[
    Path | None,
    typer.Option("--home", help="Project folder whose .cloudy/ holds the state [default: current folder]"),
]
LabName = Annotated[str, typer.Option("--name", help="Lab name (letters, digits, inner hyphens)")]
Json = Annotated[bool, typer.Option("--json", help="Machine output on stdout, nothing else there")]


def _progress(total: int, label: str) -> Progress:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    progress.add_task(label, total=total)
    return progress


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
    with _progress(nodes or manager.DEFAULT_NODES, f"lab {name}: boxes up") as progress:
        lab = manager.up(req, say, tick=lambda: progress.advance(progress.task_ids[0]))
    say(f"lab {lab.lab}: {len(lab.nodes)} boxes on {lab.network} ({lab.subnet}), image {lab.image}")
    _status_table(manager.status(home, lab.lab))


@lab_app.command("down")
def lab_down(name: LabName = "lab", home: Home = None) -> None:
    """Remove the lab's boxes, network and state (images are kept)."""
    if manager.down(name, home, say):
        say(f"lab {name}: removed")


def _status_table(rows: list[manager.BoxStatus]) -> None:
    table = Table("lab", "box", "address", "container", "running", "ssh")
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


@app.command()
def discover(
    source: Annotated[list[str] | None, typer.Option("--source", help="KIND[:ARG]; here: lab[:NAME]")] = None,
    as_json: Json = False,
    home: Home = None,
) -> None:
    """List nodes from the sources (table; --json)."""
    from cloudy_deploy.sources import lab as lab_source

    found = []
    for spec in source or ["lab"]:
        kind, _, arg = spec.partition(":")
        if kind != "lab":
            raise BadInput(f"--source {spec}: the {kind!r} source is not built yet (issue 3); only `lab` is")
        found += lab_source.nodes(arg or None, home)
    if as_json:
        out.print_json(json.dumps([n.model_dump() for n in found]))
        return
    table = Table("name", "address", "ssh", "source", "tags")
    for n in found:
        table.add_row(
            n.name, n.address, f"{n.ssh_user or '-'}@:{n.ssh_port or 22}", n.source, " ".join(n.tags)
        )
    err.print(table)


@app.command()
def up(
    nodes: Annotated[
        int, typer.Option("--nodes", "-n", help="Boxes in the lab when it is new")
    ] = manager.DEFAULT_NODES,
    home: Home = None,
) -> None:
    """The one-command demo: a lab, then the main playbook on it over SSH."""
    from cloudy_deploy import inventory, progress, runner
    from cloudy_deploy.lab import state
    from cloudy_deploy.paths import state_root

    existing = state.load("lab", home)
    req = manager.UpRequest(nodes=None if existing else nodes, home=home)
    with _progress(req.nodes or len(existing.nodes if existing else []), "lab boxes up") as bar:
        lab = manager.up(req, say, tick=lambda: bar.advance(bar.task_ids[0]))
    hosts = inventory.write(lab.as_nodes(), state_root(home) / "inventory", cloud="cloudy")
    say(f"inventory: {hosts}")
    record = runner.run_playbook("site.yml", hosts, progress.choose(False), command="up", home=home)
    if not record.success:
        raise typer.Exit(1)
    say("the boxes are ready: `cloudy lab ssh lab-1` opens a shell on the first one")


runs_app = typer.Typer(
    help="Past runs: what ran, when, and the result per host.", invoke_without_command=True
)
app.add_typer(runs_app, name="runs")


@runs_app.callback()
def runs_list(ctx: typer.Context, as_json: Json = False, home: Home = None) -> None:
    """List past runs (id, command, start, duration, result per host)."""
    if ctx.invoked_subcommand is not None:
        return
    from cloudy_deploy import runs

    records = runs.load_all(home)
    if as_json:
        out.print_json(json.dumps([r.to_json() for r in records]))
        return
    table = Table("id", "command", "playbook", "started", "seconds", "status", "hosts ok", "hosts failed")
    for r in records:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started))
        failed = r.failed_hosts
        table.add_row(
            r.id,
            r.command,
            r.playbook,
            started,
            f"{r.seconds:.0f}",
            r.status,
            str(len(r.hosts) - len(failed)),
            ", ".join(failed) or "-",
        )
    err.print(table)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id, from `cloudy runs`")], home: Home = None
) -> None:
    """Print a run's recap again."""
    from cloudy_deploy import progress, runs

    progress.print_recap(runs.load(home, run_id))


def _later(command: str, issue: str) -> None:
    @app.command(
        command,
        help=f"Not built yet: {issue}.",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    def _cmd(_args: Annotated[list[str] | None, typer.Argument(hidden=True)] = None) -> None:
        raise NotBuiltYet(command, issue)


_later("init", "the cloud spec and node sources, #3")
_later("plan", "a stable plan with a lock file, #3")
_later("inventory", "inventory files and plugin, #3")
_later("deploy", "ansible-runner with progress, recap and retry, #4")
_later("status", "per-node mesh and service status, #4")
_later("services", "Avahi service discovery, #6")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit")] = False,
) -> None:
    if version:
        print(__version__)
        raise typer.Exit()


def main() -> None:
    """Entry point: bad input is one line on stderr and exit 2 (DESIGN.md)."""
    try:
        app(standalone_mode=False, prog_name="cloudy")
    except BadInput as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except manager.LabError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(130)
    except Exception as exc:
        # typer vendors click privately: its usage errors are recognised by shape.
        if type(exc).__name__ == "NoArgsIsHelpError":
            ctx = getattr(exc, "ctx", None)
            print(ctx.get_help() if ctx else "", file=sys.stderr)
            sys.exit(0)
        if not hasattr(exc, "format_message"):
            raise
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx else "cloudy"
        err.print(f"error: {exc.format_message()} (see `{where} --help`)", markup=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
