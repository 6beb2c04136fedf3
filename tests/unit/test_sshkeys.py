import stat

import paramiko

from cloudy_deploy.lab.sshkeys import ensure_client_key, known_hosts_line, write_known_hosts


def test_client_key_is_private_and_kept(tmp_path):
    key = tmp_path / "id_ed25519"
    pub = ensure_client_key(key, "cloudy-lab-x")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert pub.startswith("ssh-ed25519 ") and pub.endswith(" cloudy-lab-x")
    paramiko.Ed25519Key.from_private_key_file(str(key))  # a key OpenSSH and paramiko read
    assert ensure_client_key(key, "cloudy-lab-x") == pub  # never regenerated


def test_known_hosts_is_readable_by_paramiko(tmp_path):
    other = tmp_path / "k"
    host_pub = ensure_client_key(other, "root@box")
    path = tmp_path / "known_hosts"
    write_known_hosts(path, [known_hosts_line(["lab-1", "172.29.0.2"], host_pub)])
    keys = paramiko.HostKeys(str(path))
    assert keys.lookup("172.29.0.2")["ssh-ed25519"].get_base64() == host_pub.split()[1]
    assert keys.lookup("lab-1") is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
