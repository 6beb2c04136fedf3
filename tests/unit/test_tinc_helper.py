"""roles/tinc/files/tinc-helper: the firewall rule follows the tinc port; wait-address.

The helper is a script run on boxes: loaded as a module, with `run` and `shutil.which` replaced by
fakes that answer like nft/iptables and record every command.
"""

import importlib.util
import json
import shlex
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from types import ModuleType

import pytest

from tests.conftest import COLLECTION

HELPER = COLLECTION / "roles" / "tinc" / "files" / "tinc-helper"
TAG = "cloudy-tinc-net"


def _load() -> ModuleType:
    loader = SourceFileLoader("tinc_helper", str(HELPER))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def _done(stdout: str = "", rc: int = 0, stderr: str = "") -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([], rc, stdout, stderr)


def _nft_rule(handle: int, port: int | list[int], comment: str | None = TAG) -> dict:
    right: object = {"set": port} if isinstance(port, list) else port
    rule: dict = {
        "family": "inet",
        "table": "filter",
        "chain": "input",
        "handle": handle,
        "expr": [
            {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": {"set": ["tcp", "udp"]}}},
            {
                "match": {
                    "op": "==",
                    "left": {"payload": {"protocol": "th", "field": "dport"}},
                    "right": right,
                }
            },
            {"accept": None},
        ],
    }
    if comment:
        rule["comment"] = comment
    return {"rule": rule}


CHAIN = {"family": "inet", "table": "filter", "name": "input", "type": "filter", "hook": "input"}


class Box:
    """A fake box: answers nft -j and iptables -S from fixed rulesets, records the other commands."""

    def __init__(self, nft_rules: list[dict] | None = None, policy: str = "drop", iptables: str = "") -> None:
        self.nft_rules = nft_rules or []
        self.policy = policy
        self.iptables = iptables  # `iptables -S INPUT` output; '' means no iptables binary
        self.calls: list[tuple[str, ...]] = []
        self.fail: str | None = None  # a verb that fails (e.g. "insert")

    def which(self, name: str) -> str | None:
        if name == "nft":
            return "/usr/sbin/nft"
        return "/usr/sbin/" + name if self.iptables and name == "iptables" else None

    def run(self, *cmd: str) -> subprocess.CompletedProcess:
        if cmd[:2] == ("nft", "-j"):
            if cmd[2:4] == ("list", "chains"):
                chains = [{"chain": CHAIN | {"policy": self.policy}}]
                chains.append(
                    {"chain": {"family": "ip", "table": "nat", "name": "pre", "hook": "prerouting"}}
                )
                return _done(json.dumps({"nftables": [{"metainfo": {}}, *chains]}))
            return _done(json.dumps({"nftables": [{"chain": CHAIN}, *self.nft_rules]}))
        if cmd[:3] == ("iptables", "-w", "-S"):
            return _done(self.iptables)
        self.calls.append(cmd)
        if cmd[:3] == ("iptables", "-w", "-C"):
            present = [shlex.split(line)[2:] for line in self.iptables.splitlines() if line.startswith("-A")]
            return _done(rc=0 if list(cmd[4:]) in present else 1)
        if self.fail and self.fail in cmd:
            return _done(rc=1, stderr="Error: Could not process rule: No such file or directory")
        return _done()


@pytest.fixture
def helper(monkeypatch):
    return _load()


def open_port(helper: ModuleType, box: Box, monkeypatch, capsys, *extra: str) -> dict:
    monkeypatch.setattr(helper, "run", box.run)
    monkeypatch.setattr(helper.shutil, "which", box.which)
    monkeypatch.setattr(sys, "argv", ["tinc-helper", "open-port", "--port", "656", "--tag", TAG, *extra])
    assert helper.main() == 0
    return json.loads(capsys.readouterr().out)


INSERT_656 = (
    "nft", "insert", "rule", "inet", "filter", "input",
    "meta", "l4proto", "{", "tcp", ",", "udp", "}", "th", "dport", "656", "accept", "comment", f'"{TAG}"',
)  # fmt: skip


def test_nft_opens_the_port_in_a_dropping_chain(helper, monkeypatch, capsys):
    box = Box()
    report = open_port(helper, box, monkeypatch, capsys)
    assert box.calls == [INSERT_656]
    assert report == {
        "changed": True,
        "opened": ["nft inet filter input tcp,udp/656"],
        "closed": [],
        "filtering": ["nft inet filter input"],
    }


def test_nft_rule_follows_the_port(helper, monkeypatch, capsys):
    # The rule of port 655 (an earlier overlay.port) goes, by handle; someone else's rule stays.
    box = Box([_nft_rule(7, 22, comment="ssh"), _nft_rule(9, 655)])
    report = open_port(helper, box, monkeypatch, capsys)
    assert box.calls == [("nft", "delete", "rule", "inet", "filter", "input", "handle", "9"), INSERT_656]
    assert report["closed"] == ["nft inet filter input tcp,udp/655"]
    assert report["opened"] == ["nft inet filter input tcp,udp/656"] and report["changed"]


def test_nft_a_rule_for_the_port_and_another_is_replaced(helper, monkeypatch, capsys):
    box = Box([_nft_rule(4, [655, 656])])
    report = open_port(helper, box, monkeypatch, capsys)
    assert box.calls == [("nft", "delete", "rule", "inet", "filter", "input", "handle", "4"), INSERT_656]
    assert report["closed"] == ["nft inet filter input tcp,udp/655,656"]


def test_nft_the_right_rule_is_left_alone(helper, monkeypatch, capsys):
    box = Box([_nft_rule(9, 656)])
    report = open_port(helper, box, monkeypatch, capsys)
    assert box.calls == []
    assert report == {"changed": False, "opened": [], "closed": [], "filtering": ["nft inet filter input"]}


def test_nft_check_mode_reports_and_changes_nothing(helper, monkeypatch, capsys):
    box = Box([_nft_rule(9, 655)])
    report = open_port(helper, box, monkeypatch, capsys, "--check")
    assert box.calls == []
    assert report["changed"] and report["closed"] and report["opened"]


def test_nft_a_chain_that_filters_nothing_is_left_alone(helper, monkeypatch, capsys):
    box = Box(policy="accept")
    report = open_port(helper, box, monkeypatch, capsys)
    assert box.calls == [] and report == {"changed": False, "opened": [], "closed": [], "filtering": []}


def test_nft_failure_exits_with_the_reason(helper, monkeypatch, capsys):
    box = Box([_nft_rule(9, 655)])
    box.fail = "delete"
    with pytest.raises(SystemExit, match=r"nft: cannot delete rule 9 in inet filter input: Error: Could not"):
        open_port(helper, box, monkeypatch, capsys)


IPTABLES_655 = (
    "-P INPUT DROP\n"
    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
    f"-A INPUT -p tcp -m tcp --dport 655 -m comment --comment {TAG} -j ACCEPT\n"
    f'-A INPUT -p udp -m udp --dport 655 -m comment --comment "{TAG}" -j ACCEPT\n'
)


def test_iptables_rule_follows_the_port(helper, monkeypatch, capsys):
    box = Box(policy="accept", iptables=IPTABLES_655)
    report = open_port(helper, box, monkeypatch, capsys)
    deletes = [c for c in box.calls if "-D" in c]
    assert deletes == [
        ("iptables", "-w", "-D", "INPUT", "-p", "tcp", "-m", "tcp", "--dport", "655", "-m", "comment",
         "--comment", TAG, "-j", "ACCEPT"),
        ("iptables", "-w", "-D", "INPUT", "-p", "udp", "-m", "udp", "--dport", "655", "-m", "comment",
         "--comment", TAG, "-j", "ACCEPT"),
    ]  # fmt: skip
    inserts = [c for c in box.calls if "-I" in c]
    assert [c[c.index("--dport") + 1] for c in inserts] == ["656", "656"]
    assert report["opened"] == ["iptables INPUT tcp/656", "iptables INPUT udp/656"]
    assert len(report["closed"]) == 2 and report["filtering"] == ["iptables INPUT"]


def test_iptables_the_right_rules_are_left_alone(helper, monkeypatch, capsys):
    current = IPTABLES_655.replace("655", "656")
    box = Box(policy="accept", iptables=current)
    report = open_port(helper, box, monkeypatch, capsys)
    assert [c for c in box.calls if "-D" in c or "-I" in c] == []
    assert not report["changed"]


def test_iptables_that_accepts_everything_is_left_alone(helper, monkeypatch, capsys):
    box = Box(policy="accept", iptables="-P INPUT ACCEPT\n")
    report = open_port(helper, box, monkeypatch, capsys)
    assert box.calls == [] and report["filtering"] == []


def test_wait_address(helper, monkeypatch):
    shown = "3: net    inet 10.99.0.1/24 brd 10.99.0.255 scope global net\\       valid_lft forever"
    monkeypatch.setattr(helper, "run", lambda *cmd: _done(shown))
    monkeypatch.setattr(
        sys, "argv", ["tinc-helper", "wait-address", "--interface", "net", "--address", "10.99.0.1"]
    )
    assert helper.main() == 0
    # 10.99.0.10 is not 10.99.0.1: the prefix ends the match.
    monkeypatch.setattr(sys, "argv", ["tinc-helper", "wait-address", "--interface", "net", "--address",
                                      "10.99.0.10", "--timeout", "0"])  # fmt: skip
    assert helper.main() == 1


class Neigh:
    """A fake `ip neigh`: a table of permanent entries; records the changes."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = dict(table)
        self.calls: list[tuple[str, ...]] = []

    def run(self, *cmd: str) -> subprocess.CompletedProcess:
        if cmd[:3] == ("ip", "-j", "neigh"):
            rows = [
                {"dst": ip, "dev": "net", "lladdr": mac, "state": ["PERMANENT"]}
                for ip, mac in self.table.items()
            ]
            return _done(json.dumps(rows))
        self.calls.append(cmd)
        if cmd[2] == "replace":
            self.table[cmd[3]] = cmd[5]
        elif cmd[2] == "del":
            self.table.pop(cmd[3])
        return _done()


def set_neighbours(helper, monkeypatch, capsys, ip: Neigh, path, *extra: str) -> dict:
    monkeypatch.setattr(helper, "run", ip.run)
    argv = ["tinc-helper", "neighbours", "--interface", "net", "--file", str(path), *extra]
    monkeypatch.setattr(sys, "argv", argv)
    assert helper.main() == 0
    return json.loads(capsys.readouterr().out)


def test_neighbours_follow_the_file(helper, monkeypatch, capsys, tmp_path):
    listing = tmp_path / "neighbours"
    listing.write_text("# header\n10.99.0.2 02:ca:0a:63:00:02\n10.99.0.3 02:CA:0A:63:00:03\n\n")
    ip = Neigh(
        {"10.99.0.3": "02:ca:0a:63:00:03", "10.99.0.4": "02:ca:0a:63:00:04", "10.99.0.2": "02:00:00:00:00:09"}
    )
    report = set_neighbours(helper, monkeypatch, capsys, ip, listing)
    assert report == {"changed": True, "set": ["10.99.0.2 02:ca:0a:63:00:02"], "deleted": ["10.99.0.4"]}
    assert ip.table == {"10.99.0.2": "02:ca:0a:63:00:02", "10.99.0.3": "02:ca:0a:63:00:03"}
    assert (
        "ip",
        "neigh",
        "replace",
        "10.99.0.2",
        "lladdr",
        "02:ca:0a:63:00:02",
        "dev",
        "net",
        "nud",
        "permanent",
    ) in ip.calls
    # Again: nothing to do, nothing run.
    ip.calls.clear()
    assert set_neighbours(helper, monkeypatch, capsys, ip, listing)["changed"] is False and ip.calls == []


def test_neighbours_check_mode_and_a_missing_file(helper, monkeypatch, capsys, tmp_path):
    ip = Neigh({"10.99.0.4": "02:ca:0a:63:00:04"})
    report = set_neighbours(helper, monkeypatch, capsys, ip, tmp_path / "none", "--check")
    assert (
        report["deleted"] == ["10.99.0.4"]
        and ip.calls == []
        and ip.table == {"10.99.0.4": "02:ca:0a:63:00:04"}
    )


def test_neighbours_a_bad_line_names_the_file_and_line(helper, monkeypatch, tmp_path):
    listing = tmp_path / "neighbours"
    listing.write_text("10.99.0.2 02:ca:0a:63:00:02\n10.99.0.3\n")
    ip = Neigh({})
    monkeypatch.setattr(helper, "run", ip.run)
    monkeypatch.setattr(
        sys, "argv", ["tinc-helper", "neighbours", "--interface", "net", "--file", str(listing)]
    )
    with pytest.raises(SystemExit, match=r"neighbours:2: expected 'IP MAC'"):
        helper.main()
    assert ip.calls == []
