# Role tinc of cloudy-deploy. GPL-3.0-or-later.
"""The options of modules tinc_key and tinc_node that make a box's public record."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  netname: {description: tinc network name, type: str, required: true}
  generate: {description: Generate a key pair when missing (else fail), type: bool, default: true}
  bits: {description: RSA key size, type: int, default: 4096}
  host: {description: inventory name of the box, type: str, required: true}
  name: {description: tinc node name, type: str, required: true}
  address: {description: Address line of the host file; empty for a box behind NAT, type: str, default: ''}
  port: {description: Port line of the host file, type: int, default: 655}
  overlay_ip: {description: the box's overlay address (orders the spines), type: str, default: ''}
  mac: {description: "the fixed MAC of the tap interface (peers' neighbour entry)", type: str, default: ''}
"""
