"""The one model every source produces: a box we can reach and manage."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Node(BaseModel):
    """A box as a source describes it (see DESIGN.md, 'sources')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # as the source names it; the plan derives tinc and host names from it
    address: str  # the address the controller reaches it on
    addresses: tuple[str, ...] = ()  # other addresses the source knows of
    ssh_user: str | None = None  # None: the spec's ssh.user (default root)
    ssh_port: int | None = Field(default=None, ge=1, le=65535)  # None: 22
    ssh_private_key: str | None = None
    ssh_known_hosts: str | None = None
    tags: tuple[str, ...] = ()
    vars: dict[str, Any] = Field(default_factory=dict)  # host vars from the source (guifi ids, zone...)
    source: str = "static"  # where the record came from, e.g. "static:nodes.yml", "lab:lab"
