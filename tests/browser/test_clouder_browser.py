"""Clouder's page in chromium (as test_panel_browser.py): run an image chosen from the box's list,
a bad port sent back with its error, then stop a container with its row's button."""

from __future__ import annotations

from unittest import mock

import pytest

from tests.browser.conftest import page_left, wait_for
from tests.browser.fake_clouder import ClouderHelper
from tests.browser.local_panel import serve_panel

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clouder")
    with mock.patch("tests.browser.local_panel.FakeHelper", ClouderHelper), serve_panel(folder, []) as panel:
        yield panel


def test_clouder_in_a_browser(served, browser, artifacts):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url, d = served["url"], browser

    def click(by: str, what: str) -> None:
        element = d.find_element(by, what)
        element.click()
        wait_for(d, page_left(element))

    d.get(url + "/login")
    d.find_element(By.ID, "user").send_keys("admin")
    d.find_element(By.ID, "password").send_keys("admin-pass-1")
    click(By.CSS_SELECTOR, "#login-form button")
    d.get(url + "/clommunity/clouder")
    assert d.find_element(By.CSS_SELECTOR, "#docker strong").get_attribute("data-active") == "yes"
    assert not d.find_elements(By.ID, "remove-gcodis-box-4")  # a box of the cloud stays

    # A port out of range comes back with its error; nothing ran.
    d.find_element(By.ID, "run-name").send_keys("blog")
    Select(d.find_element(By.ID, "run-image")).select_by_value("redis:7")
    d.find_element(By.ID, "run-port").send_keys("70000")
    click(By.CSS_SELECTOR, "#form-run button")
    assert "A port is a number from 1 to 65535." in d.find_element(By.ID, "form-run").text
    d.save_screenshot(str(artifacts / "clouder-bad-port.png"))
    d.find_element(By.ID, "run-port").clear()
    d.find_element(By.ID, "run-port").send_keys("6379")
    Select(d.find_element(By.ID, "run-image")).select_by_value("redis:7")
    click(By.CSS_SELECTOR, "#form-run button")
    wait_for(d, lambda drv: drv.find_element(By.ID, "job-state").get_attribute("data-state") == "done")
    d.get(url + "/clommunity/clouder")
    assert d.find_element(By.CSS_SELECTOR, 'tr[data-container="blog"]').is_displayed()

    click(By.ID, "stop-web")
    assert d.find_elements(By.ID, "start-web")
    d.save_screenshot(str(artifacts / "clouder.png"))
