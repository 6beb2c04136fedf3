"""plugins/modules/avahi_announce.py: its functions imported as a module (entries checked,
service files rendered and escaped, secret TXT values masked), and the module run by Ansible on
folders of this test (no unit, so no systemctl): a FURL marked secret is written to the definition
and shown nowhere in the result, diffs included, also after it changed or when it is withdrawn."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "ansible_collections/clommunity/cloudy/plugins/modules"
ANSIBLE = Path(sys.executable).parent / "ansible"
FURL = "pb://tubid@tcp:10.99.0.2:3458/introducer-swissnum"


def _load():
    spec = importlib.util.spec_from_file_location("avahi_announce", LIBRARY / "avahi_announce.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


aa = _load()


def entry(**extra):
    return {"name": "intro", "type": "_tahoe-introducer._tcp", "port": 3458, **extra}


def test_an_entry_gets_its_defaults():
    assert aa.normalise(entry(port="3458", unit="tahoe-introducer")) == {
        "name": "intro",
        "type": "_tahoe-introducer._tcp",
        "port": 3458,
        "txt": [],
        "unit": "tahoe-introducer.service",
        "instance": "%h",
        "secret_txt": [],
    }
    assert aa.normalise(entry(unit="x.socket", secret_txt=["furl", "furl"]))["secret_txt"] == ["furl"]


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"name": "a/b"}, "service name 'a/b'"),
        ({"name": ""}, "service name ''"),
        ({"type": "_http._sctp"}, "must look like _name._tcp"),
        ({"type": "http._tcp"}, "must look like _name._tcp"),
        ({"port": "web"}, "is not a number"),
        ({"port": 70000}, "not in 0-65535"),
        ({"instance": "x" * 64}, "too long for a DNS label"),
        ({"unit": "a--b.service"}, "not a systemd unit name"),
        ({"unit": "bad unit"}, "not a systemd unit name"),
        ({"furl": "x"}, "unknown keys ['furl']"),
        ({"txt": ["a=b"]}, "txt must be a mapping"),
        ({"txt": {"a=b": "c"}}, "TXT key 'a=b'"),
        ({"txt": {"é": "c"}}, "TXT key 'é'"),
        ({"txt": {"k": "v" * 254}}, "at most 255 fit"),
        ({"secret_txt": "furl"}, "secret_txt must be a list of TXT keys"),
        ({"secret_txt": ["a=b"]}, "secret_txt must be a list of TXT keys"),
    ],
)
def test_a_bad_entry_is_named(bad, says):
    with pytest.raises(aa.Invalid, match=None) as caught:
        aa.normalise(entry(**bad))
    assert says in str(caught.value)


def test_txt_values_as_strings():
    txt = {"flag": None, "on": True, "off": False, "n": 3, "k": "v=w"}
    assert aa.txt_strings(txt, "x") == ["flag", "on=true", "off=false", "n=3", "k=v=w"]
    assert aa.txt_strings(None, "x") == []
    assert aa.txt_strings({"k": "v" * 253}, "x") == ["k=" + "v" * 253]  # 255 bytes fit


def test_the_service_file_is_escaped_and_says_what_backs_it():
    svc = aa.normalise(
        entry(instance="Intro <&> on %h", unit="tahoe-introducer", txt={"note": "a<b & c>d", "furl": FURL})
        | {"secret_txt": ["furl"]}
    )
    text = aa.render("tahoe", svc)
    assert '<name replace-wildcards="yes">Intro &lt;&amp;&gt; on %h</name>' in text
    assert "<txt-record>note=a&lt;b &amp; c&gt;d</txt-record>" in text
    assert f"<txt-record>furl={FURL}</txt-record>" in text  # announced as it is
    assert "<!-- cloudy-owner: tahoe -->" in text and "<!-- cloudy-unit: tahoe-introducer.service -->" in text
    assert "<!-- cloudy-secret-txt: furl -->" in text
    assert "Announced while tahoe-introducer.service is active" in text
    plain = aa.render("x", aa.normalise(entry(instance="Fixed")))
    assert "<name>Fixed</name>" in plain and "Announced always" in plain and "secret" not in plain


def test_definitions_read_back_owner_and_unit(tmp_path):
    (tmp_path / "intro.service").write_text(aa.render("tahoe", aa.normalise(entry(unit="t"))))
    (tmp_path / "other.service").write_text("<service-group/>")
    (tmp_path / ".hidden.service").write_text("x")
    assert aa.definitions(str(tmp_path)) == {"intro": ("tahoe", "t.service"), "other": ("", "")}
    assert aa.definitions(str(tmp_path / "none")) == {}


def test_dropins_run_the_helper_in_the_units_section():
    assert "[Service]\nExecStartPost=-+/h up %n\nExecStopPost=-+/h down %n\n" in aa.dropin("a.service", "/h")
    assert "[Socket]\n" in aa.dropin("a.socket", "/h")


def test_redact_masks_the_secret_txt_values_only():
    svc = aa.normalise(entry(txt={"grid": "g", "furl": FURL}, secret_txt=["furl"]))
    text = aa.render("tahoe", svc)
    masked = aa.redact(text)  # the file's own comment names the keys
    assert FURL not in masked and "<txt-record>furl=********</txt-record>" in masked
    assert "<txt-record>grid=g</txt-record>" in masked
    old = aa.render("tahoe", aa.normalise(entry(txt={"furl": FURL})))  # written before secret_txt
    assert aa.redact(old) == old
    assert FURL not in aa.redact(old, ["furl"])
    assert aa.secret_values([entry(txt={"furl": "a&b", "grid": "g"}, secret_txt=["furl"])]) == {
        "a&b",
        "a&amp;b",
    }
    assert aa.secret_values([entry(txt={"furl": FURL}), "junk", entry(secret_txt=["furl"])]) == set()


def ansible(tmp_path: Path, **args) -> dict:
    """The module's result when Ansible runs it here (with --diff), as the json callback shows it."""
    params = {
        "owner": "tahoe",
        "definitions_dir": str(tmp_path / "defs"),
        "systemd_dir": str(tmp_path / "systemd"),
        "dropin_name": "cloudy-avahi.conf",
        "helper": "/bin/true",
    } | args
    env = {
        **os.environ,
        "ANSIBLE_LIBRARY": str(LIBRARY),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOCALHOST_WARNING": "0",
    }
    argv = [
        str(ANSIBLE),
        "localhost",
        "-c",
        "local",
        "-m",
        "avahi_announce",
        "-a",
        json.dumps(params),
        "--diff",
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    result["_stdout"] = done.stdout
    return result


@pytest.mark.skipif(not ANSIBLE.exists(), reason="needs ansible-core beside this Python")
def test_a_secret_furl_is_announced_but_masked_in_every_result(tmp_path):
    first = ansible(tmp_path, services=[entry(txt={"grid": "g", "furl": FURL}, secret_txt=["furl"])])
    assert first["changed"] and first["written"] == ["intro"]
    assert FURL in (tmp_path / "defs" / "intro.service").read_text()
    assert "pb://" not in first["_stdout"]
    assert (
        first["invocation"]["module_args"]["services"][0]["txt"]["furl"]
        == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    )
    assert "<txt-record>furl=********</txt-record>" in first["diff"][0]["after"]

    # A new FURL (the introducer made again): the old one, in the diff's "before", is masked too.
    new = FURL.replace("swissnum", "other")
    second = ansible(tmp_path, services=[entry(txt={"grid": "g", "furl": new}, secret_txt=["furl"])])
    assert second["changed"] and "pb://" not in second["_stdout"]
    assert "furl=********" in second["diff"][0]["before"] and "grid=g" in second["diff"][0]["before"]

    # Withdrawn by an entry that names no secret: the file's own mark keeps the FURL masked.
    gone = ansible(tmp_path, services=[entry()], state="absent")
    assert gone["removed"] == ["intro"] and not (tmp_path / "defs" / "intro.service").exists()
    assert "pb://" not in gone["_stdout"] and "furl=********" in gone["diff"][0]["before"]
