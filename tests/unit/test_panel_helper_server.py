"""The helper's socket side: SO_PEERCRED, one request per connection, exit when idle."""

import json
import logging
import os
import socket
import threading

import pytest

from cloudy_panel import protocol
from cloudy_panel.helper import __main__ as helper_main
from cloudy_panel.helper.context import Context
from cloudy_panel.helper.registry import load_verbs
from cloudy_panel.helper.server import handle, peer_credentials, serve, systemd_socket
from cloudy_panel.protocol import HelperError

load_verbs()


@pytest.fixture
def ctx(tmp_path):
    return Context(
        state_dir=tmp_path / "run",
        authenticate=lambda service, user, password: password == "right-password",
        member=lambda user, group: user == "ana",
    )


def exchange(ctx, request: bytes, allowed) -> bytes:
    """One request over a socketpair, answered by handle() as the helper does."""
    client, server = socket.socketpair()
    thread = threading.Thread(target=handle, args=(ctx, server, allowed))
    thread.start()
    with client:
        client.sendall(request)
        client.shutdown(socket.SHUT_WR)
        answer = protocol.read_message(client)
    thread.join(5)
    return answer


def test_peer_credentials_are_the_kernels():
    a, b = socket.socketpair()
    with a, b:
        assert peer_credentials(a) == (os.getpid(), os.getuid(), os.getgid())


def test_the_web_users_uid_is_served(ctx):
    request = protocol.encode_request("auth.login", {"user": "ana", "password": "right-password"})
    assert protocol.decode_answer(exchange(ctx, request, {os.getuid()})) == {"user": "ana"}


def test_any_other_uid_is_denied(ctx, caplog):
    caplog.set_level(logging.INFO, "cloudy-panel-helper")
    request = protocol.encode_request("auth.login", {"user": "ana", "password": "right-password"})
    with pytest.raises(HelperError) as err:
        protocol.decode_answer(exchange(ctx, request, {os.getuid() + 1}))
    assert err.value.code == "denied"
    assert f"refused a connection from uid {os.getuid()}" in caplog.text
    assert "right-password" not in caplog.text


@pytest.mark.parametrize(
    ("request_bytes", "code"),
    [(b"garbage", "bad-args"), (b'{"verb": "os.system", "args": {}}', "bad-verb"), (b"", "bad-args")],
)
def test_malformed_requests_get_an_error_answer(ctx, request_bytes, code):
    with pytest.raises(HelperError) as err:
        protocol.decode_answer(exchange(ctx, request_bytes, {os.getuid()}))
    assert err.value.code == code


def test_serve_answers_calls_then_exits_when_idle(ctx, tmp_path):
    path = str(tmp_path / "helper.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)
    thread = threading.Thread(target=serve, args=(ctx, listener, {os.getuid()}, 0.5))
    thread.start()
    assert protocol.call(path, "auth.login", user="ana", password="right-password") == {"user": "ana"}
    with pytest.raises(HelperError) as err:
        protocol.call(path, "auth.login", user="ana", password="wrong")
    assert err.value.code == "denied"
    thread.join(10)
    assert not thread.is_alive()
    listener.close()


def test_serve_stays_while_a_job_runs(ctx, tmp_path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "helper.sock"))
    listener.listen(4)
    ctx.jobs.start("test", ["sleep", "1.5"])
    thread = threading.Thread(target=serve, args=(ctx, listener, {os.getuid()}, 0.3))
    thread.start()
    thread.join(0.9)
    assert thread.is_alive()
    thread.join(10)
    assert not thread.is_alive()
    listener.close()


def test_systemd_socket_only_when_passed_to_this_process(monkeypatch):
    monkeypatch.setenv("LISTEN_FDS", "1")
    monkeypatch.setenv("LISTEN_PID", str(os.getpid() + 1))
    assert systemd_socket() is None
    monkeypatch.delenv("LISTEN_FDS")
    assert systemd_socket() is None


def test_main_refuses_a_missing_or_bad_config(tmp_path, capsys):
    assert helper_main.main(["--config", str(tmp_path / "none.json")]) == 2
    assert "cannot start" in capsys.readouterr().err
    (tmp_path / "panel.json").write_text(json.dumps({"cloud": "c"}))
    assert helper_main.main(["--config", str(tmp_path / "panel.json"), "--web-user", "no-such-user-x"]) == 2
    assert helper_main.main(["--config", str(tmp_path / "panel.json"), "--web-user", "root"]) == 2
    assert "no socket from systemd" in capsys.readouterr().err
