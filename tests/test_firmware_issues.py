"""Which text a missing firmware file gets: upload it, or walk the phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.firmware_issues import (
    async_report_image_not_found,
)
from tests.support.firmware import (
    SCCP_3,
    make_entry,
    observation,
    put_firmware,
    remember_phone,
    setup_entry,
)
from tests.support.ha_common import PHONE_MAC


@pytest.mark.parametrize(
    ("file", "key"),
    [
        ("P0S3-8-12-00.bin", "firmware_never_released"),  # 8.x: no .bin exists
        ("P0S3-08-11-00.bin", "firmware_never_released"),
        ("P0S3-07-4-00.bin", "firmware_not_found"),  # 7.x .bin files exist
        ("P0S3-06-3-00.bin", "firmware_not_found"),
        ("P003-8-12-00.bin", "firmware_not_found"),  # the loader's .bin exists
        ("P0S3-8-12-00.sb2", "firmware_not_found"),
        ("custom-ring.bin", "firmware_not_found"),  # not a firmware name
    ],
)
async def test_missing_file_text(hass: HomeAssistant, file: str, key: str) -> None:
    async_report_image_not_found(hass, "001122334455", "Desk", file)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, "firmware_not_found_001122334455"
    )
    assert issue is not None
    assert issue.translation_key == key
    assert issue.translation_placeholders == {"phone": "Desk", "file": file}


async def test_issues_go_with_their_phone_and_their_server(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    """A repair about a removed phone or server can never be fixed: it goes too."""
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    await setup_entry(hass, entry)
    issues = ir.async_get(hass)
    for kind in ("phone_loop", "firmware_not_found"):
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{kind}_{PHONE_MAC}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=kind,
        )
    ir.async_create_issue(
        hass,
        DOMAIN,
        "phone_loop_001E7A0000FF",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="phone_loop",
    )
    subentry_id = next(iter(entry.subentries))
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    left = {issue for domain, issue in issues.issues if domain == DOMAIN}
    assert left == {"phone_loop_001E7A0000FF"}
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [issue for domain, issue in issues.issues if domain == DOMAIN]
