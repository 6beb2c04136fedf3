"""Node sources: each turns something into a list of Node records (DESIGN.md, 'sources').

    ref = parse_ref("static:nodes.yml")          # from --source; from_spec() for cloudy.yml
    nodes = load(ref, base_dir)                  # one source
    result = collect([ref, ...], base_dir)       # several, merged (merge.py has the rule)

One module per kind: static, lab, cnml, mdns (+ mdns_records), tinc.
"""

from collections.abc import Sequence
from pathlib import Path

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources.files import resolve
from cloudy_deploy.sources.loaded import Loaded
from cloudy_deploy.sources.merge import MergeResult, check_unique, merge_records
from cloudy_deploy.sources.refs import KINDS, SourceRef, from_spec, parse_ref

# `sources.merge` stays the module (merge.merge, merge.MergeResult); the function is not re-exported here.
__all__ = ["KINDS", "MergeResult", "SourceRef", "collect", "from_spec", "load", "parse_ref"]


def _load(ref: SourceRef, base_dir: Path, home: Path | None) -> Loaded:
    # Imported here: each kind pulls its own library (lxml, zeroconf) only when used.
    label = str(ref)
    if ref.kind == "lab":
        from cloudy_deploy.sources import lab

        return Loaded(lab.nodes(ref.arg, home), [])
    if ref.kind == "mdns":
        from cloudy_deploy.sources import mdns

        return mdns.load(ref.arg, "mdns")  # the records say where they came from, not for how long
    if ref.arg is None:
        raise BadInput(f"source {ref.kind} needs an argument, e.g. {ref.kind}:PATH")
    path = resolve(base_dir, ref.arg)
    if ref.kind == "static":
        from cloudy_deploy.sources import static

        return static.load(path, label)
    if ref.kind == "cnml":
        from cloudy_deploy.sources import cnml

        return cnml.load(path, label, dict(ref.options))
    if ref.kind == "tinc":
        from cloudy_deploy.sources import tinc

        return tinc.load(path, label)
    raise BadInput(f"unknown source kind {ref.kind!r}; the kinds are {', '.join(KINDS)}")


def load(ref: SourceRef, base_dir: Path, home: Path | None = None) -> list[Node]:
    """The records of one source; relative FILE/DIR arguments are relative to base_dir."""
    records = _load(ref, base_dir, home).nodes
    check_unique(records)
    return records


def collect(refs: Sequence[SourceRef], base_dir: Path, home: Path | None = None) -> MergeResult:
    """All sources, read in order and merged; notes say what each source left out and each merge."""
    loaded = [_load(ref, base_dir, home) for ref in refs]
    result = merge_records([one.nodes for one in loaded])
    return MergeResult(result.nodes, [note for one in loaded for note in one.notes] + result.notes)
