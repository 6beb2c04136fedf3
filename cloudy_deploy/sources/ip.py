"""IP addresses as sources give them: checked, and written one canonical way so they compare."""

import ipaddress

# One check of a box's address, shared with the roles that read CNML on the boxes.
from ansible_collections.clommunity.cloudy.plugins.module_utils.cnml import address as canonical_ip


def identity(address: str) -> str:
    """The key two records share when they are the same box: the canonical IP, else the lower-case text."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address.strip().lower()


__all__ = ["canonical_ip", "identity"]
