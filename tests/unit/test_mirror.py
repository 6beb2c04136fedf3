import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab.mirror import find_mirror


def test_deb822_sources(tmp_path):
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\n"
        "Types: deb deb-src\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\n"
        "Components: main contrib\n"
    )
    assert find_mirror("bookworm", tmp_path) == "http://mirror.example/debian"


def test_one_line_sources_with_options(tmp_path):
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/x.gpg] http://one.example/debian bookworm main non-free\n"
    )
    assert find_mirror("bookworm", tmp_path) == "http://one.example/debian"


def test_no_matching_source_says_how_to_fix(tmp_path):
    (tmp_path / "sources.list").write_text("deb http://x.example/ubuntu jammy main\n")
    with pytest.raises(BadInput, match="--mirror"):
        find_mirror("bookworm", tmp_path)
