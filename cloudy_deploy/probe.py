"""`cloudy discover --probe`: reach every node over SSH, in parallel, and read what it is.

Host keys:
- a node whose source names a known_hosts file (lab boxes) is checked strictly
  against that file: an unknown or different key fails the node;
- any other node is checked against the project's known_hosts. On first use its key
  is recorded there (mode 0600) and reported with its fingerprint; a key that differs
  from the recorded one (of any type) fails the node and is never replaced.

Each reachable node runs one command that prints its host name, architecture, Debian
version and the MAC address of the interface of its default route. An unreachable
node fails with a short reason; the others go on. Results come in input order.
"""

import base64
import errno
import fcntl
import hashlib
import logging
import os
import shlex
import socket
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import paramiko

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node

# POSIX sh, nothing beyond coreutils and /proc: minimal Debian boxes have no `ip`.
REMOTE_SCRIPT = r"""
echo "hostname=$(uname -n)"
echo "arch=$(uname -m)"
echo "debian=$(cat /etc/debian_version 2>/dev/null)"
dev=
while read -r ifc dst rest; do
  if [ "$dst" = 00000000 ]; then dev=$ifc; break; fi
done < /proc/net/route
if [ -z "$dev" ] && [ -r /proc/net/ipv6_route ]; then
  while read -r dst plen src slen hop metric ref use flags ifc; do
    if [ "$dst$plen" = 0000000000000000000000000000000000 ] && [ "$ifc" != lo ]; then dev=$ifc; break; fi
  done < /proc/net/ipv6_route
fi
if [ -n "$dev" ]; then echo "mac=$(cat "/sys/class/net/$dev/address" 2>/dev/null)"; fi
"""
FACTS = ("hostname", "arch", "debian", "mac")
# Handshake failures that mean the port answered but no SSH server spoke in time.
_NO_SSH = ("Error reading SSH protocol banner", "No existing session", "Negotiation failed")

# Paramiko logs each failed connection from its threads; the probe reports them itself, in one line.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


@dataclass
class ProbeResult:
    name: str
    address: str
    ok: bool
    error: str | None = None
    fingerprint: str | None = None  # SHA256:... as `ssh-keygen -l` prints it
    first_use: bool = False  # the key was recorded now, in the project's known_hosts
    hostname: str | None = None
    arch: str | None = None
    debian: str | None = None
    mac: str | None = None


def fingerprint(key: paramiko.PKey) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def host_id(address: str, port: int) -> str:
    """How known_hosts names a host: the address, or [address]:port when the port is not 22."""
    return address if port == 22 else f"[{address}]:{port}"


class KnownHostsError(ValueError):
    """A known_hosts file that cannot be read; the message says which file, line and fix."""


def load_host_keys(path: Path) -> paramiko.HostKeys:
    keys = paramiko.HostKeys()
    try:
        keys.load(str(path))
    except OSError as exc:
        raise KnownHostsError(f"cannot read the known_hosts file {path} ({exc.strerror})") from None
    except paramiko.hostkeys.InvalidHostKey as exc:
        lines = path.read_text(errors="replace").splitlines()
        number = next((i for i, line in enumerate(lines, 1) if line.strip() == exc.line.strip()), 0)
        raise KnownHostsError(
            f"{path}:{number}: not a known_hosts line ({exc.exc}); correct or delete it"
        ) from None
    return keys


def parse_facts(output: str) -> dict[str, str | None]:
    """The key=value lines REMOTE_SCRIPT prints; empty values are None."""
    facts: dict[str, str | None] = dict.fromkeys(FACTS)
    for line in output.splitlines():
        key, sep, value = line.partition("=")
        if sep and key in facts:
            facts[key] = value.strip() or None
    return facts


class KeyMismatch(paramiko.SSHException):
    """The offered host key is not the recorded one: a reinstalled box, or someone in between."""

    def __init__(self, offered: paramiko.PKey, recorded: Sequence[paramiko.PKey], where: Path | str) -> None:
        self.offered = offered
        known = ", ".join(f"{k.get_name()} {fingerprint(k)}" for k in recorded)
        super().__init__(
            f"host key {offered.get_name()} {fingerprint(offered)} differs from the one recorded in "
            f"{where} ({known}); it is not replaced: if the box was reinstalled, delete its line there "
            "and probe again"
        )


class KnownHosts:
    """The project's known_hosts file, shared by the probe's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.keys = paramiko.HostKeys()
        if path.exists():
            try:
                self.keys = load_host_keys(path)
            except KnownHostsError as exc:
                raise BadInput(str(exc)) from None

    def recorded(self, host: str) -> dict[str, paramiko.PKey]:
        with self.lock:
            entry = self.keys.lookup(host)
            return dict(entry) if entry else {}

    def record(self, host: str, key: paramiko.PKey) -> None:
        """Append HOST's key (first use); the file is created with mode 0600."""
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "r+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)  # another `cloudy` process may append too
                size = fh.seek(0, os.SEEK_END)
                lead = b""
                if size:
                    fh.seek(size - 1)
                    lead = b"" if fh.read(1) == b"\n" else b"\n"
                fh.write(lead + f"{host} {key.get_name()} {key.get_base64()}\n".encode())
            os.chmod(self.path, 0o600)
            self.keys.add(host, key.get_name(), key)


class _FirstUse(paramiko.MissingHostKeyPolicy):
    """Paramiko asks this only when no key of the host is known: record it, once."""

    def __init__(self, store: KnownHosts) -> None:
        self.store = store
        self.first_use = False

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        recorded = self.store.recorded(hostname)
        if recorded:  # recorded meanwhile under another type: still not the same key
            if recorded.get(key.get_name()) != key:
                raise KeyMismatch(key, list(recorded.values()), self.store.path)
            return
        self.store.record(hostname, key)
        self.first_use = True


def _reason(exc: BaseException, node: Node, port: int, user: str, key: str | None, timeout: float) -> str:
    where = f"{node.address}:{port}"
    if isinstance(exc, KeyMismatch):
        return str(exc)
    if isinstance(exc, paramiko.AuthenticationException):
        how = f"the key {key}" if key else "the agent and ~/.ssh keys"
        return f"SSH login as {user} on {where} refused with {how}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer from {where} within {timeout:g} s"
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        first = next(iter(exc.errors.values()))
        return f"cannot reach {where}: {first.strerror or first}"
    if isinstance(exc, FileNotFoundError) and key:
        return f"the private key {key} does not exist"
    if isinstance(exc, OSError):
        text = exc.strerror or errno.errorcode.get(exc.errno or 0) or str(exc)
        return f"cannot reach {where}: {text}"
    if isinstance(exc, paramiko.SSHException) and any(s in str(exc) for s in _NO_SSH):
        return f"no SSH answer from {where} within {timeout:g} s"
    if isinstance(exc, paramiko.SSHException) and "not found in known_hosts" in str(exc):
        return f"{where} has no key in {node.ssh_known_hosts} (strict checking); add it there"
    return f"SSH to {where} failed: {exc}"


def probe_one(
    node: Node, store: KnownHosts, default_user: str, key_file: str | None, timeout: float
) -> ProbeResult:
    port = node.ssh_port or 22
    user = node.ssh_user or default_user
    key = node.ssh_private_key or key_file
    key = os.path.expanduser(key) if key else None
    result = ProbeResult(name=node.name, address=node.address, ok=False)
    client = paramiko.SSHClient()
    first_use = None
    try:
        if node.ssh_known_hosts:
            strict = load_host_keys(Path(node.ssh_known_hosts).expanduser())
            for name in strict:
                for keytype, known in strict[name].items():
                    client.get_host_keys().add(name, keytype, known)
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            for keytype, known in store.recorded(host_id(node.address, port)).items():
                client.get_host_keys().add(host_id(node.address, port), keytype, known)
            first_use = _FirstUse(store)
            client.set_missing_host_key_policy(first_use)
        client.connect(
            node.address,
            port=port,
            username=user,
            key_filename=key,
            allow_agent=key is None,
            look_for_keys=key is None,  # a named key is the only one tried, as IdentitiesOnly=yes
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
        )
        result.fingerprint = fingerprint(client.get_transport().get_remote_server_key())  # type: ignore[union-attr]
        result.first_use = bool(first_use and first_use.first_use)
        _, stdout, stderr = client.exec_command("sh -c " + shlex.quote(REMOTE_SCRIPT), timeout=timeout)
        output = stdout.read().decode(errors="replace")
        if stdout.channel.recv_exit_status() != 0:
            detail = stderr.read().decode(errors="replace").strip().splitlines()
            result.error = f"the probe command failed: {detail[0] if detail else 'no output'}"
            return result
        facts = parse_facts(output)
        result.hostname, result.arch = facts["hostname"], facts["arch"]
        result.debian, result.mac = facts["debian"], facts["mac"]
        result.ok = True
    except (paramiko.SSHException, OSError) as exc:
        if isinstance(exc, paramiko.BadHostKeyException):
            exc = KeyMismatch(exc.key, [exc.expected_key], node.ssh_known_hosts or store.path)
        if isinstance(exc, KeyMismatch):
            result.fingerprint = fingerprint(exc.offered)
        result.first_use = bool(first_use and first_use.first_use)
        result.error = _reason(exc, node, port, user, key, timeout)
    except KnownHostsError as exc:  # the node's own known_hosts file
        result.error = str(exc)
    except Exception as exc:  # one odd box must not stop the probe of the others
        result.error = f"SSH to {node.address}:{port} failed: {type(exc).__name__}: {exc}"
    finally:
        client.close()
    return result


def probe(
    nodes: Sequence[Node],
    known_hosts: Path,
    default_user: str = "root",
    key_file: str | None = None,
    timeout: float = 5,
    workers: int = 32,
) -> list[ProbeResult]:
    """Probe every node in parallel (see the module docstring); results in input order."""
    if not nodes:
        return []
    store = KnownHosts(known_hosts)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(nodes)))) as pool:
        return list(pool.map(lambda n: probe_one(n, store, default_user, key_file, timeout), nodes))
