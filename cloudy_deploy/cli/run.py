"""`cloudy deploy | status | up | runs`: run the playbooks and report what happened."""

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from cloudy_deploy import applied, hostkeys, progress, runner, runs
from cloudy_deploy import fast as mitogen
from cloudy_deploy import project as proj
from cloudy_deploy.cli.options import (
    Home,
    Json,
    Sources,
    bar,
    discovered,
    note_spec,
    planned,
    shortest,
    this_cloudy,
)
from cloudy_deploy.errors import BadInput
from cloudy_deploy.panels import panel_lines, panel_urls, status_line
from cloudy_deploy.plan import Plan
from cloudy_deploy.ui import PlainTable, err, out, plain, say

MAX_FORKS = 50
CANCELED = 130  # the shell's code for "stopped by Ctrl-C"
DEPLOYS = ("deploy", "up")  # commands whose failed hosts --retry-failed retries
Fast = Annotated[
    bool, typer.Option("--fast", help="Run with Mitogen for Ansible (pip install 'cloudy-deploy[fast]')")
]
Full = Annotated[
    bool,
    typer.Option(
        "--full", help="Run on every box, also those unchanged since their last complete run (README)"
    ),
]


def _check_fast(fast: bool) -> None:
    """Refuse --fast without Mitogen before anything is planned or written."""
    if fast:
        mitogen.strategy_env()


def _refresh(
    home: Path | None, source: list[str] | None, limit: str | None = None
) -> tuple[proj.Project, Plan]:
    """sources → plan (lock) → inventory; the project and its plan. Refused before anything is
    written when a box the run may reach has no recorded host key."""
    project, found = discovered(home, source, noted=True)
    the_plan = proj.make_plan(project, found)
    hostkeys.require_known(the_plan, limit, project.home)
    proj.commit(project, the_plan)
    note_spec(project, found)
    return project, the_plan


def _retry_limit(home: object, limit: str | None) -> str | None:
    if limit:
        raise BadInput("--retry-failed and --limit exclude each other: give one of them")
    last = [r for r in runs.load_all(home) if r.command in DEPLOYS and r.status != "running"]
    if not last:
        raise BadInput("--retry-failed: no earlier deploy in .cloudy/runs: run `cloudy deploy` first")
    return ",".join(last[-1].failed_hosts) or None


def _run(
    project: proj.Project,
    command: str,
    playbook: str,
    as_json: bool,
    hosts: int,
    inventory: Path | None = None,
    **kwargs: object,
) -> runs.RunRecord:
    """Run PLAYBOOK on INVENTORY (default: the deploy's); exit 1 when a host failed, 130 when canceled
    (DESIGN.md exit codes)."""
    forks = kwargs.pop("forks", None) or max(1, min(hosts, MAX_FORKS))
    extra = kwargs.pop("extra", None)
    record = runner.run_playbook(
        playbook,
        inventory or project.inventory_dir,
        progress.choose(as_json, extra),  # type: ignore[arg-type]
        command=command,
        home=project.home,
        forks=forks,
        **kwargs,
    )
    if record.status == "canceled":
        say(f"run {record.id} canceled; `cloudy deploy --retry-failed` does not retry it, run deploy again")
        raise typer.Exit(CANCELED)
    if not record.success:
        raise typer.Exit(1)
    return record


def _names(hosts: list[str], shown: int = 10) -> str:
    more = f" and {len(hosts) - shown} more" if len(hosts) > shown else ""
    return ", ".join(hosts[:shown]) + more


def _run_site(
    project: proj.Project,
    command: str,
    the_plan: Plan,
    as_json: bool,
    *,
    compare: bool,
    limit: str | None = None,
    extra: dict[str, object] | None = None,
    **options: object,
) -> runs.RunRecord:
    """site.yml on the plan's boxes. Its first play leaves out (when COMPARE) the boxes unchanged
    since their last complete run (applied_check.yml); the boxes that complete it record it."""
    record = _run(
        project,
        command,
        "site.yml",
        as_json,
        len(the_plan.hosts),
        extra=extra,
        limit=limit,
        extravars={} if compare else {"cloudy_skip_unchanged": False},
        **options,
    )
    if not as_json:
        for why, names in applied.reasons(record.reports).items():
            say(f"ran on {_names(names)}: {why}")
    return record


def deploy(
    check: Annotated[bool, typer.Option("--check", help="Change nothing; report what would change")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Show the changes to files")] = False,
    limit: Annotated[str | None, typer.Option("--limit", help="Only these hosts (Ansible pattern)")] = None,
    tags: Annotated[
        str | None, typer.Option("--tags", help="Only these components, e.g. common,tinc")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Only the hosts that failed or were unreachable last time")
    ] = False,
    forks: Annotated[int | None, typer.Option("--forks", min=1, help="[default: min(hosts, 50)]")] = None,
    fast: Fast = False,
    full: Full = False,
    as_json: Json = False,
    source: Sources = None,
    home: Home = None,
) -> None:
    """Refresh the inventory from the plan, then run playbooks/site.yml."""
    _check_fast(fast)
    for flag, value in (("--limit", limit), ("--tags", tags)):
        if value is not None and not value.strip():
            raise BadInput(
                f"{flag} {value!r}: empty, which would run on everything: give a value, or leave {flag} out"
            )
    if retry_failed:
        limit = _retry_limit(home, limit)
        if limit is None:
            say("nothing to retry: every host succeeded in the last deploy")
            return
    options: dict[str, object] = {"tags": tags, "check": check, "diff": diff, "forks": forks, "fast": fast}
    if check:
        # Changes nothing here either: the plan in memory, on a scratch inventory (like status).
        project, the_plan = planned(home, source)
        hostkeys.require_known(the_plan, limit, project.home)
        with proj.scratch_inventory(project, the_plan) as scratch:
            # Recorded as `check`, not `deploy`: --retry-failed retries the last real deploy.
            _run(project, "check", "site.yml", as_json, len(the_plan.hosts), scratch, limit=limit, **options)
        return
    project, the_plan = _refresh(home, source, limit)
    panels = panel_urls(the_plan)
    # A partial run (--tags, an Ansible --limit pattern) neither compares nor records.
    compare = not full and tags is None and (limit is None or retry_failed)
    extra = {"panels": panels}
    _run_site(project, "deploy", the_plan, as_json, compare=compare, limit=limit, extra=extra, **options)
    for line in panel_lines(panels):
        say(line)


def _status_table(record: runs.RunRecord) -> PlainTable:
    table = PlainTable("node", "reachable", "uptime", "overlay ip", "mesh peers", "services")
    for name, stats in record.hosts.items():
        rep = record.reports.get(name)
        if rep is None:
            table.add_row(name, plain("NO", "red") if not stats.success else "?", "", "", "", "")
            continue
        peers = f"{len(rep['peers'])}/{rep['peers_expected']}" if rep.get("overlay_ip") else "-"
        uptime = time.strftime("%H:%M:%S", time.gmtime(int(rep["uptime"])))
        days = int(rep["uptime"]) // 86400
        table.add_row(
            name,
            "yes",
            f"{days}d {uptime}" if days else uptime,
            str(rep.get("overlay_ip") or "-"),
            peers,
            " ".join(rep["services"]) or "-",
        )
    return table


def status(as_json: Json = False, source: Sources = None, home: Home = None) -> None:
    """Per node: reachable, uptime, the mesh peers it reaches, the services active. Changes nothing."""
    project, the_plan = planned(home, source)  # read-only: neither cloudy.lock nor the deploy's inventory
    hostkeys.require_known(the_plan, None, project.home)
    with proj.scratch_inventory(project, the_plan) as inventory:
        record = runner.run_playbook(
            "status.yml",
            inventory,
            progress.QuietDisplay(),
            command="status",
            home=home,
            forks=max(1, min(len(the_plan.hosts), MAX_FORKS)),
        )
    if as_json:
        rows = [
            {"node": n, "reachable": s.success and n in record.reports, **record.reports.get(n, {})}
            for n, s in record.hosts.items()
        ]
        out.print_json(json.dumps(rows))
    else:
        err.print(_status_table(record))
        for name, report in record.reports.items():
            if (line := status_line(name, report)) is not None:
                say(line)
        for name, stats in record.hosts.items():
            for failure in stats.failures:
                say(f"{name}: {failure}")
    if record.error:
        say(f"the status playbook did not run: {record.error}")
    if not record.success:
        raise typer.Exit(1)


def up(
    nodes: Annotated[int, typer.Option("--nodes", "-n", help="Boxes in the lab when it is new")] = 3,
    fast: Fast = False,
    full: Full = False,
    home: Home = None,
) -> None:
    """The one-command demo: the lab (when the spec uses it), plan, deploy; then what to open."""
    _check_fast(fast)
    from cloudy_deploy.lab import manager, naming, state

    project = proj.open_project(home)
    note_spec(project)
    labs = [r.arg or "lab" for r in proj.source_refs(project, None) if r.kind == "lab"]
    for name in labs:
        naming.validate_lab_name(name)
        existing = state.load(name, home)
        req = manager.UpRequest(lab=name, nodes=None if existing else nodes, home=home)
        with bar(req.nodes or len(existing.nodes if existing else []), f"lab {name}: boxes up") as shown:
            manager.up(req, say, tick=lambda: shown.advance(shown.task_ids[0]))
    project, the_plan = _refresh(home, None)
    hosts = len(the_plan.hosts)
    _run_site(project, "up", the_plan, False, compare=not full, fast=fast)
    say(f"the micro cloud {project.spec.cloud!r} is ready on {hosts} boxes:")
    for line in panel_lines(panel_urls(the_plan)):
        say(line)
    # Commands that work when pasted: this cloudy (maybe not the one on PATH), this project folder.
    cloudy = this_cloudy()
    where = f" --home {shortest(project.home)}" if home and project.home != Path.cwd().resolve() else ""
    if labs:
        say(f"  a shell on a box:   {cloudy} lab ssh{where} {naming.box_name(labs[0], 1)}")
    say(f"  what each box runs: {cloudy} status{where}")


runs_app = typer.Typer(help="Past runs: what ran, when, the result per host.", invoke_without_command=True)


@runs_app.callback()
def runs_list(ctx: typer.Context, as_json: Json = False, home: Home = None) -> None:
    """List past runs (id, command, start, duration, result per host)."""
    if ctx.invoked_subcommand is not None:
        return
    records = runs.load_all(home)
    if as_json:
        out.print_json(json.dumps([r.to_json() for r in records]))
        return
    table = PlainTable(
        "id", "command", "playbook", "started", "seconds", "status", "hosts ok", "hosts failed"
    )
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
    run_id: Annotated[str, typer.Argument(help="Run id (`cloudy runs`)")], home: Home = None
) -> None:
    """Print a run's recap again."""
    progress.print_recap(runs.load(home, run_id))
