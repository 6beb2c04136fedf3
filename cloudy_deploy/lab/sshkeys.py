"""The lab's SSH client key and the known_hosts file that the lab owns."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def ensure_client_key(path: Path, comment: str) -> str:
    """Create an ed25519 key pair at PATH (mode 0600) unless one exists; return the public line."""
    pub = path.with_suffix(".pub")
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private)
        public = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        pub.write_text(f"{public.decode()} {comment}\n")
    os.chmod(path, 0o600)
    return pub.read_text().strip()


def known_hosts_line(names: list[str], host_key_pub: str) -> str:
    """One known_hosts line for a box: its names/addresses and its public host key."""
    keytype, blob = host_key_pub.split()[:2]
    return f"{','.join(names)} {keytype} {blob}"


def write_known_hosts(path: Path, lines: list[str]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(line + "\n" for line in sorted(lines)))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
