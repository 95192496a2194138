"""Catalog of the firmware in the TFTP root: what each image needs, what is missing.

A phone that is told an image whose files are incomplete fails half-way (a
loader with no application is "Protocol Application Invalid"), so before a
hop is offered the server must know, per image, every file the phone will
ask for and whether it is there. The scan is blocking file-system work: call
:func:`scan_catalog` in an executor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
import os
from pathlib import Path, PurePosixPath
import stat
from types import MappingProxyType

from .loads import MAX_LOADS_BYTES, LoadsError, LoadsManifest, parse_loads
from .names import (
    FirmwareImage,
    FirmwareNameError,
    Protocol,
    Role,
    parse_image_name,
)


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """A firmware file on disk; ``path`` is relative to the root, ``/``-separated."""

    path: str
    size: int

    @property
    def name(self) -> str:
        """Return the bare file name, the way a phone requests it."""
        return PurePosixPath(self.path).name


@dataclass(frozen=True, slots=True)
class CatalogImage:
    """One image found in the root and the files it needs.

    ``needed`` are the names a phone will request for the image's manifest
    form (the ``.loads`` and what it lists); an image that only exists as old
    single files (``.bin``/``.sbn`` whole images, or a loader) needs just
    those. ``present`` maps each needed name to the file found for it (names
    match case-insensitively, as the TFTP server serves them).
    ``single_files`` are whole-image files a phone on an old image can load
    straight from ``OS79XX.TXT``.
    """

    image: FirmwareImage
    directory: str
    needed: tuple[str, ...]
    present: Mapping[str, CatalogFile]
    manifest: LoadsManifest | None = None
    single_files: tuple[CatalogFile, ...] = ()
    error: str | None = None

    @property
    def name(self) -> str:
        """Return the image name as spelled on disk (what phones must be told)."""
        return self.image.base

    @property
    def missing(self) -> tuple[str, ...]:
        """Return the needed names that are not on the server."""
        return tuple(name for name in self.needed if name not in self.present)

    @property
    def complete(self) -> bool:
        """Tell whether every needed file is present and the manifest is valid."""
        return self.error is None and not self.missing

    @property
    def reachable(self) -> bool:
        """Tell whether phones can fetch it: they request bare names at the root."""
        return self.directory == ""

    @property
    def size(self) -> int:
        """Return the bytes of the files present for it (for display)."""
        return sum(item.size for item in self.present.values())

    def single_file(self, *, signed: bool) -> CatalogFile | None:
        """Return the whole-image file of the given kind (.sbn signed, .bin not)."""
        extension = ".sbn" if signed else ".bin"
        for item in self.single_files:
            if item.name.lower().endswith(extension):
                return item
        return None


@dataclass(frozen=True, slots=True)
class FirmwareCatalog:
    """Every firmware image under a root, with lookups the planner needs.

    ``files`` is keyed by the lower-case relative path. ``problems`` lists
    files that could not be read, in words a user can act on.
    """

    root: Path
    images: tuple[CatalogImage, ...] = ()
    files: Mapping[str, CatalogFile] = field(
        default_factory=lambda: MappingProxyType({})
    )
    problems: tuple[str, ...] = ()

    def file(self, name: str, directory: str = "") -> CatalogFile | None:
        """Return the file a phone asking for ``name`` would get, if any."""
        key = f"{directory}/{name}" if directory else name
        return self.files.get(key.lower())

    def image(self, name: str) -> CatalogImage | None:
        """Return the reachable image spelled ``name`` (any case), if any."""
        base = parse_image_name(name).base.lower()
        for entry in self.images:
            if entry.reachable and entry.name.lower() == base:
                return entry
        return None

    def releases(self, image: FirmwareImage) -> tuple[CatalogImage, ...]:
        """Return every reachable image that is ``image``'s release, any spelling."""
        return tuple(
            entry
            for entry in self.images
            if entry.reachable and entry.image.same_release(image)
        )

    def spelling_of(self, name: str) -> str | None:
        """Return the spelling of ``name``'s release present in the root.

        ``P0S3-08-12-00`` and ``P0S3-8-12-00`` are one release but different
        files; a phone must be told the name that exists. The exact spelling
        wins, then a complete image, then the first by name.
        """
        wanted = parse_image_name(name)
        entries = self.releases(wanted)
        if not entries:
            return None
        best = min(
            entries,
            key=lambda entry: (
                entry.name.lower() != wanted.base.lower(),
                not entry.complete,
                entry.name,
            ),
        )
        return best.name


# ---------------------------------------------------------------------- scanning


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(root)
    except (OSError, ValueError, RuntimeError):
        return False
    return True


def _walk(root: Path, problems: list[str]) -> Iterator[tuple[str, Path, int]]:
    """Yield (relative posix path, path, size) of every regular file in root.

    Symlinked directories are not entered and symlinked files count only
    when they resolve inside the root, so the catalog never describes a file
    the TFTP server would refuse to serve.
    """

    def report(error: OSError) -> None:
        problems.append(f"cannot list {error.filename}: {error.strerror}")

    for directory, dirnames, filenames in os.walk(root, onerror=report):
        dirnames.sort()
        base = Path(directory)
        for filename in sorted(filenames):
            path = base / filename
            try:
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    if not _inside(root, path):
                        continue
                    info = path.stat()
            except OSError as err:
                problems.append(f"cannot read {filename}: {err.strerror}")
                continue
            if stat.S_ISREG(info.st_mode):
                yield path.relative_to(root).as_posix(), path, info.st_size


def _read_manifest(path: Path) -> LoadsManifest:
    with path.open("rb") as handle:
        data = handle.read(MAX_LOADS_BYTES + 1)
    return parse_loads(data)


@dataclass
class _Group:
    directory: str
    base: str
    files: dict[str, tuple[CatalogFile, Path, FirmwareImage]] = field(
        default_factory=dict
    )


def _group_image(group: _Group) -> FirmwareImage:
    try:
        return parse_image_name(group.base)
    except FirmwareNameError:  # termNN.default only has a meaning as .loads
        return next(iter(group.files.values()))[2]


def _build_image(
    group: _Group, lookup: Mapping[str, CatalogFile], root: Path
) -> CatalogImage:
    image = _group_image(group)
    by_extension = group.files
    singles = tuple(
        item
        for ext, (item, _path, parsed) in sorted(by_extension.items())
        if ext in {".bin", ".sbn"}
        and (
            parsed.role is Role.IMAGE
            or (parsed.role is Role.LOADER and image.protocol is Protocol.UNIVERSAL)
        )
    )
    manifest: LoadsManifest | None = None
    error: str | None = None
    if ".loads" in by_extension:
        loads_file, loads_path, _ = by_extension[".loads"]
        needed: tuple[str, ...] = (loads_file.name,)
        try:
            manifest = _read_manifest(loads_path)
        except OSError as err:
            error = f"cannot read {loads_file.path}: {err.strerror}"
        except LoadsError as err:
            error = f"{loads_file.path}: {err}"
        else:
            needed += manifest.files
    elif singles:
        needed = tuple(item.name for item in singles)
    else:  # an .sb2 or a loader-era .sbn without the manifest that names it
        others = (item.name for item, _path, _parsed in by_extension.values())
        needed = (f"{image.base}.loads", *sorted(others))
    prefix = f"{group.directory}/" if group.directory else ""
    present = {
        name: found
        for name in needed
        if (found := lookup.get(f"{prefix}{name}".lower())) is not None
    }
    return CatalogImage(
        image=image,
        directory=group.directory,
        needed=needed,
        present=MappingProxyType(present),
        manifest=manifest,
        single_files=singles,
        error=error,
    )


def scan_catalog(root: Path) -> FirmwareCatalog:
    """Return the firmware catalog of ``root`` (blocking: run it in an executor).

    Every file whose name is a firmware name is recorded; files are grouped
    into images by name (``X.loads``, ``X.sb2``, ``X.sbn``, ``X.bin``), each
    ``.loads`` is read to learn what the image needs, and Java phone parts
    are only files (their manifest makes the image).
    """
    resolved = Path(root).resolve()
    if not resolved.is_dir():
        raise NotADirectoryError(f"firmware root {root} is not a directory")
    problems: list[str] = []
    lookup: dict[str, CatalogFile] = {}
    groups: dict[tuple[str, str], _Group] = {}
    for relative, path, size in _walk(resolved, problems):
        try:
            parsed = parse_image_name(path.name)
        except FirmwareNameError:
            continue
        if not parsed.extension:  # phones never ask for an image without one
            continue
        item = CatalogFile(relative, size)
        lookup.setdefault(relative.lower(), item)
        if parsed.role is Role.PART:
            continue
        directory = PurePosixPath(relative).parent.as_posix()
        directory = "" if directory == "." else directory
        key = (directory, parsed.base.lower())
        group = groups.setdefault(key, _Group(directory, parsed.base))
        group.files.setdefault(parsed.extension, (item, path, parsed))
    images = sorted(
        (_build_image(group, lookup, resolved) for group in groups.values()),
        key=lambda entry: (entry.directory, entry.name.lower()),
    )
    return FirmwareCatalog(
        root=resolved,
        images=tuple(images),
        files=MappingProxyType(lookup),
        problems=tuple(problems),
    )
