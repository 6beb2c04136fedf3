"""Options and helpers shared by the command modules."""

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from cloudy_deploy.ui import err

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
