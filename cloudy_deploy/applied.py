"""Leave out of a deploy the boxes nothing changed for since their last complete run.

Every complete run of site.yml ends with a record on each box that completed it
(playbooks/applied_record.yml): the run digest, made of the run's inputs (the collection, the
panel's source, the inventory, the playbook, ansible-core's version) and the state digest of
every box of the cloud at the end of the run (each box's files under the roles' folders, its
packages, its running services, its addresses). Before the next run, one task per box
(playbooks/applied.yml) reads each box's state and record. A box is left out when its record
holds the digest the coming run would have: nothing it was given changed, and neither did any
box, itself included. Anything else, one box that does not answer the check included, runs as
before. `--full` turns it off.
"""

import hashlib
import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible.release import __version__ as ansible_version

from ansible_collections.clommunity.cloudy.plugins.module_utils.applied import run_digest
from cloudy_deploy.paths import collection_root

PARTS = {
    "files": "its files",
    "packages": "its packages",
    "units": "its services",
    "addresses": "its addresses",
}

NO_RECORD = "no complete run is recorded on it"


def _tree_lines(label: str, root: Path) -> Iterable[str]:
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        yield f"{label}/{path.relative_to(root)} {hashlib.sha256(path.read_bytes()).hexdigest()}"


def inputs_digest(inventory: Path, playbook: str) -> str:
    """What the controller gives a run: the collection, the panel's source (role webui packs it
    from here), the inventory's files, the playbook and ansible-core's version."""
    panel = importlib.util.find_spec("cloudy_panel")
    trees = [("collection", collection_root()), ("inventory", inventory)]
    if panel is not None and panel.origin:
        trees.append(("panel", Path(panel.origin).parent))
    digest = hashlib.sha256(f"playbook {playbook}\nansible-core {ansible_version}\n".encode())
    for label, root in trees:
        for line in _tree_lines(label, root):
            digest.update(line.encode() + b"\n")
    return digest.hexdigest()


@dataclass
class Decision:
    """Which boxes the coming run leaves out, and why each of the others runs."""

    inputs: str
    states: dict[str, str] = field(default_factory=dict)  # host -> state digest, the boxes that answered
    unchanged: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # host -> why it runs
    seconds: float = 0.0  # what the check took

    def extravars(self, playbook: str) -> dict[str, Any]:
        """What the record play at the end of the run needs (digests only)."""
        return {"cloudy_applied": {"playbook": playbook, "inputs": self.inputs, "states": self.states}}


def _why(report: Mapping[str, Any] | None) -> str:
    if report is None:
        return "it did not answer the check"
    recorded = report.get("recorded")
    if not isinstance(recorded, Mapping) or "digest" not in recorded:
        return NO_RECORD
    before, now = recorded.get("parts") or {}, report.get("parts") or {}
    changed = [words for key, words in PARTS.items() if before.get(key) != now.get(key)]
    if changed:
        return " and ".join(changed) + " changed since its last complete run"
    return "the inventory, the collection or another box changed since its last complete run"


def decide(hosts: Iterable[str], reports: Mapping[str, Mapping[str, Any]], inputs: str) -> Decision:
    """HOSTS: the inventory's boxes; REPORTS: what applied.yml read on each box that answered."""
    decision = Decision(inputs)
    decision.states = {h: str(r["state"]) for h, r in reports.items() if r.get("state")}
    now = run_digest(inputs, decision.states)
    for host in hosts:
        report = reports.get(host)
        recorded = (report or {}).get("recorded")
        if host in decision.states and isinstance(recorded, Mapping) and recorded.get("digest") == now:
            decision.unchanged.append(host)
        else:
            decision.reasons[host] = _why(report)
    return decision
