import os
import uuid

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
