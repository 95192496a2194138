"""Per-phone and per-line overrides, the URL hook, and stored data of today.

Stored config-entry data (options and phone subentries as the previous
version wrote them) must load unchanged and write back unchanged.
"""

from __future__ import annotations

import pytest

from custom_components.cisco_ip_phone.provisioning.files.render import render_files
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    Line,
    PhoneConfig,
    ServerSettings,
    SettingsError,
)

# Dicts exactly as the previous release stored them (as_dict of its models).
OLD_PHONE = {
    "mac": "000E84C060A6",
    "model": "7940",
    "label": "Study",
    "lines": [
        {
            "name": "1234567e0",
            "auth_name": "",
            "password": "secret",
            "display_name": "Study",
            "short_name": "",
        }
    ],
    "proxy_address": "",
    "proxy_port": None,
    "image": "",
    "dial_plan": True,
    "phone_password": None,
}
OLD_OPTIONS = {
    "sip_proxy": "sipgate.de",
    "sip_port": 5060,
    "proxy_register": True,
    "outbound_proxy": "",
    "outbound_proxy_port": 5060,
    "ntp_server": "pool.ntp.org",
    "time_zone": "CET",
    "date_format": "D.M.Y",
    "time_format_24hr": True,
    "dst_auto_adjust": True,
    "preferred_codec": "g711alaw",
    "image_79x0": "P0S3-8-12-00",
    "phone_password": "cisco",
    "messages_uri": "50000",
    "nat_enable": False,
    "nat_address": "",
}


def test_old_phone_dict_loads_and_writes_back_unchanged() -> None:
    assert PhoneConfig.from_dict(OLD_PHONE).as_dict() == OLD_PHONE


def test_old_options_load_even_outside_the_phone_limits() -> None:
    """D.M.Y is no 79x0 date format: it loads, and only the form refuses it."""
    settings = ServerSettings.from_dict(OLD_OPTIONS)
    assert settings.date_format == "D.M.Y"
    assert [err.field for err in settings.limit_errors()] == ["date_format"]
    full = ServerSettings().as_dict()
    assert ServerSettings.from_dict(full).as_dict() == full


PHONE_79X0 = PhoneConfig(
    mac="001122334455",
    model="7960",
    lines=(Line("201"), Line("202", proxy_address="10.0.0.9", proxy_port=5080)),
    overrides={"dnd_control": 1, "time_zone": "EST"},
)
PHONE_XML = PhoneConfig(
    mac="001122334466",
    model="7965",
    lines=(Line("301", proxy_address="10.0.0.8"),),
    overrides={"dtmf_avt_payload": 96},
)


def test_phone_overrides_reach_its_own_file_only() -> None:
    files = render_files(ServerSettings(), [PHONE_79X0, PHONE_XML])
    mac_file = files["SIP001122334455.cnf"].content.decode()
    assert "\ndnd_control: 1\n" in mac_file
    assert '\ntime_zone: "EST"\n' in mac_file
    assert 'proxy2_address: "10.0.0.9"' in mac_file
    assert "proxy2_port: 5080" in mac_file
    assert "dnd_control: 0" in files["SIPDefault.cnf"].content.decode()
    xml = files["SEP001122334466.cnf.xml"].content.decode()
    assert "<dtmfAvtPayload>96</dtmfAvtPayload>" in xml
    assert "<proxy>10.0.0.8</proxy>" in xml


def test_url_hook_fills_per_phone_service_urls() -> None:
    """The services branch passes per-phone URLs without storing them."""
    urls = {
        "00:11:22:33:44:55": {"services_url": "http://ha.local:8123/s/a"},
        "001122334466": {
            "services_url": "http://ha.local:8123/s/b",
            "authentication_url": "http://ha.local:8123/auth",
        },
    }
    files = render_files(ServerSettings(), [PHONE_79X0, PHONE_XML], overrides=urls)
    mac_file = files["SIP001122334455.cnf"].content.decode()
    assert 'services_url: "http://ha.local:8123/s/a"' in mac_file
    xml = files["SEP001122334466.cnf.xml"].content.decode()
    assert "<servicesURL>http://ha.local:8123/s/b</servicesURL>" in xml
    assert "<authenticationURL>http://ha.local:8123/auth</authenticationURL>" in xml
    with pytest.raises(SettingsError, match="services_url"):
        render_files(
            ServerSettings(),
            [PHONE_XML],
            overrides={"001122334466": {"services_url": 'http://x/"'}},
        )


@pytest.mark.parametrize(
    "overrides",
    [{"image_79x0": "P0S3-8-12-00"}, {"nope": 1}, {"dial_plan": []}],
)
def test_only_server_settings_can_be_overridden(overrides: dict[str, object]) -> None:
    with pytest.raises(SettingsError, match="overrides"):
        PhoneConfig(mac="001122334455", overrides=overrides)


def test_override_values_are_checked_by_their_row() -> None:
    with pytest.raises(SettingsError, match="dnd_control"):
        PhoneConfig(mac="001122334455", overrides={"dnd_control": 7})
    phone = PhoneConfig.from_dict({**OLD_PHONE, "overrides": {"call_waiting": 0}})
    assert phone.as_dict()["overrides"] == {"call_waiting": 0}
    assert PhoneConfig.from_dict(phone.as_dict()) == phone
