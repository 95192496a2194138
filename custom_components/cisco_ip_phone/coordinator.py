"""Compatibility names: the hub moved to ``hub.py`` (issue #10).

Other code and tests that still import from here keep working; new code
imports from ``hub``.
"""

from __future__ import annotations

from .hub import (
    CiscoPhoneConfigEntry,
    CiscoPhoneHub,
    PhoneEntry,
    ServerCounters,
    phones_from_entry,
)

__all__ = [
    "CiscoPhoneConfigEntry",
    "CiscoPhoneHub",
    "PhoneEntry",
    "ServerCounters",
    "phones_from_entry",
]
