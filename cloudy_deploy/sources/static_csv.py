"""The CSV form of a static nodes file: header name,address[,ssh_user,ssh_port,tags]."""

import csv
import io
import re
from pathlib import Path

from pydantic import ValidationError

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources.static_model import StaticNode, problem

COLUMNS = ("name", "address", "ssh_user", "ssh_port", "tags")
HEADER = "name,address[,ssh_user,ssh_port,tags]"


def _header(row: list[str], where: str) -> list[str]:
    columns = [c.strip().lower() for c in row]
    for c in columns:
        if c not in COLUMNS:
            raise BadInput(f"{where}: unknown column {c!r} in the header; the header is {HEADER}")
    for c in columns:
        if columns.count(c) > 1:
            raise BadInput(f"{where}: the column {c!r} appears twice in the header; keep one")
    if columns[:2] != ["name", "address"]:
        raise BadInput(f"{where}: the header must start with name,address; the header is {HEADER}")
    return columns


def _skip(row: list[str]) -> bool:
    """Blank rows, and rows whose first cell starts with # (comments of hand-written files)."""
    return not any(c.strip() for c in row) or row[0].lstrip().startswith("#")


def parse(text: str, where: str, source: str, folder: Path) -> tuple[list[Node], list[str]]:
    """The records of the file and where each is (file:line)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: list[str] | None = None
    records: list[Node] = []
    lines: list[str] = []
    try:
        for row in reader:
            at = f"{where}:{reader.line_num}"
            if _skip(row):
                continue
            if columns is None:
                columns = _header(row, at)
                continue
            if len(row) != len(columns):
                raise BadInput(
                    f"{at}: {len(row)} fields, the header has {len(columns)} ({','.join(columns)}); "
                    "quote a value that holds a comma"
                )
            data: dict[str, object] = {c: v.strip() for c, v in zip(columns, row, strict=True) if v.strip()}
            if "tags" in data:
                data["tags"] = [t for t in re.split(r"[;\s]+", str(data["tags"])) if t]
            try:
                record = StaticNode.model_validate(data)
            except ValidationError as exc:
                raise BadInput(f"{at}: {problem(exc)[1]}") from None
            records.append(record.to_node(source, folder))
            lines.append(at)
    except csv.Error as exc:
        raise BadInput(f"{where}:{reader.line_num}: not valid CSV ({exc}); check the quotes") from None
    if columns is None:
        raise BadInput(f"{where}:1: the file is empty; start it with the header {HEADER}")
    return records, lines
