"""The shared files an import reads besides the ``.cnf`` files.

``dialplan.xml`` and ``RINGLIST.DAT`` serve every phone; they are parsed into
the dicts ``ServerSettings.from_dict`` takes.
"""

from __future__ import annotations

from typing import Any
import xml.etree.ElementTree as ET

from ..settings.models import SettingsError
from .cnf_syntax import decode_cnf


def parse_dialplan(data: str | bytes) -> list[dict[str, Any]]:
    """Return the rules of a ``dialplan.xml`` as ``DialRule`` dicts."""
    try:
        root = ET.fromstring(decode_cnf(data))  # noqa: S314 - local file, no DTD
    except ET.ParseError as err:
        raise SettingsError(
            f"dialplan.xml is not valid XML: {err}", field="dial_plan"
        ) from None
    if root.tag.upper() != "DIALTEMPLATE":
        raise SettingsError(
            f"dialplan.xml starts with <{root.tag}>, expected <DIALTEMPLATE>",
            field="dial_plan",
        )
    rules: list[dict[str, Any]] = []
    for element in root:
        attrs = {key.lower(): value for key, value in element.attrib.items()}
        timeout = attrs.get("timeout", "0")
        if not timeout.isdigit():
            raise SettingsError(
                f"dialplan.xml: Timeout {timeout!r} is not a number",
                field="dial_plan.timeout",
            )
        user = attrs.get("user", "")
        user = {"ip": "IP", "phone": "Phone"}.get(user.lower(), user)
        rules.append(
            {
                "match": attrs.get("match", ""),
                "timeout": int(timeout),
                "user": user,
                "rewrite": attrs.get("rewrite", ""),
            }
        )
    return rules


def parse_ringlist_dat(data: str | bytes) -> list[dict[str, str]]:
    """Return the rings of a ``RINGLIST.DAT`` (name, TABs or spaces, file)."""
    tones: list[dict[str, str]] = []
    for number, raw in enumerate(decode_cnf(data).splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if "\t" in line:
            name, _, file_name = line.partition("\t")
        else:
            name, _, file_name = line.rpartition(" ")
        if not name.strip() or not file_name.strip():
            raise SettingsError(
                f"RINGLIST.DAT line {number}: expected 'name<TAB>file', found {line!r}",
                field="ring_tones",
            )
        tones.append({"display_name": name.strip(), "file_name": file_name.strip()})
    return tones
