"""CI's lab-and-molecule tier hands its units out longest first (tests/molecule/test_scenarios.py):
that needs each scenario's CI time."""

from tests.conftest import REPO
from tests.molecule.test_scenarios import CI_SECONDS, SCENARIOS


def test_every_scenario_has_its_ci_time():
    on_disk = {p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml")}
    assert set(CI_SECONDS) == on_disk, "put the new scenario's CI seconds in CI_SECONDS (drop removed ones)"


def test_the_longest_scenario_goes_first():
    assert SCENARIOS[0] == max(SCENARIOS, key=CI_SECONDS.__getitem__)
