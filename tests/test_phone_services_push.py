"""Notifications on the screen: a push to a fake phone's /CGI/Execute; the switch."""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from urllib.parse import urlencode
import xml.etree.ElementTree as ET

from aiohttp import web
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.http.runtime import MAX_MESSAGES
from tests.support.ha_common import find_device
from tests.support.phone_services import (
    BASE,
    NEW_MAC,
    OLD_MAC,
    PhoneClient,
    seen_over_tftp,
    services_entry,
    services_of,
)

__all__ = ["services_entry"]


@dataclass
class FakePhone:
    """A 79x1-class phone's web server: /CGI/Execute checked via authenticationURL."""

    phone: PhoneClient
    auth_url: str
    devicename: str
    error: int | None = None
    forge: tuple[str, str] | None = None
    shown: list[ET.Element] = field(default_factory=list)
    verdicts: list[bytes] = field(default_factory=list)
    credentials: list[tuple[str, str]] = field(default_factory=list)
    executed: list[list[str]] = field(default_factory=list)

    async def execute(self, request: web.Request) -> web.Response:
        user, _, password = (
            base64.b64decode(request.headers["Authorization"].split()[1])
            .decode()
            .partition(":")
        )
        if self.forge:
            user, password = self.forge
        self.credentials.append((user, password))
        query = urlencode(
            {"UserID": user, "Password": password, "devicename": self.devicename}
        )
        _, _, verdict = await self.phone.get(f"{self.auth_url}?{query}")
        self.verdicts.append(verdict)
        if verdict != b"AUTHORIZED" or self.error:
            number = self.error or 4
            return web.Response(
                text=f'<CiscoIPPhoneError Number="{number}"/>', content_type="text/xml"
            )
        form = await request.post()
        execute = ET.fromstring(str(form["XML"]))
        url = execute[0].get("URL") or ""
        self.executed.append(
            [
                "URL" if i == 0 else item.get("URL") or ""
                for i, item in enumerate(execute)
            ]
        )
        status, _, body = await self.phone.get(url)
        assert status == 200
        self.shown.append(ET.fromstring(body))
        return web.Response(
            text=f'<CiscoIPPhoneResponse><ResponseItem Status="0" URL="{url}"/>'
            "</CiscoIPPhoneResponse>",
            content_type="text/xml",
        )


@pytest.fixture
async def fake_phone(
    hass: HomeAssistant,
    services_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> AsyncGenerator[FakePhone]:
    """The 7970's web server on 127.0.0.1, after it fetched its file over TFTP."""
    services = services_of(services_entry)
    await seen_over_tftp(services_entry, NEW_MAC)
    token = services.token_of(NEW_MAC)
    fake = FakePhone(
        PhoneClient(await hass_client_no_auth()),
        f"{BASE}/api/cisco_ip_phone/{token}/auth",
        f"SEP{NEW_MAC}",
    )
    app = web.Application()
    app.router.add_post("/CGI/Execute", fake.execute)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    services.push_port = runner.addresses[0][1]
    yield fake
    await runner.cleanup()


def _notify_entity(hass: HomeAssistant, mac: str) -> str | None:
    return er.async_get(hass).async_get_entity_id("notify", DOMAIN, f"{mac}_screen")


async def _send(hass: HomeAssistant, message: str, title: str | None = None) -> None:
    data = {"entity_id": _notify_entity(hass, NEW_MAC), "message": message}
    if title is not None:
        data["title"] = title
    await hass.services.async_call("notify", "send_message", data, blocking=True)


async def test_only_push_capable_phones_get_a_notifier(
    hass: HomeAssistant, services_entry: MockConfigEntry
) -> None:
    assert _notify_entity(hass, NEW_MAC) is not None
    assert _notify_entity(hass, OLD_MAC) is None


async def test_message_shows_on_the_phone(
    hass: HomeAssistant, fake_phone: FakePhone
) -> None:
    await _send(hass, "Front door opened <&>", "Door")
    assert fake_phone.verdicts == [b"AUTHORIZED"]
    text = fake_phone.shown[0]
    assert text.tag == "CiscoIPPhoneText"
    assert text.findtext("Title") == "Door"
    assert text.findtext("Text") == "Front door opened <&>"
    await _send(hass, "No title")
    assert fake_phone.shown[1].findtext("Title") == "Home Assistant"
    # The credentials of a finished push approve nothing any more.
    user, password = fake_phone.credentials[0]
    query = urlencode(
        {"UserID": user, "Password": password, "devicename": f"SEP{NEW_MAC}"}
    )
    _, _, verdict = await fake_phone.phone.get(f"{fake_phone.auth_url}?{query}")
    assert verdict == b"UN-AUTHORIZED"


async def test_foreign_push_is_not_approved(
    hass: HomeAssistant, fake_phone: FakePhone
) -> None:
    fake_phone.forge = ("admin", "admin")
    with pytest.raises(HomeAssistantError, match="error 4"):
        await _send(hass, "x")
    assert fake_phone.verdicts == [b"UN-AUTHORIZED"]


async def test_phone_error_and_unreachable_phone(
    hass: HomeAssistant, services_entry: MockConfigEntry, fake_phone: FakePhone
) -> None:
    fake_phone.error = 6
    with pytest.raises(HomeAssistantError, match="error 6"):
        await _send(hass, "x")
    services_of(services_entry).push_port = 1
    with pytest.raises(HomeAssistantError, match="did not take"):
        await _send(hass, "x")


async def test_unseen_phone_cannot_be_pushed_to(
    hass: HomeAssistant, services_entry: MockConfigEntry
) -> None:
    with pytest.raises(HomeAssistantError, match="has not fetched"):
        await _send(hass, "x")


async def test_switch_turns_the_feature_off_and_on(
    hass: HomeAssistant,
    services_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    hub = services_entry.runtime_data
    services = services_of(services_entry)
    phone = PhoneClient(await hass_client_no_auth())
    await seen_over_tftp(services_entry, OLD_MAC)
    token = services.token_of(OLD_MAC)
    assert token is not None
    url = f"{BASE}/api/cisco_ip_phone/{token}/services"
    switch = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{services_entry.entry_id}_phone_services"
    )
    assert switch is not None
    assert hass.states.get(switch).state == STATE_ON  # type: ignore[union-attr]
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": switch}, blocking=True
    )
    assert hass.states.get(switch).state == STATE_OFF  # type: ignore[union-attr]
    assert token not in hub.files[f"SIP{OLD_MAC}.cnf"].content.decode()
    assert (await phone.get(url))[0] == 404
    with pytest.raises(HomeAssistantError, match="off"):
        await _send(hass, "x")
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": switch}, blocking=True
    )
    assert token in hub.files[f"SIP{OLD_MAC}.cnf"].content.decode()
    assert (await phone.get(url))[0] == 200


async def test_tokens_and_exposure_survive_a_reload(
    hass: HomeAssistant, services_entry: MockConfigEntry
) -> None:
    services = services_of(services_entry)
    token = services.token_of(OLD_MAC)
    exposed = services.exposed
    assert await hass.config_entries.async_reload(services_entry.entry_id)
    await hass.async_block_till_done()
    again = services_of(services_entry)
    assert again is not services
    assert again.token_of(OLD_MAC) == token
    assert again.exposed == exposed


async def test_only_the_latest_messages_are_kept(
    hass: HomeAssistant, services_entry: MockConfigEntry, fake_phone: FakePhone
) -> None:
    services = services_of(services_entry)
    services.limiter.burst = 1000  # each push is two phone requests
    for n in range(MAX_MESSAGES + 2):
        await _send(hass, f"message {n}")
    assert len(services.messages) == MAX_MESSAGES
    first = fake_phone.shown[0]
    assert first.findtext("Text") == "message 0"


async def test_show_message_action_with_a_beep(
    hass: HomeAssistant, services_entry: MockConfigEntry, fake_phone: FakePhone
) -> None:
    device = find_device(hass, NEW_MAC)
    assert device is not None
    data = {"device_id": [device.id], "message": "Dinner", "beep": True}
    with pytest.raises(HomeAssistantError, match="no ring tone"):
        await hass.services.async_call(DOMAIN, "show_message", data, blocking=True)
    tones = [{"display_name": "Chime", "file_name": "Chime.raw"}]
    hass.config_entries.async_update_entry(
        services_entry,
        options={**services_entry.options, "ring_tones": tones},
    )
    await hass.async_block_till_done()
    await hass.services.async_call(DOMAIN, "show_message", data, blocking=True)
    assert fake_phone.executed[-1] == ["URL", "Play:Chime.raw"]
    assert fake_phone.shown[-1].findtext("Text") == "Dinner"
    assert fake_phone.shown[-1].findtext("Title") == "Home Assistant"
