"""The dataset folder: a new snapshot is built beside the old one and swapped in only when complete.

``<parent>/.<name>.building-<pid>`` holds the new snapshot and the export's scratch files; when every
file is written and synced, it takes the folder's name in one step (``renameat2`` with
``RENAME_EXCHANGE`` where the filesystem has it) and the old snapshot is removed. Any failure before
that leaves the old snapshot as it was and removes the new one.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from pathlib import Path

MARKER = ".newsspider-export"  # in a folder an export wrote: the next export may replace its files
SCRATCH = "scratch"  # inside the building folder: the index and staged rows, removed before the swap
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def check(target: Path) -> None:
    """An export replaces only what an export wrote: a folder that holds anything else is refused."""
    from newsspider.errors import BadInput

    if target.exists() and not target.is_dir():
        raise BadInput(f"-o {target}: not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise BadInput(f"-o {target}: the folder holds files an export did not write; give an empty or new folder")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(target: Path) -> Path:
    """The building folder for ``target`` (created; an ``OSError`` says why it cannot be), after
    removing those that killed exports left."""
    parent = target.absolute().parent
    prefix = f".{target.name}.building-"
    if parent.is_dir():
        for stale in parent.glob(prefix + "*"):
            pid = stale.name[len(prefix) :]
            if pid.isdigit() and not _alive(int(pid)) and (stale / MARKER).exists():
                shutil.rmtree(stale, ignore_errors=True)
    building = parent / f"{prefix}{os.getpid()}"
    building.mkdir(parents=True)
    (building / MARKER).write_text("A dataset folder written by python -m newsspider export.\n", "utf-8")
    (building / SCRATCH).mkdir()
    return building


def _sync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")) + [folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step; False where the kernel or filesystem cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def commit(building: Path, target: Path) -> None:
    """Put the finished snapshot in ``target``'s place and remove the old one."""
    shutil.rmtree(building / SCRATCH)
    _sync_tree(building)
    target = target.absolute()
    if not target.exists():
        building.rename(target)
    elif _exchange(building, target):
        shutil.rmtree(building)  # now the old snapshot
    else:
        old = building.with_name(building.name.replace(".building-", ".old-"))
        target.rename(old)
        building.rename(target)
        shutil.rmtree(old)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def abandon(building: Path) -> None:
    shutil.rmtree(building, ignore_errors=True)
