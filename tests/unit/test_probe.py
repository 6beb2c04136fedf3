"""The SSH probe against an in-process SSH server on 127.0.0.1 (no traffic leaves this machine)."""

import socket
import stat
import subprocess
import threading
from pathlib import Path

import paramiko
import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab.sshkeys import ensure_client_key
from cloudy_deploy.nodes import Node
from cloudy_deploy.probe import fingerprint, host_id, parse_facts, probe

FACTS = "hostname=box-a\narch=x86_64\ndebian=12.7\nmac=02:42:ac:1d:00:02\n"


class _Server(paramiko.ServerInterface):
    """One connection: public key auth for root with the allowed key, one exec request."""

    def __init__(self, allowed: paramiko.PKey, commands: list[bytes]) -> None:
        self.allowed = allowed
        self.commands = commands
        self.exec_requested = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = username == "root" and key == self.allowed
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return (
            paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        self.commands.append(command)
        self.exec_requested.set()
        return True


class FakeSshd:
    """Accepts SSH on 127.0.0.1 with one host key and one client key; answers the probe command."""

    def __init__(self, host_key: paramiko.PKey, client_key: paramiko.PKey) -> None:
        self.host_key = host_key
        self.client_key = client_key
        self.commands: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.transports: list[paramiko.Transport] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        t = paramiko.Transport(conn)
        t.add_server_key(self.host_key)
        self.transports.append(t)
        server = _Server(self.client_key, self.commands)
        try:
            t.start_server(server=server)
            channel = t.accept(10)
            # Answer only once the exec request is acknowledged, as sshd does.
            if channel is None or not server.exec_requested.wait(10):
                return
            channel.sendall(FACTS.encode())
            channel.send_exit_status(0)
            channel.close()
        except (paramiko.SSHException, EOFError, OSError):
            return  # the client went away (refused key, changed host key): as sshd, carry on

    def close(self) -> None:
        self.sock.close()
        for t in self.transports:
            t.close()


def ed25519(path: Path) -> paramiko.Ed25519Key:
    ensure_client_key(path, "test")
    return paramiko.Ed25519Key.from_private_key_file(str(path))


@pytest.fixture
def keys(tmp_path):
    return {
        "host": ed25519(tmp_path / "host_key"),
        "client": ed25519(tmp_path / "client_key"),
        "client_file": str(tmp_path / "client_key"),
        "other": ed25519(tmp_path / "other_key"),
    }


@pytest.fixture
def sshd(keys):
    server = FakeSshd(keys["host"], keys["client"])
    yield server
    server.close()


def box(sshd, name="a", **fields):
    return Node(name=name, address="127.0.0.1", ssh_port=sshd.port, **fields)


def closed_port() -> int:
    s = socket.create_server(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_first_use_records_the_key_then_checks_it(tmp_path, sshd, keys):
    kh = tmp_path / "project" / ".cloudy" / "known_hosts"
    [first] = probe([box(sshd)], kh, key_file=keys["client_file"], timeout=5)
    assert first.ok, first.error
    assert first.first_use
    assert first.fingerprint == fingerprint(keys["host"])
    assert (first.hostname, first.arch, first.debian, first.mac) == (
        "box-a",
        "x86_64",
        "12.7",
        "02:42:ac:1d:00:02",
    )
    line = f"[127.0.0.1]:{sshd.port} ssh-ed25519 {keys['host'].get_base64()}\n"
    assert kh.read_text() == line
    assert stat.S_IMODE(kh.stat().st_mode) == 0o600

    [again] = probe([box(sshd)], kh, key_file=keys["client_file"], timeout=5)
    assert again.ok and not again.first_use
    assert kh.read_text() == line  # nothing added


def test_fingerprint_is_what_ssh_keygen_prints(tmp_path, keys):
    pub = tmp_path / "host.pub"
    pub.write_text(f"ssh-ed25519 {keys['host'].get_base64()}\n")
    try:
        out = subprocess.run(
            ["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True, check=True
        ).stdout
    except FileNotFoundError:
        pytest.skip("no ssh-keygen here")
    assert out.split()[1] == fingerprint(keys["host"])


@pytest.mark.parametrize("recorded", ["other-ed25519", "ecdsa"], ids=["same-type", "other-type"])
def test_a_changed_key_is_an_error_and_never_replaced(tmp_path, sshd, keys, recorded):
    kh = tmp_path / "known_hosts"
    old = keys["other"] if recorded == "other-ed25519" else paramiko.ECDSAKey.generate()
    kh.write_text(f"# mine\n[127.0.0.1]:{sshd.port} {old.get_name()} {old.get_base64()}")  # no final newline
    before = kh.read_bytes()
    [result] = probe([box(sshd)], kh, key_file=keys["client_file"], timeout=5)
    assert not result.ok and not result.first_use
    assert (
        f"host key ssh-ed25519 {fingerprint(keys['host'])} differs from the one recorded in {kh}"
        in result.error
    )
    assert fingerprint(old) in result.error
    assert "it is not replaced" in result.error and "delete its line there" in result.error
    assert result.fingerprint == fingerprint(keys["host"])
    assert kh.read_bytes() == before


def test_strict_known_hosts_of_the_node(tmp_path, sshd, keys):
    project_kh = tmp_path / "project_known_hosts"
    lab_kh = tmp_path / "lab_known_hosts"
    lab_kh.write_text(f"[127.0.0.1]:{sshd.port} ssh-ed25519 {keys['host'].get_base64()}\n")
    strict = box(sshd, ssh_known_hosts=str(lab_kh), ssh_private_key=keys["client_file"])
    [ok] = probe([strict], project_kh, timeout=5)
    assert ok.ok and not ok.first_use and ok.fingerprint == fingerprint(keys["host"])
    assert not project_kh.exists()  # the project's file is not involved

    lab_kh.write_text(f"[127.0.0.1]:{sshd.port} ssh-ed25519 {keys['other'].get_base64()}\n")
    [bad] = probe([strict], project_kh, timeout=5)
    assert not bad.ok and f"differs from the one recorded in {lab_kh}" in bad.error

    lab_kh.write_text("")
    [unknown] = probe([strict], project_kh, timeout=5)
    assert not unknown.ok
    assert unknown.error == f"127.0.0.1:{sshd.port} has no key in {lab_kh} (strict checking); add it there"
    assert not project_kh.exists()


def test_unreachable_and_refused_nodes_fail_alone_in_input_order(tmp_path, sshd, keys):
    nodes = [
        Node(name="closed", address="127.0.0.1", ssh_port=closed_port()),
        box(sshd, "good"),
        box(sshd, "wrong-key", ssh_private_key=str(tmp_path / "other_key")),
        box(sshd, "no-key", ssh_private_key=str(tmp_path / "missing_key")),
        box(sshd, "admin", ssh_user="admin"),
    ]
    results = probe(nodes, tmp_path / "kh", key_file=keys["client_file"], timeout=5)
    assert [r.name for r in results] == ["closed", "good", "wrong-key", "no-key", "admin"]
    closed, good, wrong, missing, admin = results
    assert not closed.ok and closed.error.startswith("cannot reach 127.0.0.1:") and "refused" in closed.error
    assert good.ok
    assert (
        wrong.error == f"SSH login as root on 127.0.0.1:{sshd.port} refused with the key {tmp_path}/other_key"
    )
    assert missing.error == f"the private key {tmp_path}/missing_key does not exist"
    assert "SSH login as admin" in admin.error


def test_silent_port_times_out(tmp_path):
    # A listening socket that never speaks: TCP connects, the SSH banner never comes.
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        node = Node(name="mute", address="127.0.0.1", ssh_port=silent.getsockname()[1])
        [result] = probe([node], tmp_path / "kh", timeout=1)
    finally:
        silent.close()
    assert not result.ok
    assert result.error.startswith("no SSH answer from 127.0.0.1:"), result.error


def test_parallel_first_use_writes_one_line(tmp_path, sshd, keys):
    kh = tmp_path / "kh"
    results = probe([box(sshd, f"n{i}") for i in range(12)], kh, key_file=keys["client_file"], workers=12)
    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.first_use for r in results) == 1
    assert len(kh.read_text().splitlines()) == 1


def test_probe_command_is_one_posix_sh_call(tmp_path, sshd, keys):
    probe([box(sshd)], tmp_path / "kh", key_file=keys["client_file"])
    [command] = sshd.commands
    assert command.startswith(b"sh -c ") and b"/proc/net/route" in command


def test_parse_facts():
    assert parse_facts("hostname=b1\narch=aarch64\ndebian=\nnoise\nmac=aa:bb:cc:dd:ee:ff\nother=1\n") == {
        "hostname": "b1",
        "arch": "aarch64",
        "debian": None,
        "mac": "aa:bb:cc:dd:ee:ff",
    }


def test_remote_script_runs_here():
    """The script on this (Linux) machine: every fact it can read is there and well formed."""
    from cloudy_deploy.probe import REMOTE_SCRIPT

    facts = parse_facts(subprocess.run(["sh", "-c", REMOTE_SCRIPT], capture_output=True, text=True).stdout)
    assert facts["hostname"] == socket.gethostname().split(".")[0] or facts["hostname"]
    assert facts["arch"]
    if Path("/etc/debian_version").exists():
        assert facts["debian"] == Path("/etc/debian_version").read_text().strip()


def test_host_id():
    assert host_id("10.0.0.1", 22) == "10.0.0.1"
    assert host_id("fd00::1", 2222) == "[fd00::1]:2222"


def test_strict_file_with_hashed_names(tmp_path, sshd, keys):
    lab_kh = tmp_path / "hashed"
    hashed = paramiko.HostKeys.hash_host(f"[127.0.0.1]:{sshd.port}")
    lab_kh.write_text(f"{hashed} ssh-ed25519 {keys['host'].get_base64()}\n")
    [result] = probe([box(sshd, ssh_known_hosts=str(lab_kh))], tmp_path / "kh", key_file=keys["client_file"])
    assert result.ok, result.error


def test_missing_strict_file_fails_that_node_only(tmp_path, sshd, keys):
    nodes = [box(sshd, "lost", ssh_known_hosts=str(tmp_path / "gone")), box(sshd, "fine")]
    lost, fine = probe(nodes, tmp_path / "kh", key_file=keys["client_file"])
    assert lost.error == f"cannot read the known_hosts file {tmp_path / 'gone'} (No such file or directory)"
    assert fine.ok


def test_damaged_project_known_hosts_is_bad_input(tmp_path, sshd, keys):
    kh = tmp_path / "kh"
    kh.write_text(f"# ok\n[127.0.0.1]:{sshd.port} ssh-ed25519 !!!notbase64\n")
    with pytest.raises(BadInput, match=rf"^{kh}:2: not a known_hosts line \(.*\); correct or delete it$"):
        probe([box(sshd)], kh, key_file=keys["client_file"])
    assert probe([], kh) == []  # nothing to probe: the file is not even read
