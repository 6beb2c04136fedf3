"""Pack a Python package folder into a reproducible .tar.gz (run on the controller by role webui).

Same files, same bytes: sorted names, no timestamps or owners, no __pycache__, so the archive (and
the copy task) changes only when the code does. Prints "changed" or "unchanged".
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import sys
import tarfile
from pathlib import Path

SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def pack(source: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source.parent)
            if SKIP_DIRS & set(rel.parts) or path.suffix in SKIP_SUFFIXES or path.is_symlink():
                continue
            info = tarfile.TarInfo(rel.as_posix())
            info.mtime = 0
            info.uid = info.gid = 0
            if path.is_dir():
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif path.is_file():
                data = path.read_bytes()
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def package_dir(source: str) -> Path:
    """The folder given, else the cloudy_panel package that this Python imports (checkout or wheel)."""
    if source:
        return Path(source).resolve()
    spec = importlib.util.find_spec("cloudy_panel")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("cloudy_panel is not importable here: install cloudy-deploy, or set webui_source_dir")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def main(source: str, dest: str) -> int:
    data = pack(package_dir(source))
    target = Path(dest)
    if target.exists() and target.read_bytes() == data:
        print("unchanged")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    print("changed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
