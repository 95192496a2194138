"""Maps a requested TFTP file name to bytes: generated in memory, or from the root.

Names are matched case-insensitively (phones and firmware disagree on case) and
can never reach outside the root. Disk access happens only in the executor:
each directory is listed once into an index (names, types, where symlinks
point; a file's size and mtime once it is asked for), which answers lookups,
including "not found", from memory until it is older than ``stat_ttl``; a
lookup in an index past half that age lists the directory again in the
background, so a busy server never waits. File contents are cached by (path,
inode, size, mtime_ns, ctime_ns) under a byte budget, so a file replaced in
place with the same size and mtime (Samba, ``cp -p``) is still seen as new, and
concurrent misses for the same file share one read, so 20 phones fetching one
image hold one copy of it. Files over the streaming threshold are never read
whole: the caller gets them opened, to serve in chunks. A netascii copy is
converted once (in the executor when large) and cached like any other content.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import os
from pathlib import Path
import time
from typing import Protocol

from .events import ContentSource
from .index import (
    DirIndex,
    Entry,
    Kind,
    NeedScan,
    NeedStat,
    read_file,
    scan_dir,
    stat_entry,
)
from .packets import to_netascii
from .stream import OpenedFile, open_for_streaming

MAX_NAME_LENGTH = 255
MAX_DEPTH = 16
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_FILE_SIZE = 256 * 1024 * 1024
DEFAULT_STREAM_THRESHOLD = 16 * 1024 * 1024
# Converting more than this to netascii runs in the executor, not the loop.
_INLINE_CONVERT_BYTES = 64 * 1024
_GENERATED_ASCII_ENTRIES = 64


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
    # Set (and ``content`` empty) for a file too large to hold: stream it.
    opened: OpenedFile | None = None

    @property
    def size(self) -> int:
        """Size of the content in bytes."""
        return self.opened.size if self.opened is not None else len(self.content)


@dataclass(frozen=True, slots=True)
class ResolverStats:
    """Counters that show whether caching and sharing work."""

    disk_reads: int
    cache_hits: int
    dir_scans: int
    cached_files: int
    cached_bytes: int
    file_stats: int = 0  # files looked at (``stat``), once per listing each


# (path, inode, size, mtime_ns, ctime_ns, netascii)
_CacheKey = tuple[str, int, int, int, int, bool]


class ContentResolver:
    """Resolve requested names to content; see the module docstring."""

    def __init__(
        self,
        root: Path,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        stat_ttl: float = 1.0,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
        stream_threshold: int = DEFAULT_STREAM_THRESHOLD,
    ) -> None:
        self._root = Path(os.path.realpath(root))
        self._root_str = str(self._root)
        self._cache_budget = cache_bytes
        self._stat_ttl = stat_ttl
        self._max_file_size = max_file_size
        # Never cache what does not fit: larger files are streamed.
        self._stream_threshold = min(stream_threshold, cache_bytes)
        self._ascii_generated: OrderedDict[str, bytes] = OrderedDict()
        self._generated: dict[str, GeneratedContent] = {}
        self._hook: ClientHook | None = None
        self._dirs: dict[tuple[str, ...], DirIndex] = {}
        self._scans: dict[tuple[str, ...], asyncio.Future[dict[str, Entry]]] = {}
        self._stats: dict[str, asyncio.Future[Entry | None]] = {}
        self._file_stats = 0
        self._cache: OrderedDict[_CacheKey, bytes] = OrderedDict()
        self._cache_by_path: dict[tuple[str, bool], _CacheKey] = {}
        self._cached_bytes = 0
        self._reads: dict[_CacheKey, asyncio.Future[bytes]] = {}
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
            file_stats=self._file_stats,
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
        """Forget directory listings, e.g. after an upload, so changes show at once.

        A listing still running may predate the change: it is dropped when it
        ends (whoever waits for it lists again).
        """
        self._dirs.clear()
        self._scans.clear()

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

    def resolve_nowait(
        self, requested: str, client_ip: str, *, netascii: bool = False
    ) -> ResolvedFile | None:
        """Resolve from memory only; None when the disk must be consulted."""
        parts = self.normalize(requested)
        generated = self._generated_for(parts, client_ip)
        if generated is not None:
            return self._from_generated(requested, generated, netascii=netascii)
        found = self._walk(parts)
        if isinstance(found, NeedScan | NeedStat):
            return None
        entry = self._check_entry(found, netascii=netascii)
        data = self._cache_get((*entry.key, netascii))
        if data is None:
            return None
        return self._from_static(requested, entry, data)

    async def resolve(
        self, requested: str, client_ip: str, *, netascii: bool = False
    ) -> ResolvedFile:
        """Resolve a name, reading the disk in the executor when needed.

        A file over the streaming threshold comes back opened (``opened``):
        the caller owns the descriptor and must close it.
        """
        parts = self.normalize(requested)
        generated = self._generated_for(parts, client_ip)
        if generated is not None:
            return self._from_generated(requested, generated, netascii=netascii)
        found = self._walk(parts)
        while isinstance(found, NeedScan):
            await self._scan(found)
            found = self._walk(parts, allow_stale=True)
        if isinstance(found, NeedStat):
            found = await self._stat(found)
        entry = self._check_entry(found, netascii=netascii)
        if entry.size > self._stream_threshold:
            opened = await self._open(entry)
            return ResolvedFile(
                requested, entry.name, b"", ContentSource.STATIC, None, opened
            )
        data = await self._content(entry, netascii)
        return self._from_static(requested, entry, data)

    async def _open(self, entry: Entry) -> OpenedFile:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, open_for_streaming, entry.path)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The open may still succeed: close what nobody will use.
            future.add_done_callback(_close_unused)
            raise
        except FileNotFoundError as err:
            self.invalidate()
            raise TftpFileNotFoundError("File not found") from err
        except OSError as err:
            raise TftpAccessError(f"Cannot read file: {err.strerror}") from err

    def _generated_for(
        self, parts: tuple[str, ...], client_ip: str
    ) -> GeneratedContent | None:
        key = "/".join(parts)
        if self._hook is not None:
            special = self._hook(key, client_ip)
            if special is not None:
                return special
        return self._generated.get(key)

    def _from_generated(
        self, requested: str, item: GeneratedContent, *, netascii: bool
    ) -> ResolvedFile:
        content = item.content
        if netascii:
            content = self._generated_netascii(item)
        return ResolvedFile(
            requested, item.name, content, ContentSource.GENERATED, item.digest
        )

    def _generated_netascii(self, item: GeneratedContent) -> bytes:
        """One converted copy per generated file (they are small), LRU-bounded."""
        cache = self._ascii_generated
        converted = cache.get(item.digest)
        if converted is None:
            converted = to_netascii(item.content)
            cache[item.digest] = converted
            if len(cache) > _GENERATED_ASCII_ENTRIES:
                cache.popitem(last=False)
        else:
            cache.move_to_end(item.digest)
        return converted

    def _from_static(self, requested: str, entry: Entry, data: bytes) -> ResolvedFile:
        return ResolvedFile(requested, entry.name, data, ContentSource.STATIC, None)

    def _check_entry(self, entry: Entry | None, *, netascii: bool) -> Entry:
        if entry is None or entry.kind in (Kind.DIR, Kind.OTHER):
            raise TftpFileNotFoundError("File not found")
        if entry.kind is Kind.OUTSIDE:
            raise TftpAccessError("Access violation: link leaves the root")
        if entry.size > self._max_file_size:
            raise TftpAccessError("File too large")
        if netascii and entry.size > self._stream_threshold:
            # A converted copy of a huge file would be held whole: refuse.
            raise TftpAccessError("File too large for netascii; use octet mode")
        return entry

    def _walk(
        self, parts: tuple[str, ...], *, allow_stale: bool = False
    ) -> Entry | None | NeedScan | NeedStat:
        """Follow the parts through directory indexes; report a stale one."""
        directory = self._root_str
        now = time.monotonic()
        for depth, part in enumerate(parts):
            key = parts[:depth]
            index = self._dirs.get(key)
            if index is None or (
                not allow_stale and now - index.scanned_at >= self._stat_ttl
            ):
                return NeedScan(key, directory)
            if now - index.scanned_at >= self._stat_ttl / 2:
                self._refresh_ahead(key, directory)
            entry = index.entries.get(part)
            if entry is None:
                return None
            if depth == len(parts) - 1:
                return entry if entry.known else NeedStat(key, part, entry)
            if entry.kind is not Kind.DIR:
                return entry if entry.kind is Kind.OUTSIDE else None
            directory = entry.path
        raise AssertionError("unreachable: parts is never empty")  # pragma: no cover

    def _start_scan(
        self, key: tuple[str, ...], path: str, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[dict[str, Entry]]:
        future = loop.run_in_executor(None, scan_dir, self._root_str, path)
        self._scans[key] = future
        self._dir_scans += 1
        future.add_done_callback(lambda done: self._store_scan(key, done))
        return future

    def _refresh_ahead(self, key: tuple[str, ...], path: str) -> None:
        """List a directory again while its index still answers.

        A busy server then never finds the index expired: otherwise every
        lookup of the second it expires waits for one listing, and all of
        them (hundreds in a boot storm) wake in the same loop turn.
        """
        if key in self._scans:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a lookup from outside the loop: no background
            return
        self._start_scan(key, path, loop)

    async def _scan(self, need: NeedScan) -> None:
        future = self._scans.get(need.key)
        if future is None:
            future = self._start_scan(need.key, need.path, asyncio.get_running_loop())
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

    async def _stat(self, need: NeedStat) -> Entry | None:
        """Look at a listed file (in the executor), once for all who ask.

        What it finds answers later lookups until the directory is listed
        again; a file gone meanwhile is not found.
        """
        path = need.entry.path
        future = self._stats.get(path)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(None, stat_entry, need.entry)
            self._stats[path] = future
            self._file_stats += 1
            future.add_done_callback(lambda done: self._stat_done(path, done))
        looked = await asyncio.shield(future)
        self._stat_done(path, future)
        index = self._dirs.get(need.key)
        if index is not None and index.entries.get(need.part) is need.entry:
            if looked is None:
                del index.entries[need.part]
            else:
                index.entries[need.part] = looked
        return looked

    def _stat_done(self, path: str, done: asyncio.Future[Entry | None]) -> None:
        if self._stats.get(path) is done:
            del self._stats[path]

    def _store_scan(
        self, key: tuple[str, ...], done: asyncio.Future[dict[str, Entry]]
    ) -> None:
        if self._scans.get(key) is not done:
            return
        del self._scans[key]
        if not done.cancelled() and done.exception() is None:
            self._dirs[key] = DirIndex(done.result(), time.monotonic())

    def _cache_get(self, key: _CacheKey) -> bytes | None:
        data = self._cache.get(key)
        if data is not None:
            self._cache.move_to_end(key)
            self._cache_hits += 1
        return data

    async def _content(self, entry: Entry, netascii: bool) -> bytes:
        key: _CacheKey = (*entry.key, netascii)
        cached = self._cache_get(key)
        if cached is not None:
            return cached
        future = self._reads.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            if netascii:
                future = loop.create_task(self._convert(entry))
            else:
                future = loop.run_in_executor(None, self._read, entry)
                self._disk_reads += 1
            self._reads[key] = future
            future.add_done_callback(lambda done: self._read_done(key, done))
        try:
            return await asyncio.shield(future)
        except _ChangedError as changed:
            return changed.data
        except (TftpFileNotFoundError, TftpAccessError):
            raise
        except FileNotFoundError as err:
            raise TftpFileNotFoundError("File not found") from err
        except OSError as err:
            raise TftpAccessError(f"Cannot read file: {err.strerror}") from err
        finally:
            # Awaiting a finished future does not yield (Python 3.14 hands
            # back already finished executor futures for quick jobs), so its
            # callback may not have run yet: settle it here.
            if future.done():
                self._read_done(key, future)

    @staticmethod
    def _read(entry: Entry) -> bytes:
        """Read in the executor; a file changed since listing is served, not cached."""
        data, key = read_file(entry.path)
        if len(data) != key[2] or key != entry.key:
            raise _ChangedError(data)
        return data

    async def _convert(self, entry: Entry) -> bytes:
        data = await self._content(entry, False)
        if len(data) <= _INLINE_CONVERT_BYTES:
            return to_netascii(data)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, to_netascii, data)

    def _read_done(self, key: _CacheKey, done: asyncio.Future[bytes]) -> None:
        if self._reads.get(key) is not done:
            return  # already handled (by _content's finally, or a newer read)
        del self._reads[key]
        if done.cancelled() or done.exception() is not None:
            self.invalidate()
            return
        data = done.result()
        if len(data) <= self._cache_budget:
            self._cache_put(key, data)

    def _cache_put(self, key: _CacheKey, data: bytes) -> None:
        slot = (key[0], key[5])
        old = self._cache_by_path.pop(slot, None)
        if old is not None and old in self._cache:
            self._cached_bytes -= len(self._cache.pop(old))
        self._cache[key] = data
        self._cache_by_path[slot] = key
        self._cached_bytes += len(data)
        while self._cached_bytes > self._cache_budget:
            evicted_key, evicted = self._cache.popitem(last=False)
            self._cache_by_path.pop((evicted_key[0], evicted_key[5]), None)
            self._cached_bytes -= len(evicted)


class _ChangedError(OSError):
    """The file changed between listing and reading: serve once, do not cache."""

    def __init__(self, data: bytes) -> None:
        super().__init__("file changed while being read")
        self.data = data


def _close_unused(done: asyncio.Future[OpenedFile]) -> None:
    if not done.cancelled() and done.exception() is None:
        done.result().close()
