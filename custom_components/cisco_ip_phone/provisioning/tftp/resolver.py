"""Maps a requested TFTP file name to bytes: generated in memory, or from the root.

Names are matched case-insensitively (phones and firmware disagree on case) and
can never reach outside the root. Disk access happens only in the executor:
each directory is listed once into an index (names, sizes, mtimes, where
symlinks point), which answers lookups, including "not found", from memory
until it is older than ``stat_ttl``. File contents are cached by
(path, size, mtime_ns) under a byte budget, and concurrent misses for the same
file share one read, so 20 phones fetching one image hold one copy of it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
import os
from pathlib import Path
import stat
import time
from typing import Protocol

from .events import ContentSource

MAX_NAME_LENGTH = 255
MAX_DEPTH = 16
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_FILE_SIZE = 256 * 1024 * 1024


class GeneratedContent(Protocol):
    """What the resolver needs from ``render.GeneratedFile``."""

    @property
    def name(self) -> str: ...

    @property
    def content(self) -> bytes: ...

    @property
    def digest(self) -> str: ...


ClientHook = Callable[[str, str], GeneratedContent | None]


class TftpFileNotFoundError(FileNotFoundError):
    """Nothing by that name: answered with TFTP error 1."""


class TftpAccessError(PermissionError):
    """A name that is not allowed (escapes the root, malformed): TFTP error 2."""


@dataclass(frozen=True, slots=True)
class ResolvedFile:
    """The bytes to serve for one request, and where they came from."""

    requested: str
    name: str
    content: bytes
    source: ContentSource
    digest: str | None

    @property
    def size(self) -> int:
        """Size of the content in bytes."""
        return len(self.content)


@dataclass(frozen=True, slots=True)
class ResolverStats:
    """Counters that show whether caching and sharing work."""

    disk_reads: int
    cache_hits: int
    dir_scans: int
    cached_files: int
    cached_bytes: int


class _Kind(Enum):
    FILE = "file"
    DIR = "dir"
    OUTSIDE = "outside"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str  # path relative to the root, "/"-separated (what events show)
    path: str
    kind: _Kind
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class _DirIndex:
    entries: dict[str, _Entry]
    scanned_at: float


@dataclass(frozen=True, slots=True)
class _NeedScan:
    key: tuple[str, ...]
    path: str


_CacheKey = tuple[str, int, int]


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def _scan_dir(root: str, directory: str) -> dict[str, _Entry]:
    """List one directory (runs in the executor)."""
    found: dict[str, _Entry] = {}
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
                if not _inside(real, root):
                    found[lower] = _Entry(item.name, real, _Kind.OUTSIDE, 0, 0)
                    continue
                info = Path(real).stat()
                path = real
            else:
                info = item.stat(follow_symlinks=False)
                path = item.path
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            kind = _Kind.FILE
        elif stat.S_ISDIR(info.st_mode):
            kind = _Kind.DIR
        else:
            kind = _Kind.OTHER
        name = Path(os.path.relpath(path, root)).as_posix()
        found[lower] = _Entry(name, path, kind, info.st_size, info.st_mtime_ns)
    return found


def _read_file(path: str) -> tuple[bytes, int, int]:
    """Read a whole file and the size/mtime it had (runs in the executor)."""
    with open(path, "rb") as handle:  # noqa: PTH123 - plain open is cheapest here
        info = os.fstat(handle.fileno())
        data = handle.read()
    return data, info.st_size, info.st_mtime_ns


class ContentResolver:
    """Resolve requested names to content; see the module docstring."""

    def __init__(
        self,
        root: Path,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        stat_ttl: float = 1.0,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        self._root = Path(os.path.realpath(root))
        self._root_str = str(self._root)
        self._cache_budget = cache_bytes
        self._stat_ttl = stat_ttl
        self._max_file_size = max_file_size
        self._generated: dict[str, GeneratedContent] = {}
        self._hook: ClientHook | None = None
        self._dirs: dict[tuple[str, ...], _DirIndex] = {}
        self._scans: dict[tuple[str, ...], asyncio.Future[dict[str, _Entry]]] = {}
        self._cache: OrderedDict[_CacheKey, bytes] = OrderedDict()
        self._cache_by_path: dict[str, _CacheKey] = {}
        self._cached_bytes = 0
        self._reads: dict[_CacheKey, asyncio.Future[tuple[bytes, int, int]]] = {}
        self._disk_reads = 0
        self._cache_hits = 0
        self._dir_scans = 0

    @property
    def root(self) -> Path:
        """The folder static files are served from (symlinks resolved)."""
        return self._root

    @property
    def stats(self) -> ResolverStats:
        """Snapshot of cache counters."""
        return ResolverStats(
            disk_reads=self._disk_reads,
            cache_hits=self._cache_hits,
            dir_scans=self._dir_scans,
            cached_files=len(self._cache),
            cached_bytes=self._cached_bytes,
        )

    def set_generated(self, files: Mapping[str, GeneratedContent]) -> None:
        """Replace every generated file at once (one dict swap, never half-updated)."""
        table: dict[str, GeneratedContent] = {}
        for item in files.values():
            table["/".join(self.normalize(item.name))] = item
        self._generated = table

    def set_client_hook(self, hook: ClientHook | None) -> None:
        """Serve per-phone content: ``hook(lower_name, client_ip)`` or None."""
        self._hook = hook

    def invalidate(self) -> None:
        """Forget directory listings, e.g. after an upload, so changes show at once."""
        self._dirs.clear()

    @staticmethod
    def normalize(requested: str) -> tuple[str, ...]:
        """Split a requested name into lower-case path parts, refusing hostile ones."""
        if len(requested) > MAX_NAME_LENGTH:
            raise TftpAccessError("File name too long")
        if "\0" in requested or "\\" in requested:
            raise TftpAccessError("Illegal character in file name")
        parts: list[str] = []
        for part in requested.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                raise TftpAccessError("Access violation: path leaves the root")
            parts.append(part.lower())
        if not parts:
            raise TftpAccessError("Empty file name")
        if len(parts) > MAX_DEPTH:
            raise TftpAccessError("Path too deep")
        return tuple(parts)

    def resolve_nowait(self, requested: str, client_ip: str) -> ResolvedFile | None:
        """Resolve from memory only; None when the disk must be consulted."""
        parts = self.normalize(requested)
        generated = self._generated_for(parts, client_ip)
        if generated is not None:
            return self._from_generated(requested, generated)
        found = self._walk(parts)
        if isinstance(found, _NeedScan):
            return None
        entry = self._check_entry(found)
        data = self._cache_get((entry.path, entry.size, entry.mtime_ns))
        if data is None:
            return None
        return self._from_static(requested, entry, data)

    async def resolve(self, requested: str, client_ip: str) -> ResolvedFile:
        """Resolve a name, reading the disk in the executor when needed."""
        parts = self.normalize(requested)
        generated = self._generated_for(parts, client_ip)
        if generated is not None:
            return self._from_generated(requested, generated)
        found = self._walk(parts)
        while isinstance(found, _NeedScan):
            await self._scan(found)
            found = self._walk(parts, allow_stale=True)
        entry = self._check_entry(found)
        data = await self._content(entry)
        return self._from_static(requested, entry, data)

    def _generated_for(
        self, parts: tuple[str, ...], client_ip: str
    ) -> GeneratedContent | None:
        key = "/".join(parts)
        if self._hook is not None:
            special = self._hook(key, client_ip)
            if special is not None:
                return special
        return self._generated.get(key)

    @staticmethod
    def _from_generated(requested: str, item: GeneratedContent) -> ResolvedFile:
        return ResolvedFile(
            requested, item.name, item.content, ContentSource.GENERATED, item.digest
        )

    def _from_static(self, requested: str, entry: _Entry, data: bytes) -> ResolvedFile:
        return ResolvedFile(requested, entry.name, data, ContentSource.STATIC, None)

    def _check_entry(self, entry: _Entry | None) -> _Entry:
        if entry is None or entry.kind in (_Kind.DIR, _Kind.OTHER):
            raise TftpFileNotFoundError("File not found")
        if entry.kind is _Kind.OUTSIDE:
            raise TftpAccessError("Access violation: link leaves the root")
        if entry.size > self._max_file_size:
            raise TftpAccessError("File too large")
        return entry

    def _walk(
        self, parts: tuple[str, ...], *, allow_stale: bool = False
    ) -> _Entry | None | _NeedScan:
        """Follow the parts through directory indexes; report a stale one."""
        directory = self._root_str
        now = time.monotonic()
        for depth, part in enumerate(parts):
            key = parts[:depth]
            index = self._dirs.get(key)
            if index is None or (
                not allow_stale and now - index.scanned_at >= self._stat_ttl
            ):
                return _NeedScan(key, directory)
            entry = index.entries.get(part)
            if entry is None:
                return None
            if depth == len(parts) - 1:
                return entry
            if entry.kind is not _Kind.DIR:
                return entry if entry.kind is _Kind.OUTSIDE else None
            directory = entry.path
        raise AssertionError("unreachable: parts is never empty")  # pragma: no cover

    async def _scan(self, need: _NeedScan) -> None:
        future = self._scans.get(need.key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(None, _scan_dir, self._root_str, need.path)
            self._scans[need.key] = future
            self._dir_scans += 1
            future.add_done_callback(lambda done: self._store_scan(need.key, done))
        try:
            await asyncio.shield(future)
        finally:
            # Awaiting a finished future does not yield, so its callback may
            # not have run yet (since Python 3.14, run_in_executor hands back
            # an already finished future when the job was that quick): store
            # here too, or the caller would spin on _NeedScan, and the next one
            # would be given this failed listing again.
            if future.done():
                self._store_scan(need.key, future)

    def _store_scan(
        self, key: tuple[str, ...], done: asyncio.Future[dict[str, _Entry]]
    ) -> None:
        if self._scans.get(key) is not done:
            return
        del self._scans[key]
        if not done.cancelled() and done.exception() is None:
            self._dirs[key] = _DirIndex(done.result(), time.monotonic())

    def _cache_get(self, key: _CacheKey) -> bytes | None:
        data = self._cache.get(key)
        if data is not None:
            self._cache.move_to_end(key)
            self._cache_hits += 1
        return data

    async def _content(self, entry: _Entry) -> bytes:
        key = (entry.path, entry.size, entry.mtime_ns)
        cached = self._cache_get(key)
        if cached is not None:
            return cached
        future = self._reads.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(None, _read_file, entry.path)
            self._reads[key] = future
            self._disk_reads += 1
            future.add_done_callback(lambda done: self._read_done(key, done))
        try:
            data, _size, _mtime = await asyncio.shield(future)
        except FileNotFoundError as err:
            raise TftpFileNotFoundError("File not found") from err
        except OSError as err:
            raise TftpAccessError(f"Cannot read file: {err.strerror}") from err
        finally:
            # As in _scan: the callback may not have run yet; cache it now.
            if future.done():
                self._read_done(key, future)
        return data

    def _read_done(
        self, key: _CacheKey, done: asyncio.Future[tuple[bytes, int, int]]
    ) -> None:
        if self._reads.get(key) is not done:
            return
        del self._reads[key]
        if done.cancelled() or done.exception() is not None:
            self.invalidate()
            return
        data, size, mtime_ns = done.result()
        if len(data) != size or (size, mtime_ns) != key[1:]:
            # Changed since the directory was listed: serve it, but re-list.
            self.invalidate()
            return
        if len(data) <= self._cache_budget:
            self._cache_put(key, data)

    def _cache_put(self, key: _CacheKey, data: bytes) -> None:
        old = self._cache_by_path.pop(key[0], None)
        if old is not None and old in self._cache:
            self._cached_bytes -= len(self._cache.pop(old))
        self._cache[key] = data
        self._cache_by_path[key[0]] = key
        self._cached_bytes += len(data)
        while self._cached_bytes > self._cache_budget:
            evicted_key, evicted = self._cache.popitem(last=False)
            self._cache_by_path.pop(evicted_key[0], None)
            self._cached_bytes -= len(evicted)
