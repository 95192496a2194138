"""Phone buttons: regenerate files (and re-read the firmware); resync errors."""

from __future__ import annotations

from pathlib import Path

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from tests.support.firmware import TARGET, make_entry, put_firmware, setup_entry


async def test_buttons_are_config_entities(
    hass: HomeAssistant, tftp_root: Path, entity_registry: er.EntityRegistry
) -> None:
    await setup_entry(hass, make_entry(tftp_root))
    for entity_id in ("button.desk_resync", "button.desk_regenerate_files"):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.entity_category is EntityCategory.CONFIG
        assert entry.config_subentry_id == "sub_00113A4B5C6D"


async def test_regenerate_rereads_the_firmware(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    manager = await setup_entry(hass, make_entry(tftp_root))
    assert manager.catalog is not None
    assert manager.catalog.image(TARGET) is None
    put_firmware(tftp_root)
    before = manager.hub.files
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.desk_regenerate_files"},
        blocking=True,
    )
    assert manager.catalog.image(TARGET) is not None
    assert manager.hub.files is not before  # rendered again
    assert manager.hub.files.keys() == before.keys()
