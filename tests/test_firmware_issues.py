"""Which text a missing firmware file gets: upload it, or walk the phone."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.firmware_issues import (
    async_report_image_not_found,
)


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
