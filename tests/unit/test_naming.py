import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab import naming


@pytest.mark.parametrize("name", ["lab", "a", "lab2", "my-lab", "x" * 24])
def test_good_lab_names(name):
    assert naming.validate_lab_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "a b", "a/b", "Lab", "2lab", "-lab", "lab-", "lab_1", "x" * 25, "../up"]
)
def test_bad_lab_names(name):
    with pytest.raises(BadInput, match="not allowed"):
        naming.validate_lab_name(name)


@pytest.mark.parametrize("count", [0, -1, naming.MAX_NODES + 1])
def test_node_count_out_of_range(count):
    with pytest.raises(BadInput, match="out of range"):
        naming.validate_node_count(count)


def test_derived_names_are_stable_and_distinct():
    assert naming.box_name("lab", 1) == "lab-1"
    assert naming.container_name("lab", 1) == "cloudy-lab-1"
    assert naming.network_name("lab") == "cloudy-lab"
