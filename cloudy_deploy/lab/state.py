"""The lab's state file: what `lab up` made, read back by `lab status` and the lab source."""

import os
import shutil
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.paths import state_root

STATE_FILE = "lab.yml"
KEY_FILE = "id_ed25519"
KNOWN_HOSTS = "known_hosts"
HEADER = "# Written by `cloudy lab up`; read by `cloudy discover --source lab`. Do not edit.\n"


class LabBox(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    container: str
    address: str


class LabState(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lab: str
    network: str
    subnet: str
    image: str
    ssh_user: str = "root"
    ssh_private_key: str
    ssh_known_hosts: str
    nodes: list[LabBox] = []

    def as_nodes(self) -> list[Node]:
        return [
            Node(
                name=b.name,
                address=b.address,
                ssh_user=self.ssh_user,
                ssh_port=22,
                ssh_private_key=self.ssh_private_key,
                ssh_known_hosts=self.ssh_known_hosts,
                tags=("lab", f"lab:{self.lab}"),
                source=f"lab:{self.lab}",
            )
            for b in self.nodes
        ]


def lab_dir(lab: str, home: Path | None = None) -> Path:
    return state_root(home) / "lab" / lab


def make_lab_dir(lab: str, home: Path | None = None) -> Path:
    path = lab_dir(lab, home)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def load(lab: str, home: Path | None = None) -> LabState | None:
    path = lab_dir(lab, home) / STATE_FILE
    if not path.exists():
        return None
    try:
        return LabState.model_validate(yaml.safe_load(path.read_text()))
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise BadInput(
            f"{path}: lab state is damaged ({first}); run `cloudy lab down --name {lab}`"
        ) from None


def load_all(home: Path | None = None) -> list[LabState]:
    root = state_root(home) / "lab"
    names = sorted(p.parent.name for p in root.glob(f"*/{STATE_FILE}"))
    return [s for s in (load(n, home) for n in names) if s is not None]


def save(state: LabState, home: Path | None = None) -> Path:
    """Write atomically, so a crash never leaves half a state file."""
    path = make_lab_dir(state.lab, home) / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(HEADER + yaml.safe_dump(state.model_dump(), sort_keys=False))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def remove(lab: str, home: Path | None = None) -> None:
    shutil.rmtree(lab_dir(lab, home), ignore_errors=True)
    parent = state_root(home) / "lab"
    if parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
