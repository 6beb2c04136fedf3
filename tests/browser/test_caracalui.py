"""CaracalDB's web UI (role caracaldb, files/ui) in Debian's chromium, against the REST API's
stand-in jar (molecule/apps/files/caracaldb/standin, built here with javac): put, get, list by
prefix and range, delete. The role serves the same page behind nginx (molecule apps checks that)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.browser.conftest import REPO, wait_for

pytestmark = pytest.mark.browser

UI = REPO / "ansible_collections/clommunity/cloudy/roles/caracaldb/files/ui"
STANDIN = REPO / "molecule/apps/files/caracaldb/standin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def api(tmp_path: Path):
    """The REST API stand-in on loopback (its bootstrap server is absent: /system says so)."""
    if not shutil.which("javac"):
        pytest.fail("javac missing: apt-get install -y openjdk-17-jdk-headless")
    classes = tmp_path / "classes"
    main = "StandinCaracalApi"
    subprocess.run(
        ["javac", "--release", "17", "-d", classes, STANDIN / "Conf.java", STANDIN / f"{main}.java"],
        check=True,
    )
    port, client, boot = free_port(), free_port(), free_port()
    conf = tmp_path / "api.conf"
    conf.write_text(
        f'caracal.api.host.hostname = "127.0.0.1"\ncaracal.api.host.port = {port}\n'
        f'client.address.hostname = "127.0.0.1"\nclient.address.port = {client}\n'
        f'bootstrap.address.hostname = "127.0.0.1"\nbootstrap.address.port = {boot}\n'
    )
    proc = subprocess.Popen(
        ["java", f"-Dconfig.file={conf}", "-cp", classes, main], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout and "stand-in caracaldb api" in proc.stdout.readline()
        for _ in range(100):  # the line comes before the server listens
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def ui(tmp_path: Path, api: str):
    """The UI's files as the role installs them, with a config.json naming the API."""
    www = tmp_path / "www"
    shutil.copytree(UI, www)
    (www / "config.json").write_text(json.dumps({"apiUrl": api}))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_put_get_list_delete(browser, ui, api):
    from selenium.webdriver.common.by import By

    def status() -> str:
        return browser.find_element(By.ID, "status").text

    def fill(**values: str) -> None:
        for name, value in values.items():
            field = browser.find_element(By.ID, name)
            field.clear()
            field.send_keys(value)

    def click(button: str, until) -> None:
        browser.execute_script("document.getElementById('status').textContent = ''")
        browser.find_element(By.ID, button).click()
        wait_for(browser, lambda d: until(status()))

    def rows() -> list[list[str]]:
        cells = browser.find_elements(By.CSS_SELECTOR, "#rows tbody tr")
        return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in cells]

    browser.get(ui)
    wait_for(browser, lambda d: status() == f"Ready: the REST API is at {api}")
    for key, value in (("fruit-apple", "red"), ("fruit-pear", "green"), ("veg-leek", "long & thin")):
        fill(key=key, value=value)
        click("put", lambda s: s.startswith("PUT ") and ": 200" in s)
    fill(key="veg-leek")
    click("get", lambda s: s == "long & thin")
    fill(prefix="fruit-")
    click("list", lambda s: s == "2 value(s)")
    assert rows() == [["fruit-apple", "red"], ["fruit-pear", "green"]]
    fill(**{"from": "fruit-pear", "to": "veg-leek"})
    click("range", lambda s: s == "2 value(s)")
    assert rows() == [["fruit-pear", "green"], ["veg-leek", "long & thin"]]
    fill(key="fruit-apple")
    click("delete", lambda s: s.startswith("DELETE ") and ": 200" in s)
    click("get", lambda s: ": 404" in s)
    fill(prefix="")
    click("list", lambda s: s == "2 value(s)")
    assert [r[0] for r in rows()] == ["fruit-pear", "veg-leek"]
