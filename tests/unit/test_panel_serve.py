"""cloudy_panel.serve: the HTTP -> HTTPS redirect, the config, and both cheroot servers for real on
127.0.0.1 (a certificate made here, its fingerprint checked on the wire)."""

import hashlib
import http.client
import json
import socket
import ssl
import subprocess
import threading

import pytest

from cloudy_panel import serve


def redirect(environ: dict) -> tuple[str, dict]:
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    serve.redirect_app(7443, "10.99.0.1")(environ, start_response)
    return seen["status"], seen["headers"]


@pytest.mark.parametrize(
    ("environ", "location"),
    [
        (
            {"HTTP_HOST": "10.99.0.5:7000", "PATH_INFO": "/user", "QUERY_STRING": "a=1"},
            "https://10.99.0.5:7443/user?a=1",
        ),
        ({"HTTP_HOST": "box.local", "PATH_INFO": "/"}, "https://box.local:7443/"),
        ({"HTTP_HOST": "[fd00::1]:7000", "PATH_INFO": "/x"}, "https://[fd00::1]:7443/x"),
        ({"HTTP_HOST": "evil.com/@x", "PATH_INFO": "/"}, "https://10.99.0.1:7443/"),
        ({"HTTP_HOST": "a b", "PATH_INFO": "/"}, "https://10.99.0.1:7443/"),
        ({"PATH_INFO": "//evil.com/x"}, "https://10.99.0.1:7443/"),
    ],
)
def test_redirect(environ, location):
    status, headers = redirect(environ)
    assert status.startswith("301")
    assert headers["Location"] == location


def test_config_needs_the_tls_files(tmp_path):
    path = tmp_path / "panel.json"
    path.write_text(json.dumps({"tls_cert": "/c"}))
    with pytest.raises(ValueError, match="tls_key is missing"):
        serve.load_config(str(path))
    path.write_text("[]")
    with pytest.raises(ValueError, match="not a JSON object"):
        serve.load_config(str(path))
    path.write_text(json.dumps({"tls_cert": "/c", "tls_key": "/k", "https_port": 9443}))
    config = serve.load_config(str(path))
    assert (config["https_port"], config["http_port"], config["listen"]) == (9443, 7000, "0.0.0.0")


def test_main_with_a_bad_config_exits_2(tmp_path, capsys):
    assert serve.main(["--config", str(tmp_path / "missing.json")]) == 2
    assert "cannot start" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_servers_serve_tls_and_redirect(tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "1", "-subj", "/CN=test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    https_port, http_port = free_port(), free_port()
    config = {**serve.DEFAULTS, "listen": "127.0.0.1", "https_port": https_port, "http_port": http_port}
    config |= {"tls_cert": str(cert), "tls_key": str(key), "overlay_ip": "127.0.0.1"}

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"panel"]

    servers = serve.servers(config, app)
    for server in servers:
        server.prepare()
        threading.Thread(target=server.serve, daemon=True).start()
    try:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", https_port, context=context, timeout=10)
        conn.request("GET", "/")
        answer = conn.getresponse()
        assert (answer.status, answer.read()) == (200, b"panel")
        served = hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()
        conn.close()
        der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert served == hashlib.sha256(der).hexdigest()
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/system?x=1")
        moved = plain.getresponse()
        assert moved.status == 301
        assert moved.getheader("Location") == f"https://127.0.0.1:{https_port}/system?x=1"
        plain.close()
    finally:
        for server in servers:
            server.stop()
