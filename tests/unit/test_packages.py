"""module_utils/packages.py: the missing packages installed with dpkg-query and apt-get alone; the
lists refreshed when older than cache_valid_time, or once when the install fails from them."""

import pytest

from ansible_collections.clommunity.cloudy.plugins.module_utils import packages


class FakeBox:
    """A module whose run_command plays dpkg-query and apt-get on a box holding INSTALLED."""

    def __init__(self, installed, *, check=False, fail_installs=0, fail_update=False, broken=()):
        self.installed = set(installed)
        self.check_mode = check
        self.fail_installs = fail_installs
        self.fail_update = fail_update
        self.broken = set(broken)  # apt-get says yes, dpkg still has them not installed
        self.calls = []

    def run_command(self, argv, environ_update=None):
        assert environ_update["DEBIAN_FRONTEND"] == "noninteractive"
        self.calls.append(
            argv[0] if argv[0] != "apt-get" else " ".join(a for a in argv if a in ("update", "install"))
        )
        if argv[0] == "dpkg-query":
            names = argv[argv.index("--") + 1 :]
            return 0, "".join(f"{n}\tii \n" for n in names if n in self.installed), ""
        if "update" in argv:
            return (1, "", "E: Failed to fetch InRelease") if self.fail_update else (0, "", "")
        if self.fail_installs:
            self.fail_installs -= 1
            return 100, "", "E: Unable to locate package tinc"
        self.installed |= set(argv[argv.index("--") + 1 :]) - self.broken
        return 0, "", ""

    def fail_json(self, **kw):
        raise RuntimeError(kw["msg"])


@pytest.fixture
def fresh_lists(monkeypatch):
    monkeypatch.setattr(packages, "lists_age", lambda: 60.0)


def test_all_installed_is_one_dpkg_query(fresh_lists):
    box = FakeBox({"tinc", "openssl"})
    assert packages.ensure_packages(box, ["tinc", "openssl"], 3600) == ([], False)
    assert box.calls == ["dpkg-query"]


def test_the_missing_are_installed_from_fresh_lists_without_a_refresh(fresh_lists):
    box = FakeBox({"openssl"})
    assert packages.ensure_packages(box, ["tinc", "openssl"], 3600) == (["tinc"], False)
    assert box.calls == ["dpkg-query", "install", "dpkg-query"]


def test_old_lists_are_refreshed_first(monkeypatch):
    monkeypatch.setattr(packages, "lists_age", lambda: 90000.0)
    box = FakeBox(set())
    assert packages.ensure_packages(box, ["tinc"], 86400) == (["tinc"], True)
    assert box.calls == ["dpkg-query", "update", "install", "dpkg-query"]


def test_an_install_that_fails_from_the_lists_refreshes_them_and_tries_once_more(fresh_lists):
    box = FakeBox(set(), fail_installs=1)
    assert packages.ensure_packages(box, ["tinc"], 3600) == (["tinc"], True)
    assert box.calls == ["dpkg-query", "install", "update", "install", "dpkg-query"]


def test_a_second_failure_fails_with_apt_gets_words(fresh_lists):
    box = FakeBox(set(), fail_installs=2)
    with pytest.raises(RuntimeError, match="apt-get install tinc failed: E: Unable to locate package tinc"):
        packages.ensure_packages(box, ["tinc"], 3600)


def test_a_failed_refresh_fails(monkeypatch):
    monkeypatch.setattr(packages, "lists_age", lambda: float("inf"))
    with pytest.raises(RuntimeError, match="apt-get update failed: E: Failed to fetch"):
        packages.ensure_packages(FakeBox(set(), fail_update=True), ["tinc"], 3600)


def test_a_package_apt_get_did_not_install_fails(fresh_lists):
    with pytest.raises(RuntimeError, match="left tinc not installed"):
        packages.ensure_packages(FakeBox(set(), broken={"tinc"}), ["tinc"], 3600)


def test_check_mode_reports_the_missing_and_runs_no_apt_get(fresh_lists):
    box = FakeBox({"openssl"}, check=True)
    assert packages.ensure_packages(box, ["tinc", "openssl"], 3600) == (["tinc"], False)
    assert box.calls == ["dpkg-query"]


def test_no_packages_asks_nothing():
    box = FakeBox(set())
    assert packages.ensure_packages(box, [], 3600) == ([], False)
    assert box.calls == []


def test_lists_age_reads_the_stamp_or_the_lists_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "STAMP", str(tmp_path / "no-stamp"))
    monkeypatch.setattr(packages, "LISTS", str(tmp_path))
    assert 0 <= packages.lists_age() < 60
    monkeypatch.setattr(packages, "LISTS", str(tmp_path / "absent"))
    assert packages.lists_age() == float("inf")
