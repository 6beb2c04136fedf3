"""The root helper's verbs, their typed arguments, the log and the lockout (no root needed: PAM,
group membership and the command runner are replaced; the box's real PAM runs in molecule webui)."""

import json
import logging
import subprocess
import sys
import time

import pytest

from cloudy_panel.helper import system
from cloudy_panel.helper.context import Context
from cloudy_panel.helper.lockout import MAX_FAILURES, WINDOW, Lockout
from cloudy_panel.helper.registry import dispatch, load_verbs
from cloudy_panel.protocol import HelperError

VERBS = load_verbs()
PASSWORD = "correct horse"
FURL = "pb://" + "a" * 32 + "@tcp:10.99.0.1:3458/introducer"


class FakeRun:
    """Records each argument list; answers from a table of argv prefixes."""

    def __init__(self, answers=None):
        self.calls: list[tuple[list[str], dict]] = []
        self.answers = answers or {}

    def __call__(self, argv, **kwargs):
        self.calls.append((list(argv), kwargs))
        for prefix, (code, out) in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return subprocess.CompletedProcess(argv, code, out, "boom" if code else "")
        return subprocess.CompletedProcess(argv, 0, "", "")


@pytest.fixture
def ctx(tmp_path):
    run = FakeRun()
    context = Context(
        state_dir=tmp_path / "run",
        config={"cloud": "gcodis", "overlay_ip": "10.99.0.1", "node": "box1", "version": "1.2.3"},
        facts_file=tmp_path / "facts.d" / "cloudy_panel.fact",
        dpkg_lock=tmp_path / "lock-frontend",
        tinc_dir=tmp_path / "tinc",
        collections_dir=tmp_path / "collections",
        ansible_playbook=str(tmp_path / "no-ansible-playbook"),
        authenticate=lambda service, user, password: service == "cloudy-panel" and password == PASSWORD,
        member=lambda user, group: group == "cloudy-admin" and user in ("ana", "root"),
        run=run,
    )
    context.fake = run
    # The cloud offers every supplied software (role repository's catalog; test_panel_artifacts.py
    # covers a cloud that does not).
    sha = "ab" * 32
    context.artifacts_file = tmp_path / "artifacts.json"
    context.artifacts_file.write_text(
        json.dumps(
            {
                key: {"name": key, "sha256": sha, "url": f"http://10.99.0.2:3481/artifacts/{sha}/{key}"}
                for key in ("peerstreamer", "caracaldb", "caracaldb_api", "gvod")
            }
        )
    )
    return context


def call(ctx, verb, **args):
    return dispatch(ctx, verb, args, peer_uid=999)


def code_of(ctx, verb, **args) -> str:
    with pytest.raises(HelperError) as err:
        call(ctx, verb, **args)
    return err.value.code


def test_the_registry_is_closed_and_complete():
    assert sorted(VERBS) == [
        "auth.change_password",
        "auth.login",
        "job.status",
        "service.action",
        "system.info",
        "system.upgradable",
        "system.upgrade",
    ]


def test_unknown_verb_is_refused_and_logged_without_values(ctx, caplog):
    caplog.set_level(logging.INFO, "cloudy-panel-helper")
    assert code_of(ctx, "shell.run", command="rm -rf /", password="hunter22") == "bad-verb"
    assert "refused unknown verb 'shell.run'" in caplog.text
    assert "hunter22" not in caplog.text and "rm -rf" not in caplog.text


# --- auth.login -----------------------------------------------------------------------------------


def test_login_of_an_admin(ctx, caplog):
    caplog.set_level(logging.INFO, "cloudy-panel-helper")
    assert call(ctx, "auth.login", user="ana", password=PASSWORD) == {"user": "ana"}
    assert "auth.login" in caplog.text and "ok" in caplog.text
    assert PASSWORD not in caplog.text


def test_wrong_password_and_non_admin_get_the_same_refusal(ctx, caplog):
    caplog.set_level(logging.INFO, "cloudy-panel-helper")
    with pytest.raises(HelperError) as wrong:
        call(ctx, "auth.login", user="ana", password="nope-nope")
    with pytest.raises(HelperError) as outsider:
        call(ctx, "auth.login", user="bob", password=PASSWORD)
    assert wrong.value.code == outsider.value.code == "denied"
    assert wrong.value.message == outsider.value.message
    assert "nope-nope" not in caplog.text and PASSWORD not in caplog.text


@pytest.mark.parametrize(
    "args",
    [
        {"user": "ana"},
        {"password": PASSWORD},
        {"user": "ana", "password": PASSWORD, "otp": "1"},
        {"user": "Ana", "password": PASSWORD},
        {"user": "ana;id", "password": PASSWORD},
        {"user": "-ana", "password": PASSWORD},
        {"user": "a" * 33, "password": PASSWORD},
        {"user": 7, "password": PASSWORD},
        {"user": "ana", "password": ""},
        {"user": "ana", "password": "two\nlines"},
        {"user": "ana", "password": ["x"]},
        {"user": "ana", "password": "x" * 257},
    ],
)
def test_login_bad_args(ctx, args, caplog):
    caplog.set_level(logging.INFO, "cloudy-panel-helper")
    assert code_of(ctx, "auth.login", **args) == "bad-args"
    assert "auth.login" in caplog.text
    assert PASSWORD not in caplog.text


def test_lockout_after_repeated_failures(ctx):
    for _ in range(MAX_FAILURES):
        assert code_of(ctx, "auth.login", user="ana", password="wrong-one") == "denied"
    # Locked: even the right password is refused, and the other admin is not affected.
    assert code_of(ctx, "auth.login", user="ana", password=PASSWORD) == "locked"
    assert call(ctx, "auth.login", user="root", password=PASSWORD) == {"user": "root"}


def test_lockout_ends_when_failures_age_out_and_success_clears(tmp_path):
    now = [1000.0]
    lock = Lockout(tmp_path / "f.json", clock=lambda: now[0])
    for _ in range(MAX_FAILURES):
        lock.fail("ana")
    assert lock.locked("ana")
    # A fresh instance (the helper exits when idle) reads the same state from /run.
    assert Lockout(tmp_path / "f.json", clock=lambda: now[0]).locked("ana")
    now[0] += WINDOW + 1
    assert not lock.locked("ana")
    lock.fail("ana")
    lock.clear("ana")
    assert json.loads((tmp_path / "f.json").read_text()) == {}
    assert (tmp_path / "f.json").stat().st_mode & 0o777 == 0o600


# --- auth.change_password -------------------------------------------------------------------------


def test_change_password_uses_chpasswd_on_stdin(ctx, caplog):
    caplog.set_level(logging.INFO, "cloudy-panel-helper")
    assert call(ctx, "auth.change_password", user="ana", old=PASSWORD, new="a new secret") == {}
    argv, kwargs = ctx.fake.calls[-1]
    assert argv == ["chpasswd"]
    assert kwargs["input"] == "ana:a new secret\n"
    assert "a new secret" not in caplog.text and PASSWORD not in caplog.text


def test_change_password_needs_the_old_one(ctx):
    assert code_of(ctx, "auth.change_password", user="ana", old="wrong-old", new="a new secret") == "denied"
    assert ctx.fake.calls == []


@pytest.mark.parametrize(
    "args",
    [
        {"user": "ana", "old": PASSWORD, "new": "short"},
        {"user": "ana", "old": PASSWORD, "new": "line\nbreak!"},
        {"user": "ana", "old": PASSWORD},
        {"user": "ana:x", "old": PASSWORD, "new": "a new secret"},
    ],
)
def test_change_password_bad_args(ctx, args):
    assert code_of(ctx, "auth.change_password", **args) == "bad-args"
    assert ctx.fake.calls == []


def test_change_password_reports_chpasswd_failure(ctx):
    ctx.fake.answers[("chpasswd",)] = (1, "")
    assert code_of(ctx, "auth.change_password", user="ana", old=PASSWORD, new="a new secret") == "failed"


# --- system.* -------------------------------------------------------------------------------------


def test_system_info(ctx, monkeypatch):
    hosts = ctx.tinc_dir / "gcodis" / "hosts"
    hosts.mkdir(parents=True)
    (ctx.tinc_dir / "gcodis" / "tinc.conf").write_text("Name = box1\nMode = switch\n")
    (hosts / "box1").write_text("Subnet = 10.99.0.1/32\n")
    (hosts / "box2").write_text("Address = 192.0.2.2\nSubnet = 10.99.0.2/32\n")
    (hosts / "box3").write_text("Subnet = 10.99.0.3/32\n")
    pinged = []
    monkeypatch.setattr(system, "reachable", lambda ips: pinged.append(ips) or ["box2"])
    ctx.fake.answers[("systemctl", "list-units")] = (0, "tahoe-node.service loaded active running Tahoe\n")
    info = call(ctx, "system.info")
    assert pinged == [{"box2": "10.99.0.2", "box3": "10.99.0.3"}]
    assert (info["peers"], info["peers_expected"]) == (["box2"], 2)
    assert info["services"] == ["tahoe-node.service"]
    assert info["overlay_ip"] == "10.99.0.1"
    assert info["memory"]["total"] > 0 and info["disk"]["total"] >= info["disk"]["free"] > 0
    assert code_of(ctx, "system.info", verbose="yes") == "bad-args"


def test_reachable_pings_every_peer_once(tmp_path, monkeypatch):
    log = tmp_path / "pings"
    fake = tmp_path / "bin" / "ping"
    fake.parent.mkdir()
    # Answers only for 10.99.0.2; records each argument list.
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\n[ "$4" = 10.99.0.2 ]\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert system.reachable({"box2": "10.99.0.2", "box3": "10.99.0.3"}) == ["box2"]
    assert sorted(log.read_text().splitlines()) == ["-n -c1 -W1 10.99.0.2", "-n -c1 -W1 10.99.0.3"]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert system.reachable({"box2": "10.99.0.2"}) == []


APT_SIMULATION = """NOTE: This is only a simulation!
Inst libc6 [2.36-9+deb12u7] (2.36-9+deb12u9 Debian-Security:12/stable-security [amd64])
Inst tzdata (2025a-0+deb12u1 Debian:12.10/stable [all])
Conf libc6 (2.36-9+deb12u9 Debian-Security:12/stable-security [amd64])
"""


def test_upgradable_parses_apt_simulation(ctx):
    ctx.fake.answers[("apt-get", "-s")] = (0, APT_SIMULATION)
    assert call(ctx, "system.upgradable") == {
        "packages": [
            {"name": "libc6", "from": "2.36-9+deb12u7", "to": "2.36-9+deb12u9"},
            {"name": "tzdata", "from": "", "to": "2025a-0+deb12u1"},
        ]
    }
    assert ctx.fake.calls[-1][1]["env"]["DEBIAN_FRONTEND"] == "noninteractive"
    assert code_of(ctx, "system.upgradable", package="libc6") == "bad-args"


def test_upgradable_failure(ctx):
    ctx.fake.answers[("apt-get", "-s")] = (100, "")
    assert code_of(ctx, "system.upgradable") == "failed"


def hold_lock(path):
    """A separate process holding the dpkg lock as apt does (POSIX locks are per process)."""
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.lockf(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(30)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_upgrade_is_a_job_and_busy_while_dpkg_runs(ctx, monkeypatch):
    started = []
    monkeypatch.setattr(ctx.jobs, "start", lambda kind, argv, env=None: started.append(argv) or "f" * 32)
    assert call(ctx, "system.upgrade") == {"job": "f" * 32}
    assert started[0][:2] == ["apt-get", "-y"]
    assert code_of(ctx, "system.upgrade", packages=["evil"]) == "bad-args"
    assert len(started) == 1
    holder = hold_lock(ctx.dpkg_lock)
    try:
        assert code_of(ctx, "system.upgrade") == "busy"
    finally:
        holder.kill()
        holder.wait()
    assert call(ctx, "system.upgrade") == {"job": "f" * 32}


# --- jobs -----------------------------------------------------------------------------------------


def wait_job(ctx, job):
    for _ in range(200):
        status = call(ctx, "job.status", job=job)
        if status["state"] != "running":
            return status
        time.sleep(0.05)
    raise AssertionError("job did not end")


def test_jobs_run_and_report_their_log_tail(ctx):
    ok = ctx.jobs.start("test", ["sh", "-c", "for i in $(seq 1 50); do echo line $i; done"])
    bad = ctx.jobs.start("test", ["sh", "-c", "echo oops; exit 3"])
    assert wait_job(ctx, ok) == {
        "state": "done",
        "kind": "test",
        "log_tail": [f"line {i}" for i in range(11, 51)],
    }
    assert wait_job(ctx, bad)["state"] == "failed"
    assert wait_job(ctx, bad)["log_tail"] == ["oops"]
    assert not ctx.jobs.busy()
    assert (ctx.state_dir / "jobs").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("job", ["../../etc/passwd", "F" * 32, "a" * 31, ""])
def test_job_status_bad_ids(ctx, job):
    assert code_of(ctx, "job.status", job=job) == "bad-args"


def test_job_status_unknown_id(ctx):
    assert code_of(ctx, "job.status", job="0" * 32) == "bad-args"


# --- service.action -------------------------------------------------------------------------------

SHOW = """Id=tahoe-node.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

Id=tahoe-introducer.service
LoadState=not-found
ActiveState=inactive
UnitFileState=
"""


def test_service_status(ctx):
    ctx.fake.answers[("systemctl", "show")] = (0, SHOW)
    status = call(ctx, "service.action", service="tahoe", action="status", values={})
    assert status["state"] == "running"
    node = status["detail"]["units"]["tahoe-node.service"]
    assert node == {"loaded": "loaded", "active": "active", "enabled": "enabled"}
    assert status["detail"]["choice"] is None


@pytest.mark.parametrize(
    ("show", "state"),
    [
        (SHOW.replace("LoadState=loaded", "LoadState=not-found"), "not-installed"),
        (
            SHOW.replace("ActiveState=active", "ActiveState=inactive").replace("=enabled", "=disabled"),
            "installed",
        ),
        (SHOW.replace("ActiveState=active", "ActiveState=failed"), "stopped"),
    ],
)
def test_service_states(ctx, show, state):
    ctx.fake.answers[("systemctl", "show")] = (0, show)
    assert call(ctx, "service.action", service="tahoe", action="status")["state"] == state


def test_start_and_stop_act_on_installed_units_only(ctx):
    ctx.fake.answers[("systemctl", "show")] = (0, SHOW)
    call(ctx, "service.action", service="tahoe", action="stop", values={})
    assert ["systemctl", "stop", "--", "tahoe-node.service"] in [c[0] for c in ctx.fake.calls]
    call(ctx, "service.action", service="tahoe", action="start", values={})
    assert ["systemctl", "enable", "--now", "--", "tahoe-node.service"] in [c[0] for c in ctx.fake.calls]


def test_start_of_a_service_not_installed(ctx):
    ctx.fake.answers[("systemctl", "show")] = (0, SHOW.replace("LoadState=loaded", "LoadState=not-found"))
    assert code_of(ctx, "service.action", service="tahoe", action="start") == "failed"


def test_install_without_ansible_on_the_box(ctx):
    assert code_of(ctx, "service.action", service="tahoe", action="install", values={}) == "failed"


def fake_playbook(ctx, tmp_path):
    script = tmp_path / "ansible-playbook"
    script.write_text('#!/bin/sh\necho "$@"\n')
    script.chmod(0o755)
    ctx.ansible_playbook = str(script)


def inventory_of(ctx):
    return json.loads((ctx.state_dir / "ansible" / "tahoe-inventory.json").read_text())


def test_join_runs_the_role_locally_as_a_job(ctx, tmp_path, caplog):
    caplog.set_level(logging.INFO, "cloudy-panel-helper")
    fake_playbook(ctx, tmp_path)
    values = {"form": "join", "furl": FURL, "nickname": "box-1"}
    job = call(ctx, "service.action", service="tahoe", action="configure", values=values)["job"]
    status = wait_job(ctx, job)
    assert status["state"] == "done"
    inventory = ctx.state_dir / "ansible" / "tahoe-inventory.json"
    assert status["log_tail"] == [f"-i {inventory} clommunity.cloudy.tahoe"]
    assert inventory.stat().st_mode & 0o777 == 0o600
    data = inventory_of(ctx)
    # Declared for site.yml's patterns (applied_check.yml), with no box.
    assert data["all"]["children"]["cloudy_unchanged"] == {}
    assert sorted(g for g, v in data["all"]["children"].items() if v) == ["tahoe", "tahoe_storage"]
    host = data["all"]["hosts"]["box1"]
    assert host["ansible_connection"] == "local"
    assert host["tahoe_extra_introducers"] == {"panel": FURL}
    assert host["tahoe_introducer_source"] == "play"  # the FURL only, no browse for the cloud's grid
    assert (host["tahoe_nickname"], host["cloudy_overlay_ip"], host["cloudy_cloud"]) == (
        "box-1",
        "10.99.0.1",
        "gcodis",
    )
    assert host["cloudy_version"] == "1.2.3"  # the TXT of _cloudy._tcp as the admin's run makes it
    assert host["avahi_placed"] is None  # the TXT of _cloudy._tcp keeps what the admin placed
    facts = json.loads(ctx.facts_file.read_text())
    assert facts == {
        "services": {"tahoe": {"form": "join", "nickname": "box-1"}},
        # The groups the run put the box in: the avahi role counts tahoe as placed on the box.
        "groups": {"tahoe": ["tahoe", "tahoe_storage"]},
    }
    assert FURL not in caplog.text and FURL not in ctx.facts_file.read_text()


def test_the_run_takes_the_collection_role_webui_put_on_the_box(ctx, tmp_path):
    script = tmp_path / "ansible-playbook"
    echo = 'echo "$ANSIBLE_COLLECTIONS_PATH $ANSIBLE_CONFIG $ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"'
    script.write_text(f"#!/bin/sh\n{echo}\n")
    script.chmod(0o755)
    ctx.ansible_playbook = str(script)
    status = wait_job(ctx, call(ctx, "service.action", service="tahoe", action="install", values={})["job"])
    config = ctx.state_dir / "ansible" / "ansible.cfg"
    assert status["log_tail"] == [f"{tmp_path / 'collections'} {config} false"]
    assert "interpreter_python = /usr/bin/python3" in config.read_text()
    host = inventory_of(ctx)["all"]["hosts"]["box1"]
    # One box in the run: its own storage must be enough for an upload.
    assert (host["tahoe_shares_needed"], host["tahoe_shares_happy"], host["tahoe_shares_total"]) == (1, 1, 1)


def test_create_puts_the_box_in_the_introducer_group(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    values = {"form": "create", "grid": "mygrid", "nickname": "box1"}
    wait_job(ctx, call(ctx, "service.action", service="tahoe", action="configure", values=values)["job"])
    data = inventory_of(ctx)
    assert sorted(g for g, v in data["all"]["children"].items() if v) == [
        "tahoe",
        "tahoe_introducer",
        "tahoe_storage",
    ]
    assert data["all"]["hosts"]["box1"]["tahoe_grid"] == "mygrid"
    groups = json.loads(ctx.facts_file.read_text())["groups"]
    assert groups == {"tahoe": ["tahoe", "tahoe_introducer", "tahoe_storage"]}


def test_install_joins_the_announced_grid(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    wait_job(ctx, call(ctx, "service.action", service="tahoe", action="install", values={})["job"])
    data = inventory_of(ctx)
    assert sorted(g for g, v in data["all"]["children"].items() if v) == ["tahoe", "tahoe_storage"]
    assert "tahoe_extra_introducers" not in data["all"]["hosts"]["box1"]


def test_install_is_busy_while_dpkg_runs(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    holder = hold_lock(ctx.dpkg_lock)
    try:
        assert code_of(ctx, "service.action", service="tahoe", action="install", values={}) == "busy"
    finally:
        holder.kill()
        holder.wait()
    assert not ctx.facts_file.exists()


def test_uninstall_stops_disables_and_forgets_the_choice(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    wait_job(ctx, call(ctx, "service.action", service="tahoe", action="install", values={})["job"])
    assert json.loads(ctx.facts_file.read_text()) == {
        "services": {"tahoe": {}},
        "groups": {"tahoe": ["tahoe", "tahoe_storage"]},
    }
    ctx.fake.answers[("systemctl", "show")] = (0, SHOW)
    call(ctx, "service.action", service="tahoe", action="uninstall", values={})
    assert ["systemctl", "disable", "--now", "--", "tahoe-node.service"] in [c[0] for c in ctx.fake.calls]
    assert json.loads(ctx.facts_file.read_text()) == {"services": {}, "groups": {}}


@pytest.mark.parametrize(
    "args",
    [
        {"service": "apache2", "action": "install"},
        {"service": "tahoe", "action": "purge"},
        {"service": "tahoe", "action": "install; reboot"},
        {"service": "tahoe"},
        {"action": "status"},
        {"service": "tahoe", "action": "install", "values": {"package": "netcat"}},
        {"service": "tahoe", "action": "start", "values": {"form": "join"}},
        {"service": "tahoe", "action": "configure", "values": {}},
        {"service": "tahoe", "action": "configure", "values": {"form": "steal"}},
        {
            "service": "tahoe",
            "action": "configure",
            "values": {"form": "join", "furl": "pb://x@y/z; rm -rf /"},
        },
        {
            "service": "tahoe",
            "action": "configure",
            "values": {"form": "join", "furl": "http://example.org/i"},
        },
        {
            "service": "tahoe",
            "action": "configure",
            "values": {"form": "join", "furl": FURL, "nickname": "-x-"},
        },
        {
            "service": "tahoe",
            "action": "configure",
            "values": {"form": "create", "grid": "my grid", "nickname": "a"},
        },
        {
            "service": "tahoe",
            "action": "configure",
            "values": {"form": "create", "grid": "g", "nickname": "a" * 64},
        },
        {
            "service": "tahoe",
            "action": "configure",
            "values": {"form": "create", "grid": "g", "nickname": "a", "x": 1},
        },
        {
            "service": "tahoe",
            "action": "configure",
            "values": {"form": "create", "grid": ["g"], "nickname": "a"},
        },
        {"service": "tahoe", "action": "configure", "values": {"Form": "create"}},
        {"service": "tahoe", "action": "configure", "values": "form=join"},
    ],
)
def test_service_action_bad_args(ctx, tmp_path, args):
    fake_playbook(ctx, tmp_path)
    assert code_of(ctx, "service.action", **args) == "bad-args"
    assert ctx.fake.calls == []
    assert not ctx.facts_file.exists()
    assert not (ctx.state_dir / "ansible").exists()


def test_furl_is_masked_in_the_log_even_when_refused(ctx, caplog):
    caplog.set_level(logging.INFO, "cloudy-panel-helper")
    values = {"form": "join", "furl": FURL, "nickname": "-bad-"}
    assert code_of(ctx, "service.action", service="tahoe", action="configure", values=values) == "bad-args"
    assert "-bad-" in caplog.text and FURL not in caplog.text


def test_parallel_attempts_get_no_more_than_the_limit(tmp_path):
    import threading

    lockout = Lockout(tmp_path / "lockout.json")
    allowed: list[bool] = []
    start = threading.Barrier(20)

    def one() -> None:
        start.wait()
        allowed.append(lockout.attempt("admin"))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == MAX_FAILURES
    assert lockout.locked("admin")
    lockout.clear("admin")
    assert not lockout.locked("admin")
