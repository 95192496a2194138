"""The resolver's view of the root: one directory listing at a time.

Listing runs in the executor; the result answers lookups (found, not found,
link leaving the root) from memory. Each entry carries what changes when a
file's content may have changed (inode, size, mtime, ctime), the key every
cache uses.
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


@dataclass(frozen=True, slots=True)
class Entry:
    name: str  # path relative to the root, "/"-separated (what events show)
    path: str
    kind: Kind
    size: int
    mtime_ns: int
    ino: int = 0
    ctime_ns: int = 0

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


def inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def scan_dir(root: str, directory: str) -> dict[str, Entry]:
    """List one directory (runs in the executor)."""
    found: dict[str, Entry] = {}
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
                real = os.path.realpath(item.path)
                if not inside(real, root):
                    found[lower] = Entry(item.name, real, Kind.OUTSIDE, 0, 0)
                    continue
                info = Path(real).stat()
                path = real
            else:
                info = item.stat(follow_symlinks=False)
                path = item.path
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            kind = Kind.FILE
        elif stat.S_ISDIR(info.st_mode):
            kind = Kind.DIR
        else:
            kind = Kind.OTHER
        name = Path(os.path.relpath(path, root)).as_posix()
        found[lower] = Entry(
            name,
            path,
            kind,
            info.st_size,
            info.st_mtime_ns,
            info.st_ino,
            info.st_ctime_ns,
        )
    return found


def read_file(path: str) -> tuple[bytes, tuple[str, int, int, int, int]]:
    """Read a whole file and the key it had (runs in the executor)."""
    with open(path, "rb") as handle:  # noqa: PTH123 - plain open is cheapest here
        info = os.fstat(handle.fileno())
        data = handle.read()
    return data, (path, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
