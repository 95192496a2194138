"""A repair issue naming the locale files the phones will ask for and not find.

A 79x1/79x2/79x5/797x told a language or tones fetches them over TFTP from
folders of the root (``provisioning/files/locale.py``); when they are
missing it shows "Error updating locale" and stays in English with US
tones. The check runs whenever the files are generated, in the executor
(it lists folders), and the issue goes away once the files are there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .firmware_issues import DOCS
from .provisioning.files.locale import missing_locale_files
from .provisioning.settings.models import PhoneConfig, ServerSettings

if TYPE_CHECKING:
    from .phone_entry import PhoneEntry
    from .server_config import ServerConfig

ISSUE_LOCALE_FILES = "locale_files_missing"
LOCALE_DOCS = f"{DOCS}/configuration.md#language-and-tones"


async def async_check_locale_files(
    hass: HomeAssistant,
    root: Path,
    settings: ServerSettings,
    phones: Iterable[PhoneConfig],
) -> list[str]:
    """Create or delete the issue; return the missing files."""
    if not settings.user_locale and not settings.network_locale:
        ir.async_delete_issue(hass, DOMAIN, ISSUE_LOCALE_FILES)
        return []  # the phones' own English and US tones: nothing to fetch
    phones = list(phones)
    missing = await hass.async_add_executor_job(
        missing_locale_files, root, settings, phones
    )
    if not missing:
        ir.async_delete_issue(hass, DOMAIN, ISSUE_LOCALE_FILES)
        return missing
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_LOCALE_FILES,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_LOCALE_FILES,
        translation_placeholders={"files": ", ".join(missing), "root": str(root)},
        learn_more_url=LOCALE_DOCS,
    )
    return missing


@callback
def schedule_locale_check(
    hass: HomeAssistant,
    entry: ConfigEntry,
    config: ServerConfig,
    phones: Mapping[str, PhoneEntry],
) -> None:
    """Check the locale files in the background (the hub calls this on render)."""
    entry.async_create_background_task(
        hass,
        async_check_locale_files(
            hass,
            Path(config.root),
            config.settings,
            [phone.config for phone in phones.values()],
        ),
        f"{DOMAIN} locale files",
    )
