import hashlib
import re
from pathlib import Path

import pytest
import yaml

import cloudy_deploy
from cloudy_deploy import scaffold, sources, spec
from cloudy_deploy.errors import BadInput
from cloudy_deploy.plan import make_plan


def test_init_writes_a_spec_that_loads_and_nodes_that_plan(tmp_path):
    paths = scaffold.scaffold(tmp_path / "new")
    assert paths == [tmp_path / "new/cloudy.yml", tmp_path / "new/nodes.yml"]
    loaded = spec.load(paths[0])
    assert loaded.cloud == "cloudy" and loaded.plugin == "clommunity.cloudy.cloudy"
    found = sources.collect(loaded.sources, paths[0].parent)
    assert [n.name for n in found.nodes] == ["box1", "box2", "box3"]
    the_plan = make_plan(found.nodes, loaded, None)
    assert [str(h.overlay_ip) for h in the_plan.hosts] == ["10.99.0.2", "10.99.0.3", "10.99.0.4"]


def test_irreversible_choices_come_first():
    keys = [m.group(1) for m in re.finditer(r"^(\w+):", scaffold.template("cloudy.yml"), re.MULTILINE)]
    assert keys[:3] == ["plugin", "cloud", "overlay"]
    text = scaffold.template("cloudy.yml")
    assert text.index("subnet:") < text.index("port:") < text.index("sources:")


def uncomment_services(text: str) -> str:
    head, mark, block = text.partition("  # Uncomment a service")
    return (
        head
        + mark
        + re.sub(
            r"^  # (?=tahoe|caracaldb|peerstreamer|gvod|proxy3|snpservices|dnsservices|clouder|  )",
            "  ",
            block,
            flags=re.MULTILINE,
        )
    )


def test_the_commented_services_are_valid_once_uncommented(tmp_path):
    path = tmp_path / "cloudy.yml"
    digest = hashlib.sha256(b"").hexdigest()  # the supplied software: empty stand-ins
    path.write_text(
        uncomment_services(scaffold.template("cloudy.yml")).replace("sha256: ...", f"sha256: {digest}")
    )
    for name in ("federation.txt", "zone-2525.cnml", "domains.cnml"):  # the files the guifi services name
        (tmp_path / name).write_text("")
    for name in ("streamer-udp-grapes-static", "caracaldb-server.jar", "caracaldb-api.jar"):
        (tmp_path / name).write_text("")
    loaded = spec.load(path)
    assert loaded.services.tahoe and loaded.services.caracaldb and loaded.services.peerstreamer
    assert loaded.services.gvod and not loaded.services.off()
    assert sorted(loaded.services.artifacts()) == ["caracaldb", "caracaldb_api", "gvod", "peerstreamer"]
    s = loaded.services
    assert s.proxy3 and s.proxy3.node_id == 1234 and s.proxy3.federation == str(tmp_path / "federation.txt")
    assert s.snpservices and s.dnsservices and s.dnsservices.cnml == str(tmp_path / "zone-2525.cnml")
    assert s.clouder and s.clouder.boxes == ["big-box"] and [c.name for c in s.clouder.containers] == ["c1"]
    assert [a.image for a in s.clouder.apps] == ["cloudy-box"]
    nodes = yaml.safe_load(scaffold.template("nodes.yml"))["nodes"]
    assert len(nodes) >= loaded.services.caracaldb.nodes


def test_the_commented_sources_are_valid_entries():
    lines = re.findall(r"^  # (- .*?)(?:[ \t]+#.*)?$", scaffold.template("cloudy.yml"), re.MULTILINE)
    entries = [yaml.safe_load(line)[0] for line in lines]
    assert len(entries) == 5
    for entry in entries:
        sources.from_spec(entry)


def test_templates_are_package_data():
    folder = Path(cloudy_deploy.__file__).parent / "templates"
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".yml") == ["cloudy.yml", "nodes.yml"]


@pytest.mark.parametrize("existing", ["cloudy.yml", "nodes.yml"])
def test_init_never_overwrites(tmp_path, existing):
    (tmp_path / existing).write_text("mine\n")
    with pytest.raises(BadInput) as exc:
        scaffold.scaffold(tmp_path)
    message = str(exc.value)
    assert f"{tmp_path / existing}: already there" in message
    assert "move it away and run `cloudy init` again" in message
    assert [p.name for p in tmp_path.iterdir()] == [existing]
    assert (tmp_path / existing).read_text() == "mine\n"


def test_init_into_a_file_is_bad_input(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(BadInput, match="is a file, not a folder"):
        scaffold.scaffold(target)
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
