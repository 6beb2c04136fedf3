"""The lab's images, built without a registry: debootstrap → base, then node.

Tags are derived from each recipe's content: a changed recipe gets a new tag
and is rebuilt, an unchanged one is reused.
"""

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker.errors import BuildError, ImageNotFound

from cloudy_deploy.errors import BadInput

BASE_REPO = "cloudy-base"
NODE_REPO = "cloudy-node"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
Say = Callable[[str], None]


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:12]


@dataclass(frozen=True)
class BaseRecipe:
    """A minimal Debian root made by debootstrap."""

    suite: str = "bookworm"
    variant: str = "minbase"
    include: tuple[str, ...] = ("python3", "systemd-sysv", "iproute2")

    @property
    def tag(self) -> str:
        recipe = json.dumps([self.suite, self.variant, sorted(self.include)]).encode()
        return f"{BASE_REPO}:{self.suite}-{_digest(recipe)}"


# The node image: what every lab box needs to be managed like a real one.
NODE_PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "sudo",
    "ca-certificates",
    "iproute2",
    "iputils-ping",
    "procps",
    "less",
)
_DOCKERFILE = """\
FROM {base}
ENV container=docker DEBIAN_FRONTEND=noninteractive
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update \\
 && apt-get install -y --no-install-recommends {packages} \\
 && apt-get clean \\
 && update-ca-certificates \\
 && rm -f /etc/ssh/ssh_host_* \\
 && systemctl mask getty@tty1.service console-getty.service systemd-logind.service \\
 && systemctl enable ssh.service
# Host keys are made on each box at its first boot, never baked into the image.
COPY hostkey.conf /etc/systemd/system/ssh.service.d/hostkey.conf
COPY sshd-lab.conf /etc/ssh/sshd_config.d/cloudy-lab.conf
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
"""
_HOSTKEY_DROPIN = """\
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'test -s {key} || ssh-keygen -q -t ed25519 -N "" -f {key}'
ExecStartPre=/usr/sbin/sshd -t
""".format(key="/etc/ssh/ssh_host_ed25519_key")
_SSHD_CONF = """\
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
"""


@dataclass(frozen=True)
class NodeRecipe:
    base: BaseRecipe = field(default_factory=BaseRecipe)
    host_ca: bool = True
    ca_dir: Path = HOST_CA_DIR

    def ca_files(self) -> dict[str, bytes]:
        if not self.host_ca or not self.ca_dir.is_dir():
            return {}
        return {p.name: p.read_bytes() for p in sorted(self.ca_dir.glob("*.crt"))}

    def context_files(self) -> dict[str, bytes]:
        dockerfile = _DOCKERFILE.format(base=self.base.tag, packages=" ".join(NODE_PACKAGES))
        files = {
            "Dockerfile": dockerfile.encode(),
            "hostkey.conf": _HOSTKEY_DROPIN.encode(),
            "sshd-lab.conf": _SSHD_CONF.encode(),
            "ca/.keep": b"",
        }
        files.update({f"ca/{name}": data for name, data in self.ca_files().items()})
        return files

    @property
    def tag(self) -> str:
        files = self.context_files()
        parts = [name.encode() + b"\0" + files[name] for name in sorted(files)]
        return f"{NODE_REPO}:{self.base.suite}-{_digest(*parts)}"


def _has_image(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except ImageNotFound:
        return False
    return True


def build_base(client: docker.DockerClient, recipe: BaseRecipe, mirror: str, say: Say) -> str:
    """debootstrap a root from MIRROR and import it as the base image."""
    if _has_image(client, recipe.tag):
        return recipe.tag
    if shutil.which("debootstrap") is None:
        raise BadInput("debootstrap is not installed: run `apt-get install debootstrap` (as root)")
    say(f"building {recipe.tag} with debootstrap from {mirror} (about a minute)")
    with tempfile.TemporaryDirectory(prefix="cloudy-base-") as tmp:
        root = Path(tmp) / "root"
        cmd = [
            "debootstrap",
            f"--variant={recipe.variant}",
            f"--include={','.join(recipe.include)}",
            recipe.suite,
            str(root),
            mirror,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            raise BadInput(f"debootstrap failed ({tail[0]}): check the mirror {mirror} and that you are root")
        archive = Path(tmp) / "root.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(archive), "."], check=True)
        repo, tag = recipe.tag.split(":")
        client.api.import_image_from_file(str(archive), repository=repo, tag=tag)
    return recipe.tag


def build_node(client: docker.DockerClient, recipe: NodeRecipe, say: Say) -> str:
    if _has_image(client, recipe.tag):
        return recipe.tag
    say(f"building {recipe.tag} on {recipe.base.tag}")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in recipe.context_files().items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    try:
        client.images.build(fileobj=buf, custom_context=True, tag=recipe.tag, rm=True, forcerm=True)
    except BuildError as exc:
        lines = [str(x.get("stream", x.get("error", ""))).strip() for x in exc.build_log]
        last = next((x for x in reversed(lines) if x), str(exc))
        raise BadInput(f"building {recipe.tag} failed: {last}") from None
    return recipe.tag


def ensure_images(client: docker.DockerClient, recipe: NodeRecipe, mirror: str | None, say: Say) -> str:
    """Build whatever is missing; return the node image's tag."""
    if _has_image(client, recipe.tag):
        return recipe.tag
    if not _has_image(client, recipe.base.tag):
        from cloudy_deploy.lab.mirror import find_mirror

        build_base(client, recipe.base, mirror or find_mirror(recipe.base.suite), say)
    return build_node(client, recipe, say)
