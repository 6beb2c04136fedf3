"""The app against the real root helper (`python -m cloudy_panel.helper --socket`), not the fake:
the answers' shapes that the pages read are the helper's own. Login is left out (it needs PAM and
a real account); the test opens a session in the app's store directly."""

from __future__ import annotations

import getpass
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cloudy_panel.web import create_app

REPO = Path(__file__).resolve().parents[2]
BASE = "https://box-1.local"


@pytest.fixture
def panel(tmp_path: Path):
    sock = tmp_path / "helper.sock"
    config = {"helper_socket": str(sock), "secret_key_file": str(tmp_path / "key"), "overlay_ip": "10.99.0.2"}
    config |= {"cloud": "nocloud", "node": "box-1", "avahi_browse": ["true"]}
    (tmp_path / "key").write_text("k" * 40)
    (tmp_path / "panel.json").write_text(json.dumps(config))
    argv = [sys.executable, "-m", "cloudy_panel.helper", "--config", str(tmp_path / "panel.json")]
    argv += ["--web-user", getpass.getuser(), "--state-dir", str(tmp_path / "state"), "--socket", str(sock)]
    helper = subprocess.Popen(
        argv,
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(100):
        with socket.socket(socket.AF_UNIX) as probe:
            if probe.connect_ex(str(sock)) == 0:
                break
        assert helper.poll() is None, helper.stderr.read() if helper.stderr else ""
        time.sleep(0.1)
    app = create_app(config)
    client = app.test_client()
    sid = app.extensions["cloudy_sessions"].open("admin")
    with client.session_transaction(base_url=BASE) as session:
        session["sid"] = sid
    yield client
    helper.terminate()
    helper.wait(timeout=10)


def test_home_from_the_real_helper(panel):
    page = panel.get("/", base_url=BASE).get_data(as_text=True)
    assert socket.gethostname() in page
    assert "cores, load" in page and " free of " in page  # cpu, memory and disk as the pages read them
    assert "helper failed" not in page


def test_service_page_from_the_real_helper(panel):
    page = panel.get("/clommunity/tahoe", base_url=BASE).get_data(as_text=True)
    assert re.search(r'data-state="(not-installed|installed|stopped|running)"', page), (
        page
    )  # a state it knows
    assert "helper failed" not in page and "refused these values" not in page


def test_bad_job_id_refused_by_both(panel):
    assert panel.get("/jobs/no-such-job", base_url=BASE).status_code == 404
