# Role tinc of cloudy-deploy. GPL-3.0-or-later.
"""Controller side of the tinc role: host files, their archive and the topology, once per run.

Runs in the controller's Ansible process (an action plugin: no module is sent
anywhere). It keeps no state on the controller: the records of members outside
the run come from the host files the boxes hold. The pure functions below are
also what benchmarks/tinc_scale.py measures.
"""

import base64
import gzip
import hashlib
import io
import ipaddress
import json
import os
import re
import tarfile

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

NAME = re.compile(r"^[A-Za-z0-9_]+$")
HEADER = "# tinc host file of {name}, written by cloudy-deploy (role tinc): edits are overwritten.\n"
# The record behind a host file, as a comment tinc ignores: how a later run that does not reach
# this node still knows its inventory name and overlay IP.
RECORD_TAG = "# cloudy-record: "
MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", re.IGNORECASE)


# --- pure functions -------------------------------------------------------


def host_file(record: dict) -> bytes:
    """The host file of one node: Address (unless behind NAT), Port, public key."""
    lines = [HEADER.format(name=record["name"])]
    tag = {"host": record["host"], "name": record["name"], "overlay_ip": record.get("overlay_ip") or ""}
    if record.get("mac"):
        tag["mac"] = record["mac"]
    lines.append(RECORD_TAG + json.dumps(tag, sort_keys=True) + "\n")
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


def parse_host_file(name: str, data: bytes) -> dict | None:
    """The public record the host file NAME written by host_file() carries; None for any other
    file (hand-made nodes, or a record that does not name this file's node)."""
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return None
    record: dict = {"address": "", "port": 655}
    tag: dict = {}
    key: list[str] = []
    for line in text.splitlines():
        if line.startswith(RECORD_TAG):
            try:
                tag = json.loads(line[len(RECORD_TAG) :])
            except ValueError:
                return None
        elif key or line.startswith("-----BEGIN RSA PUBLIC KEY-----"):
            key.append(line)
        elif "=" in line and not line.lstrip().startswith("#"):
            field, value = (x.strip() for x in line.split("=", 1))
            if field.lower() == "address":
                record["address"] = value
            elif field.lower() == "port":
                if not value.isdigit():
                    return None
                record["port"] = int(value)
    if not isinstance(tag, dict) or tag.get("name") != name or not key:
        return None
    if not all(isinstance(tag.get(k), str) for k in ("host", "overlay_ip")) or not tag["host"]:
        return None
    return {
        **record,
        "host": tag["host"],
        "name": name,
        "overlay_ip": tag["overlay_ip"],
        "mac": tag.get("mac") if isinstance(tag.get("mac"), str) else "",
        "key": "\n".join(key).strip() + "\n",
    }


def unpack(archive: bytes) -> dict[str, bytes]:
    """The files of a host file archive (the top level only)."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None and NAME.match(member.name):
                files[member.name] = handle.read()
    return files


def slurped(held: list) -> list[tuple[str, str]]:
    """(box, base64 archive) from [box, slurp result] pairs; boxes without one (new, down) are left out."""
    pairs = []
    for box, res in held:
        if isinstance(res, dict) and res.get("content") and not (res.get("failed") or res.get("unreachable")):
            pairs.append((to_text(box), to_text(res["content"])))
    return pairs


def held_records(held: list[tuple[str, str]]) -> tuple[dict[str, dict], dict[str, bytes]]:
    """What the boxes hold: each member's record by majority of the archives read, and each archive.

    held: (box, base64 of the archive last delivered to that box). A box's own archive wins a tie
    about its own record.
    """
    votes: dict[str, dict[str, list]] = {}
    archives: dict[str, bytes] = {}
    for box, raw in held:
        try:
            archive = base64.b64decode(raw, validate=True)
            files = unpack(archive)
        except (ValueError, OSError, tarfile.TarError, EOFError) as exc:
            display.warning(f"tinc: ignoring the unreadable host file archive of {box}: {exc}")
            continue
        archives[box] = archive
        for name, data in files.items():
            record = parse_host_file(name, data)
            if record is None:
                continue
            text = json.dumps(record, sort_keys=True)
            entry = votes.setdefault(record["host"], {}).setdefault(text, [0, False])
            entry[0] += 1
            entry[1] |= record["host"] == box
    chosen = {
        host: json.loads(max(texts.items(), key=lambda kv: (kv[1][0], kv[1][1]))[0])
        for host, texts in votes.items()
    }
    return chosen, archives


def resolve_members(
    members: list[str], fresh: list[dict], held: dict[str, dict], removed: list[str], allow_missing: bool
) -> tuple[list[dict], list[str], list[str]]:
    """The record of every member: from this run, else from the host files the boxes hold.

    A member with neither (a new box that is down or failed before its key was read) is left out
    with a warning, or fails the run when allow_missing is false.
    Returns (records sorted by name, names of removed nodes, warnings).
    """
    by_host = {r["host"]: r for r in fresh if r.get("key")}
    gone = set(removed)
    matched: set[str] = set()
    records, removed_names, warnings, missing = [], set(), [], []
    for host in members:
        record = by_host.get(host) or held.get(host)
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
            f"tinc: no public key yet for {', '.join(missing)} (not reached in this run, never in the "
            "mesh before): left out of the mesh for now; the next run that reaches "
            f"{'it' if len(missing) == 1 else 'them'} adds {'it' if len(missing) == 1 else 'them'} "
            "(cloudy deploy --retry-failed)"
        )
        if not allow_missing:
            raise ValueError(
                f"no public key yet for {', '.join(missing)} (not reached in this run, never in the mesh "
                "before) and tinc_require_all_members is true: make the box reachable and run again, or "
                "set it false to form the mesh without it"
            )
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


def neighbours(records: list[dict]) -> list[dict]:
    """Every member's overlay IP and fixed MAC, for the boxes' static neighbour entries.
    Records from host files written before the MAC was recorded have none: ARP finds them."""
    table = []
    for r in records:
        try:
            ip = str(ipaddress.IPv4Address(r.get("overlay_ip") or ""))
        except ValueError:
            continue
        if MAC.match(r.get("mac") or ""):
            table.append({"host": r["host"], "ip": ip, "mac": r["mac"].lower()})
    return sorted(table, key=lambda n: ipaddress.IPv4Address(n["ip"]))


def bundle(records: list[dict], extra: dict[str, bytes]) -> tuple[dict[str, bytes], bytes]:
    """All host files (members and hand-made nodes) and their archive."""
    files = {r["name"]: host_file(r) for r in records}
    files.update(extra)
    return files, pack(files)


def outdated(outside: list[str], archives: dict[str, bytes], archive: bytes, left: set[str]) -> list[str]:
    """Members outside the play that answered, are in the mesh (not in LEFT: removed or unknown)
    and hold another archive: they get the new one."""
    return [h for h in outside if h in archives and h not in left and archives[h] != archive]


def scratch_archive(archive: bytes) -> str:
    """The archive in Ansible's own temporary folder for this run (removed when the run ends):
    the copy task needs a file, and nothing may stay on the controller."""
    path = os.path.join(C.DEFAULT_LOCAL_TMP, f"tinc-hosts-{hashlib.sha256(archive).hexdigest()[:16]}.tar.gz")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(archive)
    return path


# --- the action ----------------------------------------------------------------


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        (
            "records",
            "held",
            "outside",
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
        try:
            known, archives = held_records(slurped(list(a.get("held") or [])))
            removed_given = [to_text(n) for n in a.get("removed") or []]
            members = list(a.get("members") or [])
            records, removed, warnings = resolve_members(
                members,
                list(a.get("records") or []),
                known,
                removed_given,
                bool(a.get("allow_missing", True)),
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
            live = {r["host"] for r in records}
            push = outdated(list(a.get("outside") or []), archives, archive, set(members) - live)
            path = scratch_archive(archive)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AnsibleActionFail(f"tinc: {exc}") from exc
        for text in warnings:
            display.warning(text)
        result.update(
            changed=False,
            archive=path,
            host_files=sorted(files),
            members=len(records),
            removed=removed,
            topology=kind,
            spines=spines,
            nodes=nodes,
            neighbours=neighbours(records),
            push=push,
            cloudy_warnings=warnings,
        )
        return result
