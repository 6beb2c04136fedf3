"""plugins/modules/tinc_node.py: the firewall port through tinc-helper, and the units not both
enabled and active (the role starts only those)."""

import importlib.util
from importlib.machinery import SourceFileLoader

import pytest

from tests.conftest import COLLECTION

pytest.importorskip("ansible.module_utils.basic")


def _load():
    loader = SourceFileLoader("tinc_node_module", str(COLLECTION / "plugins" / "modules" / "tinc_node.py"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


class Fake:
    def __init__(self, answers, check=False):
        self.answers = answers  # argv tuple prefix -> (rc, out, err)
        self.check_mode = check
        self.calls = []

    def run_command(self, argv):
        self.calls.append(argv)
        for prefix, answer in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return answer
        return 1, "", ""

    def get_bin_path(self, name):
        return "/bin/systemctl"

    def fail_json(self, **kw):
        raise RuntimeError(kw["msg"])


SPEC = {"helper": "/usr/local/lib/cloudy/tinc-helper", "port": 655, "tag": "cloudy-tinc-n"}


def test_open_port_reports_what_the_helper_did():
    fake = Fake({(SPEC["helper"], "open-port"): (0, '{"changed": true}', "")})
    assert _load().open_port(fake, SPEC, helper_written=False) is True
    assert fake.calls == [[SPEC["helper"], "open-port", "--port", "655", "--tag", "cloudy-tinc-n"]]


def test_open_port_in_check_mode_asks_with_check_and_skips_a_helper_not_there_yet():
    node = _load()
    fake = Fake({(SPEC["helper"], "open-port"): (0, '{"changed": false}', "")}, check=True)
    assert node.open_port(fake, SPEC, helper_written=False) is False and fake.calls[0][-1] == "--check"
    fake.calls.clear()
    assert node.open_port(fake, SPEC, helper_written=True) is False and fake.calls == []


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ((2, "", "nft: permission denied"), "open-port failed: nft: permission denied"),
        ((0, "oops", ""), "no result"),
    ],
)
def test_open_port_fails_with_the_helpers_words(answer, words):
    with pytest.raises(RuntimeError, match=words):
        _load().open_port(Fake({(SPEC["helper"], "open-port"): answer}), SPEC, helper_written=False)


def test_units_down_are_those_not_both_enabled_and_active():
    fake = Fake(
        {
            ("/bin/systemctl", "is-enabled", "--quiet", "tinc.service"): (0, "", ""),
            ("/bin/systemctl", "is-active", "--quiet", "tinc.service"): (0, "", ""),
            ("/bin/systemctl", "is-enabled", "--quiet", "tinc@n.service"): (0, "", ""),
        }
    )
    assert _load().units_down(fake, ["tinc.service", "tinc@n.service"]) == ["tinc@n.service"]
