"""Every renderer: golden bytes, XML validity, and no value can inject anything.

Golden files live in ``tests/provisioning/golden/``. After an intended change,
regenerate them with ``UPDATE_GOLDEN=1 pytest tests/provisioning/test_render.py``
and review the diff; without the variable any difference fails.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any
import xml.etree.ElementTree as ET

from hypothesis import (
    HealthCheck,
    event,
    given,
    settings as hsettings,
    strategies as st,
)
import pytest

from custom_components.cisco_ip_phone.provisioning.files.cnf_import import (
    import_cnf,
    parse_cnf,
)
from custom_components.cisco_ip_phone.provisioning.files.render import (
    GeneratedFile,
    render_files,
    render_os79xx,
    render_ringlist_dat,
    render_syncinfo,
)
from custom_components.cisco_ip_phone.provisioning.files.render_cnf import (
    render_sip_mac,
    sip_default_pairs,
    sip_mac_pairs,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    MODELS,
    ConfigStyle,
    DialRule,
    DstRule,
    Line,
    PhoneConfig,
    ProvisioningError,
    RingTone,
    ServerSettings,
    SettingsError,
    SpeedDial,
)
from tests.support.settings_strategies import NASTY

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

SERVER = ServerSettings(
    sip_proxy="pbx.example.org",
    sip_port=5060,
    outbound_proxy="10.0.0.2",
    outbound_proxy_port=5061,
    ntp_server="pool.ntp.org",
    time_zone="GMT",
    dst_start=DstRule(month=3, hour=1),
    dst_stop=DstRule(month=10, hour=2, minute=30),
    date_format="D/M/Y",
    nat_enable=True,
    nat_address="203.0.113.7",
    start_media_port=16384,
    end_media_port=16482,
    dial_plan=(
        DialRule("9.*", 0, "Phone"),  # type: ignore[arg-type]
        DialRule("\\*..", 0),
        DialRule("0.........", 0, "", "+44%s"),  # type: ignore[arg-type]
        DialRule("*", 5),
    ),
    ring_tones=(RingTone("Old Style", "ringer1.raw"), RingTone("Chirp", "chirp.raw")),
    xml_images={
        "41": "SIP41.9-4-2SR3-1S",
        "42": "SIP42.9-4-2SR3-1S",
        "45": "SIP45.9-4-2SR3-1S",
        "70": "SIP70.9-4-2SR3-1S",
        "75": "SIP75.9-4-2SR3-1S",
    },
    phone_password="s3cret&<x>",
    telnet_level=1,
    messages_uri="*97",
    directory_url="http://ha.local/dir.xml?a=1&b=2",
    services_url="http://ha.local/svc.xml",
    logo_url="http://ha.local/logo.bmp",
    user_locale="German_Germany",
    network_locale="Germany",
)


def _phone(index: int, model: str) -> PhoneConfig:
    keys = MODELS[model].line_keys
    xml = MODELS[model].config_style is ConfigStyle.XML
    lines = tuple(
        Line(
            name=f"{model}{n}",
            auth_name=f"auth{model}{n}" if n == 1 else "",
            password=f"pw<{n}>&'x'",
            display_name=f"Desk {model} {n}",
            short_name=f"L{n}",
            auto_answer=xml and n == 2,
            contact=f"c{model}" if xml and n == 1 else "",
        )
        for n in range(1, min(keys, 2) + 1)
    )
    dials = (SpeedDial("Kitchen & co", "201"),) if xml and keys > 2 else ()
    return PhoneConfig(
        mac=f"00:11:22:33:44:{index:02X}",
        model=model,
        label=f"{model} desk",
        lines=lines,
        speed_dials=dials,
    )


PHONES = [_phone(i, model) for i, model in enumerate(MODELS, start=1)]
OVERRIDDEN = PhoneConfig(
    mac="0011223344FF",
    model="7960",
    label="Override",
    lines=(Line("500", password="pw"),),
    proxy_address="10.9.9.9",
    proxy_port=5070,
    image="P0S3-8-11-00",
    dial_plan=False,
    phone_password="1234",
)


def _check_golden(name: str, content: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    assert path.exists(), f"missing golden file {name}; run with UPDATE_GOLDEN=1"
    assert content == path.read_bytes(), f"{name} differs from its golden file"


def _all_files() -> dict[str, GeneratedFile]:
    return render_files(
        SERVER,
        [*PHONES, OVERRIDDEN],
        images={
            "00:11:22:33:44:02": "P0S3-8-12-00-hop",
            "0011223344FF": "P0S3-06-3-00",
        },
        syncs={"001122334401": "7"},
    )


def test_every_file_matches_its_golden_copy() -> None:
    files = _all_files()
    names = sorted(files)
    expected = sorted(
        [
            "SIPDefault.cnf",
            "XMLDefault.cnf.xml",
            "OS79XX.TXT",
            "RINGLIST.DAT",
            "Ringlist.xml",
            "dialplan.xml",
            "syncinfo.xml",
            *(f"SEP{p.mac}.cnf.xml" for p in [*PHONES, OVERRIDDEN]),
            *(
                f"SIP{p.mac}.cnf"
                for p in [*PHONES, OVERRIDDEN]
                if p.phone_model.config_style is ConfigStyle.CNF
            ),
        ]
    )
    assert names == expected
    for name, file in files.items():
        assert file.name == name
        _check_golden(f"all/{name}", file.content)
    if not UPDATE:
        stale = {p.name for p in (GOLDEN / "all").iterdir()} - set(files)
        assert not stale, f"golden files no longer generated: {stale}"


def test_minimal_settings_render_golden() -> None:
    files = render_files(
        ServerSettings(),
        [
            PhoneConfig(mac="001122334455"),
            PhoneConfig(mac="001122334466", model="7975"),
        ],
    )
    assert "dialplan.xml" not in files
    for name, file in files.items():
        _check_golden(f"minimal/{name}", file.content)


def test_users_config_renders_golden() -> None:
    fixtures = Path(__file__).parent / "fixtures"
    result = import_cnf(
        (fixtures / "SIPDefault.cnf").read_bytes(),
        (fixtures / "SIPmacaddress.cnf").read_bytes(),
        mac="001122334455",
        model="7940",
    )
    for name, file in render_files(result.settings, [result.phone]).items():
        _check_golden(f"user/{name}", file.content)


def test_phone_files_carry_mac_and_digest() -> None:
    files = _all_files()
    sip = files["SIP001122334401.cnf"]
    assert sip.mac == "001122334401"
    assert files["SIPDefault.cnf"].mac is None
    assert len(sip.digest) == 64
    assert sip.digest == GeneratedFile("x", sip.content).digest
    assert 'sync: "7"' in sip.content.decode()
    hop = files["SIP001122334402.cnf"].content.decode()
    assert 'image_version: "P0S3-8-12-00-hop"' in hop
    assert 'sync: "1"' in hop


def test_rendering_is_deterministic_and_order_independent() -> None:
    forward = render_files(SERVER, PHONES)
    backward = render_files(SERVER, list(reversed(PHONES)))
    assert {n: f.digest for n, f in forward.items()} == {
        n: f.digest for n, f in backward.items()
    }


def test_every_xml_file_parses() -> None:
    for name, file in _all_files().items():
        if name.endswith(".xml"):
            ET.fromstring(file.content)


def test_sep_79x0_is_loader_only() -> None:
    root = ET.fromstring(_all_files()["SEP001122334401.cnf.xml"].content)
    assert [child.tag for child in root] == ["deviceProtocol", "loadInformation"]
    assert root.findtext("deviceProtocol") == "SIP"
    load = root.find("loadInformation")
    assert load is not None
    assert load.get("model") == "IP Phone 7940"
    assert load.text == "P0S3-8-12-00"


def test_version_stamp_follows_the_content() -> None:
    """<versionStamp> changes exactly when the file's content changes."""
    phone = _phone(8, "7965")

    def stamp(server: ServerSettings, phone: PhoneConfig) -> str:
        files = render_files(server, [phone])
        root = ET.fromstring(files[f"SEP{phone.mac}.cnf.xml"].content)
        return root.findtext("versionStamp") or ""

    first = stamp(SERVER, phone)
    assert len(first) == 32
    assert stamp(SERVER, phone) == first
    assert stamp(dataclasses.replace(SERVER, network_locale="France"), phone) != first
    assert stamp(SERVER, dataclasses.replace(phone, label="Other")) != first


def test_sep_xml_holds_the_full_config() -> None:
    files = _all_files()
    root = ET.fromstring(files["SEP001122334408.cnf.xml"].content)
    assert root.findtext("deviceProtocol") == "SIP"
    assert root.findtext("loadInformation") == "SIP45.9-4-2SR3-1S"
    assert root.findtext(".//processNodeName") == "pbx.example.org"
    assert root.findtext(".//registerWithProxy") == "true"
    assert root.findtext(".//phonePassword") == "s3cret&<x>"
    assert root.findtext(".//dialTemplate") == "dialplan.xml"
    assert root.findtext(".//dateTemplate") == "D/M/Y"
    lines = root.findall(".//sipLines/line")
    assert [line.get("button") for line in lines] == ["1", "2", "3"]
    # Button 3 is a speed dial (featureID 21) after the two lines.
    assert [line.findtext("featureID") for line in lines] == ["9", "9", "21"]
    assert lines[2].findtext("speedDialNumber") == "201"
    assert lines[2].findtext("featureLabel") == "Kitchen & co"
    assert lines[0].findtext("contact") == "c7965"
    assert lines[1].findtext("autoAnswer/autoAnswerEnabled") == "1"
    assert root.findtext("userLocale/name") == "German_Germany"
    assert root.findtext("networkLocale") == "Germany"
    assert lines[0].findtext("authName") == "auth79651"
    assert lines[1].findtext("authName") == "79652"
    assert lines[0].findtext("authPassword") == "pw<1>&'x'"


def test_xml_default_lists_every_model() -> None:
    root = ET.fromstring(_all_files()["XMLDefault.cnf.xml"].content)
    loads = {
        el.tag: (el.get("model"), el.text)
        for el in root
        if el.tag != "callManagerGroup"
    }
    assert len(loads) == len(MODELS)
    for model in MODELS.values():
        assert f"loadInformation{model.model_id}" in loads
    assert loads["loadInformation8"] == ("IP Phone 7940", "P0S3-8-12-00")
    assert loads["loadInformation437"] == ("IP Phone 7975", "SIP75.9-4-2SR3-1S")


def test_small_files() -> None:
    assert render_os79xx("P003-8-12-00") == b"P003-8-12-00\n"
    for bad in ("P003-8-12-00 ", "", "a\nb", "x" * 65):
        with pytest.raises(SettingsError):
            render_os79xx(bad)
    assert render_ringlist_dat(SERVER.ring_tones) == (
        b"Old Style\tringer1.raw\r\nChirp\tchirp.raw\r\n"
    )
    assert render_ringlist_dat(()) == b""
    assert render_syncinfo({"*": "2", "P0S3-8-12-00": "x"}) == (
        b'<SYNCINFO>\n  <IMAGE VERSION="*" SYNC="2" />\n'
        b'  <IMAGE VERSION="P0S3-8-12-00" SYNC="x" />\n</SYNCINFO>\n'
    )
    for entries in ({}, {"a b": "1"}, {"*": ""}, {"*": "x" * 33}, {"*": '"'}):
        with pytest.raises(SettingsError):
            render_syncinfo(entries)


def test_render_files_rejects_bad_inputs() -> None:
    phone = PhoneConfig(mac="001122334455")
    with pytest.raises(SettingsError, match="listed twice"):
        render_files(SERVER, [phone, phone])
    with pytest.raises(SettingsError):
        render_files(SERVER, [phone], images={"001122334455": "bad image"})
    with pytest.raises(SettingsError):
        render_files(SERVER, [phone], syncs={"001122334455": "bad sync"})
    with pytest.raises(ProvisioningError):
        render_files(SERVER, [phone], syncs={"not a mac": "1"})
    with pytest.raises(SettingsError):
        render_sip_mac(SERVER, phone, image="", sync="1")


# ------------------------------------------------------ injection properties

SERVER_TEXT_FIELDS = [
    f.name
    for f in dataclasses.fields(ServerSettings)
    if isinstance(getattr(ServerSettings(), f.name), str)
]
PHONE_TEXT_FIELDS = ["label", "proxy_address", "image", "phone_password"]
LINE_TEXT_FIELDS = ["name", "auth_name", "password", "display_name", "short_name"]
BASE_LINE = Line("100", "auth100", "pw", "Display", "Short")


def _build(
    target: str, field: str, value: str, model: str
) -> tuple[ServerSettings, PhoneConfig]:
    server = SERVER
    line = BASE_LINE
    phone_kwargs: dict[str, Any] = {"label": "Desk"}
    if target == "server":
        changes: dict[str, Any] = {field: value}
        server = dataclasses.replace(SERVER, **changes)
    elif target == "line":
        line = dataclasses.replace(BASE_LINE, **{field: value})
    elif target == "dial":
        rule = dataclasses.replace(SERVER.dial_plan[0], **{field: value})
        server = dataclasses.replace(SERVER, dial_plan=(rule, *SERVER.dial_plan[1:]))
    elif target == "ring":
        tone = dataclasses.replace(SERVER.ring_tones[0], **{field: value})
        server = dataclasses.replace(SERVER, ring_tones=(tone, *SERVER.ring_tones[1:]))
    else:
        phone_kwargs[field] = value
    phone = PhoneConfig(mac="001122334455", model=model, lines=(line,), **phone_kwargs)
    return server, phone


def _structure(content: bytes) -> list[tuple[str, list[str]]]:
    root = ET.fromstring(content)
    return [(el.tag, sorted(el.attrib)) for el in root.iter()]


def _texts(content: bytes) -> list[str]:
    root = ET.fromstring(content)
    values = [el.text or "" for el in root.iter()]
    values += [v for el in root.iter() for v in el.attrib.values()]
    return values


def _cnf_text(value: str | int) -> str:
    return str(int(value)) if isinstance(value, bool | int) else value


FIELDS = (
    [("server", f) for f in SERVER_TEXT_FIELDS]
    + [("phone", f) for f in PHONE_TEXT_FIELDS]
    + [("line", f) for f in LINE_TEXT_FIELDS]
    + [("dial", "match"), ("dial", "rewrite")]
    + [("ring", "display_name"), ("ring", "file_name")]
)


@hsettings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(target_field=st.sampled_from(FIELDS), value=NASTY)
def test_no_value_can_inject_into_a_cnf_file(
    target_field: tuple[str, str], value: str
) -> None:
    """Any text either fails validation or comes back unchanged, adding no key."""
    target, field = target_field
    try:
        server, phone = _build(target, field, value, "7960")
    except ProvisioningError as err:
        error: ProvisioningError | None = err
    else:
        error = None
    event("refused" if error else "rendered")
    if error is not None:
        assert error.field is not None  # the message can name the setting
        return
    files = render_files(server, [phone])
    written = {
        "SIPDefault.cnf": sip_default_pairs(server),
        "SIP001122334455.cnf": sip_mac_pairs(
            server, phone, image=server.image_for(phone), sync="1"
        ),
    }
    for name, pairs in written.items():
        parsed = [(e.key, e.value) for e in parse_cnf(files[name].content).entries]
        assert parsed == [(k, _cnf_text(v)) for k, v in pairs]
    result = import_cnf(
        files["SIPDefault.cnf"].content,
        files["SIP001122334455.cnf"].content,
        mac=phone.mac,
        model=phone.model,
        dialplan=files["dialplan.xml"].content,
        ringlist=files["RINGLIST.DAT"].content,
    )
    xml_only: dict[str, Any] = {
        "xml_images": server.xml_images,
        "xml_time_zone": server.xml_time_zone,
        "user_locale": server.user_locale,
        "network_locale": server.network_locale,
    }
    assert dataclasses.replace(result.settings, **xml_only) == server
    if target == "line":
        assert getattr(result.phone.lines[0], field) == getattr(phone.lines[0], field)
    elif target == "phone" and getattr(phone, field) not in (
        server.phone_password,
        server.image_79x0,
        server.sip_proxy,
    ):  # an override equal to the server value imports as no override
        assert result.phone == phone


@hsettings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    target_field=st.sampled_from([*FIELDS, ("line", "contact")]),
    value=NASTY.filter(bool),
)
def test_no_value_can_inject_into_an_xml_file(
    target_field: tuple[str, str], value: str
) -> None:
    """Any text either fails validation or appears verbatim, adding no element."""
    target, field = target_field
    try:
        server, phone = _build(target, field, value, "7965")
    except ProvisioningError:
        event("refused")
        return
    event("rendered")
    files = render_files(server, [phone])
    # Rewrite is an optional attribute: compare with a rule that has one.
    # Optional elements: compare with a file that has them.
    base_server, base_phone = (
        _build("dial", "rewrite", "1", "7965")
        if (target, field) == ("dial", "rewrite")
        else _build("line", "contact", "c1", "7965")
        if (target, field) == ("line", "contact")
        else _build("phone", "label", "Desk", "7965")
    )
    base = render_files(base_server, [base_phone])
    for name, file in files.items():
        if not name.endswith(".xml"):
            continue
        assert _structure(file.content) == _structure(base[name].content), name
    sep = files["SEP001122334455.cnf.xml"].content
    shown_in_sep = {"label", "name", "password", "display_name", "phone_password"}
    if target in ("phone", "line") and (field in shown_in_sep or field == "short_name"):
        assert value in _texts(sep)
    if target == "ring":
        assert value in _texts(files["Ringlist.xml"].content)
    if target == "dial":
        assert value in _texts(files["dialplan.xml"].content)


@hsettings(max_examples=200, deadline=None)
@given(value=NASTY)
def test_no_sync_or_image_value_can_inject(value: str) -> None:
    phone = PhoneConfig(mac="001122334455", lines=(BASE_LINE,))
    for kind in ("syncs", "images"):
        try:
            files = render_files(SERVER, [phone], **{kind: {phone.mac: value}})
        except SettingsError as err:
            refused_field = err.field
        else:
            refused_field = None
        if refused_field is not None:
            assert refused_field in ("sync", "images")
            continue
        doc = parse_cnf(files["SIP001122334455.cnf"].content)
        key = "sync" if kind == "syncs" else "image_version"
        assert doc.last()[key].value == value
        assert len(doc.entries) == len(doc.last())
        syncinfo = ET.fromstring(files["syncinfo.xml"].content)
        assert [(el.get("VERSION"), el.get("SYNC")) for el in syncinfo] == [
            (value, "1") if kind == "images" else ("P0S3-8-12-00", value)
        ]
