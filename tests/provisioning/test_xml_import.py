"""Import SEP<MAC>.cnf.xml of the Java phones, from real public templates.

The templates are filled in the way their users do (the placeholders replaced
by values); each element is imported or named in a warning, and the files
rendered from the import keep every imported value.
"""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from custom_components.cisco_ip_phone.provisioning.files.cnf_import import (
    import_folder,
)
from custom_components.cisco_ip_phone.provisioning.files.render import render_files
from custom_components.cisco_ip_phone.provisioning.files.xml_import import (
    MAX_XML_BYTES,
    guess_model,
    import_sep_xml,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    Line,
    PhoneConfig,
    ServerSettings,
    SettingsError,
    SpeedDial,
)

REAL = Path(__file__).parent / "fixtures" / "real"
FILLS = {
    "#EXT NAME#": "Kitchen",
    "#EXT NUM#": "1003",
    "#IP ADDRESS OF AN NTP SERVER#": "192.0.2.10",
    "#IP ADDRESS OF YOUR ASTERISK SERVER#": "192.0.2.20",
    "#PHONE NAME#": "Kitchen",
    "#RTP END PORT#": "20000",
    "#RTP START PORT#": "10000",
    "#SIP AUTH NAME#": "1003",
    "#SIP PORT NUMBER FROM YOUR ASTERISK SERVER#": "5060",
    "#SIP PORT#": "5060",
    "#VM NUM#": "*97",
    "###DOMAIN###": "pbx.example.net",
    "###LINE_NAME###": "201",
    "###SCREEN_LABEL###": "Office",
    "###SERVER_DOMAIN_OR_IP###": "pbx.example.net",
    "###SERVER_IP###": "192.0.2.30",
    "###USERNAME###": "201",
}


def _filled(name: str) -> bytes:
    text = (REAL / name).read_text("utf-8")
    for placeholder, value in FILLS.items():
        text = text.replace(placeholder, value)
    assert not re.search(r"#[A-Z ]+#", text), "a placeholder is left"
    return text.encode()


@pytest.mark.parametrize(
    ("name", "model", "proxy", "line"),
    [
        ("julianhead_SEPBASE.cnf.xml", "7961", "192.0.2.20", "1003"),
        ("cisco_prov_7941_7961_TEMPL.cnf.xml", "7941", "192.0.2.30", "201"),
    ],
)
def test_real_templates_import_and_render_back(
    name: str, model: str, proxy: str, line: str
) -> None:
    result = import_sep_xml(_filled(name), mac="001122334455", model=model, source=name)
    assert result.settings.sip_proxy == proxy
    assert result.settings.transport == "udp"
    assert result.phone.lines[0].name == line
    for warning in result.warnings:
        assert warning.startswith(name)
    files = render_files(result.settings, [result.phone])
    xml = files["SEP001122334455.cnf.xml"].content.decode()
    for value in (proxy, line, "<transportLayerProtocol>2<"):
        assert value in xml
    if result.phone.image:
        assert f"<loadInformation>{result.phone.image}<" in xml
    again = import_sep_xml(xml, mac="001122334455", model=model)
    assert again.settings.sip_proxy == result.settings.sip_proxy
    assert again.phone.lines == result.phone.lines


def test_unknown_elements_are_named() -> None:
    result = import_sep_xml(
        _filled("julianhead_SEPBASE.cnf.xml"), mac="001122334455", source="x.xml"
    )
    named = "\n".join(result.warnings)
    assert "<vendorConfig/" in named or "vendorConfig" in named
    # We write our own digest as versionStamp: the old stamp is not a setting.
    assert "versionStamp" not in named


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((REAL / "voipfone_SEP0014638ADF5E.cnf.xml").read_bytes(), "not well-formed"),
        ((REAL / "namodev_7942.cnf.xml").read_bytes(), "line 107"),
        (b"<Default/>", "expected <device>"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><device/>', "DTDs"),
        (b"<device>" + b" " * MAX_XML_BYTES + b"</device>", "at most"),
        (
            b"<device><sipProfile><startMediaPort>x</startMediaPort></sipProfile>"
            b"</device>",
            "not a number",
        ),
        (
            b"<device><sipProfile><natAddress>a b</natAddress></sipProfile></device>",
            "nat_address",
        ),
    ],
)
def test_bad_files_fail_with_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        import_sep_xml(data, mac="001122334455")


def test_feature_buttons_and_line_extras_are_reported() -> None:
    data = b"""<device><sipProfile><sipLines>
      <line button="1"><featureID>9</featureID><name>1</name>
        <proxy>USECALLMANAGER</proxy>
        <port>5060</port><autoAnswer><autoAnswerEnabled>2</autoAnswerEnabled></autoAnswer>
        <contact>1</contact></line>
      <line button="2"><featureID>21</featureID><featureLabel>Mum</featureLabel>
        <speedDialNumber>0123</speedDialNumber></line>
      <line button="4"><featureID>130</featureID></line>
      <line button="5"><featureID>21</featureID></line>
      <line button="3"><featureID>9</featureID><name>2</name><proxy>10.0.0.9</proxy>
        <port>5070</port></line>
    </sipLines></sipProfile><devicePool><dateTimeSetting><dateTemplate>D/M/YA</dateTemplate>
    </dateTimeSetting></devicePool></device>"""
    result = import_sep_xml(data, mac="001122334455", model="7961")
    assert [line.name for line in result.phone.lines] == ["1", "2"]
    # Line 1 names no server (USECALLMANAGER): line 2's becomes the SIP proxy.
    assert (result.settings.sip_proxy, result.settings.sip_port) == ("10.0.0.9", 5070)
    assert result.settings.date_format == "D/M/Y"
    assert result.settings.time_format_24hr is False
    text = "\n".join(result.warnings)
    assert [(d.label, d.number) for d in result.phone.speed_dials] == [("Mum", "0123")]
    assert result.phone.lines[0].auto_answer is True  # 2 in templates: on
    assert result.phone.lines[0].contact == ""  # the same as the line's name
    assert "button 4 is a feature key (featureID 130)" in text
    assert "speed dial without a number" in text


def test_import_folder_also_imports_xml_phones(tmp_path: Path) -> None:
    """Issue #13: "Import phones from the folder" reads 79x1-class files too."""
    server = ServerSettings(
        sip_proxy="pbx.example.net",
        network_locale="Germany",
        xml_images={"45": "SIP45.9-4-2SR3-1S", "75": "SIP75.9-4-2SR3-1S"},
    )
    phones = [
        PhoneConfig(mac="001122334401", model="7960", lines=(Line("100"),)),
        PhoneConfig(
            mac="001122334402",
            model="7965",
            label="Hall",
            lines=(
                Line("200", short_name="Hall", contact="c200", auto_answer=True),
                Line("201", short_name="Back"),
            ),
            speed_dials=(SpeedDial("Door", "*55"),),
        ),
        PhoneConfig(mac="001122334403", model="7975", lines=(Line("300"),)),
    ]
    for name, file in render_files(server, phones).items():
        (tmp_path / name).write_bytes(file.content)
    (tmp_path / "SEP0011223344FF.cnf.xml").write_bytes(
        b"<device><deviceProtocol>SIP</deviceProtocol></device>"
    )  # a loader file without its SIP<MAC>.cnf: not a phone
    results = import_folder(tmp_path)
    assert [r.phone.mac for r in results] == [p.mac for p in phones]
    cnf, hall, big = results
    assert cnf.phone.model == "7960"
    # SIP45 load and three buttons (two lines, one speed dial): a 7965.
    assert hall.phone.model == "7965"
    assert hall.phone.lines == phones[1].lines
    assert hall.phone.speed_dials == phones[1].speed_dials
    assert hall.settings.network_locale == "Germany"
    assert big.phone.model == "7975"
    assert any("7975 assumed" in w for w in big.warnings)


def test_guess_model() -> None:
    named = (
        b'<device><loadInformation model="IP Phone 7942">x</loadInformation></device>'
    )
    assert guess_model(named) == ("7942", True)
    two = b"<device><loadInformation>SIP41.9-4-2</loadInformation></device>"
    assert guess_model(two) == ("7941", False)
    assert guess_model(b"<device/>") == ("7961", False)
    assert guess_model(b"<device") == ("7961", False)


def test_import_folder_refuses_a_huge_xml_file(tmp_path: Path) -> None:
    (tmp_path / "SEP001122334455.cnf.xml").write_bytes(b" " * (MAX_XML_BYTES + 1))
    with pytest.raises(SettingsError, match="at most"):
        import_folder(tmp_path)
