"""The one model every source produces: a box we can reach and manage."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Node(BaseModel):
    """A box as a source describes it (see DESIGN.md, 'sources')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    address: str
    ssh_user: str = "root"
    ssh_port: int = Field(default=22, ge=1, le=65535)
    ssh_private_key: str | None = None
    ssh_known_hosts: str | None = None
    tags: tuple[str, ...] = ()
    source: Literal["static", "lab", "cnml", "mdns", "tinc"] | str = "static"
