"""Phone identity and validated settings: what is accepted, what is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from custom_components.cisco_ip_phone.provisioning.settings.checks import may_resolve
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    MODELS,
    ConfigStyle,
    DialRule,
    DstRule,
    Family,
    InvalidMacError,
    Line,
    PhoneConfig,
    ProvisioningError,
    RingTone,
    ServerSettings,
    SettingsError,
    check_host,
    check_sync,
    check_text,
    get_model,
    mac_from_filename,
    normalize_mac,
    phones_from_list,
)


@pytest.mark.parametrize(
    "value",
    [
        "00:11:22:aa:BB:cc",
        "00-11-22-AA-BB-CC",
        "0011.22aa.bbcc",
        "001122aabbcc",
        "001122AABBCC",
        "  001122aabbcc ",
    ],
)
def test_normalize_mac_accepts_known_spellings(value: str) -> None:
    assert normalize_mac(value) == "001122AABBCC"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "00:11:22:33:44",
        "00:11:22:33:44:5g",
        "0011.2233.44556",
        "00:11-22:33:44:55",
        "0011223344556",
        "00112233445",
        "00:11:22:33:44:55\n",
        "SEP001122334455",
    ],
)
def test_normalize_mac_rejects_anything_else(value: str) -> None:
    with pytest.raises(InvalidMacError) as err:
        normalize_mac(value)
    assert err.value.field == "mac"
    assert "MAC address" in str(err.value)


def test_normalize_mac_rejects_non_text() -> None:
    with pytest.raises(InvalidMacError):
        normalize_mac(12345)  # type: ignore[arg-type]


def test_errors_are_value_errors_with_a_field() -> None:
    assert issubclass(InvalidMacError, ProvisioningError)
    assert issubclass(SettingsError, ProvisioningError)
    assert issubclass(ProvisioningError, ValueError)
    assert ProvisioningError("x").field is None


@pytest.mark.parametrize(
    ("name", "mac"),
    [
        ("CTLSEP001122AABBCC.tlv", "001122AABBCC"),
        ("ITLSEP001122aabbcc.tlv", "001122AABBCC"),
        ("SEP001122AABBCC.cnf.xml", "001122AABBCC"),
        ("sep001122aabbcc.CNF.XML", "001122AABBCC"),
        ("SIP001122AABBCC.cnf", "001122AABBCC"),
        ("./SIP001122AABBCC.cnf", "001122AABBCC"),
        ("/SIP001122AABBCC.cnf", "001122AABBCC"),
        ("phones/SIP001122AABBCC.cnf", "001122AABBCC"),
        ("MGC001122AABBCC.cnf", "001122AABBCC"),
        ("SIPDefault.cnf", None),
        ("XMLDefault.cnf.xml", None),
        ("SEP001122AABBC.cnf.xml", None),
        ("SEP001122AABBCCD.cnf.xml", None),
        ("SIP001122AABBCC.cnf.bak", None),
        ("P0S3-8-12-00.loads", None),
        ("", None),
    ],
)
def test_mac_from_filename(name: str, mac: str | None) -> None:
    assert mac_from_filename(name) == mac


def test_models_table_matches_the_reference() -> None:
    assert list(MODELS) == [
        "7940", "7960", "7941", "7961", "7942", "7962", "7945", "7965", "7970",
        "7975", "7941G-GE", "7961G-GE", "7971",
    ]  # fmt: skip
    expected = {
        "7940": (Family.F79X0, 2, 8, ConfigStyle.CNF, ""),
        "7960": (Family.F79X0, 6, 7, ConfigStyle.CNF, ""),
        "7941": (Family.F79X1, 2, 115, ConfigStyle.XML, "41"),
        "7961": (Family.F79X1, 6, 30018, ConfigStyle.XML, "41"),
        "7941G-GE": (Family.F79X1, 2, 309, ConfigStyle.XML, "41"),
        "7961G-GE": (Family.F79X1, 6, 308, ConfigStyle.XML, "41"),
        "7942": (Family.F79X2, 2, 434, ConfigStyle.XML, "42"),
        "7962": (Family.F79X2, 6, 404, ConfigStyle.XML, "42"),
        "7945": (Family.F79X5, 2, 435, ConfigStyle.XML, "45"),
        "7965": (Family.F79X5, 6, 436, ConfigStyle.XML, "45"),
        "7970": (Family.F797X, 8, 30006, ConfigStyle.XML, "70"),
        "7971": (Family.F797X, 8, 119, ConfigStyle.XML, "70"),
        "7975": (Family.F797X, 8, 437, ConfigStyle.XML, "75"),
    }
    for name, (family, keys, model_id, style, prefix) in expected.items():
        model = MODELS[name]
        assert model.name == name
        assert (
            model.family,
            model.line_keys,
            model.model_id,
            model.config_style,
            model.load_prefix,
        ) == (family, keys, model_id, style, prefix)
        assert model.xml_model_name == f"IP Phone {name}"


def test_get_model_rejects_unknown_models() -> None:
    assert get_model("7960").line_keys == 6
    for bad in ("7910", "", 7960):
        with pytest.raises(SettingsError, match="unknown phone model") as err:
            get_model(bad)  # type: ignore[arg-type]
        assert err.value.field == "model"


def _phone(**kwargs: Any) -> PhoneConfig:
    return PhoneConfig(mac="00:11:22:33:44:55", **kwargs)


def test_phone_config_normalises_mac_and_keeps_lines() -> None:
    phone = _phone(lines=[Line("100", password="secret")])
    assert phone.mac == "001122334455"
    assert phone.lines == (Line("100", password="secret"),)
    assert phone.lines[0].effective_auth_name == "100"
    assert phone.phone_model is MODELS["7960"]
    assert Line("100", auth_name="auth").effective_auth_name == "auth"


def test_phone_config_rejects_more_lines_than_keys() -> None:
    with pytest.raises(SettingsError, match="2 line keys") as err:
        PhoneConfig(mac="001122334455", model="7940", lines=(Line("1"),) * 3)
    assert err.value.field == "lines"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lines": ["100"]}, "lines"),
        ({"lines": "100"}, "lines"),
        ({"label": 'a"b'}, "label"),
        ({"label": "x" * 33}, "label"),
        ({"proxy_address": "bad host"}, "proxy_address"),
        ({"proxy_port": 0}, "proxy_port"),
        ({"proxy_port": True}, "proxy_port"),
        ({"image": "P0S3 8"}, "image"),
        ({"dial_plan": 1}, "dial_plan"),
        ({"phone_password": "a;b"}, "phone_password"),
        ({"model": "1234"}, "model"),
    ],
)
def test_phone_config_field_errors(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SettingsError) as err:
        _phone(**kwargs)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "line.name"),
        ({"name": "has space"}, "line.name"),
        ({"name": "unprovisioned"}, "line.name"),
        ({"name": "1", "auth_name": "a b"}, "line.auth_name"),
        ({"name": "1", "password": "a\nb"}, "line.password"),
        ({"name": "1", "password": 'a"b'}, "line.password"),
        ({"name": "1", "password": "x" * 65}, "line.password"),
        ({"name": "1", "display_name": "é"}, "line.display_name"),
        ({"name": "1", "short_name": "x" * 33}, "line.short_name"),
        ({"name": 5}, "line.name"),
        ({"name": "1", "password": 5}, "line.password"),
    ],
)
def test_line_field_errors(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SettingsError) as err:
        Line(**kwargs)
    assert err.value.field == field


def test_check_text_messages_say_what_is_wrong() -> None:
    with pytest.raises(SettingsError, match="may not contain ;"):
        check_text("a;b", "x", max_len=10)
    with pytest.raises(SettingsError, match="is required"):
        check_text("  ", "x", max_len=10, required=True)
    with pytest.raises(SettingsError, match="printable ASCII"):
        check_text("a\tb", "x", max_len=10)


@pytest.mark.parametrize(
    "host", ["sipgate.co.uk", "192.168.1.10", "pbx", "a-b.example.", "x" * 63]
)
def test_check_host_accepts_names_and_ipv4(host: str) -> None:
    assert check_host(host, "h") == host


@pytest.mark.parametrize(
    "host", ["", "a b", "-a.com", "a..b", "1234", "x" * 64, "host\n", "ä.com", 5]
)
def test_check_host_rejects_bad_hosts(host: object) -> None:
    with pytest.raises(SettingsError) as err:
        check_host(host, "h", required=True)
    assert err.value.field == "h"


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "192.168.1.10", "::", "fe80::1", "localhost", "ha.lan", "a-b.example."],
)
def test_may_resolve_takes_addresses_and_names(host: str) -> None:
    assert may_resolve(host)


@pytest.mark.parametrize(
    "host",
    [
        "",
        "not a host!",
        "-a.com",
        "a..b",
        "192.168.1.300",  # a mistyped address, not a name
        "1234",
        "no-such-host.invalid",  # RFC 6761: never resolves
        "INVALID.",
        "x" * 64,
        "ä.com",
    ],
)
def test_may_resolve_refuses_without_dns(host: str) -> None:
    assert not may_resolve(host)


def test_check_sync() -> None:
    assert check_sync("1") == "1"
    assert check_sync("x" * 32) == "x" * 32
    for bad in ("", "x" * 33, "a b", '1"'):
        with pytest.raises(SettingsError):
            check_sync(bad)


def test_server_settings_defaults_are_valid_and_round_trip_json() -> None:
    settings = ServerSettings()
    data = json.loads(json.dumps(settings.as_dict()))
    assert ServerSettings.from_dict(data) == settings
    assert ServerSettings.from_dict({}) == settings


def test_server_settings_round_trip_with_everything_set() -> None:
    settings = ServerSettings(
        sip_proxy="pbx.local",
        sip_port=5070,
        outbound_proxy="10.0.0.1",
        ntp_server="ntp.example.org",
        ntp_mode="directedbroadcast",  # type: ignore[arg-type]
        time_zone="CET",
        dst_start=DstRule(month=4, day=1, hour=3, minute=30),
        dst_stop=DstRule(month=9, week_of_month=2, day_of_week=7),
        date_format="D-M-YY",
        nat_enable=True,
        nat_address="203.0.113.9",
        start_media_port=8000,
        end_media_port=8012,
        preferred_codec="g729a",  # type: ignore[arg-type]
        dial_plan=[DialRule("9.*", timeout=3, user="Phone", rewrite="%1")],  # type: ignore[arg-type]
        ring_tones=[RingTone("Chirp", "chirp.raw")],  # type: ignore[arg-type]
        xml_images={"75": "SIP75.9-4-2SR3-1S", "41": "SIP41.9-4-2SR3-1S"},
        telnet_level=2,
        messages_uri="*97",
        directory_url="http://web/dir.xml",
    )
    data = json.loads(json.dumps(settings.as_dict()))
    assert list(data["xml_images"]) == ["41", "75"]
    assert ServerSettings.from_dict(data) == settings
    assert data["dial_plan"] == [
        {"match": "9.*", "timeout": 3, "user": "Phone", "rewrite": "%1"}
    ]


def _ring(name: str, file: str) -> dict[str, str]:
    return {"display_name": name, "file_name": file}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"bogus": 1}, "bogus"),
        ({"sip_proxy": "bad host"}, "sip_proxy"),
        ({"sip_port": 70000}, "sip_port"),
        ({"sip_port": "5060"}, "sip_port"),
        ({"proxy_register": 1}, "proxy_register"),
        ({"ntp_mode": "broadcast"}, "ntp_mode"),
        ({"ntp_mode": 3}, "ntp_mode"),
        ({"time_zone": "Europe/London"}, "time_zone"),
        ({"xml_time_zone": "GMT;x"}, "xml_time_zone"),
        ({"dst_offset": 13}, "dst_offset"),
        ({"dst_start": {"month": 13}}, "dst_start.month"),
        ({"dst_start": {"day": 1}}, "dst_start.month"),
        ({"dst_stop": {"month": 1, "week_of_month": 7}}, "dst_stop.week_of_month"),
        ({"dst_stop": {"month": 1, "when": 7}}, "dst_stop.when"),
        ({"dst_start": "March"}, "dst_start"),
        ({"date_format": "D/M-Y"}, "date_format"),
        ({"start_media_port": 9000, "end_media_port": 8000}, "start_media_port"),
        ({"end_media_port": 80}, "end_media_port"),
        ({"preferred_codec": "opus"}, "preferred_codec"),
        ({"timer_register_expires": 0}, "timer_register_expires"),
        ({"dial_plan": "9.*"}, "dial_plan"),
        ({"dial_plan": [{"timeout": 1}]}, "dial_plan.match"),
        ({"dial_plan": [{"match": "9<"}]}, "dial_plan.match"),
        ({"dial_plan": [{"match": "9", "x": 1}]}, "x"),
        ({"dial_plan": [{"match": "9", "user": "SIP"}]}, "dial_plan.user"),
        ({"dial_plan": [{"match": "9", "rewrite": '"'}]}, "dial_plan.rewrite"),
        ({"dial_plan": [{"match": "9"}] * 101}, "dial_plan"),
        ({"ring_tones": [_ring("", "a.raw")]}, "ring_tones.display_name"),
        ({"ring_tones": [_ring("A", "a.wav")]}, "ring_tones.file_name"),
        ({"ring_tones": [_ring("A", "a" * 22 + ".raw")]}, "ring_tones.file_name"),
        ({"ring_tones": [{**_ring("A", "a.raw"), "x": 1}]}, "x"),
        ({"ring_tones": [_ring("A", "a.raw")] * 51}, "ring_tones"),
        ({"image_79x0": ""}, "image_79x0"),
        ({"xml_images": {"40": "x"}}, "xml_images"),
        ({"xml_images": {"41": "a b"}}, "xml_images.41"),
        ({"xml_images": ["41"]}, "xml_images"),
        ({"phone_password": "x" * 32}, "phone_password"),
        ({"telnet_level": 3}, "telnet_level"),
        ({"messages_uri": "voice mail"}, "messages_uri"),
        ({"logo_url": "ftp://x/y.bmp"}, "logo_url"),
        ({"logo_url": "http://x/y;z.bmp"}, "logo_url"),
        ({"directory_url": 'http://x/"'}, "directory_url"),
    ],
)  # fmt: skip
def test_server_settings_errors_name_the_field(
    data: dict[str, Any], field: str
) -> None:
    with pytest.raises(SettingsError) as err:
        ServerSettings.from_dict(data)
    assert err.value.field == field
    assert str(err.value)


def test_server_settings_rejects_wrong_container_types() -> None:
    with pytest.raises(SettingsError, match="must be an object"):
        ServerSettings.from_dict([])
    with pytest.raises(SettingsError, match="dst_start must be a DST rule"):
        ServerSettings(dst_start="x")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="ring_tones must be a list"):
        ServerSettings(ring_tones=("x",))  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="xml_images must be an object"):
        ServerSettings(xml_images=["41"])  # type: ignore[arg-type]


def test_phone_from_dict_defaults_and_unknown_keys() -> None:
    phone = PhoneConfig.from_dict({"mac": "0011.2233.4455"})
    assert phone == PhoneConfig(mac="001122334455")
    assert phone.model == "7960"
    with pytest.raises(SettingsError, match="unknown setting") as err:
        PhoneConfig.from_dict({"mac": "001122334455", "colour": "red"})
    assert err.value.field == "colour"
    with pytest.raises(SettingsError, match="mac is required"):
        PhoneConfig.from_dict({})
    with pytest.raises(SettingsError, match="line.name is required"):
        PhoneConfig.from_dict({"mac": "001122334455", "lines": [{}]})
    with pytest.raises(SettingsError, match="unknown setting"):
        PhoneConfig.from_dict({"mac": "001122334455", "lines": [{"name": "1", "x": 1}]})
    with pytest.raises(SettingsError, match="lines must be a list"):
        PhoneConfig.from_dict({"mac": "001122334455", "lines": {"name": "1"}})
    with pytest.raises(SettingsError, match="maximum is 8"):
        PhoneConfig.from_dict({"mac": "001122334455", "lines": [{"name": "1"}] * 9})
    with pytest.raises(SettingsError, match="line must be an object"):
        PhoneConfig.from_dict({"mac": "001122334455", "lines": ["1"]})


def test_phone_round_trip_json() -> None:
    phone = PhoneConfig(
        mac="001122334455",
        model="7975",
        label="Kitchen",
        lines=(
            Line("100", "auth100", "pw", "Kitchen", "Kit"),
            Line("101"),
        ),
        proxy_address="10.1.1.1",
        proxy_port=5080,
        image="SIP75.9-4-2SR3-1S",
        dial_plan=False,
        phone_password="1234",
    )
    data = json.loads(json.dumps(phone.as_dict()))
    assert PhoneConfig.from_dict(data) == phone


def test_image_and_proxy_resolution() -> None:
    settings = ServerSettings(
        sip_proxy="pbx", sip_port=5060, xml_images={"41": "SIP41.9-4-2SR3-1S"}
    )
    old = PhoneConfig(mac="001122334455", model="7940")
    java = PhoneConfig(mac="001122334456", model="7961")
    bare = PhoneConfig(mac="001122334457", model="7970")
    pinned = PhoneConfig(
        mac="001122334458", image="P0S3-8-11-00", proxy_address="x", proxy_port=1
    )
    assert settings.image_for(old) == "P0S3-8-12-00"
    assert settings.image_for(java) == "SIP41.9-4-2SR3-1S"
    assert settings.image_for(bare) == ""
    assert settings.image_for(pinned) == "P0S3-8-11-00"
    assert settings.proxy_for(old) == ("pbx", 5060)
    assert settings.proxy_for(pinned) == ("x", 1)


def test_phones_from_list_rejects_duplicates() -> None:
    phones = phones_from_list([{"mac": "001122334455"}, {"mac": "001122334456"}])
    assert [p.mac for p in phones] == ["001122334455", "001122334456"]
    with pytest.raises(SettingsError, match="listed twice"):
        phones_from_list([{"mac": "001122334455"}, {"mac": "00:11:22:33:44:55"}])


def test_direct_construction_checks_list_sizes_too() -> None:
    with pytest.raises(SettingsError, match="maximum is 100"):
        ServerSettings(dial_plan=(DialRule("9"),) * 101)
    phone = PhoneConfig.from_dict({"mac": "001122334455", "lines": ({"name": "1"},)})
    assert phone.lines == (Line("1"),)


def test_settings_are_hashable_and_date_formats_are_complete() -> None:
    assert hash(ServerSettings()) == hash(ServerSettings())
    assert hash(PhoneConfig(mac="001122334455")) == hash(
        PhoneConfig(mac="0011.2233.4455")
    )
    for bad in ("M/M/Y", "D/D/D", "Y/YY/M"):
        with pytest.raises(SettingsError, match="D, M and Y once each"):
            ServerSettings(date_format=bad)


def test_ring_tone_names_have_no_outer_spaces() -> None:
    with pytest.raises(SettingsError, match="start or end with a space"):
        RingTone(" Chirp", "chirp.raw")
