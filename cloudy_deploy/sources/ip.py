"""IP addresses as sources give them: checked, and written one canonical way so they compare."""

import ipaddress


def canonical_ip(text: object) -> str:
    """The canonical form of an IPv4 or IPv6 address (e.g. fd00:0::1 -> fd00::1); ValueError if not one.

    The merge uses the address as a box's identity, so every source writes it the same way.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 address")
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 address") from None
    # The controller cannot reach a box there: loopback is itself, link-local needs an interface.
    for bad, what in (
        (ip.is_unspecified, "unspecified"),
        (ip.is_multicast, "multicast"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
    ):
        if bad:
            raise ValueError(f"{text!r} cannot be a box's address ({what})")
    return str(ip)


def identity(address: str) -> str:
    """The key two records share when they are the same box: the canonical IP, else the lower-case text."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address.strip().lower()
