"""What one source gives: its records, and notes on what it left out and why."""

from typing import NamedTuple

from cloudy_deploy.nodes import Node


class Loaded(NamedTuple):
    nodes: list[Node]
    notes: list[str]  # human lines, e.g. a tinc host skipped because nothing can reach it
