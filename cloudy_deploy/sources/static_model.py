"""One record of a static nodes file (YAML or CSV), validated, and its errors as one line."""

import difflib
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from cloudy_deploy.nodes import Node
from cloudy_deploy.sources.ip import canonical_ip
from cloudy_deploy.spec import file_path_ok

_NAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,64}$")  # printable, no spaces: the plan derives host names from it
_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")  # POSIX-ish login names
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # what Ansible accepts as a variable name
_TAG = re.compile(r"^[^\s,;]{1,64}$")


# Variables that choose the connection or its ssh arguments: the wrapper owns them (strict host keys).
_SSH_VAR = re.compile(r"ansible_(ssh_|scp_|sftp_|host_key_checking$|connection$|ssh$)")


class StaticNode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    address: str
    addresses: list[str] = []
    ssh_user: str | None = None
    ssh_port: int | None = None
    ssh_private_key: str | None = None
    ssh_known_hosts: str | None = None
    tags: list[str] = []
    vars: dict[str, Any] = {}

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: object) -> str:
        if not isinstance(v, str) or not _NAME.match(v):
            raise ValueError(
                f"name {v!r} is not a node name: give 1-64 characters without spaces, in quotes if numeric"
            )
        return v

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, v: object) -> str:
        try:
            return canonical_ip(v)
        except ValueError as exc:
            raise ValueError(f"address: {exc}; give the box's IP address (DNS names are not taken)") from None

    @field_validator("addresses", mode="before")
    @classmethod
    def _addresses(cls, v: object) -> list[str]:
        if v is None:
            return []
        if not isinstance(v, list):
            raise ValueError(f"addresses must be a list of IP addresses, not {v!r}")
        try:
            return [canonical_ip(a) for a in v]
        except ValueError as exc:
            raise ValueError(f"addresses: {exc}; list IP addresses only") from None

    @field_validator("ssh_user", mode="before")
    @classmethod
    def _user(cls, v: object) -> str | None:
        if v is None:
            return None
        if not isinstance(v, str) or not _USER.match(v):
            raise ValueError(f"ssh_user {v!r} is not a login name (letters, digits, _ . -), e.g. root")
        return v

    @field_validator("ssh_port", mode="before")
    @classmethod
    def _port(cls, v: object) -> int | None:
        if v is None:
            return None
        port = v if isinstance(v, int) and not isinstance(v, bool) else None
        if isinstance(v, str) and v.strip().isdigit():
            port = int(v)
        if port is None or not 1 <= port <= 65535:
            raise ValueError(f"ssh_port {v!r} is not a TCP port: give a number from 1 to 65535 (usually 22)")
        return port

    @field_validator("ssh_private_key", "ssh_known_hosts", mode="before")
    @classmethod
    def _file(cls, v: object) -> str | None:
        if v is None:
            return None
        if not isinstance(v, str) or not file_path_ok(v):
            raise ValueError(f"{v!r} is not a file path (no control characters, names of 255 bytes at most)")
        return v

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: object) -> list[str]:
        if v is None:
            return []
        if not isinstance(v, list):
            raise ValueError(f"tags must be a list, e.g. [a, b], not {v!r}")
        for tag in v:
            if not isinstance(tag, str) or not _TAG.match(tag):
                raise ValueError(f"tag {tag!r} is not a tag: use a word without spaces, commas or ';'")
        return list(dict.fromkeys(v))

    @field_validator("vars", mode="before")
    @classmethod
    def _vars(cls, v: object) -> dict[str, Any]:
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ValueError(f"vars must be a mapping of variable: value, not {v!r}")
        for key in v:
            if not isinstance(key, str) or not _VAR.match(key):
                raise ValueError(
                    f"vars: {key!r} is not a variable name: use letters, digits and _ (not first a digit)"
                )
            if _SSH_VAR.match(key):
                raise ValueError(
                    f"vars: {key} would change how Ansible connects, and could turn host-key checking"
                    " off: remove it (cloudy sets the ssh arguments itself; ssh_user, ssh_port and"
                    " ssh_private_key are the node's fields)"
                )
        return v

    def to_node(self, source: str, folder: Path) -> Node:
        def path(p: str | None) -> str | None:
            # Relative key files are relative to the nodes file, which is how its author reads them.
            return p if p is None or p.startswith("~") or Path(p).is_absolute() else str(folder / p)

        return Node(
            name=self.name,
            address=self.address,
            addresses=tuple(a for a in dict.fromkeys(self.addresses) if a != self.address),
            ssh_user=self.ssh_user,
            ssh_port=self.ssh_port,
            ssh_private_key=path(self.ssh_private_key),
            ssh_known_hosts=path(self.ssh_known_hosts),
            tags=tuple(self.tags),
            vars=self.vars,
            source=source,
        )


KEYS = tuple(StaticNode.model_fields)


def problem(exc: ValidationError) -> tuple[str | None, str]:
    """The first problem of a record: (the key it is about, one line saying what and how to fix)."""
    first = exc.errors()[0]
    key = str(first["loc"][0]) if first["loc"] else None
    if first["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(key), KEYS, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        return key, f"unknown key {key!r}; {hint}the keys are {', '.join(KEYS)}"
    if first["type"] == "missing":
        return None, f"no {key}; every node needs a name and an address"
    message = first["msg"].removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    return key, message + (f" (and {more} more problem{'s' * (more > 1)} in this node)" if more else "")
