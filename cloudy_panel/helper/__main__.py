"""Entry point: `python3 -m cloudy_panel.helper` (cloudy-panel-helper.service, socket-activated)."""

from __future__ import annotations

import argparse
import json
import logging
import pwd
import socket
import sys
from pathlib import Path

from cloudy_panel.helper.context import Context
from cloudy_panel.helper.registry import load_verbs
from cloudy_panel.helper.server import serve, systemd_socket


def journal_logging() -> None:
    try:
        from systemd.journal import JournalHandler

        handler: logging.Handler = JournalHandler(SYSLOG_IDENTIFIER="cloudy-panel-helper")
    except ImportError:
        handler = logging.StreamHandler()  # stderr goes to the journal under systemd too
    logging.basicConfig(level=logging.INFO, handlers=[handler], format="%(message)s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cloudy-panel-helper", description=__doc__)
    parser.add_argument("--config", default="/etc/cloudy-panel/panel.json", help="the panel's settings")
    parser.add_argument("--web-user", default="cloudy-panel", help="the only non-root user allowed to call")
    parser.add_argument("--state-dir", default="/run/cloudy-panel-helper", help="lockout and jobs")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds without calls before exiting")
    parser.add_argument("--socket", help="bind this path instead of systemd's socket (for testing)")
    opts = parser.parse_args(argv)
    journal_logging()
    try:
        config = json.loads(Path(opts.config).read_text())
        web_uid = pwd.getpwnam(opts.web_user).pw_uid
    except (OSError, ValueError, KeyError) as exc:
        print(f"cloudy-panel-helper: cannot start: {exc}", file=sys.stderr)
        return 2
    load_verbs()
    ctx = Context(state_dir=Path(opts.state_dir), config=config)
    ctx.ansible_playbook = config.get("ansible_playbook", ctx.ansible_playbook)
    ctx.collections_dir = Path(config.get("collections_dir", ctx.collections_dir))
    listener = systemd_socket()
    if listener is None:
        if not opts.socket:
            print("cloudy-panel-helper: no socket from systemd; pass --socket PATH", file=sys.stderr)
            return 2
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(opts.socket)
        listener.listen(16)
    serve(ctx, listener, {0, web_uid}, opts.idle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
