"""The services browser of the simulated phone: Services and Directories keys.

Like a 79xx it reads its URLs from the configuration file it was served
(``services_url`` / ``directory_url`` in ``SIP<MAC>.cnf``, ``servicesURL`` /
``directoryURL`` in ``SEP<MAC>.cnf.xml``), GETs pages, shows the XML object,
selects menu items by name, submits Input forms by appending
``?param=value`` to the form URL, and dials directory entries. Written from
the Cisco object descriptions, not from our renderer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote
import xml.etree.ElementTree as ET

from .simphone import parse_cnf

type HttpGet = Callable[[str], Awaitable[tuple[int, dict[str, str], bytes]]]


@dataclass
class Screen:
    """What the phone shows: the object's kind, title, prompt, items."""

    kind: str
    title: str
    prompt: str
    items: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    refresh: str | None = None


def urls_from_config(name: str, data: bytes) -> tuple[str, str]:
    """Return (services, directory) URLs from a served configuration file."""
    if name.endswith(".cnf"):
        values = parse_cnf(data)
        return values["services_url"], values["directory_url"]
    root = ET.fromstring(data)
    return root.findtext("servicesURL") or "", root.findtext("directoryURL") or ""


class ServicesBrowser:
    """Browse like a phone: one screen at a time, over ``get``."""

    def __init__(self, get: HttpGet, services_url: str, directory_url: str) -> None:
        self.get = get
        self.services_url = services_url
        self.directory_url = directory_url
        self.screen: Screen | None = None
        self.dialled: list[str] = []

    async def open(self, url: str) -> Screen:
        """GET ``url`` and show the object it returns."""
        status, headers, body = await self.get(url)
        if status != 200 or not headers.get("Content-Type", "").startswith("text/xml"):
            raise AssertionError(f"{url} answered {status}")
        root = ET.fromstring(body)
        screen = Screen(
            kind=root.tag.removeprefix("CiscoIPPhone"),
            title=root.findtext("Title") or "",
            prompt=root.findtext("Prompt") or "",
            text=root.findtext("Text") or "",
        )
        refresh = headers.get("Refresh")
        if refresh and "url=" in refresh:
            screen.refresh = refresh.split("url=", 1)[1]
        if root.tag == "CiscoIPPhoneMenu":
            screen.items = [
                (i.findtext("Name") or "", i.findtext("URL") or "")
                for i in root.iter("MenuItem")
            ]
        elif root.tag == "CiscoIPPhoneDirectory":
            screen.items = [
                (e.findtext("Name") or "", e.findtext("Telephone") or "")
                for e in root.iter("DirectoryEntry")
            ]
        elif root.tag == "CiscoIPPhoneInput":
            param = root.findtext("InputItem/QueryStringParam") or ""
            screen.items = [(param, root.findtext("URL") or "")]
        self.screen = screen
        return screen

    async def press_services(self) -> Screen:
        """Press the Services key."""
        return await self.open(self.services_url)

    async def press_directories(self) -> Screen:
        """Press the Directories key."""
        return await self.open(self.directory_url)

    async def select(self, name: str) -> Screen:
        """Select the first menu item whose name starts with ``name``."""
        assert self.screen is not None
        assert self.screen.kind == "Menu", self.screen
        for label, url in self.screen.items:
            if label.startswith(name):
                return await self.open(url)
        raise AssertionError(f"no item {name!r} in {self.screen.items}")

    async def submit(self, value: str) -> Screen:
        """Type ``value`` into an Input form and press Submit (a GET)."""
        assert self.screen is not None
        assert self.screen.kind == "Input"
        param, url = self.screen.items[0]
        joiner = "&" if "?" in url else "?"
        return await self.open(f"{url}{joiner}{param}={quote(value)}")

    def dial(self, name: str) -> str:
        """Press Dial on the directory entry named ``name``; return the number."""
        assert self.screen is not None
        assert self.screen.kind == "Directory"
        number = next(n for label, n in self.screen.items if label == name)
        self.dialled.append(number)
        return number
