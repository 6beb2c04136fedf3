#!/usr/bin/python3
# Role tinc of cloudy-deploy. GPL-3.0-or-later.
"""Unpack the host file archive into hosts/, touching only the files the role manages."""

import base64
import binascii
import io
import json
import os
import re
import tarfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clommunity.cloudy.plugins.module_utils.files import (
    FILES_OPTIONS,
    apply_files,
    write_atomic,
)

DOCUMENTATION = r"""
module: tinc_hosts
short_description: Install the mesh's host files from one archive, keeping hand-made ones
description:
  - "Reads the host file archive (tar.gz, one file per node at its top level)
    and makes hosts/ match it. The action plugin of the same name sends the
    controller's archive (I(src)) in the call itself (I(content)); the module
    keeps it at I(archive), the record of the host files the box holds."
  - Writes a host file only when its content differs (atomically, mode 0644),
    so tincd, on SIGHUP, only drops the connections of nodes whose file changed.
  - Deletes a host file only if this module wrote it before (listed in the
    manifest) and it is no longer in the archive, or it is named in I(remove).
    Other files (of nodes configured by hand) stay, unless I(purge_unmanaged).
  - The manifest records the files the role manages.
options:
  archive: {description: path of the archive on the box, type: path, required: true}
  src:
    description: the archive on the controller (action plugin); the module gets it as I(content)
    type: path
  content:
    description: >-
      the archive, base64 (set by the action plugin from I(src));
      written to I(archive) when it differs
    type: str
  directories: {description: folders to make first, type: list, elements: path, default: []}
  files:
    description: >-
      small files written with the host files (path, content, mode, state),
      e.g. the ConnectTo lines
    type: list
    elements: dict
    default: []
  lines: {description: lines that must be in a file (path, line), type: list, elements: dict, default: []}
  unit:
    description: >-
      the network's systemd unit, applied after the files: restarted when I(restart), else
      reloaded (started if stopped) when this call or I(reload) changed something; with I(start),
      else started if it is not active, and enabled (no manager reload) if it is not. Unset, no
      unit is touched.
    type: str
  start:
    description: start and enable I(unit) when it is not active or not enabled
    type: bool
    default: true
  restart:
    description: files tincd reads only at start changed (tinc.conf, tinc-up, the drop-in)
    type: bool
    default: false
  reload: {description: something else tincd rereads on SIGHUP changed, type: bool, default: false}
  daemon_reload:
    description: a unit file or drop-in changed (systemctl daemon-reload first)
    type: bool
    default: false
  hosts_dir: {description: the network's hosts/ folder, type: path, required: true}
  manifest:
    description: JSON file listing the host files the role wrote
    type: path
    required: true
  remove:
    description: nodes whose host file goes even if the role did not write it
    type: list
    elements: str
    default: []
  purge_unmanaged:
    description: also delete host files the role did not write
    type: bool
    default: false
author: cloudy-deploy
"""

RETURN = r"""
written: {description: host files written (new or changed), type: list, returned: always}
deleted: {description: host files deleted, type: list, returned: always}
managed: {description: host files the role manages after this run, type: list, returned: always}
changed_paths: {description: the other files written (I(files)), type: list, returned: always}
applied:
  description: "what was done to I(unit): restarted, reloaded, started, enabled, none (check mode: would be)"
  type: str
  returned: always
"""


NAME = re.compile(r"^[A-Za-z0-9_]+$")


def read_archive(data: bytes, path: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or not NAME.match(member.name):
                raise ValueError(f"unexpected member {member.name!r} in {path}")
            files[member.name] = tar.extractfile(member).read()
    return files


def read_manifest(path: str) -> set[str]:
    try:
        with open(path) as f:
            return {n for n in json.load(f).get("managed", []) if NAME.match(n)}
    except FileNotFoundError:
        return set()
    except (OSError, ValueError, AttributeError):
        return set()


def apply_unit(module: AnsibleModule, changed: bool) -> str:
    """Restart, reload or start the unit as the changes ask, and enable it: one call instead of a
    handler (a round trip and an interpreter per box). The enable does not reload the manager: the
    daemon-reload asked for by a changed drop-in is the only one."""
    p = module.params
    unit = p["unit"]
    systemctl = module.get_bin_path("systemctl", required=True)

    def ok(*args: str) -> bool:
        return module.run_command([systemctl, *args])[0] == 0

    def do(*args: str) -> None:
        rc, out, err = module.run_command([systemctl, *args])
        if rc != 0:
            module.fail_json(msg=f"systemctl {' '.join(args)} failed: {(err or out).strip()[-500:]}")

    if p["restart"]:
        applied = "restarted"
    elif p["reload"] or changed:
        applied = "reloaded"
    elif p["start"] and not ok("is-active", "--quiet", unit):
        applied = "started"
    else:
        applied = "none"
    enable = p["start"] and not ok("is-enabled", "--quiet", unit)
    if module.check_mode:
        return applied if applied != "none" or not enable else "enabled"
    if p["daemon_reload"]:
        do("daemon-reload")
    if applied == "restarted":
        do("restart", unit)
    elif applied == "reloaded":
        do("reload-or-restart", unit)
    elif applied == "started":
        do("start", unit)
    if enable:
        do("enable", "--no-reload", unit)
        applied = "enabled" if applied == "none" else applied
    return applied


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "archive": {"type": "path", "required": True},
            "content": {"type": "str"},
            "hosts_dir": {"type": "path", "required": True},
            "manifest": {"type": "path", "required": True},
            "remove": {"type": "list", "elements": "str", "default": []},
            "purge_unmanaged": {"type": "bool", "default": False},
            **FILES_OPTIONS,
            "unit": {"type": "str"},
            "start": {"type": "bool", "default": True},
            "restart": {"type": "bool", "default": False},
            "reload": {"type": "bool", "default": False},
            "daemon_reload": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    p = module.params
    hosts_dir = p["hosts_dir"]
    # Everything is read and checked before anything is written: a bad archive changes nothing.
    try:
        if p["content"] is not None:
            data = base64.b64decode(p["content"], validate=True)
        elif module.check_mode and not os.path.exists(p["archive"]):
            # --check on a box the archive was never delivered to: every host file would be written.
            module.exit_json(changed=True, msg="check mode: the host file archive is not on the box yet")
        else:
            with open(p["archive"], "rb") as f:
                data = f.read()
        wanted = read_archive(data, p["archive"])
        try:
            with open(p["archive"], "rb") as f:
                archive_written = f.read() != data
        except FileNotFoundError:
            archive_written = True
    except (OSError, tarfile.TarError, ValueError, binascii.Error) as exc:
        module.fail_json(msg=f"cannot read the host file archive: {exc}")
    other_paths, diffs = apply_files(module, p["directories"], p["files"], p["lines"])
    if archive_written and not module.check_mode:
        write_atomic(module, p["archive"], data)
    present = (
        {n for n in os.listdir(hosts_dir) if NAME.match(n) and os.path.isfile(os.path.join(hosts_dir, n))}
        if os.path.isdir(hosts_dir)
        else set()
    )
    managed_before = read_manifest(p["manifest"])
    written, deleted = [], []
    for name, data in sorted(wanted.items()):
        path = os.path.join(hosts_dir, name)
        if name in present:
            with open(path, "rb") as f:
                same = f.read() == data
            if same:
                if os.stat(path).st_mode & 0o777 != 0o644:
                    if not module.check_mode:
                        os.chmod(path, 0o644)
                    written.append(name)
                continue
        if not module.check_mode:
            write_atomic(module, path, data)
        written.append(name)

    doomed = (managed_before | set(p["remove"])) - set(wanted)
    if p["purge_unmanaged"]:
        doomed |= present - set(wanted)
    for name in sorted(doomed & present):
        if not module.check_mode:
            os.unlink(os.path.join(hosts_dir, name))
        deleted.append(name)

    managed = sorted(wanted)
    manifest_changed = managed_before != set(managed) or not os.path.exists(p["manifest"])
    if manifest_changed and not module.check_mode:
        body = {
            "comment": "Host files in ../hosts/ written by cloudy-deploy (role tinc); it deletes only these.",
            "managed": managed,
        }
        write_atomic(module, p["manifest"], (json.dumps(body, indent=1) + "\n").encode())

    changed = bool(written or deleted or manifest_changed or archive_written or other_paths)
    applied = apply_unit(module, changed) if p["unit"] else "none"
    result = {
        "changed": changed or applied != "none",
        "applied": applied,
        "written": written,
        "deleted": deleted,
        "managed": managed,
        "changed_paths": other_paths,
    }
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
