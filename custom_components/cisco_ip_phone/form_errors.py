"""Form refusals a person can act on: the field's label, never its internal key.

The engine's messages name a setting by its key (``sip_proxy``,
``line.name``), which is right for logs and the command line but means
nothing next to a form. Here the keys are replaced by the labels the form
shows, taken from the integration's translations in the user's language, so
a refusal in a collapsed section (where Home Assistant cannot attach the
error to the field) still says which field it is and what it allows.
"""

from __future__ import annotations

from collections.abc import Mapping
import re

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN
from .provisioning.errors import ProvisioningError

_OPTIONS = f"component.{DOMAIN}.options.step.init."
_PHONE = f"component.{DOMAIN}.config_subentries.phone.step."
# Label paths: ``<step>.data.<key>`` or ``<step>.sections.<section>.data.<key>``.
_LABEL = re.compile(
    r"^(?P<step>\w+)\.(?:sections\.(?P<section>\w+)\.)?data\.(?P<key>\w+)$"
)


def labels_from(translations: Mapping[str, str]) -> dict[str, str]:
    """Return setting key -> form label from flattened translations.

    Line fields are keyed ``line.<field>`` (how the engine names them); a
    phone's override of a server setting shares the server setting's label.
    """
    labels: dict[str, str] = {}
    for prefix in (_OPTIONS, _PHONE):
        for path, text in translations.items():
            if not path.startswith(prefix):
                continue
            match = _LABEL.match(
                path.removeprefix(prefix)
                if prefix == _PHONE
                else f"init.{path.removeprefix(prefix)}"
            )
            if match is None:
                continue
            section, key = match["section"], match["key"]
            if section is not None and section.startswith("line_"):
                key = f"line.{key}"
            labels.setdefault(key, text)
    return labels


async def async_labels(hass: HomeAssistant) -> dict[str, str]:
    """Return the form labels of every setting in the user's language."""
    language = hass.config.language
    found: dict[str, str] = {}
    for category in ("options", "config_subentries"):
        found |= await async_get_translations(hass, language, category, {DOMAIN})
    return labels_from(found)


def describe(err: ProvisioningError, labels: Mapping[str, str]) -> str:
    """Return ``err``'s message with every setting key replaced by its label.

    The key at fault is replaced wherever it stands; other keys only when
    they cannot be an ordinary word (they contain ``_``), so "firmware image
    name" keeps its words while "start_media_port" becomes its label.
    """
    field = (err.field or "").removeprefix("overrides.")
    keys = {key for key in labels if "_" in key or key == field}
    message = str(err)
    if not keys:
        return message
    names = "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.])(?:overrides\.)?({names})(?![\w])")
    return pattern.sub(lambda match: f'"{labels[match[1]]}"', message)
