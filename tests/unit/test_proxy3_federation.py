"""The proxy3 role's proxy3_federation module: guifi.net's federation file, who may use this proxy,
and bad input named by file and line."""

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import REPO

pytest.importorskip("ansible")

PATH = Path(REPO) / "ansible_collections/clommunity/cloudy/plugins/modules/proxy3_federation.py"
spec = importlib.util.spec_from_file_location("proxy3_federation", PATH)
assert spec and spec.loader
federation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(federation)


def parse(text: str, node_id: int = 1001) -> dict:
    return federation.parse(text, "fed.txt", node_id)


def test_an_open_proxy_accepts_the_proxies_that_let_their_users_out():
    assert parse("1001-inout\n1002-out\n1003-private\n1004-in\n1005-inout\n") == {
        "own_mode": "inout",
        "federated": True,
        "allowed": [1002, 1005],
        "refused": [1003, 1004],
    }


@pytest.mark.parametrize("mode", ["private", "out"])
def test_a_closed_proxy_accepts_only_its_own_users(mode):
    result = parse(f"1001-{mode}\n1002-out\n1003-inout\n")
    assert result["federated"] is False
    assert result["allowed"] == []
    assert result["refused"] == [1002, 1003]


def test_blank_lines_comments_and_spaces_are_skipped():
    assert parse("# exported by guifi.net\n\n 1001-in \r\n1002-inout\n")["allowed"] == [1002]


def test_a_file_with_only_this_proxy():
    assert parse("1001-inout") == {"own_mode": "inout", "federated": True, "allowed": [], "refused": []}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "1001-inout\n1002-out\n1002-in\n",
            "fed.txt:3: proxy 1002 is named twice (first on line 2): keep one line for it",
        ),
        ("1001-inout\n1001-out\n", "fed.txt:2: proxy 1001 is named twice (first on line 1)"),
        ("1001-inout\n1002-both\n", "fed.txt:2: proxy 1002 has mode 'both': use one of private, in, out"),
        ("1001-inout\n1002 out\n", "fed.txt:2: '1002 out' is not a proxy line: write <proxy id>-<mode>"),
        ("1001-inout\n-out\n", "fed.txt:2: '-out' is not a proxy line"),
        ("1002-inout\n1001-out\n", "fed.txt:1: the first line is proxy 1002, but this proxy is 1001"),
        ("", "fed.txt: no proxy line: the first line must be this proxy's, e.g. 1001-inout"),
        ("# nothing\n\n", "fed.txt: no proxy line"),
        ("<html>Not found</html>\n", "fed.txt:1: '<html>Not found</html>' is not a proxy line"),
    ],
)
def test_bad_input_names_the_file_and_line(text, message):
    with pytest.raises(federation.FederationError) as err:
        parse(text)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)
