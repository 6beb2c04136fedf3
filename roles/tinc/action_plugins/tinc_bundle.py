# Role tinc of cloudy-deploy. GPL-3.0-or-later.
"""Controller side of the tinc role: host files, their archive and the topology, once per run.

Runs in the controller's Ansible process (an action plugin: no module is sent
anywhere). The pure functions below are also what benchmarks/tinc_scale.py
measures.
"""

import gzip
import io
import ipaddress
import json
import os
import re
import tarfile
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

NAME = re.compile(r"^[A-Za-z0-9_]+$")
HEADER = "# tinc host file of {name}, written by cloudy-deploy (role tinc): edits are overwritten.\n"
MEMBERS_FILE = "members.json"
ARCHIVE = "hosts.tar.gz"


# --- pure functions -------------------------------------------------------


def host_file(record: dict) -> bytes:
    """The host file of one node: Address (unless behind NAT), Port, public key."""
    lines = [HEADER.format(name=record["name"])]
    if record.get("address"):
        lines.append(f"Address = {record['address']}\n")
    lines.append(f"Port = {int(record['port'])}\n")
    lines.append(record["key"].strip() + "\n")
    return "".join(lines).encode()


def pack(files: dict[str, bytes]) -> bytes:
    """A tar.gz of the files, byte for byte the same for the same files (sorted, no dates, no owners)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _ip_key(record: dict) -> tuple:
    try:
        return (0, int(ipaddress.ip_address(record.get("overlay_ip") or "")), record["name"])
    except ValueError:
        return (1, 0, record["name"])


def topology(
    records: list[dict], kind: str, spines: int, auto_full_max: int, spine_hosts: list[str]
) -> tuple[str, list[str], dict[str, dict]]:
    """Resolve auto, choose the spines, and give every member its ConnectTo list.

    Only nodes with an address are dialled: a node behind NAT dials out and
    is reached over the connections it makes.
    Returns (full|spine, spine names, {inventory host: {name, role, connect_to}}).
    """
    if kind == "auto":
        kind = "full" if len(records) <= auto_full_max else "spine"
    dialable = [r for r in records if r.get("address")]
    nodes: dict[str, dict] = {}
    if kind == "full":
        for r in records:
            peers = [d["name"] for d in dialable if d["name"] != r["name"]]
            nodes[r["host"]] = {"name": r["name"], "role": "a full-mesh node", "connect_to": peers}
        return kind, [], nodes
    named = [r for r in records if r["host"] in spine_hosts]
    chosen = named or sorted(dialable, key=_ip_key)[:spines]
    spine_names = sorted(r["name"] for r in chosen)
    spine_dialable = [r["name"] for r in sorted(chosen, key=lambda r: r["name"]) if r.get("address")]
    for r in records:
        is_spine = r["name"] in spine_names
        peers = [n for n in spine_dialable if n != r["name"]]
        role = "a spine" if is_spine else "a leaf"
        nodes[r["host"]] = {"name": r["name"], "role": role, "connect_to": peers}
    return kind, spine_names, nodes


def resolve_members(
    members: list[str], fresh: list[dict], cached: dict[str, dict], removed: list[str], allow_missing: bool
) -> tuple[list[dict], list[str], list[str]]:
    """The record of every member: from this run, else from the last run's record.

    Returns (records sorted by name, names of removed nodes, warnings).
    """
    by_host = {r["host"]: r for r in fresh if r.get("key")}
    gone = set(removed)
    matched: set[str] = set()
    records, removed_names, warnings, missing = [], set(), [], []
    for host in members:
        record = by_host.get(host) or cached.get(host)
        if host in gone or (record and record["name"] in gone):
            matched.add(host)
            if record:
                matched.add(record["name"])
                removed_names.add(record["name"])
            continue
        if not record:
            missing.append(host)
            continue
        records.append(record)
    # Names given that are no inventory host: tinc names (e.g. of a hand-made node).
    removed_names |= {n for n in gone - matched if NAME.match(n)}
    removed_names -= {r["name"] for r in records}
    if missing:
        text = (
            f"no public key known for {', '.join(missing)}: they are in the mesh group but were not "
            "in this run and no earlier run recorded them; run playbooks/mesh.yml over all nodes"
        )
        if not allow_missing:
            raise ValueError(text)
        warnings.append(text)
    seen: dict[str, str] = {}
    for r in records:
        if not NAME.match(r["name"]):
            raise ValueError(f"{r['host']}: tinc node name {r['name']!r} has other than letters, digits, _")
        if r["name"] in seen:
            raise ValueError(f"{seen[r['name']]} and {r['host']} have the same tinc node name {r['name']}")
        seen[r["name"]] = r["host"]
    return sorted(records, key=lambda r: r["name"]), sorted(removed_names), warnings


def read_extra(folder: str, members: set[str]) -> dict[str, bytes]:
    """Host files of hand-made nodes, as the admin received them."""
    extra: dict[str, bytes] = {}
    if not folder:
        return extra
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        if not NAME.match(name):
            raise ValueError(f"{path}: a host file is named after its node (letters, digits, _)")
        if name in members:
            raise ValueError(f"{path}: {name} is a node of the inventory; its host file is made by the role")
        with open(path, "rb") as f:
            data = f.read()
        if b"PRIVATE KEY" in data:
            raise ValueError(f"{path} holds a private key: only public host files belong there")
        extra[name] = data
    return extra


def bundle(records: list[dict], extra: dict[str, bytes]) -> tuple[dict[str, bytes], bytes]:
    """All host files (members and hand-made nodes) and their archive."""
    files = {r["name"]: host_file(r) for r in records}
    files.update(extra)
    return files, pack(files)


# --- the controller's record (public material only) --------------------------


def _write_if_changed(path: str, data: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True


def load_cache(dest: str) -> dict[str, dict]:
    try:
        with open(os.path.join(dest, MEMBERS_FILE)) as f:
            return {r["host"]: r for r in json.load(f)["members"]}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        display.warning(f"tinc: ignoring the unreadable {dest}/{MEMBERS_FILE}: {exc}")
        return {}


def save(dest: str, records: list[dict], files: dict[str, bytes], archive: bytes) -> bool:
    """dest/hosts/NAME for every host file, dest/hosts.tar.gz, dest/members.json."""
    hosts = os.path.join(dest, "hosts")
    os.makedirs(hosts, mode=0o755, exist_ok=True)
    changed = False
    for name, data in files.items():
        changed |= _write_if_changed(os.path.join(hosts, name), data)
    for name in os.listdir(hosts):
        if name not in files:
            os.unlink(os.path.join(hosts, name))
            changed = True
    changed |= _write_if_changed(os.path.join(dest, ARCHIVE), archive)
    members = {
        "comment": "Public records of the mesh's nodes, from the last run of the role tinc. No secrets.",
        "members": records,
    }
    body = (json.dumps(members, indent=1) + "\n").encode()
    changed |= _write_if_changed(os.path.join(dest, MEMBERS_FILE), body)
    return changed


# --- the action ----------------------------------------------------------------


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        (
            "dest",
            "records",
            "members",
            "removed",
            "topology",
            "spines",
            "auto_full_max",
            "spine_hosts",
            "extra_dir",
            "allow_missing",
        )
    )

    def run(self, tmp: str | None = None, task_vars: dict | None = None) -> dict:
        result = super().run(tmp, task_vars)
        a = self._task.args
        dest = os.path.abspath(os.path.expanduser(to_text(a["dest"])))
        try:
            os.makedirs(dest, mode=0o755, exist_ok=True)
            records, removed, warnings = resolve_members(
                list(a.get("members") or []),
                list(a.get("records") or []),
                load_cache(dest),
                [to_text(n) for n in a.get("removed") or []],
                bool(a.get("allow_missing", False)),
            )
            extra_dir = to_text(a.get("extra_dir") or "")
            extra = read_extra(os.path.expanduser(extra_dir), {r["name"] for r in records})
            files, archive = bundle(records, extra)
            kind, spines, nodes = topology(
                records,
                to_text(a.get("topology") or "auto"),
                int(a.get("spines", 3)),
                int(a.get("auto_full_max", 16)),
                list(a.get("spine_hosts") or []),
            )
            changed = save(dest, records, files, archive)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AnsibleActionFail(f"tinc: {exc}") from exc
        for text in warnings:
            display.warning(text)
        result.update(
            changed=changed,
            archive=os.path.join(dest, ARCHIVE),
            host_files=sorted(files),
            members=len(records),
            removed=removed,
            topology=kind,
            spines=spines,
            nodes=nodes,
        )
        return result
