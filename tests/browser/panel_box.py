"""The panel of a real box in a browser: Debian's chromium through Selenium, headless, against role
webui's panel on a molecule box (the real helper, PAM, avahi-browse). The box joins the Tahoe grid
whose introducer the peer announces, with the "Join grid" button: the real tahoe role runs as the
panel's job. Not collected by `pytest tests`: molecule webui's verify runs it once its boxes are
ready (and checks the join from the boxes afterwards),

    CLOUDY_PANEL_BOX=webui-b CLOUDY_PANEL_PEER=webui-a CLOUDY_PANEL_PASSWORD=... \\
        pytest tests/browser/panel_box.py

The browser reaches the box on its docker network address (the panel listens on every address of
the box by default: webui_listen). Screenshots go to the folder printed at the start.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import page_left, wait_for
from tests.browser.test_panel_browser import HOSTILE, evil_site

pytestmark = pytest.mark.browser


def setting(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: molecule webui's verify sets it (see this file's docstring)")
    return value


@pytest.fixture(scope="module")
def box() -> dict[str, str]:
    import docker

    name = setting("CLOUDY_PANEL_BOX")
    networks = docker.from_env().containers.get(name).attrs["NetworkSettings"]["Networks"]
    address = next(n["IPAddress"] for n in networks.values() if n.get("IPAddress"))
    return {
        "name": name,
        "url": f"https://{address}:7443",
        "http": f"http://{address}:7000",
        "peer": setting("CLOUDY_PANEL_PEER"),
        "user": os.environ.get("CLOUDY_PANEL_USER", "panelboss"),
        "password": setting("CLOUDY_PANEL_PASSWORD"),
        "nickname": os.environ.get("CLOUDY_PANEL_NICKNAME", "joined-node"),
    }


def test_the_panel_of_a_box_in_a_browser(box, browser, artifacts):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec_
    from selenium.webdriver.support.ui import Select

    url, d = box["url"], browser

    def shot(name: str) -> None:
        d.save_screenshot(str(artifacts / f"{len(list(artifacts.iterdir())) + 1:02d}-{name}.png"))

    def text() -> str:
        return d.find_element(By.TAG_NAME, "body").text

    def click(by: str, what: str) -> None:
        element = d.find_element(by, what)
        element.click()
        wait_for(d, page_left(element), timeout=60)

    def tab(stype: str) -> list:
        d.find_element(By.CSS_SELECTOR, f'#tabs a[data-type="{stype}"]').click()
        return [r for r in d.find_elements(By.CSS_SELECTOR, "#announcements tbody tr") if r.is_displayed()]

    # HTTP redirects to HTTPS; before login only the login page.
    d.get(box["http"] + "/clommunity/tahoe")
    assert d.current_url.startswith(url + "/login"), d.current_url
    assert "Tahoe" not in d.page_source
    shot("login")
    d.find_element(By.ID, "user").send_keys(box["user"])
    d.find_element(By.ID, "password").send_keys(box["password"])
    click(By.CSS_SELECTOR, "#login-form button")  # the real helper: PAM, group cloudy-admin
    wait_for(d, ec_.url_to_be(url + "/clommunity/tahoe"))
    cookie = d.get_cookie("cloudy_panel")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    d.get(url + "/languages")
    Select(d.find_element(By.ID, "lang")).select_by_value("ca")
    click(By.CSS_SELECTOR, "#language-form button")
    d.get(url + "/")
    assert "Inici" in d.find_element(By.ID, "menu").text
    assert box["name"] in text()
    shot("home-ca")

    # No Tahoe node runs here yet.
    d.get(url + "/clommunity/tahoe")
    assert d.find_element(By.ID, "state").get_attribute("data-state") != "running"
    shot("tahoe-before-join")

    # The other box's services, browsed on the box; the hostile name published there is text.
    d.get(url + "/avahi")
    peers = [r.text for r in tab("_cloudy._tcp")]
    assert any(box["peer"] in row for row in peers), peers
    hostile = tab("_http._tcp")
    assert [r.find_element(By.CLASS_NAME, "description").text for r in hostile] == [HOSTILE]
    with pytest.raises(NoAlertPresentException):
        d.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert not d.find_elements(By.CSS_SELECTOR, "#announcements script, #announcements img")
    shot("search-hostile-as-text")

    # Join grid on the peer's introducer: the form comes prefilled with the announced FURL, which
    # never appears in a URL; the real tahoe role runs as the panel's job, to its end.
    introducers = [r for r in tab("_tahoe-introducer._tcp") if box["peer"] in r.text]
    assert len(introducers) == 1, [r.text for r in tab("_tahoe-introducer._tcp")]
    shot("search-introducer")
    join = introducers[0].find_element(By.LINK_TEXT, "Uneix-te a la graella")
    join.click()
    wait_for(d, page_left(join), timeout=60)
    assert d.current_url.startswith(url + "/clommunity/tahoe") and "pb:" not in d.current_url
    assert d.find_element(By.ID, "join-furl").get_attribute("value").startswith("pb://")
    d.find_element(By.ID, "join-nickname").send_keys(box["nickname"])
    shot("join-form-prefilled")
    click(By.CSS_SELECTOR, "#form-join button")
    assert d.current_url.startswith(url + "/jobs/") and "pb:" not in d.current_url, d.current_url
    shot("join-job-running")
    # Installing and starting the node takes minutes on a loaded machine.
    job_state = d.find_element(By.ID, "job-state")
    wait_for(d, lambda _d: job_state.get_attribute("data-state") != "running", timeout=1800)
    shot("join-job-ended")
    assert job_state.get_attribute("data-state") == "done", text()
    click(By.LINK_TEXT, "Torna")
    state = d.find_element(By.ID, "state")
    assert (state.get_attribute("data-state"), state.text) == ("running", "En marxa")
    assert box["nickname"] in d.find_element(By.ID, "choice").text
    assert "pb:" not in d.page_source
    shot("tahoe-joined-running")

    # Forged POSTs stop nothing: without a token on the panel's page, and from another site.
    d.get(url + "/clommunity/tahoe")
    d.execute_script(
        "var f = document.createElement('form'); f.method = 'post';"
        "f.action = '/clommunity/tahoe/stop'; document.body.appendChild(f); f.submit();"
    )
    wait_for(d, ec_.presence_of_element_located((By.ID, "error")))
    assert "S'ha rebutjat el formulari" in d.find_element(By.ID, "error").text
    shot("forged-post-refused")
    with evil_site(f"{url}/clommunity/tahoe/stop") as evil:
        d.get(evil)
        wait_for(d, ec_.url_to_be(url + "/clommunity/tahoe/stop"))
        assert d.find_element(By.ID, "error").text
    shot("cross-site-post-refused")
    d.get(url + "/clommunity/tahoe")
    assert d.find_element(By.ID, "state").get_attribute("data-state") == "running"

    d.get(url + "/user")
    click(By.CSS_SELECTOR, "#logout-form button")
    d.get(url + "/")
    assert d.current_url.startswith(url + "/login")
    shot("logged-out")
