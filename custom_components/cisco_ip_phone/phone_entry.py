"""A configured phone as the hub sees it: its subentry and validated settings."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

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
    phones: dict[str, PhoneEntry] = {}
    for subentry_id, subentry in entry.subentries.items():
        try:
            config = PhoneConfig.from_dict(dict(subentry.data))
        except (ProvisioningError, KeyError, TypeError) as err:
            LOGGER.warning("Phone %s has invalid settings: %s", subentry.title, err)
            continue
        phones[config.mac] = PhoneEntry(subentry_id=subentry_id, config=config)
    return phones
