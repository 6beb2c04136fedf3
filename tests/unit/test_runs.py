import pytest

from cloudy_deploy import runs
from cloudy_deploy.errors import BadInput
from cloudy_deploy.events import HostStats


def test_records_round_trip_and_the_last_failed_hosts_are_found(home, monkeypatch):
    rec, folder = runs.new_run(home, "deploy", "site.yml", None)
    assert folder.is_dir() and folder.parent == home / ".cloudy" / "runs"
    rec.status = "failed"
    rec.hosts = {
        "a": HostStats(ok=3),
        "b": HostStats(ok=1, failed=1, failures=["t: boom"]),
        "c": HostStats(unreachable=1),
    }
    runs.save(rec, home)
    loaded = runs.load(home, rec.id)
    assert loaded == rec
    assert loaded.failed_hosts == ["b", "c"]
    assert runs.last(home, "deploy").id == rec.id
    assert runs.last(home, "status") is None


def test_a_running_record_is_not_the_last_run(home):
    rec, _ = runs.new_run(home, "deploy", "site.yml", None)
    runs.save(rec, home)
    assert runs.last(home, "deploy") is None


def test_unknown_run_id_is_bad_input(home):
    with pytest.raises(BadInput, match=r"no run .nope.*cloudy runs"):
        runs.load(home, "nope")


def test_rotation_keeps_the_newest(home):
    root = home / ".cloudy" / "runs"
    root.mkdir(parents=True)
    for i in range(5):
        (root / f"20260101-00000{i}-1").mkdir()
    runs.rotate(home, keep=2)
    assert sorted(p.name for p in root.iterdir()) == ["20260101-000003-1", "20260101-000004-1"]


def make_runs(home, command, seconds):
    """Finished runs of COMMAND, their ids in time order (one per second given)."""
    root = home / ".cloudy" / "runs"
    ids = []
    for second in seconds:
        record = runs.RunRecord(f"20260101-0000{second:02d}-1", command, "x.yml", 0.0, status="failed")
        (root / record.id).mkdir(parents=True)
        runs.save(record, home)
        ids.append(record.id)
    return ids


def test_rotation_keeps_the_newest_of_each_command(home):
    deploys = make_runs(home, "deploy", [0, 1, 2])
    ups = make_runs(home, "up", [3])
    statuses = make_runs(home, "status", range(10, 40))
    services = make_runs(home, "services", range(40, 45))
    (home / ".cloudy" / "runs" / "20260101-000050-1").mkdir()  # a record cut short: rotates on its own
    runs.rotate(home, keep=20)
    kept = sorted(p.name for p in (home / ".cloudy" / "runs").iterdir())
    assert kept == sorted([*deploys, *ups, *statuses[-20:], *services, "20260101-000050-1"])
    # 30 status runs after it, the last deploy is still there for --retry-failed.
    assert runs.last(home, "deploy").id == deploys[-1]
    runs.rotate(home, keep=2)
    kept = {p.name for p in (home / ".cloudy" / "runs").iterdir()}
    assert kept == {*deploys[-2:], *ups, *statuses[-2:], *services[-2:], "20260101-000050-1"}


def test_a_check_run_neither_hides_nor_replaces_the_deploy_to_retry(home, monkeypatch):
    from cloudy_deploy.cli.run import _retry_limit

    deploy, _ = runs.new_run(home, "deploy", "site.yml", None)
    deploy.status, deploy.hosts = "failed", {"a": HostStats(ok=3), "c": HostStats(unreachable=1)}
    runs.save(deploy, home)
    monkeypatch.setattr(runs.time, "strftime", lambda _fmt: "29990101-000000")  # sorts after
    check, _ = runs.new_run(home, "check", "site.yml", None)
    check.status, check.hosts = "failed", {"a": HostStats(failed=1)}
    runs.save(check, home)
    assert _retry_limit(home, None) == "c"
