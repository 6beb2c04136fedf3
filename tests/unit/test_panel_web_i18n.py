"""The panel's catalogues: every msgid in the code and templates has its ca and es translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import cloudy_panel.web

WEB = Path(cloudy_panel.web.__file__).parent
LANGS = ("ca", "es")
KEYWORDS = DEFAULT_KEYWORDS | {"lazy_gettext": None, "N_": None}


def source_msgids() -> set[str]:
    """What `pybabel extract -F babel.cfg -k lazy_gettext -k N_` finds, read now from the sources."""
    try:
        from babel.messages.frontend import parse_mapping_cfg as parse
    except ImportError:  # Babel before 2.14
        from babel.messages.frontend import parse_mapping as parse
    with (WEB / "babel.cfg").open() as cfg:
        method_map, options_map = parse(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options_map, keywords=KEYWORDS
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def catalogue(lang: str):
    with (WEB / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def test_extraction_finds_the_sources():
    found = source_msgids()
    assert {"Log in", "Join grid", "Introducer FURL", "Services running"} <= found  # templates, .py, N_


@pytest.mark.parametrize("lang", LANGS)
def test_every_msgid_translated(lang):
    po = catalogue(lang)
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    missing = sorted(source_msgids() - set(translated))
    assert not missing, f"{lang}: msgids without a translation (pybabel update, then translate): {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_kept(lang):
    for message in catalogue(lang):
        if message.id and message.string:
            names = re.findall(r"%\((\w+)\)s", message.id)
            assert sorted(names) == sorted(re.findall(r"%\((\w+)\)s", message.string)), message.id


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_is_current(lang):
    folder = WEB / "translations" / lang / "LC_MESSAGES"
    with (folder / "messages.mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    source = {m.id: m.string for m in catalogue(lang) if m.id and m.string and not m.fuzzy}
    assert compiled == source, f"{lang}: run pybabel compile -d {WEB / 'translations'}"


def test_a_missing_translation_is_caught(tmp_path, monkeypatch):
    # The check itself can fail: a msgid added to a template and not to the catalogues.
    monkeypatch.setattr(
        "tests.unit.test_panel_web_i18n.source_msgids", lambda: {"Log in", "A string nobody translated"}
    )
    with pytest.raises(AssertionError, match="A string nobody translated"):
        test_every_msgid_translated("ca")
