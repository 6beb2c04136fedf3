"""Checks on lab boxes from the host (docker exec) and the services `cloudy` lists."""

import json
from pathlib import Path

from tests.conftest import run_cloudy


def exec_ok(box, cmd: list[str]) -> str:
    code, out = box.exec_run(cmd)
    assert code == 0, out.decode(errors="replace")[-2000:]
    return out.decode()


def services(home: Path, stype: str) -> list[dict]:
    result = run_cloudy("services", "--json", "--type", stype, home=home)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)
