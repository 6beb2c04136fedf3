"""Options and helpers shared by the command modules."""

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from cloudy_deploy import project as proj
from cloudy_deploy.paths import check_writable
from cloudy_deploy.plan import Plan
from cloudy_deploy.sources import MergeResult
from cloudy_deploy.ui import err, say

Home = Annotated[
    Path | None,
    typer.Option("--home", help="Project folder whose .cloudy/ holds the state [default: current folder]"),
]
Json = Annotated[bool, typer.Option("--json", help="Machine output on stdout, nothing else there")]
Sources = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        help="KIND[:ARG], repeatable, replaces the spec's sources: static:FILE, lab[:NAME], cnml:FILE, "
        "mdns[:SECONDS], tinc:DIR",
    ),
]


def bar(total: int, label: str) -> Progress:
    """A progress bar on stderr, shown only on a terminal."""
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


_NOTED: set[Path] = set()
_OFF_SAID: set[Path] = set()  # clouds whose off services were said (once per command)


def note_spec(project: proj.Project, found: MergeResult | None = None) -> None:
    """Say (once) that the built-in lab spec stands in for a missing cloudy.yml, then the sources'
    notes (merges, what they left out). Said once the input is known good: bad input is one line."""
    if project.spec_path is None and project.home not in _NOTED:
        _NOTED.add(project.home)
        say(
            f"no {proj.SPEC_FILE} in {project.home}: using the built-in lab spec (cloud {project.spec.cloud},"
            " the boxes of `cloudy lab up`, the panel, a Tahoe grid and a repository box);"
            " `cloudy init` writes one to edit"
        )
    for note in found.notes if found else ():
        say(note)
    if project.home not in _OFF_SAID:
        _OFF_SAID.add(project.home)
        for line in project.spec.off_lines():
            say(line)


def discovered(
    home: Path | None, source: list[str] | None, noted: bool = False
) -> tuple[proj.Project, MergeResult]:
    """The project and the merged nodes of its sources (or of --source); unless NOTED (the caller
    plans next and calls note_spec after), which spec it uses and the merges."""
    project = proj.open_project(home)
    found = proj.discover(project, source)
    if not noted:
        note_spec(project, found)
    return project, found


def planned(home: Path | None, source: list[str] | None) -> tuple[proj.Project, Plan]:
    """For read-only commands: the plan of the sources against cloudy.lock, in memory (never saved)."""
    project, found = discovered(home, source, noted=True)
    the_plan = proj.make_plan(project, found)
    check_writable(proj.scratch_root(project))  # before any note: bad input is one line
    note_spec(project, found)
    if the_plan.lock_changed:
        lock = project.lock_path
        what = f"{lock.name} does not hold this plan yet" if lock.exists() else f"no {lock.name} yet"
        say(f"{what}: boxes shown as planned, not recorded (`cloudy plan` shows the difference)")
    return project, the_plan


def shortest(path: Path, cwd: Path | None = None) -> str:
    """PATH for a shell in CWD: relative when shorter (`./x` rather than `x`), quoted when needed."""
    path = path.absolute()
    rel = os.path.relpath(path, cwd or Path.cwd())
    if os.sep not in rel:
        rel = f".{os.sep}{rel}"  # a bare name would be looked up on PATH
    return shlex.quote(min(str(path), rel, key=len))


def this_cloudy(cwd: Path | None = None) -> str:
    """How a shell in CWD runs this very cloudy: `cloudy` when that is the one PATH finds, else the
    path of the running one, e.g. `.venv/bin/cloudy` after ./scripts/up.sh."""
    script = Path(sys.argv[0])
    if script.name != "cloudy":  # `python -m cloudy_deploy`: the entry point beside that Python
        script = Path(sys.executable).parent / "cloudy"
        if not script.is_file():
            return f"{shortest(Path(sys.executable), cwd)} -m cloudy_deploy"
    found = shutil.which("cloudy")
    if found and Path(found).resolve() == script.resolve():
        return "cloudy"
    return shortest(script, cwd)
