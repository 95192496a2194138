"""Per-phone cost of rendering and importing does not grow with the phones.

Issue #16: adding the 1,001st phone re-rendered all 1,001 phones, and the
folder import listed and sorted the whole folder again for every phone.
Counted, never timed: phone renders and folder listings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from custom_components.cisco_ip_phone.provisioning.files import cnf_import
from custom_components.cisco_ip_phone.provisioning.files.cnf_import import (
    import_folder,
)
from custom_components.cisco_ip_phone.provisioning.files.render import (
    render_files,
)
from custom_components.cisco_ip_phone.provisioning.files.render_incremental import (
    IncrementalRenderer,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    DialRule,
    Line,
    PhoneConfig,
    ServerSettings,
    SettingsError,
)

SETTINGS = ServerSettings(
    sip_proxy="pbx.example.org",
    image_79x0="P0S3-8-12-00",
    dial_plan=(DialRule("9.*", 0),),
    xml_images={"41": "SIP41.9-4-2SR3-1S"},
)


def _phone(index: int, model: str = "7960") -> PhoneConfig:
    return PhoneConfig(
        mac=f"0011223300{index:02X}",
        model=model,
        lines=(Line(name=f"{100 + index}", password="pw"),),
    )


def _same(renderer: IncrementalRenderer, *args: object, **kwargs: object) -> int:
    """Render both ways, assert byte-identical output; return phones rendered."""
    before = renderer.phone_renders
    got = renderer.render(*args, **kwargs)  # type: ignore[arg-type]
    want = render_files(*args, **kwargs)  # type: ignore[arg-type]
    assert list(got) == list(want)
    assert {n: f.content for n, f in got.items()} == {
        n: f.content for n, f in want.items()
    }
    assert {n: f.mac for n, f in got.items()} == {n: f.mac for n, f in want.items()}
    return renderer.phone_renders - before


def test_adding_one_phone_renders_one_phone() -> None:
    renderer = IncrementalRenderer()
    phones = [_phone(i) for i in range(20)] + [_phone(40, "7941")]
    assert _same(renderer, SETTINGS, phones) == 21
    assert renderer.shared_changed
    phones.append(_phone(21))
    assert _same(renderer, SETTINGS, phones) == 1
    assert renderer.changed == {"001122330015"}
    assert not renderer.shared_changed
    assert _same(renderer, SETTINGS, phones) == 0
    assert renderer.changed == frozenset()


def test_per_phone_overrides_render_that_phone_only() -> None:
    renderer = IncrementalRenderer()
    phones = [_phone(i) for i in range(10)]
    _same(renderer, SETTINGS, phones)
    mac = phones[3].mac
    assert _same(renderer, SETTINGS, phones, images={mac: "P0S3-08-11-00"}) == 1
    assert renderer.changed == {mac}
    assert _same(renderer, SETTINGS, phones, images={mac: "P0S3-08-11-00"}) == 0
    assert _same(renderer, SETTINGS, phones, syncs={phones[0].mac: "7"}) == 2
    assert renderer.changed == {mac, phones[0].mac}
    assert not renderer.shared_changed
    overrides = {phones[1].mac.lower(): {"services_url": "http://ha/s.xml"}}
    kept = {"images": {mac: "P0S3-08-11-00"}, "syncs": {phones[0].mac: "7"}}
    assert _same(renderer, SETTINGS, phones, **kept, overrides=overrides) == 2
    assert _same(renderer, SETTINGS, phones, **kept, overrides=overrides) == 0
    assert _same(renderer, SETTINGS, phones) == 3  # every override dropped


def test_changed_phone_removed_phone_and_new_settings() -> None:
    renderer = IncrementalRenderer()
    phones = [_phone(i) for i in range(10)]
    _same(renderer, SETTINGS, phones)
    phones[2] = dataclasses.replace(phones[2], label="Kitchen")
    assert _same(renderer, SETTINGS, phones) == 1
    removed = phones.pop(5)
    assert _same(renderer, SETTINGS, phones) == 0
    assert renderer.changed == {removed.mac}
    assert f"SIP{removed.mac}.cnf" not in renderer.render(SETTINGS, phones)
    other = dataclasses.replace(SETTINGS, sip_proxy="pbx2.example.org")
    assert _same(renderer, other, phones) == len(phones)
    assert renderer.shared_changed


def test_a_failed_render_keeps_the_last_good_state() -> None:
    renderer = IncrementalRenderer()
    phones = [_phone(i) for i in range(3)]
    good = renderer.render(SETTINGS, phones)
    with pytest.raises(SettingsError, match="listed twice"):
        renderer.render(SETTINGS, [*phones, phones[0]])
    with pytest.raises(SettingsError):
        renderer.render(SETTINGS, phones, images={phones[0].mac: "bad name"})
    assert renderer.render(SETTINGS, phones) == good
    assert renderer.changed == frozenset()


def test_folder_import_lists_the_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "SIPDefault.cnf").write_text("proxy1_address: pbx.example.org\n")
    for index in range(30):
        mac = f"0011223300{index:02X}"
        (tmp_path / f"SIP{mac}.cnf").write_text(f"line1_name: {100 + index}\n")
        (tmp_path / f"SEP{mac}.cnf.xml").write_text(
            '<device><loadInformation model="IP Phone 7940">x</loadInformation>'
            "</device>"
        )
    listings: list[Path] = []
    real = Path.iterdir

    def counting(self: Path):  # type: ignore[no-untyped-def]
        listings.append(self)
        return real(self)

    monkeypatch.setattr(Path, "iterdir", counting)
    results = import_folder(tmp_path)
    assert len(results) == 30
    assert {r.phone.model for r in results} == {"7940"}
    assert listings == [tmp_path]


def test_listing_finds_names_in_any_case_and_skips_folders(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "B").write_text("x")
    listing = cnf_import._Listing(tmp_path)
    assert listing.find("A") is None
    assert listing.find("b") == tmp_path / "B"
    assert listing.find("missing") is None
