"""The `lab` source: the boxes of the local lab(s) in this project."""

from pathlib import Path

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab import state
from cloudy_deploy.nodes import Node


def nodes(arg: str | None, home: Path | None = None) -> list[Node]:
    labs = state.load_all(home)
    if arg:
        labs = [s for s in labs if s.lab == arg]
        if not labs:
            raise BadInput(
                f"--source lab:{arg}: no lab named {arg!r} here; start it with `cloudy lab up --name {arg}`"
            )
    return [n for s in labs for n in s.as_nodes()]
