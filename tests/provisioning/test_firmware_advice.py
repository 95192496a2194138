"""Update-entity advice, decided in the engine (issue #10)."""

from __future__ import annotations

from pathlib import Path

from custom_components.cisco_ip_phone.provisioning.firmware import (
    FirmwareCatalog,
    advice,
    scan_catalog,
)

SIP_63 = "P0S3-06-3-00"
TARGET = "P0S3-8-12-00"


def _root(tmp_path: Path) -> FirmwareCatalog:
    (tmp_path / f"{SIP_63}.bin").write_bytes(b"\x01" * 100)
    (tmp_path / f"{TARGET}.loads").write_bytes(
        f"{TARGET}.loads\nP003-8-12-00.sbn\n{TARGET}.sb2\nLA_VERSION=PAS30830\n".encode()
    )
    (tmp_path / "P003-8-12-00.sbn").write_bytes(b"\x02" * 100)
    (tmp_path / f"{TARGET}.sb2").write_bytes(b"\x03" * 100)
    return scan_catalog(tmp_path)


def test_newest_image_needs_a_catalog_and_a_known_image(tmp_path: Path) -> None:
    catalog = _root(tmp_path)
    assert advice.newest_image(None, SIP_63) is None
    assert advice.newest_image(catalog, None) is None
    assert advice.newest_image(catalog, "not an image") is None
    assert advice.newest_image(catalog, SIP_63) == TARGET


def test_versions_compare_by_release_any_spelling() -> None:
    assert advice.is_newer(TARGET, SIP_63)
    assert not advice.is_newer("P0S3-08-12-00", TARGET)
    assert advice.is_newer("custom", "other")
    assert advice.same_image("P0S3-08-12-00", TARGET)
    assert advice.same_image("Custom", "custom")
    assert not advice.same_image("custom", TARGET)
    assert advice.runs_sip(TARGET)
    assert not advice.runs_sip("P00303020214")
    assert not advice.runs_sip(None)


def test_first_step_of_an_unidentified_old_phone(tmp_path: Path) -> None:
    catalog = _root(tmp_path)
    assert advice.first_step(None, TARGET) is None
    assert advice.first_step(catalog, "not an image") is None
    assert advice.first_step(catalog, TARGET) == SIP_63
    assert advice.first_step(FirmwareCatalog(tmp_path / "empty"), TARGET) is None
