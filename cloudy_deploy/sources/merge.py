"""Several sources merged into one list of nodes.

The rule:

1. Within one source, two records with the same name, or the same address, are an
   error: a source describes each box once. The error names both records and the
   source.
2. Across sources, the address is the identity: records with the same `address`
   are one box. The record from the earlier source keeps its name and fields;
   later ones add their tags (union, order kept), vars (the earlier value wins
   for a key both have) and addresses. Each merge is reported in `notes`, e.g.
   "merged static:nodes.yml box1 with cnml:zone.cnml BCN-Cloudy-1 (same address 10.1.2.3)".
3. Across sources, the same name at different addresses is an error ("conflicting
   nodes"): the error names both sources and addresses, and the fix (rename one,
   or drop a source).

The output is deterministic: by source order, then by order within the source; a
merged box stays where its earliest record was. Addresses are compared in their
canonical form (fd00:0::1 and fd00::1 are one address).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources.ip import identity


@dataclass
class MergeResult:
    nodes: list[Node]
    notes: list[str] = field(default_factory=list)  # human lines reporting each merge


def _record(node: Node, where: str | None) -> str:
    return f"{node.name} at {node.address}" + (f" ({where})" if where else "")


def check_unique(records: Sequence[Node], where: Sequence[str | None] | None = None) -> None:
    """Rule 1. `where` optionally locates each record (e.g. "nodes.yml:4") for the message."""
    places = list(where) if where is not None else [None] * len(records)
    names: dict[str, int] = {}
    addresses: dict[str, int] = {}
    for i, node in enumerate(records):
        j = names.setdefault(node.name, i)
        if j != i:
            first, second = _record(records[j], places[j]), _record(node, places[i])
            raise BadInput(
                f"{node.source}: two records named {node.name!r}: {first} and {second}; "
                "a source lists each box once: remove or rename one"
            )
        key = identity(node.address)
        j = addresses.setdefault(key, i)
        if j != i:
            first, second = _record(records[j], places[j]), _record(node, places[i])
            raise BadInput(
                f"{node.source}: two records with the address {node.address}: {first} and {second}; "
                "a source lists each box once: remove one or correct its address"
            )


def _union(first: Sequence[str], later: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *later]))


def _absorb(kept: Node, later: Node) -> Node:
    """Rule 2: the earlier record keeps its fields; the later one adds tags, vars and addresses."""
    taken = {identity(a) for a in (kept.address, *kept.addresses)}
    extra = [a for a in later.addresses if identity(a) not in taken]
    return kept.model_copy(
        update={
            "tags": _union(kept.tags, later.tags),
            "vars": {**kept.vars, **{k: v for k, v in later.vars.items() if k not in kept.vars}},
            "addresses": _union(kept.addresses, extra),
        }
    )


def merge(per_source: Sequence[list[Node]]) -> MergeResult:
    """Merge the records of several sources, given in source order (see the module docstring)."""
    kept: list[Node] = []
    at: dict[str, int] = {}  # address identity -> index in kept
    first_seen: dict[str, Node] = {}  # name -> the first record (of any source) with that name
    notes: list[str] = []
    for records in per_source:
        check_unique(records)
        for node in records:
            key = identity(node.address)
            other = first_seen.setdefault(node.name, node)
            if identity(other.address) != key:
                raise BadInput(
                    f"conflicting nodes: {other.source} has {node.name!r} at {other.address}, "
                    f"{node.source} has {node.name!r} at {node.address}; rename one of them, "
                    "or drop one of the sources (--source)"
                )
            i = at.get(key)
            if i is None:
                at[key] = len(kept)
                kept.append(node)
                continue
            notes.append(
                f"merged {kept[i].source} {kept[i].name} with {node.source} {node.name} "
                f"(same address {kept[i].address})"
            )
            kept[i] = _absorb(kept[i], node)
    return MergeResult(nodes=kept, notes=notes)


merge_records = merge  # the name the package uses, so that `sources.merge` stays this module
