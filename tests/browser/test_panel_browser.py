"""The panel in a real browser: Debian's chromium + chromium-driver through Selenium, headless,
against the app served by `python -m cloudy_panel.serve` (TLS on loopback) over a fake helper.

Needs: apt-get install -y chromium chromium-driver. Screenshots of each page go to the folder
printed at the start ($CLOUDY_ARTIFACTS/browser, else .cloudy/artifacts/browser/ in the repo).
"""

from __future__ import annotations

import contextlib
import http.server
import threading

import pytest

from tests.browser.conftest import page_left, wait_for
from tests.browser.local_panel import serve_panel

pytestmark = pytest.mark.browser

FURL = "pb://" + "c" * 32 + "@tcp:10.99.0.3:3458/swissnum0123"
HOSTILE = "<script>alert(1)</script>"
BROWSE = [
    "=;tap0;IPv4;Grid\\032intro;_tahoe-introducer._tcp;local;box-2.local;10.99.0.3;3458;"
    f'"grid=cloudy" "furl={FURL}"',
    '=;tap0;IPv4;panel\\032on\\032box-3;_cloudy-web._tcp;local;box-3.local;10.99.0.4;7443;"sha256=ab"',
    f'=;tap0;IPv4;{HOSTILE};_cloudy._tcp;local;evil.local;10.99.0.9;22;"x=<img src=x onerror=alert(2)>"',
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serve_panel(tmp_path_factory.mktemp("panel"), BROWSE) as panel:
        yield panel


@contextlib.contextmanager
def evil_site(target: str):
    """http://localhost:PORT/ serving a page whose form posts itself to TARGET at once."""
    page = (
        f'<form id="f" method="post" action="{target}"><input name="do" value="stop"></form>'
        "<script>document.getElementById('f').submit()</script>"
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()


def test_panel_in_a_browser(served, browser, artifacts):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec_
    from selenium.webdriver.support.ui import Select

    url, helper, d = served["url"], served["helper"], browser

    def shot(name: str) -> None:
        d.save_screenshot(str(artifacts / f"{len(list(artifacts.iterdir())) + 1:02d}-{name}.png"))

    def text() -> str:
        return d.find_element(By.TAG_NAME, "body").text

    def click(by: str, what: str) -> None:
        """Click and wait for the next page (a form's answer or a link's target)."""
        element = d.find_element(by, what)
        element.click()
        wait_for(d, page_left(element))

    # Plain HTTP sends the browser to HTTPS; nothing but the login before logging in.
    d.get(served["http"] + "/clommunity/")
    assert d.current_url.startswith(url + "/login")
    assert "Tahoe" not in d.page_source
    shot("login")
    d.find_element(By.ID, "user").send_keys("admin")
    d.find_element(By.ID, "password").send_keys("wrong-password")
    click(By.CSS_SELECTOR, "#login-form button")
    assert "Wrong user name or password" in d.find_element(By.ID, "login-error").text
    shot("login-refused")
    d.find_element(By.ID, "user").clear()
    d.find_element(By.ID, "user").send_keys("admin")
    d.find_element(By.ID, "password").send_keys("admin-pass-1")
    click(By.CSS_SELECTOR, "#login-form button")
    wait_for(d, ec_.url_to_be(url + "/clommunity/"))
    cookie = d.get_cookie("cloudy_panel")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # Catalan from the Languages page, kept in the session.
    d.get(url + "/languages")
    Select(d.find_element(By.ID, "lang")).select_by_value("ca")
    click(By.CSS_SELECTOR, "#language-form button")
    d.get(url + "/")
    assert "Inici" in d.find_element(By.ID, "menu").text
    assert "Nodes de la malla accessibles" in text() and "box-1" in text()
    shot("home-ca")

    # Install Tahoe: a job whose page polls the helper until it is done.
    d.get(url + "/clommunity/tahoe")
    assert d.find_element(By.ID, "state").get_attribute("data-state") == "not-installed"
    shot("tahoe-not-installed")
    click(By.ID, "do-install")
    wait_for(d, lambda drv: drv.find_element(By.ID, "job-state").get_attribute("data-state") == "done")
    assert d.find_element(By.ID, "job-state").text == "Fet"
    shot("install-job")

    # The other boxes' services; the hostile one is text, runs nothing.
    d.get(url + "/avahi")
    rows = d.find_elements(By.CSS_SELECTOR, "#announcements tbody tr")
    assert len(rows) == 3
    d.find_element(By.CSS_SELECTOR, '#tabs a[data-type="_cloudy._tcp"]').click()
    visible = [r for r in rows if r.is_displayed()]
    assert [r.find_element(By.CLASS_NAME, "description").text for r in visible] == [HOSTILE]
    with pytest.raises(NoAlertPresentException):
        d.switch_to.alert.text  # noqa: B018 - reading it is the check
    shot("search-hostile-as-text")
    d.find_element(By.ID, "refresh").click()  # the JSON endpoint redraws the table, as text again
    wait_for(d, ec_.visibility_of_element_located((By.ID, "refresh-note")))
    d.find_element(By.CSS_SELECTOR, '#tabs a[data-type="_cloudy._tcp"]').click()
    cells = d.find_elements(By.CSS_SELECTOR, "#announcements td.description")
    assert HOSTILE in [c.text for c in cells if c.is_displayed()]
    assert not d.find_elements(By.CSS_SELECTOR, "#announcements script, #announcements img")
    d.find_element(By.CSS_SELECTOR, '#tabs a[data-type="_cloudy-web._tcp"]').click()
    assert d.find_element(By.LINK_TEXT, "Obre").get_attribute("href") == "https://10.99.0.4:7443/"
    d.find_element(By.CSS_SELECTOR, '#tabs a[data-type="_tahoe-introducer._tcp"]').click()
    shot("search-introducer")

    # Join grid: the form comes prefilled from the announcement's FURL.
    click(By.LINK_TEXT, "Uneix-te a la graella")
    assert d.find_element(By.ID, "join-furl").get_attribute("value") == FURL
    d.find_element(By.ID, "join-nickname").send_keys("bad_name!")
    click(By.CSS_SELECTOR, "#form-join button")
    assert "Un sobrenom és un nom de màquina" in text()  # the field's error, in Catalan
    shot("join-bad-nickname")
    assert "tahoe" not in helper.config
    d.find_element(By.ID, "join-nickname").clear()
    d.find_element(By.ID, "join-nickname").send_keys("box-1")
    click(By.CSS_SELECTOR, "#form-join button")
    wait_for(d, lambda drv: drv.find_element(By.ID, "job-state").get_attribute("data-state") == "done")
    click(By.LINK_TEXT, "Torna")
    assert d.find_element(By.ID, "state").get_attribute("data-state") == "running"
    assert d.find_element(By.ID, "state").text == "En marxa"
    assert helper.config["tahoe"] == {"form": "join", "furl": FURL, "nickname": "box-1"}
    shot("tahoe-running")

    # A forged POST (no CSRF token) is refused with 400 and stops nothing.
    d.execute_script(
        "var f = document.createElement('form'); f.method = 'post';"
        "f.action = '/clommunity/tahoe/stop'; document.body.appendChild(f); f.submit();"
    )
    wait_for(d, ec_.presence_of_element_located((By.ID, "error")))
    assert "S'ha rebutjat el formulari" in d.find_element(By.ID, "error").text
    assert helper.states["tahoe"] == "running"
    shot("forged-post-refused")

    # The same from another site (a page on http://localhost posting to the panel): refused too.
    with evil_site(f"{url}/clommunity/tahoe/stop") as evil:
        d.get(evil)
        wait_for(d, ec_.url_to_be(url + "/clommunity/tahoe/stop"))
        assert d.find_element(By.ID, "error").text
    assert helper.states["tahoe"] == "running"
    assert ("service.action", {"service": "tahoe", "action": "stop", "values": {}}) not in helper.calls
    shot("cross-site-post-refused")

    # The Guifi menu, in Catalan: guifi.net's services; Proxy3's form refuses a bad id in Catalan,
    # then installs with its settings (the password field is a password, never sent back).
    d.get(url + "/")
    click(By.LINK_TEXT, "Guifi")
    assert [
        r.get_attribute("data-service")
        for r in d.find_elements(By.CSS_SELECTOR, "#services tr[data-service]")
    ] == [
        "proxy3",
        "snpservices",
        "dnsservices",
    ]
    assert d.find_element(By.TAG_NAME, "h1").text == "Serveis de guifi.net"
    shot("guifi-menu-ca")
    click(By.CSS_SELECTOR, '#services tr[data-service="proxy3"] a')
    assert d.find_element(By.ID, "state").get_attribute("data-state") == "not-installed"
    assert not d.find_elements(By.ID, "do-install")  # installed with its settings only
    assert d.find_element(By.ID, "settings-bind_password").get_attribute("type") == "password"
    d.find_element(By.ID, "settings-node_id").send_keys("x1")
    d.find_element(By.ID, "settings-federation").send_keys("https://guifi.net/ca/node/4242/view/federation")
    d.find_element(By.ID, "settings-bind_password").send_keys("s3cret-bind")
    click(By.CSS_SELECTOR, "#form-settings button")
    assert "L'identificador del servei és un nombre" in text()
    assert "s3cret-bind" not in d.page_source
    assert "proxy3" not in helper.config
    shot("proxy3-bad-id-ca")
    d.find_element(By.ID, "settings-node_id").clear()
    d.find_element(By.ID, "settings-node_id").send_keys("4242")
    d.find_element(By.ID, "settings-bind_dn").send_keys("cn=proxy,o=proxyusers,dc=guifi,dc=net")
    d.find_element(By.ID, "settings-bind_password").send_keys("s3cret-bind")
    click(By.CSS_SELECTOR, "#form-settings button")
    wait_for(d, lambda drv: drv.find_element(By.ID, "job-state").get_attribute("data-state") == "done")
    click(By.LINK_TEXT, "Torna")
    assert d.find_element(By.ID, "state").get_attribute("data-state") == "running"
    assert (
        helper.config["proxy3"]["node_id"] == 4242
        and helper.config["proxy3"]["bind_password"] == "s3cret-bind"
    )
    assert "s3cret-bind" not in d.page_source
    shot("proxy3-running-ca")

    # Log out (POST); the pages are closed again.
    d.get(url + "/user")
    click(By.CSS_SELECTOR, "#logout-form button")
    d.get(url + "/")
    assert d.current_url.startswith(url + "/login")
    shot("logged-out")
