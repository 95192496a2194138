"""Phone services through Home Assistant's real HTTP stack: pages and hostile cases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from ftplib import FTP
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cisco_ip_phone.const import CONF_FTP_PORT, CONF_ROOT, DOMAIN
from custom_components.cisco_ip_phone.provisioning.phone_services.access import (
    new_token,
)
from custom_components.cisco_ip_phone.provisioning.phone_services.pages import (
    short_key,
)
from custom_components.cisco_ip_phone.provisioning.phone_services.phonebook import (
    Contact,
)
from tests.support.ha_common import FTP_PASSWORD, find_device
from tests.support.phone_services import (
    BASE,
    NEW_MAC,
    OLD_MAC,
    PhoneClient,
    seen_over_tftp,
    services_entry,
    services_of,
)
from tests.support.simphone_services import ServicesBrowser, urls_from_config

from .test_hub import transfer

__all__ = ["services_entry"]


async def _browser(
    entry: MockConfigEntry, phone: PhoneClient, mac: str = OLD_MAC
) -> ServicesBrowser:
    name = f"SIP{mac}.cnf" if mac == OLD_MAC else f"SEP{mac}.cnf.xml"
    data = await seen_over_tftp(entry, mac)
    services, directory = urls_from_config(name, data)
    return ServicesBrowser(phone.get, services, directory)


@pytest.fixture
async def phone(hass_client_no_auth: ClientSessionGenerator) -> PhoneClient:
    """A phone's HTTP client on 127.0.0.1."""
    return PhoneClient(await hass_client_no_auth())


async def test_urls_are_written_per_phone(services_entry: MockConfigEntry) -> None:
    hub = services_entry.runtime_data
    services = services_of(services_entry)
    old_token, new_token_ = services.token_of(OLD_MAC), services.token_of(NEW_MAC)
    assert old_token
    assert new_token_
    assert old_token != new_token_
    cnf = hub.files[f"SIP{OLD_MAC}.cnf"].content.decode()
    assert f'services_url: "{BASE}/api/cisco_ip_phone/{old_token}/services"' in cnf
    xml = hub.files[f"SEP{NEW_MAC}.cnf.xml"].content.decode()
    assert f"/api/cisco_ip_phone/{new_token_}/auth</authenticationURL>" in xml
    assert old_token not in xml
    for shared in ("SIPDefault.cnf", "XMLDefault.cnf.xml"):
        assert old_token not in hub.files[shared].content.decode()


async def test_simulated_phone_turns_on_a_light(
    hass: HomeAssistant, services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    browser = await _browser(services_entry, phone)
    home = await browser.press_services()
    assert home.title == "Home Assistant"
    assert [name for name, _ in home.items] == ["Kitchen", "Other"]
    kitchen = await browser.select("Kitchen")
    assert kitchen.items[0][0] == "Kitchen light: off"
    await browser.select("Kitchen light")
    done = await browser.select("Turn on")
    assert done.prompt == "Done: on"
    state = hass.states.get("light.kitchen")
    assert state is not None
    assert state.state == "on"


async def test_modern_phone_and_other_pages(
    hass: HomeAssistant, services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    browser = await _browser(services_entry, phone, NEW_MAC)
    await browser.press_services()
    other = await browser.select("Other")
    names = [name for name, _ in other.items]
    assert "Temp: 21.5 °C" in names
    assert "Not exposed: off" not in names
    assert any("</Name><URL>http://evil/</URL>" in name for name in names)
    sensor = await browser.select("Temp")
    assert sensor.kind == "Text"
    assert "State: 21.5 °C" in sensor.text
    await browser.press_services()
    await browser.select("Other")
    door = await browser.select("Front door")
    assert door.prompt == "State: locked"
    confirm = await browser.select("Unlock")
    assert confirm.prompt == "Unlock?"
    assert hass.states.get("lock.door").state == "locked"  # type: ignore[union-attr]
    done = await browser.select("Yes, unlock")
    assert done.prompt == "Done: unlocked"
    refreshed = await browser.select("Refresh")
    assert refreshed.prompt == "State: unlocked"


async def test_failed_action_says_so(
    hass: HomeAssistant, services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    browser = await _browser(services_entry, phone)
    await browser.press_services()
    await browser.select("Kitchen")
    await browser.select("Kitchen light")
    failed = await browser.select("Toggle")  # light.toggle is not registered
    assert failed.prompt == "Failed: off"


async def test_directory_search_and_phonebook_upload(
    hass: HomeAssistant, services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    browser = await _browser(services_entry, phone)
    home = await browser.press_directories()
    assert [name for name, _ in home.items] == [
        "Search by name",
        "Extensions",
        "Phonebook",
    ]
    await browser.select("Extensions")
    assert browser.dial("Alice") == "1001"
    # Upload a phonebook over the server's real FTP, as a user would.
    book = Path(services_entry.data[CONF_ROOT]) / "upload.vcf"
    book.write_text("BEGIN:VCARD\nFN:Zoe <Admin> & Co\nTEL:+41 44 555\nEND:VCARD\n")

    def upload() -> None:
        with FTP() as ftp, book.open("rb") as handle:
            ftp.connect("127.0.0.1", services_entry.data[CONF_FTP_PORT])
            ftp.login("cisco", FTP_PASSWORD)
            ftp.storbinary("STOR phonebook.vcf", handle)

    await hass.async_add_executor_job(upload)
    services = services_of(services_entry)
    for _ in range(200):
        if services.phonebook:
            break
        await asyncio.sleep(0.05)
    await browser.press_directories()
    await browser.select("Search by name")
    found = await browser.submit("zo")
    assert found.items == [("Zoe <Admin> & Co", "+4144555")]
    assert browser.dial("Zoe <Admin> & Co") == "+4144555"
    await browser.press_directories()
    await browser.select("Phonebook")
    assert browser.screen is not None
    assert browser.screen.items == [("Zoe <Admin> & Co", "+4144555")]


async def test_long_lists_page(
    hass: HomeAssistant, services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    services = services_of(services_entry)
    services.phonebook = [Contact(f"Name {i:02}", str(100 + i)) for i in range(40)]
    browser = await _browser(services_entry, phone)
    await browser.press_directories()
    first = await browser.select("Phonebook")
    assert len(first.items) == 32
    assert first.refresh is not None
    second = await browser.open(first.refresh)
    assert len(second.items) == 8
    assert second.refresh is None
    await browser.press_directories()
    await browser.select("Search by name")
    everyone = await browser.submit("")
    assert everyone.title == "All"


async def _status(phone: PhoneClient, url: str) -> int:
    status, _, _ = await phone.get(url)
    return status


async def test_hostile_requests_get_404(
    hass: HomeAssistant, services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    services = services_of(services_entry)
    await seen_over_tftp(services_entry, OLD_MAC)
    token = services.token_of(OLD_MAC)
    good = f"{BASE}/api/cisco_ip_phone/{token}"
    assert await _status(phone, f"{good}/services") == 200
    bad = [
        f"{BASE}/api/cisco_ip_phone/{new_token()}/services",  # wrong token
        f"{BASE}/api/cisco_ip_phone/short/services",  # not a token
        f"{good}/nothing",
        f"{good}/services/e/{short_key('light.secret')}",  # not exposed
        f"{good}/services/e/{short_key('light.secret')}/on",
        f"{good}/services/e/light.kitchen",  # raw (forged) entity id
        f"{good}/services/e/{short_key('light.gone')}",  # exposed, does not exist
        f"{good}/services/e/{short_key('input_boolean.x')}",
        f"{good}/services/e/{short_key('light.kitchen')}/turn_on",  # a service name
        f"{good}/services/e/{short_key('light.kitchen')}/unlock",  # other domain
        f"{good}/services/e/{short_key('light.kitchen')}/on/x",
        f"{good}/services/a/{short_key('Nowhere')}",
        f"{good}/services/x",
        f"{good}/directory/list?book=evil",
        f"{good}/directory/nothing",
        f"{good}/message/unknown",
        f"{good}/services?page=" + "9" * 600,  # oversized
    ]
    for url in bad:
        assert await _status(phone, url) == 404, url
    state = hass.states.get("light.secret")
    assert state is not None
    assert state.state == "off"
    # The new phone's token, before that phone was ever seen: no address yet.
    assert (
        await _status(
            phone, f"{BASE}/api/cisco_ip_phone/{services.token_of(NEW_MAC)}/services"
        )
        == 404
    )
    # Rotation: the old token is dead at once, the new one is in the file.
    await hass.services.async_call(
        DOMAIN,
        "rotate_phone_services_token",
        {"device_id": [_device_id(hass, OLD_MAC)]},
        blocking=True,
    )
    assert await _status(phone, f"{good}/services") == 404
    new = services.token_of(OLD_MAC)
    assert new != token
    data = await seen_over_tftp(services_entry, OLD_MAC)
    assert new.encode() in data
    assert await _status(phone, f"{BASE}/api/cisco_ip_phone/{new}/services") == 200
    # Right token, but the phone was last seen at another address.
    hub = services_entry.runtime_data
    hub.feed_transfer(transfer(f"SIP{OLD_MAC}.cnf", hub=hub, ip="10.1.2.3"))
    assert await _status(phone, f"{BASE}/api/cisco_ip_phone/{new}/services") == 404


def _device_id(hass: HomeAssistant, mac: str) -> str:
    device = find_device(hass, mac)
    assert device is not None
    return device.id


async def test_oversized_and_foreign_posts(
    services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    await seen_over_tftp(services_entry, OLD_MAC)
    good = f"{BASE}/api/cisco_ip_phone/{services_of(services_entry).token_of(OLD_MAC)}"
    assert (await phone.post(f"{good}/services", b""))[0] == 404
    assert (await phone.post(f"{good}/auth", b"x" * 5000))[0] == 404
    status, body = await phone.post(f"{good}/auth", b"UserID=a&Password=b")
    assert (status, body) == (200, b"UN-AUTHORIZED")


async def test_rate_limited_per_phone(
    services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    await seen_over_tftp(services_entry, OLD_MAC)
    services = services_of(services_entry)
    services.limiter.burst = 3
    services.limiter.rate = 0.001
    url = f"{BASE}/api/cisco_ip_phone/{services.token_of(OLD_MAC)}/services"
    statuses = [await _status(phone, url) for _ in range(5)]
    assert statuses[:1] == [200]
    assert statuses[-1] == 429


async def test_expose_rejects_unsupported_domains(
    hass: HomeAssistant, services_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            "set_phone_services_entities",
            {"entity_id": ["input_boolean.x"]},
            blocking=True,
        )
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            "rotate_phone_services_token",
            {"device_id": ["nope"]},
            blocking=True,
        )


async def test_chunked_oversized_post(
    services_entry: MockConfigEntry, phone: PhoneClient
) -> None:
    await seen_over_tftp(services_entry, OLD_MAC)
    token = services_of(services_entry).token_of(OLD_MAC)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 1000

    response = await phone.client.post(
        f"/api/cisco_ip_phone/{token}/auth", data=chunks()
    )
    assert response.status == 404
