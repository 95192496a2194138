"""A configured phone as the hub sees it: its subentry and validated settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .const import LOGGER
from .provisioning.settings.models import (
    MODELS,
    ConfigStyle,
    PhoneConfig,
    ProvisioningError,
)


@dataclass(frozen=True, slots=True)
class PhoneEntry:
    """A configured phone: its subentry and its validated settings."""

    subentry_id: str
    config: PhoneConfig

    @property
    def mac(self) -> str:
        """Return the normalised MAC, the phone's identity everywhere."""
        return self.config.mac

    @property
    def model_name(self) -> str:
        """Return the model as the device registry shows it."""
        return f"IP Phone {self.config.model}"

    @property
    def product_id(self) -> str:
        """Return Cisco's product number (``CP-7960G``), the device's model id.

        The device page shows "model (model id)": the product number adds
        what the label under the phone says instead of repeating the model.
        """
        model = self.config.model
        if model.endswith("-GE"):
            return f"CP-{model}"
        if model == "7971":
            return "CP-7971G-GE"  # only ever sold as the gigabit variant
        return f"CP-{model}G"

    @property
    def main_file(self) -> str:
        """Return the file whose fetch proves the phone read its settings."""
        style = MODELS[self.config.model].config_style
        if style is ConfigStyle.CNF:
            return f"SIP{self.mac}.cnf"
        return f"SEP{self.mac}.cnf.xml"


def phones_from_entry(entry: ConfigEntry) -> dict[str, PhoneEntry]:
    """Return the valid phone subentries keyed by MAC; log the invalid ones."""
    return PhoneReader().read(entry)


class PhoneReader:
    """Read the phone subentries again, validating only the ones that changed.

    Home Assistant gives a changed subentry a new ``data`` mapping (it sets
    the attribute on the same object), so the same mapping object and title
    mean unchanged: adding the 1,001st phone validates one phone, not 1,001
    (issue #16).
    """

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Mapping[str, Any], str, PhoneEntry | None]] = {}
        self.changed: frozenset[str] = frozenset()
        """MACs added, removed or changed (settings or title) by the last read."""

    def read(self, entry: ConfigEntry) -> dict[str, PhoneEntry]:
        """Return the valid phone subentries keyed by MAC; log the invalid ones."""
        cache: dict[str, tuple[Mapping[str, Any], str, PhoneEntry | None]] = {}
        phones: dict[str, PhoneEntry] = {}
        changed: set[str] = set()
        for subentry_id, subentry in entry.subentries.items():
            known = self._cache.get(subentry_id)
            if known is not None and known[:2] == (subentry.data, subentry.title):
                phone = known[2]
            else:
                phone = _phone(subentry_id, subentry)
                if known is not None and known[2] is not None:
                    changed.add(known[2].mac)
                if phone is not None:
                    changed.add(phone.mac)
            cache[subentry_id] = (subentry.data, subentry.title, phone)
            if phone is not None:
                phones[phone.mac] = phone
        for subentry_id in self._cache.keys() - cache.keys():
            gone = self._cache[subentry_id][2]
            if gone is not None:
                changed.add(gone.mac)
        self._cache = cache
        self.changed = frozenset(changed)
        return phones


def _phone(subentry_id: str, subentry: ConfigSubentry) -> PhoneEntry | None:
    try:
        config = PhoneConfig.from_dict(dict(subentry.data))
    except (ProvisioningError, KeyError, TypeError) as err:
        LOGGER.warning("Phone %s has invalid settings: %s", subentry.title, err)
        return None
    return PhoneEntry(subentry_id=subentry_id, config=config)
