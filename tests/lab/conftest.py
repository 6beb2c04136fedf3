import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import docker
import pytest

from tests.conftest import run_cloudy

pytestmark = pytest.mark.lab


@pytest.fixture(scope="session")
def docker_client():
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        if os.environ.get("CI"):
            raise  # CI installs and starts dockerd: a missing daemon there is a failure
        pytest.skip(f"no Docker engine: {exc}")
    return client


@pytest.fixture
def lab_name():
    return "t" + uuid.uuid4().hex[:8]


@pytest.fixture
def lab(home, lab_name, docker_client):
    """A lab name in a fresh project folder; whatever the test brings up is taken down."""
    yield lab_name
    run_cloudy("lab", "down", "--name", lab_name, home=home)


@dataclass(frozen=True)
class Cloud:
    """A 3-box lab that `cloudy up` brought up and deployed (the built-in services: avahi on every box)."""

    home: Path
    lab: str
    cloud: str
    up: CompletedProcess  # the first `cloudy up`, which created the lab


@pytest.fixture(scope="session")
def cloud(tmp_path_factory, docker_client):
    """One deployed cloud shared by test_deploy, test_lab, test_probe and test_services (a lab up and
    a full deploy each cost a minute or more): each test leaves the boxes as it found them, and checks
    only the runs it made itself. Taken down once, at the end of the session."""
    home = tmp_path_factory.mktemp("cloud") / "project"
    home.mkdir()
    lab, name = "t" + uuid.uuid4().hex[:8], "shared"
    # PeerStreamer without its software: off, said once, and deployed nowhere (test_deploy checks).
    (home / "cloudy.yml").write_text(
        f"cloud: {name}\nsources:\n  - lab: {lab}\nservices:\n  peerstreamer: {{sources: 1}}\n"
    )
    try:
        up = run_cloudy("up", "--nodes", "3", home=home)
        assert up.returncode == 0, up.stderr[-3000:]
        yield Cloud(home=home, lab=lab, cloud=name, up=up)
    finally:
        run_cloudy("lab", "down", "--name", lab, home=home)
