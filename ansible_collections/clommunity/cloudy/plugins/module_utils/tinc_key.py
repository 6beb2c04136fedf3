# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""A tinc 1.0 network's key pair on the box: made when missing, never replaced, its public half read."""

from __future__ import annotations

import os
import subprocess
from typing import Any

# The options that make the box's public record (modules tinc_key and tinc_node).
RECORD_OPTIONS = {
    "netname": {"type": "str", "required": True},
    "generate": {"type": "bool", "default": True},
    "bits": {"type": "int", "default": 4096},
    "host": {"type": "str", "required": True},
    "name": {"type": "str", "required": True},
    "address": {"type": "str", "default": ""},
    "port": {"type": "int", "default": 655},
    "overlay_ip": {"type": "str", "default": ""},
    "mac": {"type": "str", "default": ""},
}


def ensure_key(module: Any, p: dict) -> tuple[dict, bool, bool]:
    """The box's public record (key None in check mode before the first key), whether anything
    changed, whether a key pair was generated. The private key never leaves the box."""
    confdir = os.path.join("/etc/tinc", p["netname"])
    private = os.path.join(confdir, "rsa_key.priv")
    record = {
        "host": p["host"],
        "name": p["name"],
        "address": p["address"] or "",
        "port": p["port"],
        "overlay_ip": p["overlay_ip"],
        "mac": p["mac"].lower(),
        "key": None,
    }
    changed = generated = False

    if not os.path.exists(private):
        if not p["generate"]:
            module.fail_json(
                msg=f"{private} is missing: this box is not in the mesh yet; run playbooks/mesh.yml "
                "(or add_node.yml -e node=...) for it first",
                record=record,
            )
        if module.check_mode:
            return record, True, True
        if not os.path.exists(os.path.join(confdir, "tinc.conf")):
            module.fail_json(msg=f"{confdir}/tinc.conf is missing: write it before generating keys")
        with open(os.devnull, "rb") as devnull:
            done = subprocess.run(
                ["tincd", "-n", p["netname"], f"-K{p['bits']}"],
                stdin=devnull,
                capture_output=True,
                text=True,
                check=False,
            )
        if done.returncode != 0 or not os.path.exists(private):
            module.fail_json(msg=f"tincd -K failed: {done.stderr.strip()[-500:]}", rc=done.returncode)
        changed = generated = True

    st = os.stat(private)
    if st.st_mode & 0o777 != 0o600 or (os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0)):
        changed = True
        if not module.check_mode:
            os.chmod(private, 0o600)
            if os.geteuid() == 0:
                os.chown(private, 0, 0)

    rc, out, err = module.run_command(["openssl", "rsa", "-in", private, "-RSAPublicKey_out"])
    if rc != 0 or "BEGIN RSA PUBLIC KEY" not in out:
        module.fail_json(msg=f"cannot read the public key from {private}: {err.strip()[-500:]}")
    record["key"] = out.strip() + "\n"
    return record, changed, generated
