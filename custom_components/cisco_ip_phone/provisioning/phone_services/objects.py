"""The Cisco IP Phone XML objects a 79xx shows, rendered within the phones' limits.

Phones do not validate much and fail silently on what they dislike, so every
object is written in the documented element order (Title, Prompt, items,
SoftKeyItem), every text is clipped to its schema length and stripped of
control characters, and every value is escaped. Counts beyond a limit and
over-long URLs are programming errors here (paging happens in ``pages``), so
they raise instead of silently dropping what a user asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import unicodedata
from xml.sax.saxutils import escape, quoteattr

from ..errors import ProvisioningError

MAX_TITLE = 32
MAX_PROMPT = 32
MAX_MENU_ITEMS = 100
MAX_MENU_NAME = 64
MAX_TEXT = 4000
MAX_DIRECTORY_ENTRIES = 32
MAX_DIRECTORY_FIELD = 32
MAX_INPUT_ITEMS = 5
MAX_INPUT_FIELD = 32
MAX_SOFTKEYS = 8
MAX_SOFTKEY_NAME = 32
MAX_URL = 256
MAX_EXECUTE_ITEMS = 3
MAX_PUSH_BYTES = 512
_FLAGS = "ATNEUL"
INPUT_FLAGS = frozenset(_FLAGS) | {f + "P" for f in _FLAGS} | {"P" + f for f in _FLAGS}

UTF8 = "utf-8"
LATIN1 = "iso-8859-1"


class ObjectError(ProvisioningError):
    """An XML object that breaks a phone's limits (a bug in the caller)."""


@dataclass(frozen=True, slots=True)
class SoftKey:
    """A custom soft key; any of them replaces all the object's default keys."""

    name: str
    position: int
    url: str


@dataclass(frozen=True, slots=True)
class MenuItem:
    """One line of a menu; ``url`` is fetched when the user selects it."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Menu:
    """``CiscoIPPhoneMenu``: up to 100 selectable items."""

    title: str
    items: Sequence[MenuItem]
    prompt: str = ""
    softkeys: Sequence[SoftKey] = ()


@dataclass(frozen=True, slots=True)
class Text:
    """``CiscoIPPhoneText``: a scrolling text of up to 4000 characters."""

    title: str
    text: str
    prompt: str = ""
    softkeys: Sequence[SoftKey] = ()


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """A name and the number the phone dials for it."""

    name: str
    telephone: str


@dataclass(frozen=True, slots=True)
class Directory:
    """``CiscoIPPhoneDirectory``: up to 32 entries the phone can dial."""

    title: str
    entries: Sequence[DirectoryEntry]
    prompt: str = ""
    softkeys: Sequence[SoftKey] = ()


@dataclass(frozen=True, slots=True)
class InputItem:
    """One field of an input form; submitted as ``param=value`` on a GET."""

    display_name: str
    param: str
    flags: str = "A"
    default: str = ""


@dataclass(frozen=True, slots=True)
class Input:
    """``CiscoIPPhoneInput``: up to five fields submitted to ``url``."""

    title: str
    url: str
    items: Sequence[InputItem]
    prompt: str = ""
    softkeys: Sequence[SoftKey] = ()


@dataclass(frozen=True, slots=True)
class ExecuteItem:
    """A URL or internal URI the phone runs; priority 0 now, 1 when idle, 2 if idle."""

    url: str
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Execute:
    """``CiscoIPPhoneExecute``: what a push carries (at most one http URL)."""

    items: Sequence[ExecuteItem] = field(default_factory=tuple)


type PhoneObject = Menu | Text | Directory | Input | Execute


def clean(value: str, limit: int, *, multiline: bool = False) -> str:
    """Drop control characters (phones allow CR, LF, TAB only) and clip to ``limit``."""
    allowed = "\r\n\t" if multiline else ""
    text = "".join(
        ch if ch in allowed or unicodedata.category(ch)[0] != "C" else " "
        for ch in value
    )
    if not multiline:
        text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _check_url(url: str) -> str:
    if not url or len(url) > MAX_URL:
        raise ObjectError(f"URL must be 1..{MAX_URL} characters, got {len(url)}")
    if any(unicodedata.category(ch)[0] == "C" for ch in url):
        raise ObjectError("URL contains control characters")
    return url


def _el(tag: str, value: str) -> str:
    return f"<{tag}>{escape(value)}</{tag}>"


def _head(title: str, prompt: str) -> list[str]:
    parts = []
    if title:
        parts.append(_el("Title", clean(title, MAX_TITLE)))
    if prompt:
        parts.append(_el("Prompt", clean(prompt, MAX_PROMPT)))
    return parts


def _softkeys(keys: Sequence[SoftKey]) -> list[str]:
    if len(keys) > MAX_SOFTKEYS:
        raise ObjectError(f"at most {MAX_SOFTKEYS} soft keys, got {len(keys)}")
    if len({key.position for key in keys}) != len(keys):
        raise ObjectError("two soft keys share a position")
    parts = []
    for key in keys:
        if not 1 <= key.position <= MAX_SOFTKEYS:
            raise ObjectError(f"soft key position {key.position} is not 1..8")
        parts.append(
            "<SoftKeyItem>"
            + _el("Name", clean(key.name, MAX_SOFTKEY_NAME))
            + _el("URL", _check_url(key.url))
            + _el("Position", str(key.position))
            + "</SoftKeyItem>"
        )
    return parts


def _body(obj: PhoneObject) -> tuple[str, list[str]]:
    match obj:
        case Menu():
            if len(obj.items) > MAX_MENU_ITEMS:
                raise ObjectError(f"at most {MAX_MENU_ITEMS} menu items")
            items = [
                "<MenuItem>"
                + _el("Name", clean(item.name, MAX_MENU_NAME))
                + _el("URL", _check_url(item.url))
                + "</MenuItem>"
                for item in obj.items
            ]
            return "CiscoIPPhoneMenu", [
                *_head(obj.title, obj.prompt),
                *items,
                *_softkeys(obj.softkeys),
            ]
        case Text():
            return "CiscoIPPhoneText", [
                *_head(obj.title, obj.prompt),
                _el("Text", clean(obj.text, MAX_TEXT, multiline=True)),
                *_softkeys(obj.softkeys),
            ]
        case Directory():
            if len(obj.entries) > MAX_DIRECTORY_ENTRIES:
                raise ObjectError(f"at most {MAX_DIRECTORY_ENTRIES} entries")
            entries = [
                "<DirectoryEntry>"
                + _el("Name", clean(entry.name, MAX_DIRECTORY_FIELD))
                + _el("Telephone", clean(entry.telephone, MAX_DIRECTORY_FIELD))
                + "</DirectoryEntry>"
                for entry in obj.entries
            ]
            return "CiscoIPPhoneDirectory", [
                *_head(obj.title, obj.prompt),
                *entries,
                *_softkeys(obj.softkeys),
            ]
        case Input():
            if len(obj.items) > MAX_INPUT_ITEMS:
                raise ObjectError(f"at most {MAX_INPUT_ITEMS} input items")
            fields = []
            for item in obj.items:
                if item.flags not in INPUT_FLAGS:
                    raise ObjectError(f"unknown input flags {item.flags!r}")
                fields.append(
                    "<InputItem>"
                    + _el("DisplayName", clean(item.display_name, MAX_INPUT_FIELD))
                    + _el("QueryStringParam", clean(item.param, MAX_INPUT_FIELD))
                    + _el("DefaultValue", clean(item.default, MAX_INPUT_FIELD))
                    + _el("InputFlags", item.flags)
                    + "</InputItem>"
                )
            return "CiscoIPPhoneInput", [
                *_head(obj.title, obj.prompt),
                _el("URL", _check_url(obj.url)),
                *fields,
                *_softkeys(obj.softkeys),
            ]
        case Execute():
            if not 1 <= len(obj.items) <= MAX_EXECUTE_ITEMS:
                raise ObjectError(f"an Execute needs 1..{MAX_EXECUTE_ITEMS} items")
            if sum(item.url.startswith("http") for item in obj.items) > 1:
                raise ObjectError("an Execute may hold at most one http URL")
            items = []
            for step in obj.items:
                if step.priority not in (0, 1, 2):
                    raise ObjectError(f"priority {step.priority} is not 0, 1 or 2")
                items.append(
                    f'<ExecuteItem Priority="{step.priority}" '
                    f"URL={quoteattr(_check_url(step.url))}/>"
                )
            return "CiscoIPPhoneExecute", items
    raise ObjectError(f"not a phone object: {type(obj).__name__}")  # pragma: no cover


def to_latin1(text: str) -> str:
    """Return ``text`` with what ISO-8859-1 lacks transliterated (or ``?``)."""
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        if ch == "…":
            out.append("...")
            continue
        base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode()
        out.append(base or "?")
    return "".join(out)


def render(obj: PhoneObject, charset: str = UTF8) -> bytes:
    """Return the object as bytes with an XML declaration naming ``charset``.

    79x0 phones display ISO-8859-1 only, so for them non-Latin-1 characters
    are transliterated rather than sent as bytes they would show as garbage.
    """
    tag, parts = _body(obj)
    text = f"<{tag}>{''.join(parts)}</{tag}>"
    if charset == LATIN1:
        text = to_latin1(text)
    declaration = f'<?xml version="1.0" encoding="{charset.upper()}"?>\n'
    return (declaration + text).encode(charset)
