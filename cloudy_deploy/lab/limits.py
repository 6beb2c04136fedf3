"""Host limits a lab of many boxes runs into before anything else.

Each box runs systemd as PID 1, which takes about six inotify instances, and every box's processes
are root's: they all count against the host's fs.inotify.max_user_instances (128 by default, about
20 boxes). Past it, new boxes exit at once (status 255, no log). `lab up` checks first and says so.
"""

import os
from pathlib import Path

from cloudy_deploy.errors import BadInput

PER_BOX = 6  # measured: 300 instances for 50 idle boxes (systemd, journald, logind, udev)
LIMIT_FILE = Path("/proc/sys/fs/inotify/max_user_instances")


def inotify_in_use(proc: Path = Path("/proc"), uid: int = 0) -> int:
    """The inotify instances UID's processes hold now (those this process may read)."""
    count = 0
    for pid in (p for p in proc.iterdir() if p.name.isdigit()):
        try:
            if pid.stat().st_uid != uid:
                continue
            count += sum(os.readlink(fd) == "anon_inode:inotify" for fd in (pid / "fd").iterdir())
        except OSError:  # gone, or not ours to read
            continue
    return count


def check_inotify(new_boxes: int, limit_file: Path = LIMIT_FILE, in_use: int | None = None) -> None:
    """Refuse (one line, nothing made) NEW_BOXES that would not start under the host's limit."""
    if new_boxes <= 0:
        return
    try:
        limit = int(limit_file.read_text().strip())
    except (OSError, ValueError):
        return  # not Linux, or not readable: docker says it
    used = inotify_in_use() if in_use is None else in_use
    need = used + PER_BOX * new_boxes
    if need > limit:
        suggest = 1 << max(need * 2 - 1, 1).bit_length()
        raise BadInput(
            f"lab up: {new_boxes} new boxes need about {PER_BOX * new_boxes} inotify instances (systemd in"
            f" each) and {used} are in use, but this host allows {limit} (fs.inotify.max_user_instances):"
            f" raise it as root, e.g. `sysctl -w fs.inotify.max_user_instances={suggest}`,"
            " or ask for fewer boxes"
        )
