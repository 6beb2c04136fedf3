"""A project folder and the one-way flow of DESIGN.md: spec → sources → plan (+lock) → inventory.

The CLI calls these; nothing here prints or talks to ansible-runner.
"""

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cloudy_deploy import inventory, lock, plan, sources, spec
from cloudy_deploy.errors import BadInput
from cloudy_deploy.paths import check_writable, project_home, state_root

T = TypeVar("T")
SPEC_FILE = "cloudy.yml"
LOCK_FILE = "cloudy.lock"


@dataclass(frozen=True)
class Project:
    home: Path
    spec: spec.CloudSpec
    spec_path: Path | None  # None: the built-in default spec (no cloudy.yml here)

    @property
    def base_dir(self) -> Path:
        """Where relative paths of the spec resolve: the folder of cloudy.yml."""
        return self.spec_path.parent if self.spec_path else self.home

    @property
    def lock_path(self) -> Path:
        # Beside cloudy.yml; the default spec keeps its lock in the state folder.
        return self.base_dir / LOCK_FILE if self.spec_path else state_root(self.home) / LOCK_FILE

    @property
    def inventory_dir(self) -> Path:
        return state_root(self.home) / "inventory"


def open_project(home: Path | None = None) -> Project:
    root = project_home(home)
    path = root / SPEC_FILE
    if path.exists():
        return Project(root, spec.load(path), path)
    return Project(root, spec.default_spec(), None)


def source_refs(project: Project, override: Sequence[str] | None) -> list[sources.SourceRef]:
    """--source on the command line replaces the spec's sources."""
    if override:
        return [sources.parse_ref(text) for text in override]
    return list(project.spec.sources)  # validated into SourceRefs by the spec loader


def discover(project: Project, override: Sequence[str] | None = None) -> sources.MergeResult:
    return sources.collect(source_refs(project, override), project.base_dir, project.home)


def make_plan(project: Project, found: sources.MergeResult, reclaim: bool = False) -> plan.Plan:
    old = lock.load(project.lock_path, project.spec)
    return plan.make_plan(found.nodes, project.spec, old, reclaim=reclaim)


def save_lock(project: Project, the_plan: plan.Plan) -> None:
    check_writable(project.lock_path.parent, files=(project.lock_path,))
    _written(lambda: lock.save(the_plan.lock, project.lock_path), project.lock_path)


def commit(project: Project, the_plan: plan.Plan, out_dir: Path | None = None) -> list[Path]:
    """Keep the plan's allocations in the lock, then write the inventory; every target is checked
    first, so that bad ones leave both untouched."""
    out = out_dir or project.inventory_dir
    check_writable(
        project.lock_path.parent,
        state_root(project.home),
        out / inventory.GROUP_VARS,
        files=(project.lock_path, out / inventory.HOSTS_FILE),
    )
    _written(lambda: lock.save(the_plan.lock, project.lock_path), project.lock_path)
    return _written(lambda: inventory.write(the_plan, project.spec, out), out)


def _written(write: Callable[[], T], where: Path) -> T:
    # What a check cannot foresee (a full disk, a race): still one line, not a traceback.
    try:
        return write()
    except OSError as exc:
        raise BadInput(
            f"{where}: cannot write it ({exc.strerror or exc}): free space or fix permissions"
        ) from None


def scratch_root(project: Project) -> Path:
    return state_root(project.home) / "tmp"


# What the tinc role keeps beside the inventory (tinc_controller_dir): the records of the last run.
CONTROLLER_CACHE = ".cloudy"


@contextmanager
def scratch_inventory(project: Project, the_plan: plan.Plan, with_cache: bool = False) -> Iterator[Path]:
    """The plan's inventory in a folder of its own, removed afterwards: for read-only commands
    (status, services, deploy --check), which save neither cloudy.lock nor the deploy's inventory.
    WITH_CACHE: a copy of the controller-side cache the deploy's inventory holds, so that --check
    compares with the last run (and any write lands in the copy)."""
    root = scratch_root(project)
    check_writable(root)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix="inventory-") as folder:
        cache = project.inventory_dir / CONTROLLER_CACHE
        if with_cache and cache.is_dir():
            shutil.copytree(cache, Path(folder) / CONTROLLER_CACHE, symlinks=True)
        inventory.write(the_plan, project.spec, Path(folder))
        yield Path(folder)
