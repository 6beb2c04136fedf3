from pathlib import Path

from cloudy_deploy.lab.images import BaseRecipe, NodeRecipe


def test_tags_depend_only_on_content(tmp_path: Path):
    assert BaseRecipe().tag == BaseRecipe().tag
    assert BaseRecipe().tag.startswith("cloudy-base:bookworm-")
    assert BaseRecipe(include=("python3", "iproute2", "systemd-sysv")).tag == BaseRecipe().tag  # order
    assert BaseRecipe(include=("python3",)).tag != BaseRecipe().tag
    assert BaseRecipe(suite="trixie").tag != BaseRecipe().tag
    empty = tmp_path / "none"
    assert NodeRecipe(ca_dir=empty).tag == NodeRecipe(ca_dir=empty).tag


def test_node_tag_follows_base_and_certificates(tmp_path: Path):
    ca = tmp_path / "ca"
    ca.mkdir()
    (ca / "corp.crt").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with_ca = NodeRecipe(ca_dir=ca)
    without = NodeRecipe(ca_dir=ca, host_ca=False)
    assert with_ca.tag != without.tag
    assert "ca/corp.crt" in with_ca.context_files()
    assert "ca/corp.crt" not in without.context_files()
    before = with_ca.tag
    (ca / "corp.crt").write_text("changed")
    assert NodeRecipe(ca_dir=ca).tag != before
    assert NodeRecipe(base=BaseRecipe(include=("python3",)), ca_dir=ca).tag != NodeRecipe(ca_dir=ca).tag


def test_node_recipe_bakes_no_host_keys():
    dockerfile = NodeRecipe(host_ca=False).context_files()["Dockerfile"].decode()
    assert "rm -f /etc/ssh/ssh_host_*" in dockerfile
    assert "openssh-server" in dockerfile and "python3-apt" in dockerfile
