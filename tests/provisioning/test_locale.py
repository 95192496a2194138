"""Issue #13: language and tones of the XML phones, and the files they fetch."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from custom_components.cisco_ip_phone.provisioning.files.locale import (
    locale_files,
    missing_locale_files,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    MODELS,
    PhoneConfig,
    ServerSettings,
)
from custom_components.cisco_ip_phone.provisioning.tftp.resolver import (
    ContentResolver,
)

GERMAN = ServerSettings(user_locale="German_Germany", network_locale="Germany")


def test_each_family_asks_for_its_own_language_pack() -> None:
    """mk (79x1/79x2), be (79x5), td (797x); a 79x0 on SIP has none."""
    assert locale_files(GERMAN, MODELS["7961"]) == [
        "German_Germany/mk-sip.jar",
        "Germany/g3-tones.xml",
    ]
    assert locale_files(GERMAN, MODELS["7942"])[0].endswith("/mk-sip.jar")
    assert locale_files(GERMAN, MODELS["7965"])[0].endswith("/be-sip.jar")
    assert locale_files(GERMAN, MODELS["7971"])[0].endswith("/td-sip.jar")
    assert locale_files(GERMAN, MODELS["7960"]) == []
    assert locale_files(ServerSettings(), MODELS["7961"]) == []
    tones = dataclasses.replace(GERMAN, user_locale="")
    assert locale_files(tones, MODELS["7975"]) == ["Germany/g3-tones.xml"]


def test_missing_files_are_named_and_found_in_any_case(tmp_path: Path) -> None:
    phones = [
        PhoneConfig(mac="001122334401", model="7961"),
        PhoneConfig(mac="001122334402", model="7965"),
        PhoneConfig(mac="001122334403", model="7960"),
    ]
    assert missing_locale_files(tmp_path, GERMAN, phones) == [
        "German_Germany/be-sip.jar",
        "German_Germany/mk-sip.jar",
        "Germany/g3-tones.xml",
    ]
    (tmp_path / "german_germany").mkdir()
    (tmp_path / "german_germany" / "MK-SIP.JAR").write_bytes(b"jar")
    (tmp_path / "GERMANY").mkdir()
    (tmp_path / "GERMANY" / "g3-tones.xml").mkdir()  # a folder is not the file
    assert missing_locale_files(tmp_path, GERMAN, phones) == [
        "German_Germany/be-sip.jar",
        "Germany/g3-tones.xml",
    ]
    assert missing_locale_files(tmp_path / "gone", GERMAN, phones[:1]) == [
        "German_Germany/mk-sip.jar",
        "Germany/g3-tones.xml",
    ]


async def test_the_tftp_resolver_serves_them_under_the_name_asked(
    tmp_path: Path,
) -> None:
    """Uploaded as Cisco's installer names them; asked for as the file says."""
    folder = tmp_path / "german_germany"
    folder.mkdir()
    (folder / "MK-SIP.JAR").write_bytes(b"language pack")
    resolver = ContentResolver(tmp_path)
    found = await resolver.resolve("German_Germany/mk-sip.jar", "127.0.0.1")
    assert found.content == b"language pack"
    found = await resolver.resolve("/German_Germany/mk-sip.jar", "127.0.0.1")
    assert found.content == b"language pack"
