"""What the benchmarks share: running the real CLI in a project folder, and taking a lab down.

Imported by the scripts beside it (`python benchmarks/X.py` puts this folder on sys.path)."""

import ipaddress
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CLOUDY = [sys.executable, "-m", "cloudy_deploy"]


def run(cmd: list[str], home: Path, env: dict[str, str] | None = None, expect: int = 0) -> float:
    """Seconds the command took; when it does not exit EXPECT, exit with its output (a figure needs
    a real run)."""
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=home, env=env, capture_output=True, text=True, check=False)
    if done.returncode != expect:
        sys.exit(f"{' '.join(cmd[:6])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.monotonic() - started


def cloudy(home: Path, *args: str, env: dict[str, str] | None = None, expect: int = 0) -> float:
    """`cloudy ARGS --home HOME`, timed."""
    return run([*CLOUDY, *args, "--home", str(home)], home, env=env, expect=expect)


def _silence_routes(container: Any) -> list[str]:
    """Blackhole routes covering the box's lab subnet, where the controller and the other boxes
    are: its two halves beat the connected route, which stays for reconnect()."""
    container.reload()
    (net,) = container.attrs["NetworkSettings"]["Networks"].values()
    subnet = ipaddress.ip_network(f"{net['IPAddress']}/{net['IPPrefixLen']}", strict=False)
    return [str(half) for half in subnet.subnets(prefixlen_diff=1)]


def cut_off(container: Any) -> None:
    """Cut a lab box (a docker SDK container) off the network as a dropped radio link does:
    packets to it arrive and its answers vanish; no RST, no ICMP, nothing tells the sender."""
    for route in _silence_routes(container):
        code, output = container.exec_run(["ip", "route", "add", "blackhole", route])
        if code != 0:
            raise RuntimeError(f"cannot cut {container.name} off: {output.decode(errors='replace')}")


def reconnect(container: Any) -> None:
    """Undo cut_off."""
    for route in _silence_routes(container):
        container.exec_run(["ip", "route", "del", "blackhole", route])


def lab_down(home: Path, lab: str) -> bool:
    """Remove the lab (in a `finally`: never exits); whether it went."""
    down = [*CLOUDY, "lab", "down", "--name", lab, "--home", str(home)]
    return subprocess.run(down, capture_output=True, check=False).returncode == 0
