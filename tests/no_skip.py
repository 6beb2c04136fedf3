"""A pytest plugin: with CLOUDY_NO_SKIP=1 a skipped test fails, so a tier that was asked to run
(scripts/test.sh lab, molecule) cannot pass green without Docker or a node image."""

import os
from collections.abc import Generator
from typing import Any

import pytest

ENV = "CLOUDY_NO_SKIP"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or os.environ.get(ENV) != "1" or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"skipped, and {ENV}=1 says this tier must run: {reason}"
