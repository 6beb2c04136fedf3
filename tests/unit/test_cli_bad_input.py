"""The bad-input contract, class by class: one line on stderr (what, where, how to fix), exit 2,
nothing written. Run in-process through `cloudy`'s entry point, as a user's command line."""

import os
import sys
from pathlib import Path

import pytest

from cloudy_deploy.cli import main

SPEC = "cloud: gcodis\nsources:\n  - static: nodes.yml\n"
NODES = "nodes:\n  - {name: box1, address: 10.1.2.3}\n  - {name: box2, address: 10.1.2.4}\n"


@pytest.fixture
def project(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (home / "cloudy.yml").write_text(SPEC)
    (home / "nodes.yml").write_text(NODES)
    monkeypatch.chdir(home)
    monkeypatch.delenv("CLOUDY_HOME", raising=False)
    return home


def cloudy(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    sys.argv = ["cloudy", *args]
    with pytest.raises(SystemExit) as exit_:
        main()
    captured = capsys.readouterr()
    return int(exit_.value.code or 0), captured.out, captured.err


def tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
        if not p.name.startswith(".cloudy-probe-")
    }


def refused(capsys, project: Path, args: list[str], *fragments: str) -> str:
    before = tree(project)
    code, out, err = cloudy(capsys, *args)
    lines = err.strip().splitlines()
    assert (code, len(lines), out) == (2, 1, ""), err
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert tree(project) == before  # nothing written, nothing left over
    return lines[0]


# --- names that look like markup or emoji codes are printed as they are ------------------------------------


@pytest.mark.parametrize("name", ["[/b]box", "[bold]x", ":fire:", "a[/]", "[link=http://x]y"])
@pytest.mark.parametrize("command", [["discover"], ["plan", "--dry-run"]])
def test_names_with_markup_or_emoji_codes_print_as_text(capsys, project, name, command):
    (project / "nodes.yml").write_text(f"nodes:\n  - {{name: '{name}', address: 10.1.2.3}}\n")
    code, _out, err = cloudy(capsys, *command)
    assert code == 0, err
    assert name in err
    assert "🔥" not in err


def test_a_tag_with_markup_and_an_error_with_an_emoji_code_stay_text(capsys, project):
    (project / "nodes.yml").write_text("nodes:\n  - {name: b1, address: 10.1.2.3, tags: ['[red]x[/]']}\n")
    code, _out, err = cloudy(capsys, "discover")
    assert code == 0 and "[red]x[/]" in err
    (project / "cloudy.yml").write_text("cloud: ':fire:'\n")
    assert "':fire:' is not a tinc network name" in refused(capsys, project, ["plan"])


def test_control_characters_in_an_error_keep_it_on_one_line(capsys, project):
    line = refused(capsys, project, ["discover", "--source", "static:a\nb\x1b[2J.yml"], "a\\x0ab\\x1b[2J.yml")
    assert "\x1b" not in line


# --- targets that cannot be written: checked before anything is ------------------------------------------


def test_inventory_under_a_file_writes_no_lock(capsys, project):
    (project / "file").write_text("x")
    refused(capsys, project, ["inventory", "-o", "file/inv"], "file: is a file", "pick another place")


@pytest.mark.parametrize("where", ["/proc/cloudy-inv", "/proc/self/inv", "/sys/cloudy-inv"])
def test_inventory_where_nothing_can_be_written_writes_no_lock(capsys, project, where):
    refused(capsys, project, ["inventory", "-o", where], "cannot write there")


def test_a_hosts_yml_that_is_a_folder_writes_no_lock(capsys, project):
    (project / "inv" / "hosts.yml").mkdir(parents=True)
    refused(capsys, project, ["inventory", "-o", "inv"], "hosts.yml: is a folder")


@pytest.mark.parametrize("command", [["deploy"], ["deploy", "--check"], ["status"], ["inventory"]])
def test_a_state_folder_that_is_a_file(capsys, project, command):
    (project / ".cloudy").write_text("not a folder")
    refused(capsys, project, command, ".cloudy: is a file")


def test_a_lock_that_is_a_folder(capsys, project):
    (project / "cloudy.lock").mkdir()
    refused(capsys, project, ["plan"], "cloudy.lock: cannot read it")


@pytest.mark.parametrize("where", ["/proc/cloudy-init", "/sys/cloudy-init"])
def test_init_where_nothing_can_be_written(capsys, project, where):
    refused(capsys, project, ["init", where], "cannot write there")


def test_a_home_on_proc(capsys, project):
    # The built-in spec (no cloudy.yml there) places Tahoe: give it boxes, so the plan gets to writing.
    nodes = f"static:{project / 'nodes.yml'}"
    refused(capsys, project, ["plan", "--home", "/proc/self", "--source", nodes], "cannot write there")


# --- lax types and values the kernel, tinc or the network refuse ------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("overlay: {port: true}", ["cloudy.yml:4: overlay.port", "integer"]),
        ("overlay: {port: '655'}", ["overlay.port"]),
        ("overlay: {spines: 2.0}", ["overlay.spines"]),
        ("overlay: {topology: 1}", ["overlay.topology"]),
        ("ssh: {private_key: 12}", ["ssh.private_key"]),
        ("services: {tahoe: {introducers: true}}", ["services.tahoe.introducers"]),
        ("services: {tahoe: {shares: {needed: true}}}", ["services.tahoe.shares.needed"]),
        ("services: {avahi: true}", ["services.avahi"]),
        ("overlay: {subnet: 10.99.0.0/31}", ["no room for boxes", "/30"]),
        ("overlay: {subnet: 10.99.0.1/32}", ["no room for boxes"]),
        ("overlay: {subnet: 0.0.0.0/16}", ["not a private range"]),
        ("overlay: {subnet: 127.0.0.0/16}", ["not a private range"]),
        ("overlay: {subnet: 169.254.0.0/16}", ["not a private range"]),
        ("overlay: {subnet: 224.0.0.0/16}", ["not a private range"]),
    ],
)
def test_lax_types_and_bad_values_in_the_spec(capsys, project, text, fragments):
    (project / "cloudy.yml").write_text(SPEC + text + "\n")
    refused(capsys, project, ["plan"], *fragments)


@pytest.mark.parametrize("cloud", ["all", "default", "lo", "ALL", "a" * 16, "tinc-net", "'123 4'"])
def test_cloud_names_no_interface_can_have(capsys, project, cloud):
    (project / "cloudy.yml").write_text(SPEC.replace("gcodis", cloud))
    refused(capsys, project, ["plan"], "cloudy.yml:1: cloud")


def test_the_subnet_has_fewer_addresses_than_boxes(capsys, project):
    (project / "cloudy.yml").write_text(SPEC + "overlay: {subnet: 10.99.0.0/30}\n")
    refused(capsys, project, ["plan"], "has room for 1 boxes", "the plan needs 2", "/29")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.8.8", "::1", "169.254.3.4", "fe80::1", "224.0.0.251", "ff02::1", "0.0.0.0", "::"],
)
def test_addresses_no_controller_reaches_a_box_on(capsys, project, address):
    (project / "nodes.yml").write_text(f"nodes:\n  - {{name: b1, address: '{address}'}}\n")
    refused(capsys, project, ["plan"], "nodes.yml:2:", "cannot be a box's address")


def test_a_loopback_address_in_a_csv(capsys, project):
    (project / "nodes.csv").write_text("name,address\nb1,127.0.0.1\n")
    refused(capsys, project, ["plan", "--source", "static:nodes.csv"], "nodes.csv:2:", "(loopback)")


def test_a_very_long_name_makes_names_tinc_and_dns_take(capsys, project):
    (project / "nodes.yml").write_text(f"nodes:\n  - {{name: {'x' * 64}, address: 10.1.2.3}}\n")
    code, _out, err = cloudy(capsys, "plan")
    assert code == 0, err
    lock = (project / "cloudy.lock").read_text()
    assert f"tinc_name: {'x' * 63}," in lock and f"hostname: {'x' * 63}," in lock


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (("version: 1", "version: true"), ["cloudy.lock:4: version"]),
        (("tinc_name: box1", f"tinc_name: {'b' * 64}"), ["1 to 63 letters"]),
        (("overlay_ip: 10.99.0.2", "overlay_ip: 167772162"), ["overlay_ip"]),
    ],
)
def test_hand_edits_of_the_lock(capsys, project, edit, fragments):
    assert cloudy(capsys, "plan")[0] == 0
    lock = project / "cloudy.lock"
    lock.write_text(lock.read_text().replace(*edit))
    refused(capsys, project, ["plan"], *fragments)


# --- YAML that explodes or carries what Ansible cannot read -----------------------------------------------

LAUGHS = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))


@pytest.mark.parametrize(
    ("file", "text", "fragments"),
    [
        ("cloudy.yml", SPEC + "x: &a 1\n", ["unknown key"]),  # an anchor alone changes nothing
        ("cloudy.yml", "base: &b {port: 656}\n" + SPEC + "overlay: *b\n", ["cloudy.yml:1:", "alias"]),
        ("cloudy.yml", SPEC + "overlay:\n  <<: {port: 656}\n", ["cloudy.yml:5:", "!!merge"]),
        ("cloudy.yml", "l0: &l0 [a]\n" + LAUGHS + SPEC, ["alias"]),
        (
            "cloudy.yml",
            SPEC + "ssh: {private_key: !!binary aGVsbG8=}\n",
            ["cloudy.yml:4:", "!!binary", "remove the tag"],
        ),
        ("cloudy.yml", SPEC + "ssh: {user: !local root}\n", ["!local"]),
        ("cloudy.yml", SPEC + "ssh: {user: !!set {a: null}}\n", ["!!set"]),
        ("cloudy.yml", SPEC + "ssh: {user: \0}\n", ["not valid YAML"]),
        ("nodes.yml", "nodes:\n  - &n {name: b1, address: 10.1.2.3}\n  - *n\n", ["nodes.yml:2:", "alias"]),
        ("nodes.yml", "l0: &l0 [a]\n" + LAUGHS + NODES, ["alias"]),
        (
            "nodes.yml",
            NODES + "  - {name: b3, address: 10.1.2.5, vars: {k: !!binary aGVsbG8=}}\n",
            ["!!binary"],
        ),
        (
            "nodes.yml",
            NODES + "  - {name: b3, address: 10.1.2.5, vars: {since: 2024-01-01}}\n",
            ["in quotes"],
        ),
        ("nodes.yml", NODES + "  - {name: b3, address: !!str 10.1.2.5, tags: !!omap [a: 1]}\n", ["!!omap"]),
        (
            "nodes.yml",
            NODES + "  - {name: b3, address: 10.1.2.5, vars: {a: 1, a: 2}}\n",
            ["the key appears twice"],
        ),
    ],
)
def test_yaml_that_explodes_or_ansible_cannot_read(capsys, project, file, text, fragments):
    (project / file).write_text(text)
    refused(capsys, project, ["plan"], *fragments)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"cloud: gcodis\xff\n", "cannot read it"),
        (b"cloud: gcod\x00is\n", "not valid YAML"),
        (b"\xef\xbb\xbfcloud: [\n", "not valid YAML"),
    ],
)
def test_bytes_that_are_not_text(capsys, project, data, fragment):
    (project / "cloudy.yml").write_bytes(data)
    refused(capsys, project, ["plan"], "cloudy.yml", fragment)


def test_a_nodes_file_that_is_not_utf8(capsys, project):
    (project / "nodes.yml").write_bytes(b"nodes:\n  - {name: b\xe9, address: 10.1.2.3}\n")
    refused(capsys, project, ["plan"], "nodes.yml:2: not UTF-8")


def test_aliases_in_the_lock(capsys, project):
    assert cloudy(capsys, "plan")[0] == 0
    lock = project / "cloudy.lock"
    text = lock.read_text().replace("box2: {", "box2: &x {").replace("removed: {}", "removed: {old: *x}")
    lock.write_text(text)
    refused(capsys, project, ["plan"], "cloudy.lock:", "alias")


def test_the_yaml_checks_are_linear(capsys, project):
    # 9 levels of 9 aliases expand to 9**9 items: refused at the first repeat, long before that.
    (project / "nodes.yml").write_text("l0: &l0 [" + ", ".join(["x"] * 9) + "]\n" + LAUGHS + NODES)
    refused(capsys, project, ["plan"], "alias")
    assert os.path.getsize(project / "nodes.yml") < 2000


@pytest.mark.parametrize("file", ["cloudy.yml", "nodes.yml"])
def test_yaml_nested_too_deep(capsys, project, file):
    deep = "[" * 900 + "]" * 900
    text = (
        SPEC + f"ssh: {deep}\n"
        if file == "cloudy.yml"
        else NODES + f"  - {{name: b3, address: 10.1.2.5, vars: {{x: {deep}}}}}\n"
    )
    (project / file).write_text(text)
    refused(capsys, project, ["plan"], f"{file}:", "nested more than 50 levels deep")


def test_a_long_bad_value_is_cut_in_the_message(capsys, project):
    (project / "cloudy.yml").write_text(SPEC + f"ssh: [{'x' * 5000}]\n")
    line = refused(capsys, project, ["plan"], "ssh: must be a mapping")
    assert len(line) < 300


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["inventory", "-o", ""], "-o '': an empty folder name"),
        (["deploy", "--limit", ""], "--limit '': empty"),
        (["deploy", "--check", "--tags", " "], "--tags ' ': empty"),
    ],
)
def test_empty_option_values(capsys, project, args, fragment):
    refused(capsys, project, args, fragment)


LONG = "x" * 300


@pytest.mark.parametrize(
    ("file", "text", "fragments"),
    [
        ("cloudy.yml", SPEC + 'ssh: {private_key: "k\\0"}\n', ["ssh.private_key", "not a file path"]),
        ("cloudy.yml", SPEC + f"ssh: {{private_key: {LONG}}}\n", ["ssh.private_key"]),
        (
            "nodes.yml",
            NODES + '  - {name: b3, address: 10.1.2.5, ssh_private_key: "a\\nb"}\n',
            ["not a file path"],
        ),
        (
            "cloudy.yml",
            f"cloud: gcodis\nsources: [static: {LONG}]\n",
            ["cannot use this path", "File name too long"],
        ),
        ("cloudy.yml", f"cloud: gcodis\nsources: [cnml: {LONG}]\n", ["File name too long"]),
    ],
)
def test_paths_ssh_and_the_kernel_cannot_take(capsys, project, file, text, fragments):
    (project / file).write_text(text)
    refused(capsys, project, ["plan"], *fragments)


def test_an_output_folder_name_too_long_writes_no_lock(capsys, project):
    refused(capsys, project, ["inventory", "-o", f"inv/{LONG}"], "too long for Linux")


def test_probe_with_a_state_folder_that_is_a_file_asks_no_box(capsys, project):
    (project / ".cloudy").write_text("not a folder")
    refused(capsys, project, ["discover", "--probe"], ".cloudy: is a file")


def test_merge_notes_wait_for_a_good_plan(capsys, project):
    (project / "more.yml").write_text("nodes:\n  - {name: other, address: 10.1.2.3}\n")
    (project / "cloudy.yml").write_text(SPEC + "  - static: more.yml\n")
    code, _out, err = cloudy(capsys, "plan", "--dry-run")
    assert code == 0 and "merged static:nodes.yml box1 with static:more.yml other" in err
    (project / "cloudy.yml").write_text(SPEC + "  - static: more.yml\noverlay: {subnet: 10.1.0.0/16}\n")
    refused(capsys, project, ["plan"], "overlaps 10.1.2.3")
