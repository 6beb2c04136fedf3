"""Role repository's apt proxy hook (templates/apt-proxy-detect.j2), run for real against servers on loopback,
and site.yml's first play, which installs it before any other apt."""

import shlex
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
import yaml

COLLECTION = Path(__file__).resolve().parents[2] / "ansible_collections/clommunity/cloudy"
TEMPLATE = COLLECTION / "roles/repository/templates/apt-proxy-detect.j2"

ACNG = b"HTTP/1.1 406 Usage Information\r\nConnection: close\r\n\r\n"
OTHER_PROXY = b"HTTP/1.0 426 Upgrade Required\r\nserver: keryx\r\n\r\n"  # a network that answers any address


def serve(address: str, port: int, answer: bytes | None) -> socket.socket:
    """A TCP server on address:port that answers each connection with `answer` (None: closes at once, as
    apt-cacher-ng does for a client libwrap refuses)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen()

    def loop() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                if answer is not None:
                    conn.recv(1024)
                    conn.sendall(answer)

    threading.Thread(target=loop, daemon=True).start()
    return sock


@pytest.fixture
def port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def servers(port: int) -> Iterator[None]:
    socks = [
        serve("127.0.0.2", port, None),  # refuses this box (libwrap)
        serve("127.0.0.3", port, OTHER_PROXY),  # not apt-cacher-ng
        serve("127.0.0.4", port, ACNG),
    ]
    yield
    for s in socks:
        s.close()


def hook(tmp_path: Path, caches: list[str], port: int) -> Path:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["quote"] = shlex.quote
    values = {"repository__hook_ips": caches, "repository_cache_port": port, "repository_proxy_timeout": 1}
    text = env.from_string(TEMPLATE.read_text()).render(ansible_managed="test", **values)
    path = tmp_path / "apt-proxy-detect"
    path.write_text(text)
    path.chmod(0o755)
    return path


DEBIAN = "http://deb.debian.org/debian/dists/bookworm/InRelease"


def ask(path: Path, uri: str = DEBIAN) -> subprocess.CompletedProcess:
    return subprocess.run([str(path), uri], capture_output=True, text=True, timeout=30, check=True)


def test_the_hook_takes_the_first_cache_that_answers_as_apt_cacher_ng(tmp_path, servers, port):
    # 127.0.0.5: nothing listens (a cache down); then a refusing one, a foreign proxy, the real one.
    path = hook(tmp_path, ["127.0.0.5", "127.0.0.2", "127.0.0.3", "127.0.0.4"], port)
    assert ask(path).stdout.strip() == f"http://127.0.0.4:{port}"


def test_the_hook_goes_direct_when_no_cache_answers_and_says_so(tmp_path, servers, port):
    path = hook(tmp_path, ["127.0.0.5", "127.0.0.2", "127.0.0.3"], port)
    done = ask(path)
    assert done.stdout.strip() == "DIRECT"
    assert "no apt cache answers" in done.stderr


def test_the_hook_fetches_a_caches_own_server_directly(tmp_path, servers, port):
    path = hook(tmp_path, ["127.0.0.4", "repo-a"], port)
    assert ask(path, "http://repo-a:3481/debian/dists/x/InRelease").stdout.strip() == "DIRECT"


def test_site_runs_the_cache_and_the_hook_before_anything_else():
    plays = yaml.safe_load((COLLECTION / "playbooks/site.yml").read_text())
    # After the check that leaves out unchanged boxes (applied_check.yml), nothing before it.
    assert plays[0]["ansible.builtin.import_playbook"] == "applied_check.yml"
    first = plays[1]
    task = first["tasks"][0]
    # Cloudy containers (clouder_guests) do not exist yet: they get the hook after clouder.yml.
    assert first["hosts"] == "cloudy:!clouder_guests:!cloudy_unchanged"
    role = task["ansible.builtin.import_role"]
    assert role == {"name": "clommunity.cloudy.repository", "tasks_from": "bootstrap"}
    # --tags common (its apt is what it serves) and --tags repository run it; no repository box, nothing.
    assert set(task["tags"]) == {"common", "repository"}
    assert "groups['repository']" in task["when"]
