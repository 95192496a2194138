"""Check served XML against the rules of its Cisco object, as a strict phone would.

Used by the tests on every page the integration serves, and usable by anyone
who writes pages by hand: element names (case-sensitive), element order
(Title, Prompt, the object's items, SoftKeyItem), counts and lengths from
``CiscoIPPhone.xsd`` 3.3.4, and the declared encoding.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from . import objects as o

_DECLARATION = re.compile(rb'^<\?xml version="1\.0" encoding="(UTF-8|ISO-8859-1)"\?>')

# Per object: the item element, its limit, its children and their limits.
_ITEMS: dict[str, tuple[str, int, dict[str, int]]] = {
    "CiscoIPPhoneMenu": (
        "MenuItem",
        o.MAX_MENU_ITEMS,
        {"Name": o.MAX_MENU_NAME, "URL": o.MAX_URL},
    ),
    "CiscoIPPhoneDirectory": (
        "DirectoryEntry",
        o.MAX_DIRECTORY_ENTRIES,
        {"Name": o.MAX_DIRECTORY_FIELD, "Telephone": o.MAX_DIRECTORY_FIELD},
    ),
    "CiscoIPPhoneInput": (
        "InputItem",
        o.MAX_INPUT_ITEMS,
        {
            "DisplayName": o.MAX_INPUT_FIELD,
            "QueryStringParam": o.MAX_INPUT_FIELD,
            "DefaultValue": o.MAX_INPUT_FIELD,
            "InputFlags": 2,
        },
    ),
    "CiscoIPPhoneText": ("Text", 1, {}),
}
_HEAD = {"Title": o.MAX_TITLE, "Prompt": o.MAX_PROMPT}
_SOFTKEY = {"Name": o.MAX_SOFTKEY_NAME, "URL": o.MAX_URL, "Position": 1}


def validate(data: bytes) -> ET.Element:
    """Return the parsed object, or raise ``ObjectError`` naming the first fault."""
    match = _DECLARATION.match(data)
    if match is None:
        raise o.ObjectError("missing XML declaration with UTF-8 or ISO-8859-1")
    try:
        # Our own pages (or a page author's), never a stranger's input.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as err:
        raise o.ObjectError(f"not well-formed: {err}") from err
    if root.tag == "CiscoIPPhoneExecute":
        _check_execute(root)
        return root
    if root.tag not in _ITEMS:
        raise o.ObjectError(f"unknown object {root.tag}")
    item_tag, limit, fields = _ITEMS[root.tag]
    # Rank of each child in the documented order; it must never go down.
    rank = {"Title": 0, "Prompt": 1, item_tag: 2, "URL": 2, "SoftKeyItem": 3}
    if root.tag == "CiscoIPPhoneInput":
        rank.update({"URL": 2, item_tag: 3, "SoftKeyItem": 4})
    last = -1
    counts: dict[str, int] = {}
    for child in root:
        if child.tag not in rank:
            raise o.ObjectError(f"{root.tag} may not contain {child.tag}")
        if rank[child.tag] < last:
            raise o.ObjectError(f"{child.tag} is out of order in {root.tag}")
        last = rank[child.tag]
        counts[child.tag] = counts.get(child.tag, 0) + 1
        if child.tag in _HEAD:
            _check_text(child, _HEAD[child.tag])
        elif child.tag == "Text":
            _check_text(child, o.MAX_TEXT)
        elif child.tag == "URL":
            _check_text(child, o.MAX_URL, required=True)
        elif child.tag == "SoftKeyItem":
            _check_children(child, _SOFTKEY)
            if not 1 <= int(child.findtext("Position") or 0) <= o.MAX_SOFTKEYS:
                raise o.ObjectError("soft key position must be 1..8")
        else:
            _check_children(child, fields)
    for tag, count in counts.items():
        if tag in ("Title", "Prompt", "URL") and count > 1:
            raise o.ObjectError(f"{tag} appears {count} times")
    if counts.get(item_tag, 0) > limit:
        raise o.ObjectError(f"{counts[item_tag]} {item_tag} > {limit}")
    if counts.get("SoftKeyItem", 0) > o.MAX_SOFTKEYS:
        raise o.ObjectError("more than 8 soft keys")
    if root.tag == "CiscoIPPhoneInput" and counts.get("URL") != 1:
        raise o.ObjectError("an Input needs one URL")
    return root


def _check_text(element: ET.Element, limit: int, *, required: bool = False) -> None:
    if len(element):
        raise o.ObjectError(f"{element.tag} may not contain elements")
    text = element.text or ""
    if len(text) > limit or (required and not text):
        raise o.ObjectError(f"{element.tag} must be up to {limit} characters")


def _check_children(element: ET.Element, fields: dict[str, int]) -> None:
    names = [child.tag for child in element]
    expected = [name for name in fields if name in names]
    if names != expected or not names:
        raise o.ObjectError(f"{element.tag} has children {names}")
    for child in element:
        _check_text(child, fields[child.tag])
    flags = element.findtext("InputFlags")
    if element.tag == "InputItem" and flags not in o.INPUT_FLAGS:
        raise o.ObjectError("bad InputFlags")


def _check_execute(root: ET.Element) -> None:
    items = list(root)
    if not 1 <= len(items) <= o.MAX_EXECUTE_ITEMS:
        raise o.ObjectError("an Execute needs 1..3 items")
    for item in items:
        url = item.get("URL") or ""
        if item.tag != "ExecuteItem" or not url or len(url) > o.MAX_URL:
            raise o.ObjectError("bad ExecuteItem")
