"""The panel <-> helper wire format, and call() against a real Unix socket."""

import json
import socket
import threading

import pytest

from cloudy_panel import protocol
from cloudy_panel.protocol import HelperError


def test_request_round_trip():
    data = protocol.encode_request("auth.login", {"user": "ana", "password": "s3cret"})
    assert protocol.decode_request(data) == ("auth.login", {"user": "ana", "password": "s3cret"})


def test_request_without_args_has_empty_args():
    assert protocol.decode_request(b'{"verb": "system.info"}') == ("system.info", {})


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not json", "bad-args"),
        (b"\xff\xfe", "bad-args"),
        (b"[1, 2]", "bad-args"),
        (b"{}", "bad-verb"),
        (b'{"verb": 3}', "bad-verb"),
        (b'{"verb": "login"}', "bad-verb"),
        (b'{"verb": "auth.Login"}', "bad-verb"),
        (b'{"verb": "auth.login; rm"}', "bad-verb"),
        (b'{"verb": "auth.login", "args": [1]}', "bad-args"),
        (b'{"verb": "auth.login", "args": {}, "extra": 1}', "bad-args"),
    ],
)
def test_malformed_requests_are_refused(data, code):
    with pytest.raises(HelperError) as err:
        protocol.decode_request(data)
    assert err.value.code == code


def test_answers_round_trip():
    assert protocol.decode_answer(protocol.encode_result({"user": "ana"})) == {"user": "ana"}
    with pytest.raises(HelperError) as err:
        protocol.decode_answer(protocol.encode_error("locked", "too many failures"))
    assert (err.value.code, err.value.message) == ("locked", "too many failures")


def test_unknown_error_code_cannot_be_encoded():
    with pytest.raises(ValueError, match="unknown error code"):
        protocol.encode_error("oops", "x")


@pytest.mark.parametrize(
    "data",
    [b"", b"nope", b"[]", b'{"ok": 1}', b'{"ok": true}', b'{"ok": false, "error": "weird", "message": "x"}'],
)
def test_malformed_answers_are_failed(data):
    with pytest.raises(HelperError) as err:
        protocol.decode_answer(data)
    assert err.value.code == "failed"


def _serve_once(path, answer: bytes, seen: list):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def run():
        conn, _ = server.accept()
        with conn:
            seen.append(protocol.read_message(conn))
            conn.sendall(answer)
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_call_sends_one_request_and_returns_the_result(tmp_path):
    seen: list = []
    thread = _serve_once(tmp_path / "s", protocol.encode_result({"job": "abc"}), seen)
    assert protocol.call(str(tmp_path / "s"), "service.action", service="tahoe", action="install") == {
        "job": "abc"
    }
    thread.join(5)
    sent = json.loads(seen[0])
    assert sent == {"verb": "service.action", "args": {"service": "tahoe", "action": "install"}}


def test_call_raises_the_helpers_error(tmp_path):
    thread = _serve_once(tmp_path / "s", protocol.encode_error("busy", "dpkg is locked"), [])
    with pytest.raises(HelperError) as err:
        protocol.call(str(tmp_path / "s"), "service.action", service="tahoe", action="install", values={})
    thread.join(5)
    assert err.value.code == "busy"


def test_call_without_a_helper_is_failed(tmp_path):
    with pytest.raises(HelperError) as err:
        protocol.call(str(tmp_path / "missing"), "system.info")
    assert err.value.code == "failed"
    assert "cannot reach the helper" in err.value.message


def test_oversized_message_is_refused():
    a, b = socket.socketpair()
    with a, b:
        threading.Thread(target=lambda: (a.sendall(b"x" * (protocol.MAX_MESSAGE + 10)), a.close())).start()
        with pytest.raises(HelperError) as err:
            protocol.read_message(b)
    assert err.value.code == "bad-args"
