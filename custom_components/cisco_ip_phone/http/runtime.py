"""One server's phone services: tokens, exposure, the switch, phonebook, pushes.

Tokens and exposure live in a Store of their own, not in the phone
subentries: a token is a secret the user never edits, rotating it must not
look like a settings change (which re-applies the entry), and a stored token
must survive every refactor of the phone settings. The Store is versioned;
malformed parts are dropped (a phone without a valid token gets a new one).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from pathlib import PurePosixPath
import secrets
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, LOGGER, SAVE_DELAY
from ..provisioning.ftp.server import FtpEvent
from ..provisioning.phone_services.access import (
    RateLimiter,
    ServiceUrls,
    is_token,
    new_token,
)
from ..provisioning.phone_services.phonebook import (
    PHONEBOOK_FILES,
    Contact,
    load_phonebook,
)
from ..provisioning.phone_services.push import PushBook, execute_for, push
from .directory import HubPhoneDirectory, PhoneDirectory

if TYPE_CHECKING:
    from ..hub import CiscoPhoneHub

STORE_VERSION = 1
URL_PREFIX = "/api/cisco_ip_phone"
MAX_MESSAGES = 16
PHONE_HTTP_PORT = 80


def phone_base_url(hass: HomeAssistant) -> str | None:
    """Return Home Assistant's plain-HTTP local URL, which phones can reach.

    79xx phones speak neither TLS 1.2 nor mDNS, so only an ``http://`` URL
    works; without one the feature writes no URLs (and says so in the log).
    """
    # Imported here: importing helpers.network before components.http is a
    # circular import in Home Assistant, and the engine's command line
    # (python -m ...provisioning) imports this package without HA running.
    from homeassistant.helpers.network import NoURLAvailableError, get_url

    try:
        url = get_url(hass, allow_external=False, allow_cloud=False, require_ssl=False)
    except NoURLAvailableError:
        return None
    return url if url.startswith("http://") else None


class PhoneServices:
    """Phone services of one provisioning server."""

    def __init__(self, hass: HomeAssistant, hub: CiscoPhoneHub) -> None:
        self.hass = hass
        self.hub = hub
        self.directory: PhoneDirectory = HubPhoneDirectory(hub)
        # Off until the user turns the switch on: existing phone files do not
        # change on upgrade, and nothing is reachable that nobody asked for.
        self.enabled = False
        self.exposed: frozenset[str] = frozenset()
        self.phonebook: list[Contact] = []
        self.push_book = PushBook()
        self.limiter = RateLimiter()
        self.push_port = PHONE_HTTP_PORT
        self.messages: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._tokens: dict[str, str] = {}
        self._by_token: dict[str, str] = {}
        self._warned_no_url = False
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.{hub.entry.entry_id}.phone_services"
        )

    # State -----------------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the Store, keeping every well-formed part of it."""
        data = await self._store.async_load() or {}
        self.enabled = data.get("enabled", False) is True
        exposed = data.get("exposed", [])
        if isinstance(exposed, list):
            self.exposed = frozenset(e for e in exposed if isinstance(e, str))
        tokens = data.get("tokens", {})
        if isinstance(tokens, dict):
            for mac, token in tokens.items():
                if isinstance(mac, str) and isinstance(token, str) and is_token(token):
                    self._set_token(mac, token)
        self.phonebook = await self.hass.async_add_executor_job(
            load_phonebook, self.hub.root
        )

    async def async_stop(self) -> None:
        """Write pending changes now (unload), so no timer outlives the entry."""
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "exposed": sorted(self.exposed),
            "tokens": dict(sorted(self._tokens.items())),
        }

    def _save(self) -> None:
        # Snapshot now, on the loop: Store calls a data function in the
        # executor thread, where these dicts may be changing.
        data = self._data()
        self._store.async_delay_save(lambda: data, SAVE_DELAY)

    def _set_token(self, mac: str, token: str) -> None:
        old = self._tokens.get(mac)
        if old is not None:
            self._by_token.pop(old, None)
        self._tokens[mac] = token
        self._by_token[token] = mac

    def token_of(self, mac: str) -> str | None:
        """Return a phone's current token."""
        return self._tokens.get(mac)

    def mac_for_token(self, token: str) -> str | None:
        """Return the phone a token belongs to (only configured phones)."""
        mac = self._by_token.get(token)
        return mac if mac is not None and mac in self.hub.phones else None

    @callback
    def service_urls(self, macs: Iterable[str]) -> dict[str, ServiceUrls]:
        """Return the URLs to write per phone; make tokens for new phones.

        Called by the hub on every render. Empty when the switch is off or
        Home Assistant has no plain-HTTP URL, so the files carry no URLs.
        """
        base = phone_base_url(self.hass)
        if base is None and not self._warned_no_url:
            self._warned_no_url = True
            LOGGER.warning(
                "Phone services need an http:// local URL for Home Assistant "
                "(Settings > System > Network); no service URLs are written"
            )
        if not self.enabled or base is None:
            return {}
        urls: dict[str, ServiceUrls] = {}
        changed = False
        for mac in macs:
            if mac not in self._tokens:
                self._set_token(mac, new_token())
                changed = True
            urls[mac] = ServiceUrls.for_base(f"{base}{URL_PREFIX}/{self._tokens[mac]}")
        if changed:
            self._save()
        return urls

    @callback
    def overrides(self, macs: Iterable[str]) -> dict[str, dict[str, str]]:
        """Return ``service_urls`` as the per-phone overrides of ``render_files``."""
        return {
            mac: urls.as_overrides() for mac, urls in self.service_urls(macs).items()
        }

    def base_of(self, mac: str) -> str:
        """Return the base URL of one phone's pages (it holds the token)."""
        base = phone_base_url(self.hass) or ""
        return f"{base}{URL_PREFIX}/{self._tokens[mac]}"

    @callback
    def async_rotate(self, mac: str) -> None:
        """Give a phone a new token; the old one stops working at once."""
        self._set_token(mac, new_token())
        self._save()
        self.hub.regenerate()

    @callback
    def async_set_enabled(self, enabled: bool) -> None:
        """Turn the feature on or off for every phone of this server."""
        self.enabled = enabled
        self._save()
        self.hub.regenerate()

    @callback
    def async_set_exposed(self, entity_ids: Iterable[str]) -> None:
        """Replace the entities reachable from phones."""
        self.exposed = frozenset(entity_ids)
        self._save()

    # Phonebook -------------------------------------------------------------------

    @callback
    def async_handle_ftp(self, event: FtpEvent) -> None:
        """Reload the phonebook when one was uploaded."""
        name = PurePosixPath(event.path or "").name.lower()
        if event.kind == "upload_completed" and name in PHONEBOOK_FILES:
            self.hub.entry.async_create_background_task(
                self.hass, self.async_reload_phonebook(), f"{DOMAIN} phonebook"
            )

    async def async_reload_phonebook(self) -> None:
        """Read the phonebook file again (off the event loop)."""
        self.phonebook = await self.hass.async_add_executor_job(
            load_phonebook, self.hub.root
        )

    # Push ------------------------------------------------------------------------

    def _beep_file(self) -> str:
        """Return the ring file a beep plays: the server's first ring tone."""
        tones = self.hub.server_config.settings.ring_tones
        if not tones:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="no_ring_tone"
            )
        return tones[0].file_name

    async def async_push_text(
        self, mac: str, title: str, message: str, *, beep: bool = False
    ) -> None:
        """Show a text on a phone: push an Execute that fetches it from us.

        ``beep`` adds ``Play:<ring file>`` (the first ring tone of the server,
        fetched by the phone over TFTP) to the same push.
        """
        phone = self.directory.phone(mac)
        if not self.enabled or phone is None or mac not in self._tokens:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="phone_services_off"
            )
        if phone.ip is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="phone_not_seen",
                translation_placeholders={"phone": phone.title},
            )
        message_id = secrets.token_hex(8)
        self.messages[message_id] = (title, message)
        while len(self.messages) > MAX_MESSAGES:
            self.messages.popitem(last=False)
        xml = execute_for(
            f"{self.base_of(mac)}/message/{message_id}",
            beep=self._beep_file() if beep else None,
        )
        user, password = self.push_book.issue(mac)
        try:
            result = await push(phone.ip, self.push_port, xml, user, password)
        except OSError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="push_failed",
                translation_placeholders={"phone": phone.title, "error": str(err)},
            ) from err
        finally:
            self.push_book.revoke(user)
        if not result.ok:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="push_failed",
                translation_placeholders={
                    "phone": phone.title,
                    "error": f"HTTP {result.status}, error {result.error}",
                },
            )
