"""What the verbs act on: paths, the PAM check and the command runner, replaceable in tests."""

from __future__ import annotations

import grp
import pwd
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudy_panel.helper.jobs import Jobs
from cloudy_panel.helper.lockout import Lockout

Runner = Callable[..., subprocess.CompletedProcess]


def pam_authenticate(service: str, user: str, password: str) -> bool:
    """PAM's verdict (auth and account); only root can check another user's password with pam_unix."""
    import pam

    checker = pam.pam()
    return bool(checker.authenticate(user, password, service=service, resetcreds=False))


def in_group(user: str, group: str) -> bool:
    """Whether USER is a member of GROUP, as a supplementary or primary group."""
    try:
        entry = grp.getgrnam(group)
        account = pwd.getpwnam(user)
    except KeyError:
        return False
    return user in entry.gr_mem or account.pw_gid == entry.gr_gid


def run(argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """Every command the helper runs: an argument list, never a shell string (5 minutes at most,
    unless `timeout` says less)."""
    kwargs.setdefault("timeout", 300)
    return subprocess.run(list(argv), capture_output=True, text=True, check=False, **kwargs)


@dataclass
class Context:
    state_dir: Path
    config: dict[str, Any] = field(default_factory=dict)
    admin_group: str = "cloudy-admin"
    pam_service: str = "cloudy-panel"
    # Where role webui unpacks the collection clommunity.cloudy (ANSIBLE_COLLECTIONS_PATH of the runs),
    # and the ansible-playbook of its ansible-core venv (panel.json names both).
    collections_dir: Path = Path("/usr/share/cloudy-panel/collections")
    ansible_playbook: str = "ansible-playbook"
    facts_file: Path = Path("/etc/ansible/facts.d/cloudy_panel.fact")
    artifacts_file: Path = Path("/etc/cloudy-repository/artifacts.json")  # the catalog: helper/artifacts.py
    dpkg_lock: Path = Path("/var/lib/dpkg/lock-frontend")
    tinc_dir: Path = Path("/etc/tinc")
    authenticate: Callable[[str, str, str], bool] = pam_authenticate
    member: Callable[[str, str], bool] = in_group
    run: Runner = run
    lockout: Lockout = field(init=False)
    jobs: Jobs = field(init=False)

    def __post_init__(self) -> None:
        self.lockout = Lockout(self.state_dir / "failures.json")
        self.jobs = Jobs(self.state_dir / "jobs")
