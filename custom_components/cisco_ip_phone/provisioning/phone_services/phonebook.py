"""The user's phonebook: a vCard or CSV file in the provisioning root.

Anyone with the FTP account can upload it, so reading is bounded: the file
size, the number of entries and the length of every field. A malformed line
is skipped, never fatal; what cannot be dialled (no digits) is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import csv
from dataclasses import dataclass
import io
from pathlib import Path
import re

PHONEBOOK_FILES = ("phonebook.vcf", "phonebook.csv")
MAX_FILE_BYTES = 1024 * 1024
MAX_ENTRIES = 5000
MAX_FIELD = 64
_DIALLABLE = re.compile(r"[^0-9*#+]")
_NAME_COLUMNS = ("name", "full name", "fn", "display name")
_NUMBER_COLUMNS = ("number", "telephone", "phone", "tel", "extension", "mobile")


@dataclass(frozen=True, slots=True, order=True)
class Contact:
    """A name and a number the phone can dial (digits, ``*``, ``#``, ``+``)."""

    name: str
    number: str


def _contact(name: str, number: str) -> Contact | None:
    dial = _DIALLABLE.sub("", number)[:MAX_FIELD]
    name = " ".join(name.split())[:MAX_FIELD]
    if not dial:
        return None
    return Contact(name or dial, dial)


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    return lines


def _vcard_value(value: str) -> str:
    return value.replace("\\,", ",").replace("\\;", ";").replace("\\n", " ")


def parse_vcard(text: str) -> list[Contact]:
    """Return one contact per TEL of every card (FN, else N, names it)."""
    contacts: list[Contact] = []
    name = ""
    numbers: list[str] = []
    for line in _unfold(text):
        key, sep, value = line.partition(":")
        if not sep:
            continue
        prop = key.split(";", 1)[0].split(".")[-1].upper()
        if prop == "BEGIN":
            name, numbers = "", []
        elif prop == "FN":
            name = _vcard_value(value)
        elif prop == "N" and not name:
            parts = [p for p in _vcard_value(value).split(";")[:2] if p]
            name = " ".join(reversed(parts))
        elif prop == "TEL":
            numbers.append(value.removeprefix("tel:"))
        elif prop == "END":
            contacts += [c for n in numbers if (c := _contact(name, n))]
            name, numbers = "", []
    return contacts


def parse_csv(text: str) -> list[Contact]:
    """Return contacts from ``name,number`` rows; a header row names the columns."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    name_col = next((header.index(c) for c in _NAME_COLUMNS if c in header), None)
    number_col = next((header.index(c) for c in _NUMBER_COLUMNS if c in header), None)
    if name_col is None or number_col is None:
        name_col, number_col = 0, 1
    else:
        rows = rows[1:]
    contacts = []
    for row in rows:
        if len(row) > max(name_col, number_col):
            contact = _contact(row[name_col], row[number_col])
            if contact:
                contacts.append(contact)
    return contacts


def parse_phonebook(name: str, data: bytes) -> list[Contact]:
    """Return the sorted contacts of a phonebook file, bounded in every way."""
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{name} is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    parse = parse_vcard if name.lower().endswith(".vcf") else parse_csv
    contacts = sorted(set(parse(text)))
    return contacts[:MAX_ENTRIES]


def load_phonebook(root: Path) -> list[Contact]:
    """Read the first phonebook file present in ``root`` (blocking; executor)."""
    for name in PHONEBOOK_FILES:
        path = root / name
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError:
            continue
        try:
            return parse_phonebook(name, data)
        except ValueError:
            return []
    return []


def search(contacts: Iterable[Contact], query: str) -> list[Contact]:
    """Return contacts whose name has a word starting with ``query`` (any case)."""
    needle = " ".join(query.split()).casefold()[:MAX_FIELD]
    if not needle:
        return list(contacts)
    found = []
    for contact in contacts:
        name = contact.name.casefold()
        if name.startswith(needle) or f" {needle}" in f" {name}":
            found.append(contact)
    return found


def page_of[T](items: Sequence[T], page: int, size: int) -> tuple[list[T], bool]:
    """Return page ``page`` (0-based, clamped) of ``items`` and whether more follow."""
    page = max(0, min(page, max(0, (len(items) - 1) // size)))
    start = page * size
    return list(items[start : start + size]), start + size < len(items)
