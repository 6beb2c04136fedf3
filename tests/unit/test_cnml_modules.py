"""What the CNML modules (dns_zones, snp_mrtg_config) share (module_utils/cnml_import.py): on a box
whose Python has no lxml they still load, and fail naming the package to install, changing nothing."""

import subprocess

import pytest

from tests.unit.guifi_fixtures import FIXTURES, run_module

SYSTEM_PYTHON = "/usr/bin/python3"


def lacks_lxml(python: str) -> bool:
    try:
        return (
            subprocess.run([python, "-I", "-c", "import lxml"], capture_output=True, check=False).returncode
            != 0
        )
    except OSError:
        return False


@pytest.mark.skipif(not lacks_lxml(SYSTEM_PYTHON), reason=f"{SYSTEM_PYTHON} has lxml (or is missing)")
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("dns_zones", {"dir": "zones", "server_address": "192.0.2.53"}),
        (
            "snp_mrtg_config",
            {"graph_server": 900, "dest": "mrtg.cfg", "index": "i.json", "workdir": "w", "ping": "p"},
        ),
    ],
)
def test_without_lxml_the_module_says_what_to_install(tmp_path, name, args):
    args = {k: str(tmp_path / v) if k in ("dir", "dest", "index", "workdir") else v for k, v in args.items()}
    result = run_module(name, {"src": str(FIXTURES / "snp.cnml"), **args}, python=SYSTEM_PYTHON)
    assert result["failed"] and result["msg"].startswith("python3-lxml is needed on the box (")
    assert result["msg"].endswith("): apt install python3-lxml")
    assert list(tmp_path.iterdir()) == []
