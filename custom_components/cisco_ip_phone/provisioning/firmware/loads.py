"""Read ``.loads`` manifests: which files an image needs on the server.

A ``.loads`` file is a small signed binary: a signature header, then the names
of the files that make up the image (``P0S3-8-12-00.loads``,
``P003-8-12-00.sbn``, ``P0S3-8-12-00.sb2``, ``LA_VERSION=PAS30830``). Its
exact layout is not documented, so the names are recovered from the printable
runs of the bytes: only runs that parse as firmware names count, which keeps
signature bytes that happen to be printable out of the result.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Final

from .names import (
    EXTENSIONS,
    FirmwareImage,
    FirmwareNameError,
    parse_image_name,
)

# Real manifests are 458-654 bytes; anything far larger is not one.
MAX_LOADS_BYTES: Final = 16 * 1024

_RUN = re.compile(rb"[A-Za-z0-9._=\-]{4,}")
_LA_VERSION = re.compile(rb"LA_VERSION=([A-Za-z0-9._\-]{1,64})")
# A name is at most 128 characters; a run may carry junk before it.
_TAIL = 160
# First letters of every firmware name (P0…, SIP/SCCP, term, jar/cnu/cvm/apps/dsp).
_FIRST_LETTERS = frozenset("PpSsTtJjCcAaDd")


class LoadsError(FirmwareNameError):
    """Bytes that are not a ``.loads`` manifest."""


@dataclass(frozen=True, slots=True)
class LoadsManifest:
    """What a ``.loads`` manifest says.

    ``name`` is the manifest's own file name as written inside it (None when
    it does not name itself); ``files`` are the other files the image needs,
    in manifest order, each spelled as the phone will request it.
    """

    name: str | None
    files: tuple[str, ...]
    loader_version: str | None

    @property
    def images(self) -> tuple[FirmwareImage, ...]:
        """Return the listed files, parsed."""
        return tuple(parse_image_name(name) for name in self.files)


def _file_name(run: str) -> str | None:
    """Return the firmware name a printable run ends with, if any.

    A run may start with signature bytes that happen to be printable, so the
    longest suffix that parses wins.
    """
    if not run.lower().endswith(EXTENSIONS):
        return None
    tail = run[-_TAIL:]
    for start in range(len(tail)):
        if tail[start] not in _FIRST_LETTERS:
            continue
        candidate = tail[start:]
        try:
            parse_image_name(candidate)
        except FirmwareNameError:
            continue
        return candidate
    return None


def parse_loads(data: bytes) -> LoadsManifest:
    """Return the manifest in ``data``; raise :class:`LoadsError` if there is none."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise LoadsError(
            f"a .loads manifest is bytes, not {type(data).__name__}", field="image"
        )
    raw = bytes(data)
    if len(raw) > MAX_LOADS_BYTES:
        raise LoadsError(
            f"{len(raw)} bytes is too large for a .loads manifest "
            f"(real ones are under 1 KiB; limit {MAX_LOADS_BYTES})",
            field="image",
        )
    own_name: str | None = None
    files: list[str] = []
    seen: set[str] = set()
    for match in _RUN.finditer(raw):
        name = _file_name(match.group().decode("ascii"))
        if name is None:
            continue
        if name.lower().endswith(".loads") and own_name is None:
            own_name = name
            seen.add(name.lower())
            continue
        if name.lower() not in seen:
            seen.add(name.lower())
            files.append(name)
    if not files:
        raise LoadsError(
            "not a .loads manifest: it names no .sbn, .sb2 or .bin file",
            field="image",
        )
    version = _LA_VERSION.search(raw)
    loader_version = version.group(1).decode("ascii") if version else None
    return LoadsManifest(own_name, tuple(files), loader_version)
