"""`cloudy init | discover | plan | inventory`: from sources to an inventory a person can read."""

import json
from pathlib import Path
from typing import Annotated

import typer

from cloudy_deploy import project as proj
from cloudy_deploy.cli.options import Home, Json, Sources, discovered, note_spec
from cloudy_deploy.errors import BadInput
from cloudy_deploy.paths import check_writable, state_root
from cloudy_deploy.plan import Plan
from cloudy_deploy.ui import PlainTable, err, out, plain, say


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for cloudy.yml and nodes.yml")] = Path("."),
) -> None:
    """Scaffold a commented cloudy.yml and an example nodes.yml (never overwrites)."""
    from cloudy_deploy.scaffold import scaffold

    for path in scaffold(directory):
        say(f"wrote {path}")


def _node_table(nodes: list, probes: dict | None = None) -> PlainTable:
    table = PlainTable("name", "address", "ssh", "source", "tags")
    if probes is not None:
        for col in ("host key", "hostname", "arch", "debian", "mac"):
            table.add_column(col)
    for n in nodes:
        row = [n.name, n.address, f"{n.ssh_user or '-'}@:{n.ssh_port or 22}", n.source, " ".join(n.tags)]
        if probes is not None:
            p = probes[n.name]
            if p.ok:
                key = f"{p.fingerprint} (new)" if p.first_use else str(p.fingerprint)
                row += [key, p.hostname or "", p.arch or "", p.debian or "", p.mac or ""]
            else:
                row += [plain(p.error, "red"), "", "", "", ""]
        table.add_row(*row)
    return table


def discover(
    source: Sources = None,
    probe: Annotated[
        bool, typer.Option("--probe", help="Connect over SSH: host keys, hostname, arch...")
    ] = False,
    as_json: Json = False,
    home: Home = None,
) -> None:
    """List nodes from the sources (table; --json)."""
    if probe:
        check_writable(state_root(home))  # its known_hosts: before any output or any box is asked
    project, found = discovered(home, source)
    probes = None
    if probe:
        from cloudy_deploy.probe import probe as run_probe

        results = run_probe(
            found.nodes,
            state_root(home) / "known_hosts",
            default_user=project.spec.ssh.user,
            key_file=project.spec.ssh.private_key,
        )
        probes = {r.name: r for r in results}
    if as_json:
        rows = [n.model_dump() for n in found.nodes]
        if probes is not None:
            for row in rows:
                row["probe"] = probes[row["name"]].__dict__
        out.print_json(json.dumps(rows))
    else:
        err.print(_node_table(found.nodes, probes))
    if probes is not None and not all(p.ok for p in probes.values()):
        bad = ", ".join(p.name for p in probes.values() if not p.ok)
        say(f"probe failed on: {bad}")
        raise typer.Exit(1)


def _plan_table(the_plan: Plan) -> PlainTable:
    table = PlainTable("node", "tinc name", "overlay ip", "address", "services")
    for h in the_plan.hosts:
        table.add_row(h.name, h.tinc_name, str(h.overlay_ip), h.reached_at, " ".join(h.services))
    return table


def plan(
    source: Sources = None,
    reclaim: Annotated[bool, typer.Option("--reclaim", help="Reuse the addresses of removed nodes")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; do not update the lock")] = False,
    as_json: Json = False,
    home: Home = None,
) -> None:
    """Names, overlay IPs and services per node; the diff against the lock, which it then updates."""
    project, found = discovered(home, source, noted=True)
    the_plan = proj.make_plan(project, found, reclaim=reclaim)
    if not dry_run:
        check_writable(project.lock_path.parent, files=(project.lock_path,))  # before any output
    note_spec(project, found)
    if as_json:
        out.print_json(json.dumps(the_plan.to_json()))
    else:
        err.print(_plan_table(the_plan))
        for line in the_plan.diff_lines():
            say(line)
    if not dry_run:
        proj.save_lock(project, the_plan)


def inventory(
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Folder [default: .cloudy/inventory]")
    ] = None,
    source: Sources = None,
    home: Home = None,
) -> None:
    """Write the Ansible inventory of the plan (hosts.yml + group_vars, one file per component)."""
    if output is not None and not output.strip():
        raise BadInput("-o '': an empty folder name: give a folder, e.g. -o inventory (or leave -o out)")
    project, found = discovered(home, source, noted=True)
    written = proj.commit(project, proj.make_plan(project, found), Path(output) if output else None)
    note_spec(project, found)
    for path in written:
        say(f"wrote {path}")
