"""The actions: targets by device or entity, validation errors, regeneration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import DOMAIN
from tests.support.firmware import (
    SCCP_3,
    SIP_63,
    TARGET,
    UPDATE,
    make_entry,
    observation,
    phone_device_id,
    put_firmware,
    remember_phone,
    setup_entry,
)
from tests.support.ha_common import PHONE_MAC


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> None:
    await hass.services.async_call(DOMAIN, service, data, blocking=True)


async def test_actions_are_registered_without_a_server(hass: HomeAssistant) -> None:
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, DOMAIN, {})
    for service in ("regenerate_configs", "upgrade_firmware", "resync"):
        assert hass.services.has_service(DOMAIN, service)
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "regenerate_configs", {})
    assert caught.value.translation_key == "no_server"


async def test_upgrade_next_hop_only_by_entity(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)
    await _call(
        hass,
        "upgrade_firmware",
        {"entity_id": UPDATE, "version": f" {TARGET} ", "next_hop_only": True},
    )
    job = manager.jobs[PHONE_MAC]
    assert [hop.image for hop in job.hops] == [SIP_63]
    assert entry.runtime_data.images == {PHONE_MAC: SIP_63}
    # Without a version the running walk's target stays the target.
    await _call(hass, "upgrade_firmware", {"device_id": [phone_device_id(hass)]})
    assert [hop.image for hop in manager.jobs[PHONE_MAC].hops] == [SIP_63]
    # A version plans again from what the phone runs, every hop.
    await _call(
        hass,
        "upgrade_firmware",
        {"device_id": phone_device_id(hass), "version": TARGET},
    )
    assert [hop.image for hop in manager.jobs[PHONE_MAC].hops][-1] == TARGET


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "no_phones"),
        ({"device_id": "nope"}, "unknown_device"),
        ({"entity_id": "sensor.nobody"}, "unknown_entity"),
        ({"version": "firmware-9"}, "invalid_version"),
        ({"version": "P003-8-12-00"}, "invalid_version"),
    ],
)
async def test_upgrade_input_is_validated(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    data: dict[str, Any],
    key: str,
) -> None:
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    await setup_entry(hass, entry)
    if "version" in data:
        data = {**data, "device_id": phone_device_id(hass)}
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "upgrade_firmware", data)
    assert caught.value.translation_key == key
    assert caught.value.translation_domain == DOMAIN


async def test_device_of_another_integration_is_refused(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    entry = make_entry(tftp_root)
    await setup_entry(hass, entry)
    other = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "resync", {"device_id": other.id})
    assert caught.value.translation_key == "unknown_device"


async def test_phone_of_an_unloaded_server_is_refused(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    entry = make_entry(tftp_root)
    await setup_entry(hass, entry)
    device_id = phone_device_id(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "upgrade_firmware", {"device_id": device_id})
    assert caught.value.translation_key == "entry_not_loaded"
    assert caught.value.translation_placeholders == {"title": entry.title}


async def test_upgrade_errors_reach_the_caller(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    await setup_entry(hass, entry)
    with pytest.raises(HomeAssistantError) as caught:
        await _call(hass, "upgrade_firmware", {"device_id": phone_device_id(hass)})
    assert caught.value.translation_key == "firmware_files_missing"
    assert caught.value.translation_placeholders is not None
    assert caught.value.translation_placeholders["files"] == f"{SIP_63}.bin"


async def test_regenerate_configs(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)
    assert manager.catalog is not None
    assert manager.catalog.images == ()

    put_firmware(tftp_root)
    await _call(hass, "regenerate_configs", {})
    assert manager.catalog is not None
    assert {image.name for image in manager.catalog.images} >= {SIP_63, TARGET}

    (tftp_root / f"{SIP_63}.bin").unlink()
    await _call(hass, "regenerate_configs", {"device_id": [phone_device_id(hass)]})
    assert SIP_63 not in {image.name for image in manager.catalog.images}


async def test_other_servers_are_skipped(hass: HomeAssistant, tftp_root: Path) -> None:
    idle = MockConfigEntry(domain=DOMAIN, title="Idle server", entry_id="idle_entry")
    idle.add_to_hass(hass)  # not set up, and without this phone
    entry = make_entry(tftp_root)
    await setup_entry(hass, entry)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "001122334499")}
    )
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "resync", {"device_id": device.id})
    assert caught.value.translation_key == "unknown_device"
    with pytest.raises(HomeAssistantError) as caught:
        await _call(hass, "resync", {"device_id": phone_device_id(hass)})
    assert caught.value.translation_key == "no_ip_address"


async def test_current_version_given_by_the_user(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(None))  # SCCP 3.x never says
    manager = await setup_entry(hass, entry)
    device_id = phone_device_id(hass)
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "upgrade_firmware", {"device_id": device_id})
    assert caught.value.translation_key == "unknown_firmware"
    with pytest.raises(ServiceValidationError) as caught:
        await _call(
            hass,
            "upgrade_firmware",
            {"device_id": device_id, "current_version": "SCCP three"},
        )
    assert caught.value.translation_key == "invalid_version"
    await _call(
        hass, "upgrade_firmware", {"device_id": device_id, "current_version": SCCP_3}
    )
    assert [hop.image for hop in manager.jobs[PHONE_MAC].hops] == [
        SIP_63,
        "P003-8-12-00",
        TARGET,
    ]


async def test_user_mistake_is_one_translated_error_line(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    hass_ws_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unknown current image through the UI: one ERROR line that says what to do."""
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(None))
    await setup_entry(hass, entry)
    client = await hass_ws_client(hass)
    caplog.clear()
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": "cisco_ip_phone",
            "service": "upgrade_firmware",
            "service_data": {"device_id": phone_device_id(hass)},
        }
    )
    reply = await client.receive_json()
    assert not reply["success"]
    assert reply["error"]["code"] == "service_validation_error"
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "App Load ID" in message
    assert message.count("not known") == 1
    assert errors[0].exc_info is None
