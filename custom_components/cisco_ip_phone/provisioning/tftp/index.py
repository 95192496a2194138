"""The resolver's view of the root: one directory listing at a time.

Listing runs in the executor; the result answers lookups (found, not found,
link leaving the root) from memory. A listing reads names and types only
(``getdents``: what a file is comes with its name on Linux file systems);
a regular file is looked at (``stat``: inode, size, mtime, ctime, the key
every cache uses) only when it is asked for, once per listing. Each
``stat`` gives the GIL away and waits to get it back, so next to a busy
thread a listing of 2,000 files with a ``stat`` each took 1,228 ms and names
alone 144 ms (``bench/run_listing.py``, medians of 7); inside a busy Home
Assistant every lookup waited for such a listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
import os
from pathlib import Path
import stat


class Kind(Enum):
    FILE = "file"
    DIR = "dir"
    OUTSIDE = "outside"
    OTHER = "other"


# Entry.size of a regular file not looked at yet (see stat_entry).
UNKNOWN_SIZE = -1


@dataclass(frozen=True, slots=True)
class Entry:
    name: str  # path relative to the root, "/"-separated (what events show)
    path: str
    kind: Kind
    size: int = UNKNOWN_SIZE
    mtime_ns: int = 0
    ino: int = 0
    ctime_ns: int = 0

    @property
    def known(self) -> bool:
        """Whether ``key`` and ``size`` are real (a file needs ``stat_entry``)."""
        return self.kind is not Kind.FILE or self.size != UNKNOWN_SIZE

    @property
    def key(self) -> tuple[str, int, int, int, int]:
        """What changes whenever the file's content may have changed."""
        return (self.path, self.ino, self.size, self.mtime_ns, self.ctime_ns)


@dataclass(frozen=True, slots=True)
class DirIndex:
    entries: dict[str, Entry]
    scanned_at: float


@dataclass(frozen=True, slots=True)
class NeedScan:
    key: tuple[str, ...]
    path: str


@dataclass(frozen=True, slots=True)
class NeedStat:
    """A file found in a listing that was not looked at yet."""

    key: tuple[str, ...]  # the directory's parts
    part: str  # the lower-case name in that directory
    entry: Entry


def inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def scan_dir(root: str, directory: str) -> dict[str, Entry]:
    """List one directory, names and types only (runs in the executor)."""
    found: dict[str, Entry] = {}
    relative = os.path.relpath(directory, root)
    prefix = "" if relative == "." else Path(relative).as_posix() + "/"
    try:
        listing = sorted(os.scandir(directory), key=lambda item: item.name)
    except OSError:
        return found
    for item in listing:
        lower = item.name.lower()
        if lower in found:
            continue
        try:
            if item.is_symlink():
                entry = _symlink_entry(root, item.path)
                if entry is not None:
                    found[lower] = entry
                continue
            if item.is_file(follow_symlinks=False):
                kind = Kind.FILE
            elif item.is_dir(follow_symlinks=False):
                kind = Kind.DIR
            else:
                kind = Kind.OTHER
        except OSError:
            continue
        found[lower] = Entry(prefix + item.name, item.path, kind)
    return found


def _symlink_entry(root: str, link: str) -> Entry | None:
    """Where a link points, looked at now (links are rare; their target moves)."""
    real = os.path.realpath(link)
    if not inside(real, root):
        return Entry(Path(link).name, real, Kind.OUTSIDE, 0)
    try:
        info = Path(real).stat()
    except OSError:
        return None
    return _entry_of(Path(os.path.relpath(real, root)).as_posix(), real, info)


def _entry_of(name: str, path: str, info: os.stat_result) -> Entry:
    if stat.S_ISREG(info.st_mode):
        kind = Kind.FILE
    elif stat.S_ISDIR(info.st_mode):
        kind = Kind.DIR
    else:
        kind = Kind.OTHER
    return Entry(
        name,
        path,
        kind,
        info.st_size,
        info.st_mtime_ns,
        info.st_ino,
        info.st_ctime_ns,
    )


def stat_entry(entry: Entry) -> Entry | None:
    """Look at a listed file now (runs in the executor); None if it is gone."""
    try:
        info = Path(entry.path).lstat()
    except OSError:
        return None
    return _entry_of(entry.name, entry.path, info)


def read_file(path: str) -> tuple[bytes, tuple[str, int, int, int, int]]:
    """Read a whole file and the key it had (runs in the executor)."""
    with open(path, "rb") as handle:  # noqa: PTH123 - plain open is cheapest here
        info = os.fstat(handle.fileno())
        data = handle.read()
    return data, (path, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
