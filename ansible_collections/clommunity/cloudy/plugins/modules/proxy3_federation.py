#!/usr/bin/python3
# Role proxy3 of cloudy-deploy. GPL-3.0-or-later.
"""Read a Proxy3 federation file: whose users this proxy accepts. Changes nothing."""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url

DOCUMENTATION = r"""
module: proxy3_federation
short_description: Read a guifi.net Proxy3 federation file
description:
  - The format of guifi.net's C(guifi/export/<id>/federation) export, one proxy
    per line, C(<proxy id>-<mode>), mode one of C(private), C(in), C(out),
    C(inout). The first line is this proxy's own; blank lines and lines starting
    with C(#) are skipped.
  - This proxy accepts its own users, and, when its own mode is C(in) or
    C(inout), the users of the proxies whose mode is C(out) or C(inout). All
    other proxies' users are refused.
  - Bad input (a malformed line, an unknown mode, a proxy named twice, a first
    line that is not I(node_id)) fails with the file and line, before anything
    is written anywhere. Never changes anything.
options:
  content: {description: the file's text (read by the controller), type: str}
  url: {description: an http(s) URL the box fetches the file from, type: str}
  name: {description: what to call the file in messages (its path or URL), type: str, required: true}
  node_id: {description: this proxy's guifi.net service id, type: int, required: true}
  timeout: {description: seconds for the download, type: int, default: 30}
author: cloudy-deploy
"""

RETURN = r"""
own_mode: {description: this proxy's mode, type: str, returned: success}
federated:
  description: whether other proxies' users are accepted (own mode in or inout)
  type: bool
  returned: success
allowed: {description: other proxies whose users are accepted (sorted ids), type: list, returned: success}
refused: {description: other proxies listed whose users are not, type: list, returned: success}
"""

MODES = ("private", "in", "out", "inout")
LINE_RE = re.compile(r"(\d{1,10})-([a-z]+)")
# Proxies that let their users out to federated proxies.
OUTGOING = ("out", "inout")


class FederationError(ValueError):
    """Bad input: the message names the file, the line and the fix."""


def parse(text: str, name: str, node_id: int) -> dict:
    """The federation file's rules for proxy NODE_ID; FederationError when it is malformed."""
    seen: dict[int, int] = {}
    modes: dict[int, str] = {}
    own: int | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE_RE.fullmatch(line)
        if not match:
            raise FederationError(
                f"{name}:{number}: {line[:60]!r} is not a proxy line: write <proxy id>-<mode>,"
                " e.g. 1234-inout"
            )
        proxy, mode = int(match.group(1)), match.group(2)
        if mode not in MODES:
            raise FederationError(
                f"{name}:{number}: proxy {proxy} has mode {mode!r}: use one of {', '.join(MODES)}"
            )
        if proxy in seen:
            raise FederationError(
                f"{name}:{number}: proxy {proxy} is named twice (first on line {seen[proxy]}):"
                " keep one line for it"
            )
        if own is None:
            if proxy != node_id:
                raise FederationError(
                    f"{name}:{number}: the first line is proxy {proxy}, but this proxy is {node_id}: use this"
                    " proxy's federation file, or set its node id"
                )
            own = proxy
        seen[proxy] = number
        modes[proxy] = mode
    if own is None:
        raise FederationError(
            f"{name}: no proxy line: the first line must be this proxy's, e.g. {node_id}-inout"
        )
    own_mode = modes.pop(own)
    federated = own_mode in ("in", "inout")
    allowed = sorted(p for p, m in modes.items() if federated and m in OUTGOING)
    refused = sorted(p for p in modes if p not in allowed)
    return {"own_mode": own_mode, "federated": federated, "allowed": allowed, "refused": refused}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "content": {"type": "str"},
            "url": {"type": "str"},
            "name": {"type": "str", "required": True},
            "node_id": {"type": "int", "required": True},
            "timeout": {"type": "int", "default": 30},
        },
        required_one_of=[("content", "url")],
        mutually_exclusive=[("content", "url")],
        supports_check_mode=True,
    )
    p = module.params
    text = p["content"]
    if text is None:
        answer, info = fetch_url(module, p["url"], timeout=p["timeout"])
        if info.get("status") != 200 or answer is None:
            module.fail_json(msg=f"{p['name']}: cannot download it ({info.get('msg')}): check the URL")
        try:
            text = answer.read().decode("utf-8")
        except UnicodeDecodeError:
            module.fail_json(msg=f"{p['name']}: not UTF-8 text: is it a federation file?")
    try:
        module.exit_json(changed=False, **parse(text, p["name"], p["node_id"]))
    except FederationError as err:
        module.fail_json(msg=str(err))


if __name__ == "__main__":
    main()
