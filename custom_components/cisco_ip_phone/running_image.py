"""What image does the phone run? Every source, ranked, one answer.

TFTP tells only while a phone names its image in its requests; a 7960 on a
current SIP 8.12 never does again, and the update entity went blank exactly
then (issue #12 item 2). The phone itself still tells, and so can the user:

1. the TFTP observation (the image it asked for at boot): exact;
2. its device-information page (``appLoadID``), read when it comes online;
3. the ``Load=`` its SIP stack names (OPTIONS answer);
4. what the user read on the phone and stated (the "Running firmware (as
   read on the phone)" text entity, kept in the hub's Store);
5. a 79x1-class ``User-Agent`` version (``Cisco-CP7961G/8.5.4``), turned
   into the load name (no service release: below the user's statement);
6. a 7940/7960's ``/8.0``, which says "SIP 8.x" only: shown, never used
   to plan hops or to compare versions.

A precise source always wins over an imprecise one, and nothing here
overwrites the TFTP observation.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN, LOGGER
from .provisioning.firmware import FirmwareNameError, parse_image_name
from .provisioning.firmware.advice import same_image
from .provisioning.phoneinfo.device_info import (
    DeviceInfo,
    DeviceInfoError,
    fetch_device_info,
)
from .provisioning.settings.models import MODELS

if TYPE_CHECKING:
    from .hub import CiscoPhoneHub

WEB_PORT: Final = 80
WEB_TIMEOUT: Final = 5.0
MAX_STATED: Final = 64
# appLoadID of a 79x1-class phone: jar<prefix>sip.<version> is SIP<prefix>.<version>.
_JAR: Final = re.compile(r"^jar(\d\d)sip\.(.+)$", re.IGNORECASE)


def image_of(name: str | None) -> str | None:
    """Return ``name`` as an application image name, or None if it is not one."""
    if not name:
        return None
    match = _JAR.match(name)
    if match is not None:
        name = f"SIP{match[1]}.{match[2]}"
    try:
        return parse_image_name(name).base
    except FirmwareNameError:
        return None


class RunningImage:
    """Rank what every source says a phone runs; keep the user's statement."""

    def __init__(self, hass: HomeAssistant, hub: CiscoPhoneHub) -> None:
        self.hass = hass
        self.hub = hub
        self.web_port = WEB_PORT
        self.web_timeout = WEB_TIMEOUT
        self.stated: dict[str, str] = {}
        self._pages: dict[str, DeviceInfo] = {}
        self._shown: dict[str, str | None] = {}

    def restore(self, stated: Mapping[str, str]) -> None:
        """Take the statements kept in the Store (already validated)."""
        self.stated = dict(stated)

    @callback
    def forget(self, mac: str) -> None:
        """Drop what was learned about a removed phone (bounded memory)."""
        self._pages.pop(mac, None)
        self._shown.pop(mac, None)
        if self.stated.pop(mac, None) is not None:
            self.hub.async_schedule_save()

    # Sources -------------------------------------------------------------------

    def _sources(self, mac: str) -> list[str | None]:
        observation = self.hub.observation(mac)
        page = self._pages.get(mac)
        identity = self.hub.online.identity(mac)
        guessed = None
        phone_model = MODELS.get(identity.model if identity is not None else "")
        if identity is not None and identity.precise and phone_model is not None:
            prefix = phone_model.load_prefix
            dashed = identity.version.replace(".", "-")
            guessed = f"SIP{prefix}.{dashed}S" if prefix else None
        return [
            observation.firmware if observation is not None else None,
            image_of(page.app_load_id) if page is not None else None,
            image_of(identity.load) if identity is not None else None,
            self.stated.get(mac),
            image_of(guessed),
        ]

    def best(self, mac: str) -> str | None:
        """Return the image the phone runs as exactly as any source knows it."""
        return next((image for image in self._sources(mac) if image), None)

    def shown(self, mac: str) -> str | None:
        """Return what the UI shows: ``best``, else "SIP 8.x" from ``/8.0``."""
        image = self.best(mac)
        if image is not None:
            return image
        identity = self.hub.online.identity(mac)
        return f"SIP {identity.major}.x" if identity is not None else None

    def runs(self, mac: str, file: str) -> bool:
        """Tell whether the phone is known (any source) to run ``file``'s image."""
        image = image_of(file)
        return image is not None and any(
            source is not None and same_image(source, image)
            for source in self._sources(mac)
        )

    # Changes -----------------------------------------------------------------------

    @callback
    def identity_changed(self, mac: str) -> None:
        """Tell the firmware manager when what the phone runs became known."""
        shown = self.shown(mac)
        if self._shown.get(mac) != shown:
            self._shown[mac] = shown
            self.hub.firmware.running_learned(mac)

    @callback
    def phone_came_online(self, mac: str) -> None:
        """Read its device page, unless TFTP already names the image."""
        observation = self.hub.observation(mac)
        if observation is None or not observation.ip or observation.firmware:
            return
        self.hub.online.track(
            self._async_read_page(mac, observation.ip), f"{DOMAIN} device page {mac}"
        )

    async def _async_read_page(self, mac: str, ip: str) -> None:
        try:
            page = await fetch_device_info(
                ip, port=self.web_port, timeout=self.web_timeout
            )
        except DeviceInfoError as err:
            # Normal for a 7940/7960 on SIP: no page is known to exist.
            LOGGER.debug("No device page from %s: %s", mac, err)
            return
        if mac not in self.hub.phones:
            return
        self._pages[mac] = page
        self.identity_changed(mac)
        self.hub.async_refresh_phone(mac)

    @callback
    def set_stated(self, mac: str, value: str) -> None:
        """Keep what the user read on the phone ("" forgets it); validated."""
        value = value.strip()
        if not value:
            self.stated.pop(mac, None)
        else:
            image = image_of(value.upper()) if len(value) <= MAX_STATED else None
            if image is None:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="invalid_running_firmware",
                    translation_placeholders={
                        "phone": self.hub.title(mac),
                        "value": value[:MAX_STATED],
                    },
                )
            self.stated[mac] = image
        self.identity_changed(mac)
        self.hub.async_schedule_save()
        self.hub.async_refresh_phone(mac)

    def diagnostics(self, mac: str) -> dict[str, Any]:
        """Return every source, for the phone's diagnostics."""
        page = self._pages.get(mac)
        identity = self.hub.online.identity(mac)
        return {
            "online": self.hub.online.is_online(mac),
            "best": self.best(mac),
            "stated": self.stated.get(mac),
            "device_page_app_load": page.app_load_id if page is not None else None,
            "sip_identity": identity.version if identity is not None else None,
            "sip_load": identity.load if identity is not None else None,
        }
