#!/usr/bin/python3
# Role wheelhouse of cloudy-deploy. GPL-3.0-or-later.
"""Find a wheelhouse announced over Avahi that holds a wheel set for this box's platform."""

import json
import time
import urllib.error
import urllib.request

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clommunity.cloudy.plugins.module_utils.avahi_browse import (
    run_avahi_browse,
    service_dict,
)

DOCUMENTATION = r"""
module: wheelhouse_find
short_description: Find an announced wheelhouse holding a wheel set for a platform
description:
  - Browses the DNS-SD I(type) with C(avahi-browse -rtpk) (IPv4 only; stopped after 30 s,
    with what it resolved by then, as module avahi_services does), keeps the
    services whose TXT C(platform) equals I(platform), and asks each, over HTTP,
    for C(PATH<set>/<platform>/wheelhouse.json). The first one whose C(hash)
    equals I(hash) is returned (services sorted by address and port, so every
    box picks the same one).
  - Only announcements from an address in I(allow) (the inventory hosts'
    overlay IPs) are considered; any other is left out with a warning (any
    overlay member can announce, and what it serves would be installed as root).
    The wheels' hashes never come from here (the role reads them through Ansible
    from the inventory host that holds the set).
  - Never changes anything. No avahi-browse on the box is not an error
    (C(found=false), with the reason in C(msg)).
options:
  set: {description: name of the wheel set, type: str, required: true}
  platform: {description: platform tag, type: str, required: true}
  hash: {description: hash of the requirements the set must have been built for, type: str, required: true}
  type: {description: DNS-SD type, type: str, default: _cloudy-wheels._tcp}
  exclude: {description: addresses to leave out (this box's own), type: list, elements: str, default: []}
  allow:
    description: the only addresses taken (the inventory hosts' overlay IPs)
    type: list
    elements: str
    required: true
  attempts: {description: browses before giving up (1 s apart), type: int, default: 2}
  timeout: {description: seconds for each HTTP request, type: int, default: 5}
author: cloudy-deploy
"""

RETURN = r"""
found: {description: whether a matching wheelhouse answered, type: bool, returned: always}
url:
  description: the set's folder, http://ADDRESS:PORT/PATH/<set>/<platform>/
  type: str
  returned: when found
host: {description: the announcing host name, type: str, returned: when found}
address: {description: its address, type: str, returned: when found}
candidates:
  description: every announced wheelhouse seen, and why it was not taken
  type: list
  returned: always
"""

BROWSE_TIMEOUT = 30  # seconds avahi-browse -t may run (it has been seen never to finish)


def browse(service_type: str) -> list:
    """The announced services of SERVICE_TYPE: one entry per IPv4 address and port, in order."""
    found = {}
    for record in run_avahi_browse(service_type, BROWSE_TIMEOUT).records:
        service = service_dict(record)
        for address in service.pop("addresses"):
            if ":" in address:  # IPv4 only: the overlay's addresses
                continue
            found[(address, record.port)] = {**service, "address": address}
    return [found[key] for key in sorted(found)]


def screen(entry: dict, exclude: list, allow: list, platform: str) -> str:
    """Why an announced wheelhouse is not taken ("" when it may be asked)."""
    if entry["address"] in exclude:
        return "this box"
    if entry["address"] not in allow:
        return "not an inventory host's overlay address"
    if entry["txt"].get("platform") != platform:
        return f"platform {entry['txt'].get('platform')}"
    return ""


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "set": {"type": "str", "required": True},
            "platform": {"type": "str", "required": True},
            "hash": {"type": "str", "required": True},
            "type": {"type": "str", "default": "_cloudy-wheels._tcp"},
            "exclude": {"type": "list", "elements": "str", "default": []},
            "allow": {"type": "list", "elements": "str", "required": True},
            "attempts": {"type": "int", "default": 2},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    p = module.params
    if module.get_bin_path("avahi-browse") is None:
        module.exit_json(changed=False, found=False, candidates=[], msg="avahi-browse is not installed")
    candidates: list = []
    warned: set = set()
    for attempt in range(max(1, p["attempts"])):
        if attempt:
            time.sleep(1)
        candidates = []
        for entry in browse(p["type"]):
            entry["why"] = screen(entry, p["exclude"], p["allow"], p["platform"])
            candidates.append(entry)
            if entry["why"].startswith("not an inventory") and entry["address"] not in warned:
                warned.add(entry["address"])
                module.warn(
                    f"wheelhouse announced by {entry['host']} at {entry['address']}:{entry['port']} ignored:"
                    " not an inventory host's overlay address"
                )
            if entry["why"]:
                continue
            path = "/" + entry["txt"].get("path", "/").strip("/")
            base = f"http://{entry['address']}:{entry['port']}{path.rstrip('/')}"
            url = f"{base}/{p['set']}/{p['platform']}/"
            try:
                with urllib.request.urlopen(url + "wheelhouse.json", timeout=p["timeout"]) as answer:
                    meta = json.load(answer)
            except (OSError, ValueError, urllib.error.URLError) as err:
                entry["why"] = f"no set there: {err}"
                continue
            if meta.get("hash") != p["hash"]:
                entry["why"] = f"built for other requirements: {meta.get('requirements')}"
                continue
            module.exit_json(
                changed=False,
                found=True,
                url=url,
                host=entry["host"],
                address=entry["address"],
                candidates=candidates,
            )
    module.exit_json(
        changed=False, found=False, candidates=candidates, msg="no announced wheelhouse holds the set"
    )


if __name__ == "__main__":
    main()
