"""The helper's socket loop: systemd hands over the listening socket; each connection is checked
with SO_PEERCRED, carries one request and gets one answer; the process exits when idle."""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
from collections.abc import Collection

from cloudy_panel import protocol
from cloudy_panel.helper.context import Context
from cloudy_panel.helper.registry import dispatch
from cloudy_panel.protocol import DENIED, HelperError

log = logging.getLogger("cloudy-panel-helper")

SD_LISTEN_FDS_START = 3
# A slow or silent client cannot hold a thread for long.
CLIENT_TIMEOUT = 30.0


def systemd_socket() -> socket.socket | None:
    """The listening socket systemd passed (socket activation), if any."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        return None
    return socket.socket(fileno=SD_LISTEN_FDS_START)


def peer_credentials(conn: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end, as the kernel saw it connect."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", creds)
    return pid, uid, gid


def handle(ctx: Context, conn: socket.socket, allowed_uids: Collection[int]) -> None:
    """Answer one connection."""
    with conn:
        conn.settimeout(CLIENT_TIMEOUT)
        pid, uid, _ = peer_credentials(conn)
        try:
            # Read (bounded) before answering even a stranger: closing on unread data resets the
            # connection and the caller would never see why.
            message = protocol.read_message(conn)
            if uid not in allowed_uids:
                log.warning("refused a connection from uid %d (pid %d): not the web user", uid, pid)
                raise HelperError(DENIED, "only the panel's user may call the helper")
            name, args = protocol.decode_request(message)
            answer = protocol.encode_result(dispatch(ctx, name, args, uid))
        except HelperError as exc:
            answer = protocol.encode_error(exc.code, exc.message)
        except OSError as exc:
            log.warning("connection from uid %d failed: %s", uid, exc)
            return
        try:
            conn.sendall(answer)
        except OSError as exc:
            log.warning("could not answer uid %d: %s", uid, exc)


def serve(ctx: Context, listener: socket.socket, allowed_uids: Collection[int], idle: float) -> None:
    """Accept connections until IDLE seconds pass with none open and no job running."""
    listener.settimeout(idle)
    handlers: set[threading.Thread] = set()
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            handlers = {t for t in handlers if t.is_alive()}
            if not handlers and not ctx.jobs.busy():
                log.info("idle for %.0f s: exiting (systemd starts me again on the next request)", idle)
                return
            continue
        thread = threading.Thread(target=handle, args=(ctx, conn, allowed_uids), daemon=True)
        thread.start()
        handlers.add(thread)
