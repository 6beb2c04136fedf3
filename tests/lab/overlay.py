"""Reaching lab boxes over the overlay, from inside them (docker exec): no traffic leaves the host."""

import time


def overlay_ip(box, net: str) -> str:
    """The box's address on the tinc interface NET (the cloud's name)."""
    code, out = box.exec_run(["ip", "-4", "-o", "addr", "show", "dev", net])
    assert code == 0, out
    return out.decode().split()[3].split("/")[0]


def pings(src, dst_ip: str, tries: int = 60) -> bool:
    """Whether SRC reaches DST_IP over the overlay (tinc may still be dialling, or a box just
    reconnected still be backing off: up to about 90 s under CI's load)."""
    for _ in range(tries):
        if src.exec_run(["ping", "-c1", "-W1", dst_ip])[0] == 0:
            return True
        time.sleep(0.5)
    return False
