"""A repair issue names the language and tone files the phones will not find."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN
from custom_components.cisco_ip_phone.locale_issues import (
    ISSUE_LOCALE_FILES,
    async_check_locale_files,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    PhoneConfig,
    ServerSettings,
)
from tests.support.ha_common import phone_subentry_data, server_data


async def test_options_with_a_language_raise_and_clear_the_issue(
    hass: HomeAssistant, tftp_root: Path, issue_registry: ir.IssueRegistry
) -> None:
    """Set a language: the issue names the files; upload them: it goes away."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=server_data(tftp_root),
        options={CONF_DISCOVERY: True},
        subentries_data=[phone_subentry_data("001122334465", "7965")],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_LOCALE_FILES) is None

    options = {
        **entry.options,
        "user_locale": "French_France",
        "network_locale": "France",
    }
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.async_block_till_done(wait_background_tasks=True)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_LOCALE_FILES)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["files"] == (
        "France/g3-tones.xml, French_France/be-sip.jar"
    )

    for path in ("french_france/BE-SIP.JAR", "France/g3-tones.xml"):
        (tftp_root / path).parent.mkdir(exist_ok=True)
        (tftp_root / path).write_bytes(b"x")
    entry.runtime_data.regenerate()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_LOCALE_FILES) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_no_language_means_no_check(
    hass: HomeAssistant, tmp_path: Path, issue_registry: ir.IssueRegistry
) -> None:
    phone = PhoneConfig(mac="001122334465", model="7965")
    german = ServerSettings(user_locale="German_Germany")
    assert await async_check_locale_files(hass, tmp_path, german, [phone]) == [
        "German_Germany/be-sip.jar"
    ]
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_LOCALE_FILES) is not None
    assert await async_check_locale_files(hass, tmp_path, ServerSettings(), []) == []
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_LOCALE_FILES) is None
