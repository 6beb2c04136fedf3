"""The panel <-> root helper contract: one JSON request per Unix-socket connection, one JSON answer.

Request: ``{"verb": "auth.login", "args": {...}}``, then the client shuts down its write side.
Answer: ``{"ok": true, "result": {...}}`` or ``{"ok": false, "error": CODE, "message": "..."}``.
Both sides use this module only (stdlib), so the box needs nothing beyond Debian's python3.
"""

from __future__ import annotations

import json
import re
import socket
from typing import Any

# Codes a caller can branch on; anything else is a protocol bug.
BAD_VERB = "bad-verb"
BAD_ARGS = "bad-args"
DENIED = "denied"
BUSY = "busy"
LOCKED = "locked"
FAILED = "failed"
ERROR_CODES = frozenset({BAD_VERB, BAD_ARGS, DENIED, BUSY, LOCKED, FAILED})

# A request or answer larger than this is refused: nothing the panel sends needs more.
MAX_MESSAGE = 256 * 1024
# Long work runs as a job, so a call only waits for PAM's failure delay or an apt simulation.
CALL_TIMEOUT = 120.0
VERB_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")


class HelperError(Exception):
    """An error answer from the helper (or no answer at all: code ``failed``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def encode_request(verb: str, args: dict[str, Any]) -> bytes:
    return _dump({"verb": verb, "args": args})


def decode_request(data: bytes) -> tuple[str, dict[str, Any]]:
    """The verb and its arguments; HelperError(bad-verb|bad-args) for anything malformed."""
    try:
        message = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HelperError(BAD_ARGS, f"request is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise HelperError(BAD_ARGS, "request must be a JSON object")
    verb = message.get("verb")
    if not isinstance(verb, str) or not VERB_RE.match(verb):
        raise HelperError(BAD_VERB, "request needs a verb like 'auth.login'")
    args = message.get("args", {})
    if not isinstance(args, dict):
        raise HelperError(BAD_ARGS, "args must be a JSON object")
    unknown = set(message) - {"verb", "args"}
    if unknown:
        raise HelperError(BAD_ARGS, f"unknown request keys: {', '.join(sorted(unknown))}")
    return verb, args


def encode_result(result: dict[str, Any]) -> bytes:
    return _dump({"ok": True, "result": result})


def encode_error(code: str, message: str) -> bytes:
    if code not in ERROR_CODES:
        raise ValueError(f"unknown error code {code!r}")
    return _dump({"ok": False, "error": code, "message": message})


def decode_answer(data: bytes) -> dict[str, Any]:
    """The result of an ``ok`` answer; raises HelperError for an error or a malformed answer."""
    try:
        answer = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HelperError(FAILED, "the helper's answer is not JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise HelperError(FAILED, "the helper's answer has no 'ok'")
    if answer["ok"]:
        result = answer.get("result")
        if not isinstance(result, dict):
            raise HelperError(FAILED, "the helper's answer has no result object")
        return result
    code = answer.get("error")
    message = answer.get("message")
    if code not in ERROR_CODES or not isinstance(message, str):
        raise HelperError(FAILED, "the helper's error answer is malformed")
    raise HelperError(code, message)


def read_message(sock: socket.socket) -> bytes:
    """Everything the peer sends until it shuts down its write side (at most MAX_MESSAGE bytes)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_MESSAGE:
            raise HelperError(BAD_ARGS, f"message larger than {MAX_MESSAGE} bytes")
        chunks.append(chunk)


def call(socket_path: str, verb: str, /, **args: Any) -> dict[str, Any]:
    """Send one request to the helper and return its result; raises HelperError."""
    request = encode_request(verb, args)
    if len(request) > MAX_MESSAGE:
        raise HelperError(BAD_ARGS, f"request larger than {MAX_MESSAGE} bytes")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CALL_TIMEOUT)
            sock.connect(socket_path)
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            data = read_message(sock)
    except OSError as exc:
        raise HelperError(FAILED, f"cannot reach the helper at {socket_path}: {exc}") from None
    return decode_answer(data)


def _dump(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
