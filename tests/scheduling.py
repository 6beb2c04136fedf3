"""A pytest-xdist plugin: with `-n N --dist loadgroup` (scripts/test.sh) every lab test goes to one
worker, one after another, and each other test (a molecule scenario) is a unit of its own. Two
`cloudy lab up` at once could pick the same free subnet. (xdist's own xdist_group mark renames
node ids, which pytest 9.2 no longer allows, so the grouping is done here.)"""

from typing import Any

import pytest

LAB = "tests/lab/"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LabTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return LAB if nodeid.startswith(LAB) else nodeid

    return LabTogether(config, log)
