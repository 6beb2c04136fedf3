"""The browser tests' shared parts: Debian's chromium driven headless, and a screenshot folder."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def artifacts() -> Path:
    base = Path(os.environ.get("CLOUDY_ARTIFACTS") or REPO / ".cloudy" / "artifacts")
    folder = base / "browser" / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,900")
    options.add_experimental_option("prefs", {"intl.accept_languages": "en"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def wait_for(driver, condition, timeout: float = 15.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def page_left(element):
    """A wait condition: true once ``element``'s page has been replaced.

    Selenium's staleness_of, except that chromium sometimes answers a node of
    the page being torn down with an inspector error ("does not belong to the
    document") rather than a stale-element error: that too means it is gone.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def _predicate(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc) or "No node with given id" in str(exc):
                return True
            raise
        return False

    return _predicate
