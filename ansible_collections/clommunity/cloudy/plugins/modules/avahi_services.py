#!/usr/bin/python3
# Collection clommunity.cloudy of cloudy-deploy. GPL-3.0-or-later.
"""The services announced over Avahi, as this box sees them: read-only."""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clommunity.cloudy.plugins.module_utils.avahi_browse import (
    is_service_type,
    run_avahi_browse,
    service_dict,
)

DOCUMENTATION = r"""
module: avahi_services
short_description: The services of one DNS-SD type announced over Avahi, resolved and parsed
description:
  - Runs C(avahi-browse --resolve --terminate --parsable --no-db-lookup TYPE) and returns one
    entry per service instance (its addresses from every interface and protocol it resolved on),
    read by the collection's one parser of that output (module_utils/avahi_browse.py). Escaped
    names and TXT strings are unescaped; malformed lines are left out, each with a note.
  - avahi-browse is stopped after I(timeout) seconds (C(-t) has been seen never to finish);
    the services resolved by then are the answer, with C(timed_out=true).
  - With I(txt), only the services whose TXT holds each key with exactly that value are returned.
  - Changes nothing, also in check mode. Fails when avahi-browse is missing or fails (e.g. no
    avahi-daemon). TXT values are returned as announced, so use C(no_log) on a task whose services
    carry secrets (a Tahoe introducer's FURL).
options:
  type: {description: "the DNS-SD type, C(_name._tcp), C(_name._udp) or a subtype", type: str, required: true}
  txt:
    description: TXT keys (case-insensitive) and the exact values a service must have to be returned
    type: dict
    default: {}
  timeout: {description: seconds avahi-browse may run, type: int, default: 20}
author: cloudy-deploy
"""

EXAMPLES = r"""
- name: The introducers of grid gcodis
  clommunity.cloudy.avahi_services:
    type: _tahoe-introducer._tcp
    txt: {grid: gcodis}
  register: introducers
  no_log: true  # their TXT holds the FURL
"""

RETURN = r"""
services:
  description:
    - the services, sorted by host and name; each with C(type) (C(_x._tcp.local.)), C(name) (the
      instance), C(host) (C(box1.local)), C(addresses), C(port) and C(txt) (keys lower-case)
  type: list
  elements: dict
  returned: always
timed_out: {description: avahi-browse was stopped after timeout seconds, type: bool, returned: always}
notes:
  description: the lines left out and the instances that did not resolve, and why
  type: list
  returned: always
"""


def matches(service: dict, txt: dict) -> bool:
    """Whether SERVICE's TXT holds every key of TXT (case-insensitive) with exactly its value."""
    return all(service["txt"].get(str(key).lower()) == str(value) for key, value in txt.items())


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "type": {"type": "str", "required": True},
            "txt": {"type": "dict", "default": {}},
            "timeout": {"type": "int", "default": 20},
        },
        supports_check_mode=True,
    )
    p = module.params
    if not is_service_type(p["type"]):
        module.fail_json(msg=f"type {p['type']!r} is not a DNS-SD type like _ssh._tcp")
    if p["timeout"] < 1:
        module.fail_json(msg=f"timeout {p['timeout']} is not a number of seconds (1 or more)")
    binary = module.get_bin_path("avahi-browse")
    if binary is None:
        module.fail_json(msg="avahi-browse is not installed on this box (Debian: apt install avahi-utils)")
    run = run_avahi_browse(p["type"], p["timeout"], binary)
    if run.returncode:
        module.fail_json(
            msg=f"avahi-browse failed (exit code {run.returncode}): {' '.join(run.stderr.split())[:300]}",
            timed_out=False,
        )
    services = [s for s in map(service_dict, run.records) if matches(s, p["txt"])]
    services.sort(key=lambda s: (s["host"], s["name"], s["type"]))
    module.exit_json(changed=False, services=services, timed_out=run.timed_out, notes=run.notes)


if __name__ == "__main__":
    main()
