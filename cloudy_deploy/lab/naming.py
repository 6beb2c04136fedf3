"""Names of a lab's boxes, containers and network, derived from the lab's name."""

import re

from cloudy_deploy.errors import BadInput

# Lower-case letters, digits and inner hyphens: valid as a DNS label and as a
# docker name once prefixed; the plan maps hyphens to tinc's `_`.
_LAB_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$")
PREFIX = "cloudy"
LABEL = "org.cloudy-deploy.lab"
PROJECT_LABEL = "org.cloudy-deploy.project"
MAX_NODES = 200


def validate_lab_name(name: str) -> str:
    if not _LAB_NAME.match(name):
        raise BadInput(
            f"lab name {name!r} is not allowed: use 1-24 lower-case letters, digits "
            "and inner hyphens, starting with a letter (e.g. --name lab2)"
        )
    return name


def validate_node_count(nodes: int) -> int:
    if not 1 <= nodes <= MAX_NODES:
        raise BadInput(f"--nodes {nodes} is out of range: give a number from 1 to {MAX_NODES}")
    return nodes


def box_name(lab: str, index: int) -> str:
    """The box's host name and node name, e.g. lab-1."""
    return f"{lab}-{index}"


def container_name(lab: str, index: int) -> str:
    return f"{PREFIX}-{lab}-{index}"


def network_name(lab: str) -> str:
    return f"{PREFIX}-{lab}"


def labels(lab: str, project: str) -> dict[str, str]:
    """Docker labels of a lab's objects: names are global to the engine, so the project is recorded."""
    return {LABEL: lab, PROJECT_LABEL: project}
