"""The one HTTP view phones talk to: ``/api/cisco_ip_phone/<token>/<page>``.

Phones cannot log in, so the view needs no Home Assistant login. Instead a
request must carry a phone's current token AND come from the address that
phone last fetched its files from over TFTP; anything else (and anything
oversized) is answered exactly like an unknown URL. Each phone is rate
limited. Pages come from the engine's ``PageBuilder``; this module only
looks things up and runs the listed actions.
"""

from __future__ import annotations

from ipaddress import ip_address
from urllib.parse import parse_qsl

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import HomeAssistantView

from ..const import DOMAIN
from ..provisioning.phone_services.access import is_token
from ..provisioning.phone_services.objects import render
from ..provisioning.phone_services.pages import (
    Page,
    PageBuilder,
    find_action,
    profile_for,
    query_value,
)
from ..provisioning.phone_services.phonebook import Contact, search
from ..provisioning.phone_services.push import AUTHORIZED, UNAUTHORIZED
from . import entities
from .directory import PhoneRecord
from .runtime import URL_PREFIX, PhoneServices

MAX_PATH_QUERY = 512
MAX_BODY = 2048


def not_found() -> web.Response:
    """Return the answer to anything we will not serve: no hint why."""
    return web.Response(status=404, text="404: Not Found")


def _page(page: Page, charset: str) -> web.Response:
    headers = {"Expires": "-1"}
    if page.refresh_url:
        headers["Refresh"] = f"0; url={page.refresh_url}"
    return web.Response(
        body=render(page.obj, charset),
        content_type="text/xml",
        charset=charset,
        headers=headers,
    )


def same_address(seen: str | None, remote: str | None) -> bool:
    """Return whether a request comes from where the phone fetched its files.

    An IPv4 phone reaching a dual-stack listener shows up as ``::ffff:a.b.c.d``.
    """
    if seen is None or remote is None:
        return False
    try:
        a, b = ip_address(seen), ip_address(remote)
    except ValueError:
        return False
    a = getattr(a, "ipv4_mapped", None) or a
    b = getattr(b, "ipv4_mapped", None) or b
    return a == b


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 6 else 0


class PhoneServicesView(HomeAssistantView):
    """Serve Services, Directories, pushed messages and push approval."""

    url = URL_PREFIX + "/{token}/{path:.*}"
    name = "api:cisco_ip_phone:phone_services"
    requires_auth = False

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass

    def _find(
        self, request: web.Request, token: str
    ) -> tuple[PhoneServices, PhoneRecord] | None:
        if len(request.path_qs) > MAX_PATH_QUERY or not is_token(token):
            return None
        for entry in self.hass.config_entries.async_loaded_entries(DOMAIN):
            services: PhoneServices | None = getattr(
                entry.runtime_data, "phone_services", None
            )
            if services is None or not services.enabled:
                continue
            mac = services.mac_for_token(token)
            phone = services.directory.phone(mac) if mac else None
            if phone is not None:
                if not same_address(phone.ip, request.remote):
                    return None
                return services, phone
        return None

    async def get(self, request: web.Request, token: str, path: str) -> web.Response:
        """Answer a phone's GET (every page, and Input submissions)."""
        return await self._handle(request, token, path, dict(request.query))

    async def post(self, request: web.Request, token: str, path: str) -> web.Response:
        """Answer a POST: only the push approval takes one."""
        if path != "auth" or (request.content_length or 0) > MAX_BODY:
            return not_found()
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return not_found()
        form = dict(parse_qsl(body.decode("latin-1")))
        return await self._handle(request, token, path, {**request.query, **form})

    async def _handle(
        self,
        request: web.Request,
        token: str,
        path: str,
        query: dict[str, object],
    ) -> web.Response:
        found = self._find(request, token)
        if found is None:
            return not_found()
        services, phone = found
        if not services.limiter.allow(phone.mac):
            return web.Response(status=429, text="Too many requests")
        params = {k: v for k, v in query.items() if isinstance(v, str)}
        if path == "auth":
            return self._auth(services, params)
        profile = profile_for(phone.model)
        builder = PageBuilder(services.base_of(phone.mac), profile)
        parts = path.split("/")
        page: Page | None
        if parts[0] == "services":
            page = await self._services(services, builder, parts[1:], params)
        elif parts[0] == "directory":
            page = self._directory(services, builder, parts[1:], params)
        elif parts[0] == "message" and len(parts) == 2:
            message = services.messages.get(parts[1])
            page = builder.message(*message) if message else None
        else:
            page = None
        return not_found() if page is None else _page(page, profile.charset)

    def _auth(self, services: PhoneServices, params: dict[str, str]) -> web.Response:
        approved = services.push_book.check(
            params.get("UserID", ""),
            params.get("Password", ""),
            params.get("devicename", ""),
        )
        return web.Response(
            body=AUTHORIZED if approved else UNAUTHORIZED, content_type="text/plain"
        )

    async def _services(
        self,
        services: PhoneServices,
        builder: PageBuilder,
        parts: list[str],
        params: dict[str, str],
    ) -> Page | None:
        page = _int(params.get("page"))
        views = entities.exposed_views(self.hass, services.exposed)
        if not parts or parts == [""]:
            return builder.home(entities.areas_of(views), page)
        if parts[0] == "a" and len(parts) == 2:
            area = dict(entities.areas_of(views)).get(parts[1])
            if area is None:
                return None
            inside = [v for v in views if v.area == area]
            return builder.area(parts[1], area, inside, page)
        if parts[0] != "e" or len(parts) not in (2, 3):
            return None
        view = entities.find_view(self.hass, services.exposed, parts[1])
        if view is None:
            return None
        if len(parts) == 2:
            return builder.entity(view)
        action = find_action(view.domain, parts[2])
        if action is None:
            return None
        if action.confirm and params.get("confirm") != "1":
            return builder.confirm(view, action.key, action.label)
        ok = await entities.run_action(self.hass, view, action)
        after = entities.view_of(self.hass, view.entity_id) or view
        return builder.entity(after, "Done" if ok else "Failed")

    def _directory(
        self,
        services: PhoneServices,
        builder: PageBuilder,
        parts: list[str],
        params: dict[str, str],
    ) -> Page | None:
        page = _int(params.get("page"))
        where = "/".join(parts)
        if where == "":
            return builder.directory_home()
        if where == "search":
            return builder.search()
        lines = [
            Contact(name, number)
            for record in services.directory.phones()
            for name, number in record.lines
        ]
        if where == "list" and params.get("book") in ("lines", "contacts"):
            book = params["book"]
            contacts = sorted(lines) if book == "lines" else services.phonebook
            title = "Extensions" if book == "lines" else "Phonebook"
            return builder.directory(
                title, contacts, page, f"directory/list?book={book}"
            )
        if where == "results":
            query = params.get("q", "")[:32]
            found = search(sorted(set(lines) | set(services.phonebook)), query)
            path = f"directory/results?q={query_value(query)}"
            return builder.directory(query or "All", found, page, path)
        return None
