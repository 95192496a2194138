"""Catalog of a real TFTP root on disk: images, needed, present, missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from custom_components.cisco_ip_phone.provisioning.firmware import (
    MAX_LOADS_BYTES,
    FirmwareCatalog,
    Protocol,
    Role,
    catalog as firmware_catalog,
    scan_catalog,
)

from .test_firmware_loads import make_loads

SIP_812_FILES = {
    "P003-8-12-00.bin": 130_552,
    "P003-8-12-00.sbn": 130_956,
    "P0S3-8-12-00.sb2": 756_524,
}


def write(root: Path, name: str, data: bytes | int) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else b"\xa5" * data)
    return path


def sip_812_loads(name: str = "P0S3-8-12-00") -> bytes:
    loader = "P003" + name[4:]
    return make_loads(
        f"{name}.loads", f"{loader}.sbn", f"{name}.sb2", "LA_VERSION=PAS30830"
    )


def put_sip_812(root: Path, directory: str = "", *, skip: str = "") -> None:
    prefix = f"{directory}/" if directory else ""
    write(root, f"{prefix}P0S3-8-12-00.loads", sip_812_loads())
    for name, size in SIP_812_FILES.items():
        if name != skip:
            write(root, prefix + name, size)


def test_complete_sip_812_package(tmp_path: Path) -> None:
    put_sip_812(tmp_path)
    write(tmp_path, "SIPDefault.cnf", b"image_version: P0S3-8-12-00\n")
    write(tmp_path, "OS79XX.TXT", b"P003-8-12-00")
    catalog = scan_catalog(tmp_path)

    assert [entry.name for entry in catalog.images] == ["P003-8-12-00", "P0S3-8-12-00"]
    loader, app = catalog.images
    assert loader.image.role is Role.LOADER
    assert loader.complete
    assert [item.name for item in loader.single_files] == [
        "P003-8-12-00.bin",
        "P003-8-12-00.sbn",
    ]
    assert loader.single_file(signed=True).size == 130_956  # type: ignore[union-attr]
    assert loader.single_file(signed=False).size == 130_552  # type: ignore[union-attr]

    assert app.image.protocol is Protocol.SIP
    assert app.needed == ("P0S3-8-12-00.loads", "P003-8-12-00.sbn", "P0S3-8-12-00.sb2")
    assert app.missing == ()
    assert app.complete
    assert app.reachable
    assert app.manifest is not None
    assert app.manifest.loader_version == "PAS30830"
    assert app.present["P0S3-8-12-00.sb2"].size == 756_524
    assert app.size == len(sip_812_loads()) + 130_956 + 756_524
    assert app.single_files == ()
    assert app.single_file(signed=True) is None
    assert catalog.problems == ()
    assert "sipdefault.cnf" not in catalog.files
    assert catalog.file("p0s3-8-12-00.SB2") == catalog.files["p0s3-8-12-00.sb2"]


def test_missing_application_is_reported(tmp_path: Path) -> None:
    put_sip_812(tmp_path, skip="P0S3-8-12-00.sb2")
    app = scan_catalog(tmp_path).image("P0S3-8-12-00")
    assert app is not None
    assert app.missing == ("P0S3-8-12-00.sb2",)
    assert not app.complete


def test_names_match_case_insensitively(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-8-12-00.loads", sip_812_loads())
    write(tmp_path, "p003-8-12-00.SBN", 10)
    write(tmp_path, "P0S3-8-12-00.SB2", 20)
    app = scan_catalog(tmp_path).image("p0s3-8-12-00")
    assert app is not None
    assert app.complete
    assert app.present["P003-8-12-00.sbn"].path == "p003-8-12-00.SBN"


def test_application_without_manifest_needs_it(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-8-12-00.sb2", 20)
    write(tmp_path, "P00308010200.sbn", 20)
    catalog = scan_catalog(tmp_path)
    sip = catalog.image("P0S3-8-12-00")
    sccp = catalog.image("P00308010200")
    assert sip is not None
    assert sccp is not None
    assert sip.missing == ("P0S3-8-12-00.loads",)
    assert sip.needed == ("P0S3-8-12-00.loads", "P0S3-8-12-00.sb2")
    # A loader-era SCCP .sbn is the loader of a package whose manifest is missing.
    assert sccp.missing == ("P00308010200.loads",)
    assert not sccp.complete


def test_sccp_package(tmp_path: Path) -> None:
    write(
        tmp_path,
        "P00308010200.loads",
        make_loads("P00308010200.loads", "P00308010200.sbn", "P00308010200.sb2"),
    )
    write(tmp_path, "P00308010200.sbn", 130_956)
    write(tmp_path, "P00308010200.sb2", 708_460)
    write(tmp_path, "P00308010200.bin", 130_552)
    entry = scan_catalog(tmp_path).image("P00308010200")
    assert entry is not None
    assert entry.complete
    assert entry.image.role is Role.APPLICATION
    assert entry.single_files == ()  # its .sbn/.bin are the loader, not the image


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x00\x01 garbage", "names no .sbn"),
        (b"P0S3-8-12-00.sb2\x00" * (MAX_LOADS_BYTES // 10), "too large"),
    ],
)
def test_bad_manifest_is_an_error_not_a_crash(
    tmp_path: Path, data: bytes, fragment: str
) -> None:
    write(tmp_path, "P0S3-8-12-00.loads", data)
    write(tmp_path, "P0S3-8-12-00.sb2", 20)
    entry = scan_catalog(tmp_path).image("P0S3-8-12-00")
    assert entry is not None
    assert entry.error is not None
    assert fragment in entry.error
    assert entry.needed == ("P0S3-8-12-00.loads",)
    assert not entry.complete


def test_unreadable_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, so a permission error has to be simulated.
    write(tmp_path, "P0S3-8-12-00.loads", sip_812_loads())

    def refuse(path: Path) -> firmware_catalog.LoadsManifest:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(firmware_catalog, "_read_manifest", refuse)
    entry = scan_catalog(tmp_path).image("P0S3-8-12-00")
    assert entry is not None
    assert entry.error == "cannot read P0S3-8-12-00.loads: Permission denied"


def test_old_single_images(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-06-3-00.bin", 30)
    write(tmp_path, "P0S3-06-3-00.sbn", 31)
    write(tmp_path, "P0S30603.bin", 32)
    write(tmp_path, "P0S3-07-4-00.sbn", 33)
    catalog = scan_catalog(tmp_path)
    names = [entry.name for entry in catalog.images]
    assert names == ["P0S3-06-3-00", "P0S3-07-4-00", "P0S30603"]
    six = catalog.image("P0S3-06-3-00")
    assert six is not None
    assert six.complete
    assert six.needed == ("P0S3-06-3-00.bin", "P0S3-06-3-00.sbn")
    assert six.single_file(signed=False).name == "P0S3-06-3-00.bin"  # type: ignore[union-attr]
    old = catalog.image("P0S30603")
    assert old is not None
    assert old.single_file(signed=True) is None


def test_java_manifest_and_parts(tmp_path: Path) -> None:
    parts = ["jar41sip.8-5-4TH1-9.sbn", "apps41.8-5-4TH1-9.sbn", "dsp41.8-5-4TH1-9.sbn"]
    write(tmp_path, "SIP41.8-5-4S.loads", make_loads("SIP41.8-5-4S.loads", *parts))
    write(tmp_path, parts[0], 100)
    write(tmp_path, parts[1], 100)
    write(tmp_path, "term41.default.loads", make_loads("term41.default.loads", *parts))
    catalog = scan_catalog(tmp_path)
    assert [entry.name for entry in catalog.images] == [
        "SIP41.8-5-4S",
        "term41.default",
    ]
    java = catalog.images[0]
    assert java.missing == ("dsp41.8-5-4TH1-9.sbn",)
    assert catalog.images[1].image.factory_default
    assert catalog.file(parts[0]) is not None


def test_subdirectories_are_cataloged_but_not_reachable(tmp_path: Path) -> None:
    put_sip_812(tmp_path, "firmware/sip")
    catalog = scan_catalog(tmp_path)
    app = next(entry for entry in catalog.images if entry.name == "P0S3-8-12-00")
    assert app.directory == "firmware/sip"
    assert app.complete
    assert not app.reachable
    assert app.present["P0S3-8-12-00.sb2"].path == "firmware/sip/P0S3-8-12-00.sb2"
    assert catalog.image("P0S3-8-12-00") is None
    assert catalog.spelling_of("P0S3-8-12-00") is None
    assert catalog.file("P0S3-8-12-00.sb2", "firmware/sip") is not None


def test_symlinks_never_lead_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "tftp"
    outside = tmp_path / "outside"
    put_sip_812(outside)
    root.mkdir()
    (root / "P0S3-8-12-00.sb2").symlink_to(outside / "P0S3-8-12-00.sb2")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "P003-8-12-00.sbn").symlink_to(root / "missing.sbn")  # broken
    write(root, "real/P0S3-07-4-00.sbn", 7)
    (root / "P0S3-07-4-00.sbn").symlink_to(root / "real/P0S3-07-4-00.sbn")
    catalog = scan_catalog(root)
    assert sorted(catalog.files) == ["p0s3-07-4-00.sbn", "real/p0s3-07-4-00.sbn"]
    assert catalog.file("P0S3-07-4-00.sbn").size == 7  # type: ignore[union-attr]


def test_root_given_through_a_symlink(tmp_path: Path) -> None:
    put_sip_812(tmp_path / "real")
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    catalog = scan_catalog(tmp_path / "alias")
    assert catalog.root == (tmp_path / "real").resolve()
    assert len(catalog.images) == 2


def test_other_files_are_ignored(tmp_path: Path) -> None:
    for name in ["RINGLIST.DAT", "dialplan.xml", "P0S3-8-12-00", "notes.bin", ".x.sb2"]:
        write(tmp_path, name, 5)
    os.mkfifo(tmp_path / "P0S3-07-4-00.sbn")  # not a regular file
    catalog = scan_catalog(tmp_path)
    assert catalog.images == ()
    assert catalog.files == {}


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        scan_catalog(tmp_path / "nope")
    write(tmp_path, "file", 1)
    with pytest.raises(NotADirectoryError):
        scan_catalog(tmp_path / "file")


def test_listing_and_stat_failures_become_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root can read everything, so unreadable directories/files are simulated.
    write(tmp_path, "locked/P0S3-8-12-00.sb2", 1)
    write(tmp_path, "P0S3-07-4-00.sbn", 1)
    write(tmp_path, "gone.sbn", 1)
    real_scandir = os.scandir
    real_lstat = Path.lstat

    def scandir(path: str | os.PathLike[str]) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def lstat(self: Path) -> os.stat_result:
        if self.name == "gone.sbn":
            raise FileNotFoundError(2, "No such file or directory", str(self))
        return real_lstat(self)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(Path, "lstat", lstat)
    catalog = scan_catalog(tmp_path)
    assert [entry.name for entry in catalog.images] == ["P0S3-07-4-00"]
    assert catalog.problems == (
        "cannot read gone.sbn: No such file or directory",
        f"cannot list {tmp_path / 'locked'}: Permission denied",
    )


def test_spelling_of_finds_the_name_on_disk(tmp_path: Path) -> None:
    put_sip_812(tmp_path)
    catalog = scan_catalog(tmp_path)
    assert catalog.spelling_of("P0S3-08-12-00") == "P0S3-8-12-00"
    assert catalog.spelling_of("P0S3-8-12-00.loads") == "P0S3-8-12-00"
    assert catalog.spelling_of("P003-08-12-00") == "P003-8-12-00"
    assert catalog.spelling_of("P0S3-8-11-00") is None


def test_spelling_of_prefers_exact_then_complete(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-08-12-00.sb2", 5)  # incomplete: no manifest
    put_sip_812(tmp_path)
    catalog = scan_catalog(tmp_path)
    assert catalog.spelling_of("P0S3-08-12-00") == "P0S3-08-12-00"
    assert catalog.spelling_of("P0S3-8-12-00") == "P0S3-8-12-00"
    write(tmp_path, "P0S3-06-3-00.bin", 5)
    write(tmp_path, "P0S30603.bin", 5)
    catalog = scan_catalog(tmp_path)
    # Neither spelling is the one asked for and both are complete: first by name.
    assert catalog.spelling_of("P0S3-6-3-00") == "P0S3-06-3-00"


def test_empty_catalog_defaults() -> None:
    catalog = FirmwareCatalog(Path("/nonexistent"))
    assert catalog.images == ()
    assert catalog.file("x.sbn") is None
    assert catalog.spelling_of("P0S3-8-12-00") is None
