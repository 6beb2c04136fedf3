"""Find the host's own Debian mirror in its apt sources (no host name in the code)."""

from pathlib import Path

from cloudy_deploy.errors import BadInput

APT_DIR = Path("/etc/apt")


def _one_line_entries(text: str) -> list[tuple[str, list[str], list[str]]]:
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        words = line.split()[1:]
        if words and words[0].startswith("["):  # options such as [arch=amd64]
            while words and not words[0].endswith("]"):
                words.pop(0)
            words.pop(0)
        if len(words) >= 3:
            out.append((words[0], [words[1]], words[2:]))
    return out


def _deb822_entries(text: str) -> list[tuple[str, list[str], list[str]]]:
    out = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for raw in stanza.splitlines():
            if raw.startswith("#") or ":" not in raw:
                continue
            key, value = raw.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled") == "no":
            continue
        suites, comps = fields.get("suites", "").split(), fields.get("components", "").split()
        out.extend((uri, suites, comps) for uri in fields.get("uris", "").split())
    return out


def find_mirror(suite: str, apt_dir: Path = APT_DIR) -> str:
    """The first enabled `deb` source that carries SUITE/main, e.g. for debootstrap."""
    files = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*"))]
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        parse = _deb822_entries if path.suffix == ".sources" else _one_line_entries
        for uri, suites, comps in parse(text):
            if suite in suites and "main" in comps:
                return uri.rstrip("/")
    raise BadInput(
        f"no apt source for Debian {suite}/main in {apt_dir}: "
        "give the mirror with --mirror URL (e.g. your Debian mirror's /debian)"
    )
