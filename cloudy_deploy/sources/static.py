"""The `static` source: a hand-written YAML or CSV file of nodes.

YAML (any extension but .csv)::

    nodes:
      - {name: box1, address: 10.1.2.3, ssh_user: root, ssh_port: 22, tags: [a, b]}
      - name: box2
        address: fd00::2
        addresses: [10.1.2.4]          # other addresses of the box
        ssh_private_key: keys/box2     # relative to this file
        vars: {rack: 3}                # host vars

CSV (extension .csv): a header ``name,address[,ssh_user,ssh_port,tags]`` (any order of
the optional columns), tags separated by spaces or ``;``; empty cells take the defaults.

Addresses must be IPv4 or IPv6 addresses; DNS names are refused on purpose: the
merge takes the address as the identity of a box and the plan checks the overlay
subnet against it, and both need the address itself. Resolve a name with
``getent hosts NAME``. Every error names the file and the line.
"""

from pathlib import Path

import yaml
from pydantic import ValidationError

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources import static_csv
from cloudy_deploy.sources.files import read_text, shown
from cloudy_deploy.sources.loaded import Loaded
from cloudy_deploy.sources.merge import check_unique
from cloudy_deploy.sources.static_model import StaticNode, problem
from cloudy_deploy.spec import YamlLoader, check_tree

EXAMPLE = "nodes: [{name: box1, address: 10.1.2.3}]"


def _compose(text: str, where: str) -> tuple[yaml.Node | None, yaml.SafeLoader]:
    loader = YamlLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            check_tree(where, root)
        return root, loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise BadInput(
            f"{where}{line}: not valid YAML ({exc.problem or exc.context}); check the indentation and quoting"
        ) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{where}: not valid YAML ({exc}); check the file") from None


def _items(root: yaml.Node | None, where: str) -> list[yaml.MappingNode]:
    if not isinstance(root, yaml.MappingNode):
        line = root.start_mark.line + 1 if root else 1
        raise BadInput(f"{where}:{line}: a nodes file is a mapping with a `nodes` list; write e.g. {EXAMPLE}")
    nodes: yaml.Node | None = None
    for key, value in root.value:
        if key.value != "nodes":
            raise BadInput(
                f"{where}:{key.start_mark.line + 1}: unknown key {key.value!r}; the file has only `nodes:`"
            )
        nodes = value
    if nodes is None:
        raise BadInput(f"{where}:1: no `nodes:` list; write e.g. {EXAMPLE}")
    if isinstance(nodes, yaml.ScalarNode) and nodes.tag == "tag:yaml.org,2002:null":
        return []  # `nodes:` with nothing yet
    if not isinstance(nodes, yaml.SequenceNode):
        raise BadInput(f"{where}:{nodes.start_mark.line + 1}: `nodes` must be a list; write e.g. {EXAMPLE}")
    for item in nodes.value:
        if not isinstance(item, yaml.MappingNode):
            raise BadInput(
                f"{where}:{item.start_mark.line + 1}: a node is a mapping of keys, "
                f"e.g. {{name: box1, address: 10.1.2.3}}, not {item.value!r}"
            )
    return nodes.value


def _yaml(path: Path, text: str, source: str) -> Loaded:
    where = shown(path)
    root, loader = _compose(text, where)
    records: list[Node] = []
    lines: list[str] = []
    try:
        for item in _items(root, where):
            keys = [k for k, _ in item.value if isinstance(k, yaml.ScalarNode)]  # others: pydantic refuses
            at = {k.value: k.start_mark.line + 1 for k in keys}
            seen: set[str] = set()
            for key in keys:
                if key.value in seen:
                    raise BadInput(
                        f"{where}:{key.start_mark.line + 1}: the key {key.value!r} appears twice "
                        "in this node; keep one"
                    )
                seen.add(key.value)
            line = item.start_mark.line + 1
            try:
                data = loader.construct_object(item, deep=True)
                record = StaticNode.model_validate(data)
            except yaml.MarkedYAMLError as exc:
                raise BadInput(f"{where}:{line}: cannot read this node ({exc.problem})") from None
            except ValidationError as exc:
                key, message = problem(exc)
                raise BadInput(f"{where}:{at.get(key or '', line)}: {message}") from None
            records.append(record.to_node(source, path.parent.absolute()))
            lines.append(f"{where}:{line}")
    finally:
        loader.dispose()
    check_unique(records, lines)
    return Loaded(records, [])


def load(path: Path, source: str) -> Loaded:
    """The nodes of a static file; `source` is the label records carry, e.g. "static:nodes.yml"."""
    text = read_text(path, "a nodes file (YAML or CSV)", source)
    if path.suffix.lower() == ".csv":
        records, lines = static_csv.parse(text, shown(path), source, path.parent.absolute())
        check_unique(records, lines)
        return Loaded(records, [])
    return _yaml(path, text, source)
