import yaml

from cloudy_deploy import inventory
from cloudy_deploy.nodes import Node


def test_inventory_checks_host_keys_strictly(tmp_path):
    nodes = [
        Node(
            name="lab-1",
            address="172.29.0.2",
            ssh_private_key="/k/id",
            ssh_known_hosts="/k/known hosts",
        ),
        Node(name="box", address="10.1.2.3", ssh_user="admin", ssh_port=2222),
    ]
    path = inventory.write(nodes, tmp_path / "inv", cloud="gcodis")
    data = yaml.safe_load(path.read_text())
    hosts = data["all"]["children"]["cloudy"]["hosts"]
    assert data["all"]["vars"]["cloudy_cloud"] == "gcodis"
    lab1 = hosts["lab-1"]
    assert lab1["ansible_host"] == "172.29.0.2"
    assert "StrictHostKeyChecking=yes" in lab1["ansible_ssh_common_args"]
    assert "'UserKnownHostsFile=/k/known hosts'" in lab1["ansible_ssh_common_args"]
    assert "no" not in lab1["ansible_ssh_common_args"].lower().split("stricthostkeychecking=")[1][:3]
    assert hosts["box"] == {
        "ansible_host": "10.1.2.3",
        "ansible_user": "admin",
        "ansible_port": 2222,
    }
