"""The pages a phone browses: Home Assistant areas and entities, and the phonebook.

Everything here works on plain data handed in by the caller (``EntityView``,
``Contact``), so the same pages can be tested without Home Assistant. Actions
are a fixed table per domain: a request can only pick one of its keys, never
name a service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import hashlib
from urllib.parse import quote

from ..settings.models import MODELS, ConfigStyle
from .objects import (
    LATIN1,
    UTF8,
    Directory,
    DirectoryEntry,
    Input,
    InputItem,
    Menu,
    MenuItem,
    SoftKey,
    Text,
)
from .phonebook import Contact, page_of

MENU_PAGE = 30
DIRECTORY_PAGE = 32


@dataclass(frozen=True, slots=True)
class Profile:
    """What one model can show: 79x0 SIP knows no soft keys and only Latin-1."""

    charset: str
    softkeys: bool
    can_push: bool


LEGACY = Profile(charset=LATIN1, softkeys=False, can_push=False)
MODERN = Profile(charset=UTF8, softkeys=True, can_push=True)


def profile_for(model: str) -> Profile:
    """Return the profile of a model from the models table (unknown -> legacy)."""
    known = MODELS.get(model)
    if known is None or known.config_style is ConfigStyle.CNF:
        return LEGACY
    return MODERN


@dataclass(frozen=True, slots=True)
class Action:
    """An action a phone may ask for: a key in the URL and the service it runs."""

    key: str
    label: str
    service: str
    confirm: bool = False


_ON_OFF = (
    Action("toggle", "Toggle", "toggle"),
    Action("on", "Turn on", "turn_on"),
    Action("off", "Turn off", "turn_off"),
)
ACTIONS: dict[str, tuple[Action, ...]] = {
    "light": _ON_OFF,
    "switch": _ON_OFF,
    "fan": _ON_OFF,
    "cover": (
        Action("open", "Open", "open_cover"),
        Action("close", "Close", "close_cover"),
        Action("stop", "Stop", "stop_cover"),
    ),
    "lock": (
        Action("lock", "Lock", "lock"),
        Action("unlock", "Unlock", "unlock", confirm=True),
    ),
    "scene": (Action("activate", "Activate", "turn_on"),),
    "script": (Action("run", "Run", "turn_on"),),
    "button": (Action("press", "Press", "press"),),
}
READ_ONLY = frozenset({"sensor", "binary_sensor"})
SUPPORTED_DOMAINS = frozenset(ACTIONS) | READ_ONLY


def find_action(domain: str, key: str) -> Action | None:
    """Return the listed action ``key`` of ``domain``, or ``None``."""
    return next((a for a in ACTIONS.get(domain, ()) if a.key == key), None)


def short_key(value: str) -> str:
    """Return a short stable URL key for an entity or area id (no raw ids in URLs)."""
    return hashlib.sha256(value.encode()).hexdigest()[:10]


@dataclass(frozen=True, slots=True)
class EntityView:
    """What a page shows of one exposed entity, already read from its state."""

    entity_id: str
    name: str
    state: str
    unit: str = ""
    last_changed: str = ""
    area: str = ""

    @property
    def domain(self) -> str:
        """Return the entity's domain (what decides its actions)."""
        return self.entity_id.partition(".")[0]

    @property
    def key(self) -> str:
        """Return the entity's URL key."""
        return short_key(self.entity_id)

    @property
    def value(self) -> str:
        """Return the state with its unit, as the phone shows it."""
        return f"{self.state} {self.unit}".strip()


@dataclass(frozen=True, slots=True)
class Page:
    """An object to serve and, for lists that continue, the URL of the next part."""

    obj: Menu | Text | Directory | Input
    refresh_url: str | None = None


class PageBuilder:
    """Build one phone's pages under its own base URL (which holds its token)."""

    def __init__(self, base_url: str, profile: Profile) -> None:
        self.base = base_url.rstrip("/")
        self.profile = profile

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` under this phone's base."""
        return f"{self.base}/{path}"

    def _menu(self, title: str, items: list[MenuItem], prompt: str = "") -> Menu:
        softkeys: tuple[SoftKey, ...] = ()
        if self.profile.softkeys:
            softkeys = (
                SoftKey("Select", 1, "SoftKey:Select"),
                SoftKey("Exit", 3, "SoftKey:Exit"),
            )
        return Menu(title, items, prompt=prompt, softkeys=softkeys)

    def _paged(
        self, title: str, items: list[MenuItem], page: int, path: str, prompt: str
    ) -> Menu:
        part, more = page_of(items, page, MENU_PAGE)
        page = max(0, min(page, max(0, (len(items) - 1) // MENU_PAGE)))
        if page > 0:
            part.insert(0, MenuItem("< Previous", self.url(f"{path}?page={page - 1}")))
        if more:
            part.append(MenuItem("More >", self.url(f"{path}?page={page + 1}")))
        if not items:
            prompt = "Nothing exposed"
        return self._menu(title, part, prompt)

    def home(self, areas: Sequence[tuple[str, str]], page: int = 0) -> Page:
        """Return the Services home: one item per area with exposed entities."""
        items = [MenuItem(name, self.url(f"services/a/{key}")) for key, name in areas]
        return Page(self._paged("Home Assistant", items, page, "services", ""))

    def area(
        self, area_key: str, title: str, entities: Sequence[EntityView], page: int = 0
    ) -> Page:
        """Return one area: each entity with its state, selectable."""
        items = [
            MenuItem(f"{view.name}: {view.value}", self.url(f"services/e/{view.key}"))
            for view in entities
        ]
        path = f"services/a/{area_key}"
        return Page(self._paged(title, items, page, path, "Select a device"))

    def entity(self, view: EntityView, done: str = "") -> Page:
        """Return an entity: its actions, or its reading when it has none."""
        actions = ACTIONS.get(view.domain, ())
        if not actions:
            lines = [f"State: {view.value}"]
            if view.last_changed:
                lines.append(f"Changed: {view.last_changed}")
            return Page(Text(view.name, "\n".join(lines), prompt=view.area))
        items = [
            MenuItem(action.label, self.url(f"services/e/{view.key}/{action.key}"))
            for action in actions
        ]
        items.append(MenuItem("Refresh", self.url(f"services/e/{view.key}")))
        prompt = f"{done}: {view.value}" if done else f"State: {view.value}"
        return Page(self._menu(view.name, items, prompt))

    def confirm(self, view: EntityView, action: str, label: str) -> Page:
        """Return the question asked before a sensitive action (unlocking)."""
        items = [
            MenuItem(
                f"Yes, {label.lower()}",
                self.url(f"services/e/{view.key}/{action}?confirm=1"),
            ),
            MenuItem("No", self.url(f"services/e/{view.key}")),
        ]
        return Page(self._menu(view.name, items, f"{label}?"))

    def directory_home(self) -> Page:
        """Return the Directories entry menu (7900 series want a menu first)."""
        items = [
            MenuItem("Search by name", self.url("directory/search")),
            MenuItem("Extensions", self.url("directory/list?book=lines")),
            MenuItem("Phonebook", self.url("directory/list?book=contacts")),
        ]
        return Page(self._menu("Directory", items))

    def search(self) -> Page:
        """Return the search form; the phone appends ``?q=...`` to its URL."""
        item = InputItem("Name", "q", "A")
        return Page(Input("Search", self.url("directory/results"), [item]))

    def directory(
        self, title: str, contacts: Sequence[Contact], page: int, path: str
    ) -> Page:
        """Return one page of contacts, with the next page offered by ``Refresh``."""
        part, more = page_of(contacts, page, DIRECTORY_PAGE)
        page = max(0, min(page, max(0, (len(contacts) - 1) // DIRECTORY_PAGE)))
        entries = [DirectoryEntry(c.name, c.number) for c in part]
        softkeys: tuple[SoftKey, ...] = ()
        if self.profile.softkeys:
            softkeys = (
                SoftKey("Dial", 1, "SoftKey:Dial"),
                SoftKey("EditDial", 2, "SoftKey:EditDial"),
                SoftKey("Exit", 3, "SoftKey:Exit"),
            )
        prompt = f"{len(contacts)} found" if contacts else "No match"
        refresh = None
        if more:
            joiner = "&" if "?" in path else "?"
            refresh = self.url(f"{path}{joiner}page={page + 1}")
        directory = Directory(title, entries, prompt=prompt, softkeys=softkeys)
        return Page(directory, refresh)

    def message(self, title: str, text: str) -> Page:
        """Return a pushed notification as a text screen."""
        return Page(Text(title or "Home Assistant", text))


def query_value(value: str) -> str:
    """Return ``value`` quoted for a URL query (phonebook search is echoed)."""
    return quote(value, safe="")
