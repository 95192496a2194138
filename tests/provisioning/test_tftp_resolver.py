"""ContentResolver: names, the root boundary, generated files and the cache."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from custom_components.cisco_ip_phone.provisioning.files.render import GeneratedFile
from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentResolver,
    ContentSource,
    TftpAccessError,
    TftpFileNotFoundError,
)


@dataclass(frozen=True)
class Generated:
    name: str
    content: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    served = tmp_path / "root"
    served.mkdir()
    (served / "SIPDefault.cnf").write_bytes(b"static default\n")
    (served / "P0S3-08-12-00.sb2").write_bytes(b"\x01" * 3000)
    (served / "firmware").mkdir()
    (served / "firmware" / "Ring1.RAW").write_bytes(b"ring")
    (tmp_path / "secret.txt").write_bytes(b"outside")
    return served


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("SIPDefault.cnf", ("sipdefault.cnf",)),
        ("./SIPDefault.cnf", ("sipdefault.cnf",)),
        ("/SIPDefault.cnf", ("sipdefault.cnf",)),
        ("//./firmware//RING1.raw", ("firmware", "ring1.raw")),
    ],
)
def test_normalize_strips_prefixes_and_case(
    requested: str, expected: tuple[str, ...]
) -> None:
    assert ContentResolver.normalize(requested) == expected


@pytest.mark.parametrize(
    "requested",
    [
        "../secret.txt",
        "firmware/../../secret.txt",
        "..",
        "a\\..\\secret.txt",
        "name\0.cnf",
        "x" * 256,
        "",
        "./",
        "/".join(["d"] * 17),
    ],
)
async def test_hostile_names_are_access_violations(root: Path, requested: str) -> None:
    resolver = ContentResolver(root)
    with pytest.raises(TftpAccessError):
        await resolver.resolve(requested, "192.0.2.1")
    assert resolver.stats.dir_scans == 0  # refused before touching the disk


async def test_static_files_match_case_insensitively(root: Path) -> None:
    resolver = ContentResolver(root)
    found = await resolver.resolve("./sipdefault.CNF", "192.0.2.1")
    assert found.content == b"static default\n"
    assert found.name == "SIPDefault.cnf"
    assert found.source is ContentSource.STATIC
    assert found.digest is None
    assert found.size == len(found.content)
    nested = await resolver.resolve("/FIRMWARE/ring1.raw", "192.0.2.1")
    assert nested.content == b"ring"
    assert nested.name == "firmware/Ring1.RAW"


async def test_missing_names_and_non_files_are_not_found(root: Path) -> None:
    resolver = ContentResolver(root)
    for name in ("CTLSEP001122334455.tlv", "firmware", "firmware/none", "x/y/z"):
        with pytest.raises(TftpFileNotFoundError):
            await resolver.resolve(name, "192.0.2.1")
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("SIPDefault.cnf/inner", "192.0.2.1")
    fifo = root / "pipe"
    os.mkfifo(fifo)
    resolver.invalidate()
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("pipe", "192.0.2.1")


async def test_missing_root_serves_nothing(tmp_path: Path) -> None:
    resolver = ContentResolver(tmp_path / "absent")
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("SIPDefault.cnf", "192.0.2.1")


async def test_absolute_path_stays_inside_root(root: Path) -> None:
    resolver = ContentResolver(root)
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve(str(root.parent / "secret.txt"), "192.0.2.1")


async def test_symlinks_leaving_the_root_are_refused(root: Path) -> None:
    (root / "escape.txt").symlink_to(root.parent / "secret.txt")
    (root / "escape_dir").symlink_to(root.parent)
    (root / "inside.txt").symlink_to(root / "SIPDefault.cnf")
    (root / "dangling").symlink_to(root / "nowhere")
    resolver = ContentResolver(root)
    with pytest.raises(TftpAccessError):
        await resolver.resolve("escape.txt", "192.0.2.1")
    with pytest.raises(TftpAccessError):
        await resolver.resolve("escape_dir/secret.txt", "192.0.2.1")
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("dangling", "192.0.2.1")
    inside = await resolver.resolve("INSIDE.txt", "192.0.2.1")
    assert inside.content == b"static default\n"


async def test_generated_files_win_and_swap_atomically(root: Path) -> None:
    resolver = ContentResolver(root)
    first = GeneratedFile("SIPDefault.cnf", b"generated v1", None)
    resolver.set_generated({"SIPDefault.cnf": first})
    found = await resolver.resolve("sipdefault.cnf", "192.0.2.1")
    assert found.content == b"generated v1"
    assert found.source is ContentSource.GENERATED
    assert found.digest == first.digest
    resolver.set_generated(
        {"SIP001122334455.cnf": Generated("SIP001122334455.cnf", b"x")}
    )
    found = await resolver.resolve("SIPDefault.cnf", "192.0.2.1")
    assert found.source is ContentSource.STATIC
    assert resolver.resolve_nowait("sip001122334455.CNF", "192.0.2.1") is not None


async def test_client_hook_serves_per_phone_content(root: Path) -> None:
    resolver = ContentResolver(root)
    seen: list[tuple[str, str]] = []

    def hook(name: str, client_ip: str) -> Generated | None:
        seen.append((name, client_ip))
        return (
            Generated("OS79XX.TXT", b"P0S3-08-12-00") if name == "os79xx.txt" else None
        )

    resolver.set_client_hook(hook)
    found = await resolver.resolve("/OS79XX.TXT", "192.0.2.7")
    assert found.content == b"P0S3-08-12-00"
    assert ("os79xx.txt", "192.0.2.7") in seen
    static = await resolver.resolve("SIPDefault.cnf", "192.0.2.7")
    assert static.source is ContentSource.STATIC
    resolver.set_client_hook(None)
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("OS79XX.TXT", "192.0.2.7")


async def test_concurrent_misses_share_one_read_and_one_copy(root: Path) -> None:
    resolver = ContentResolver(root)
    results = await asyncio.gather(
        *(resolver.resolve("p0s3-08-12-00.SB2", "192.0.2.1") for _ in range(20))
    )
    stats = resolver.stats
    assert stats.disk_reads == 1
    assert stats.dir_scans == 1
    assert stats.cached_files == 1
    assert stats.cached_bytes == 3000
    assert all(r.content is results[0].content for r in results)


async def test_memory_fast_path_after_first_lookup(root: Path) -> None:
    resolver = ContentResolver(root, stat_ttl=60)
    assert resolver.resolve_nowait("SIPDefault.cnf", "192.0.2.1") is None
    await resolver.resolve("SIPDefault.cnf", "192.0.2.1")
    hit = resolver.resolve_nowait("sipdefault.cnf", "192.0.2.1")
    assert hit is not None
    assert hit.content == b"static default\n"
    with pytest.raises(TftpFileNotFoundError):
        resolver.resolve_nowait("CTLSEP001122334455.tlv", "192.0.2.1")
    # listed but not read yet: the disk is needed
    assert resolver.resolve_nowait("P0S3-08-12-00.sb2", "192.0.2.1") is None


async def test_changed_file_is_reread_and_old_copy_dropped(root: Path) -> None:
    resolver = ContentResolver(root, stat_ttl=0)
    path = root / "SIPDefault.cnf"
    assert (await resolver.resolve("SIPDefault.cnf", "1.2.3.4")).content == (
        b"static default\n"
    )
    path.write_bytes(b"changed, and longer than before\n")
    os.utime(path, ns=(1, 10**18))
    found = await resolver.resolve("SIPDefault.cnf", "1.2.3.4")
    assert found.content == b"changed, and longer than before\n"
    assert resolver.stats.cached_files == 1
    assert resolver.stats.disk_reads == 2


async def test_cache_budget_evicts_least_recently_used(root: Path) -> None:
    resolver = ContentResolver(root, cache_bytes=3010)
    await resolver.resolve("P0S3-08-12-00.sb2", "1.2.3.4")
    await resolver.resolve("SIPDefault.cnf", "1.2.3.4")
    assert resolver.stats.cached_files == 1  # the 3000-byte image was evicted
    assert resolver.stats.cached_bytes == len(b"static default\n")
    small = ContentResolver(root, cache_bytes=100)
    await small.resolve("P0S3-08-12-00.sb2", "1.2.3.4")
    assert small.stats.cached_files == 0  # too big to cache, still served


async def test_oversized_file_is_refused(root: Path) -> None:
    resolver = ContentResolver(root, max_file_size=100)
    with pytest.raises(TftpAccessError):
        await resolver.resolve("P0S3-08-12-00.sb2", "1.2.3.4")


async def test_file_vanishing_after_listing_is_not_found(root: Path) -> None:
    resolver = ContentResolver(root, stat_ttl=60)
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("nothing-here", "1.2.3.4")
    (root / "SIPDefault.cnf").unlink()
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("SIPDefault.cnf", "1.2.3.4")


async def test_unreadable_file_is_access_violation(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.cisco_ip_phone.provisioning.tftp import resolver as module

    def refused(path: str) -> tuple[bytes, tuple[str, int, int, int, int]]:
        raise PermissionError(13, "Permission denied", path)

    resolver = ContentResolver(root, stat_ttl=60)
    monkeypatch.setattr(module, "read_file", refused)
    with pytest.raises(TftpAccessError, match="Permission denied"):
        await resolver.resolve("SIPDefault.cnf", "1.2.3.4")


async def test_a_file_that_became_a_directory_after_listing_is_not_found(
    root: Path,
) -> None:
    """Files are looked at when asked for, so the listing's word is not final."""
    resolver = ContentResolver(root, stat_ttl=60)
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("nothing-here", "1.2.3.4")
    target = root / "SIPDefault.cnf"
    target.unlink()
    target.mkdir()
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("SIPDefault.cnf", "1.2.3.4")


async def test_file_changed_during_read_is_served_but_not_cached(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.cisco_ip_phone.provisioning.tftp import resolver as module

    real_stat = module.stat_entry

    def stat_then_change(entry: Any) -> Any:
        looked = real_stat(entry)
        (root / "SIPDefault.cnf").write_bytes(b"new content, different size")
        return looked

    monkeypatch.setattr(module, "stat_entry", stat_then_change)
    resolver = ContentResolver(root, stat_ttl=60)
    found = await resolver.resolve("SIPDefault.cnf", "1.2.3.4")
    assert found.content == b"new content, different size"
    assert resolver.stats.cached_files == 0


def test_root_is_resolved(root: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(root)
    assert ContentResolver(link).root == root.resolve()


async def test_listing_failure_is_raised_not_cached(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.cisco_ip_phone.provisioning.tftp import resolver as module

    def broken(root: str, directory: str) -> dict[str, object]:
        raise ValueError("listing bug")

    monkeypatch.setattr(module, "scan_dir", broken)
    resolver = ContentResolver(root)
    with pytest.raises(ValueError, match="listing bug"):
        await resolver.resolve("SIPDefault.cnf", "1.2.3.4")
    monkeypatch.undo()
    found = await resolver.resolve("SIPDefault.cnf", "1.2.3.4")
    assert found.content == b"static default\n"


@pytest.mark.parametrize("fail_listing", [False, True])
async def test_bookkeeping_when_the_executor_hands_back_a_finished_future(
    root: Path, monkeypatch: pytest.MonkeyPatch, fail_listing: bool
) -> None:
    """Since Python 3.14 a quick job's future can be finished on return.

    Awaiting it does not yield, so its done callbacks have not run when
    resolve() returns: the cache and a failed listing must be handled anyway.
    """
    from custom_components.cisco_ip_phone.provisioning.tftp import resolver as module

    loop = asyncio.get_running_loop()

    def finished(executor: object, func: Any, *args: Any) -> asyncio.Future[Any]:
        future = loop.create_future()
        try:
            future.set_result(func(*args))
        except Exception as err:  # handed to the awaiting code, as an executor does
            future.set_exception(err)
        return future

    def broken(root: str, directory: str) -> dict[str, object]:
        raise ValueError("listing bug")

    monkeypatch.setattr(loop, "run_in_executor", finished)
    resolver = ContentResolver(root, stat_ttl=60)
    if fail_listing:
        with monkeypatch.context() as patched:
            patched.setattr(module, "scan_dir", broken)
            with pytest.raises(ValueError, match="listing bug"):
                await resolver.resolve("SIPDefault.cnf", "1.2.3.4")
    found = await resolver.resolve("SIPDefault.cnf", "1.2.3.4")
    assert found.content == b"static default\n"
    assert resolver.stats.cached_files == 1
    hit = resolver.resolve_nowait("SIPDefault.cnf", "1.2.3.4")
    assert hit is not None


def _age_listings(resolver: ContentResolver, seconds: float) -> None:
    """Make every directory listing look ``seconds`` older than it is."""
    from custom_components.cisco_ip_phone.provisioning.tftp.index import DirIndex

    resolver._dirs = {
        key: DirIndex(index.entries, index.scanned_at - seconds)
        for key, index in resolver._dirs.items()
    }


async def _scans_done(resolver: ContentResolver) -> None:
    for _ in range(500):
        if not resolver._scans:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("a listing never finished")


async def test_a_listing_past_half_its_age_is_renewed_while_it_answers(
    root: Path,
) -> None:
    """A busy server never finds its index expired, so no lookup waits."""
    resolver = ContentResolver(root, stat_ttl=10)
    await resolver.resolve("SIPDefault.cnf", "192.0.2.1")
    assert resolver.stats.dir_scans == 1
    _age_listings(resolver, 4)  # younger than half: nothing to do
    assert resolver.resolve_nowait("SIPDefault.cnf", "192.0.2.1") is not None
    assert resolver.stats.dir_scans == 1
    (root / "Added.raw").write_bytes(b"new")
    _age_listings(resolver, 2)  # now 6 s old: answered, and listed again
    assert resolver.resolve_nowait("SIPDefault.cnf", "192.0.2.1") is not None
    assert resolver.resolve_nowait("SIPDefault.cnf", "192.0.2.1") is not None
    assert resolver.stats.dir_scans == 2  # one listing, however many lookups
    await _scans_done(resolver)
    added = await resolver.resolve("added.RAW", "192.0.2.1")
    assert added.content == b"new"
    assert resolver.stats.dir_scans == 2  # the renewed listing answered


def test_a_lookup_outside_the_event_loop_does_not_list_in_the_background(
    root: Path,
) -> None:
    resolver = ContentResolver(root, stat_ttl=10)
    asyncio.run(resolver.resolve("SIPDefault.cnf", "192.0.2.1"))
    _age_listings(resolver, 6)
    assert resolver.resolve_nowait("SIPDefault.cnf", "192.0.2.1") is not None
    assert resolver.stats.dir_scans == 1


async def test_a_listing_running_when_the_root_changes_is_dropped(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """invalidate() after an upload: a listing taken before it never answers."""
    import threading

    from custom_components.cisco_ip_phone.provisioning.tftp import resolver as module

    real_scan = module.scan_dir
    listed = threading.Event()
    may_finish = threading.Event()

    def slow_scan(root_str: str, directory: str) -> dict[str, Any]:
        found = real_scan(root_str, directory)
        listed.set()
        may_finish.wait(10)
        return found

    resolver = ContentResolver(root, stat_ttl=10)
    await resolver.resolve("SIPDefault.cnf", "192.0.2.1")
    monkeypatch.setattr(module, "scan_dir", slow_scan)
    _age_listings(resolver, 6)
    assert resolver.resolve_nowait("SIPDefault.cnf", "192.0.2.1") is not None
    await asyncio.get_running_loop().run_in_executor(None, listed.wait, 10)
    (root / "Uploaded.loads").write_bytes(b"upload")
    resolver.invalidate()  # what the FTP upload does
    monkeypatch.setattr(module, "scan_dir", real_scan)
    may_finish.set()
    uploaded = await resolver.resolve("uploaded.loads", "192.0.2.1")
    assert uploaded.content == b"upload"
    await asyncio.sleep(0.05)  # the old listing ends: it must not be stored
    again = await resolver.resolve("Uploaded.loads", "192.0.2.1")
    assert again.content == b"upload"


async def test_a_listing_looks_at_no_file_until_one_is_asked_for(root: Path) -> None:
    """Names and types only; each file asked for is looked at once, shared."""
    for index in range(50):
        (root / f"SIP00270D{index:06X}.cnf").write_bytes(b"old")
    resolver = ContentResolver(root, stat_ttl=60)
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("CTLSEP00270D000001.tlv", "192.0.2.1")
    assert resolver.stats.file_stats == 0
    with pytest.raises(TftpFileNotFoundError):  # a directory, from its type
        resolver.resolve_nowait("firmware", "192.0.2.1")
    assert resolver.resolve_nowait("SIPDefault.cnf", "192.0.2.1") is None
    results = await asyncio.gather(
        *(resolver.resolve("sipdefault.cnf", "192.0.2.1") for _ in range(20))
    )
    assert {r.content for r in results} == {b"static default\n"}
    assert resolver.stats.file_stats == 1
    assert resolver.stats.disk_reads == 1
    hit = resolver.resolve_nowait("SIPDefault.cnf", "192.0.2.1")
    assert hit is not None
    assert hit.name == "SIPDefault.cnf"
    ring = await resolver.resolve("FIRMWARE/ring1.raw", "192.0.2.1")
    assert ring.name == "firmware/Ring1.RAW"
    assert resolver.stats.file_stats == 2


async def test_a_file_gone_before_it_was_looked_at_is_not_found(root: Path) -> None:
    resolver = ContentResolver(root, stat_ttl=60)
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("nothing-here", "1.2.3.4")
    (root / "P0S3-08-12-00.sb2").unlink()
    with pytest.raises(TftpFileNotFoundError):
        await resolver.resolve("P0S3-08-12-00.sb2", "1.2.3.4")
    with pytest.raises(TftpFileNotFoundError):  # from memory now
        resolver.resolve_nowait("P0S3-08-12-00.sb2", "1.2.3.4")
    assert resolver.stats.file_stats == 1


async def test_names_equal_but_for_case_and_links_to_non_files(root: Path) -> None:
    """The first name in sorted order wins; a link to a pipe is not a file."""
    (root / "Ring.cnf").write_bytes(b"upper first")
    (root / "ring.CNF").write_bytes(b"lower second")
    os.mkfifo(root / "pipe")
    (root / "to-pipe").symlink_to(root / "pipe")
    resolver = ContentResolver(root, stat_ttl=60)
    found = await resolver.resolve("RING.cnf", "1.2.3.4")
    assert (found.name, found.content) == ("Ring.cnf", b"upper first")
    for name in ("pipe", "to-pipe"):
        with pytest.raises(TftpFileNotFoundError):
            await resolver.resolve(name, "1.2.3.4")
