"""The panel served on loopback as on a box: `python -m cloudy_panel.serve` (cheroot, TLS with a
throwaway self-signed certificate) over the fake helper, avahi-browse's output from a file.
Used by the browser test and benchmarks/panel_pages.py."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.browser.fake_helper import FakeHelper

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "box-1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "panel.key", folder / "panel.crt"
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_path.write_bytes(pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@contextlib.contextmanager
def serve_panel(folder: Path, browse_lines: Sequence[str]) -> Iterator[dict[str, Any]]:
    """{"url": https base, "http": http base, "helper": the FakeHelper} while the server runs."""
    browse = folder / "browse.txt"
    browse.write_text("\n".join(browse_lines) + "\n")
    (folder / "secret").write_text(os.urandom(32).hex())
    key, cert = self_signed(folder)
    https, http = free_port(), free_port()
    with FakeHelper(folder / "helper.sock") as helper:
        config = {
            "helper_socket": helper.path,
            "secret_key_file": str(folder / "secret"),
            "overlay_ip": "127.0.0.1",
            "cloud": "cloudy",
            "node": "box-1",
            "session_idle_minutes": 30,
            "avahi_browse": ["cat", str(browse)],
            "tls_cert": str(cert),
            "tls_key": str(key),
            "listen": "127.0.0.1",
            "https_port": https,
            "http_port": http,
        }
        (folder / "panel.json").write_text(json.dumps(config))
        with (folder / "serve.log").open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "cloudy_panel.serve", "--config", str(folder / "panel.json")],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                for _ in range(200):
                    if proc.poll() is not None:
                        raise RuntimeError(f"cloudy_panel.serve exited: {(folder / 'serve.log').read_text()}")
                    with socket.socket() as s:
                        if s.connect_ex(("127.0.0.1", https)) == 0:
                            break
                    time.sleep(0.1)
                yield {
                    "url": f"https://127.0.0.1:{https}",
                    "http": f"http://127.0.0.1:{http}",
                    "helper": helper,
                }
            finally:
                proc.terminate()
                proc.wait(timeout=10)
