"""What a Cisco phone says about itself in SIP: model, version and load.

Where TFTP cannot tell what a phone runs (SIP 8.12 never names its image
once it is current), the phone's SIP stack still does: its ``User-Agent``
(requests) and ``Server`` (answers) read ``Cisco-CP<model>G[-GE]/<version>``
(sipcc SIPTaskInit copies one into the other; research/13 phone_identity
a.1: ``Cisco-CP7960G/8.0``, ``Cisco-CP7961G-GE/8.0``, ``Cisco-CP7975G/9.3.1``).
A 7940/7960 says ``/8.0`` for every 8.x release, so only a 79x1-class
version is precise; the exact load, when a phone gives it, is the
``Load=`` of the ``Reason`` header it sends after a boot (CME-REG:
``Load=SIP70.8-4-2-30S``). Pure parsing, bounded input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Final

_MAX_HEADER: Final = 512  # a User-Agent is 80 bytes on the phone (sipcc)
_AGENT: Final = re.compile(
    r"\bCisco-CP(?P<model>79\d\d)G?(?P<ge>-GE)?/(?P<version>\d{1,2}(?:\.\d{1,3}){0,3})",
    re.IGNORECASE,
)
_LOAD: Final = re.compile(r"\bLoad=(?P<load>[A-Za-z0-9][A-Za-z0-9._-]{0,63})")
_79X0: Final = frozenset({"7940", "7960"})


@dataclass(frozen=True, slots=True)
class PhoneIdentity:
    """A phone's model and firmware version as its SIP stack reports them.

    ``version`` is what follows the slash (``8.0`` on every 7940/7960 8.x);
    ``load`` the exact load id when the phone named it (``SIP70.8-4-2-30S``).
    """

    model: str
    version: str
    load: str | None = None
    gigabit: bool = False

    @property
    def precise(self) -> bool:
        """Tell whether ``version`` names one release (79x1-class phones)."""
        return self.load is not None or self.model not in _79X0

    @property
    def major(self) -> int:
        """Return the major version (8 for ``8.0`` and ``8.4.0``)."""
        return int(self.version.split(".", 1)[0])


def parse_user_agent(value: str | None) -> PhoneIdentity | None:
    """Return the identity in a ``User-Agent``/``Server`` value, or None.

    None means "not a Cisco 79xx phone" (a PBX, another vendor, garbage).
    """
    if not isinstance(value, str) or not value or len(value) > _MAX_HEADER:
        return None
    match = _AGENT.search(value)
    if match is None:
        return None
    return PhoneIdentity(
        match["model"], match["version"], parse_load(value), bool(match["ge"])
    )


def parse_load(value: str | None) -> str | None:
    """Return the ``Load=`` id in a ``Reason`` (or any) header value, or None."""
    if not isinstance(value, str) or len(value) > _MAX_HEADER:
        return None
    match = _LOAD.search(value)
    return match["load"] if match else None


def identity_from_headers(headers: Mapping[str, str]) -> PhoneIdentity | None:
    """Return the identity in a message's headers (names lower-case).

    ``Server`` (an answer) is read first, then ``User-Agent``; a ``Reason``
    with ``Load=`` adds the exact load.
    """
    for name in ("server", "user-agent"):
        identity = parse_user_agent(headers.get(name))
        if identity is not None:
            load = identity.load or parse_load(headers.get("reason"))
            if load != identity.load:
                return PhoneIdentity(
                    identity.model, identity.version, load, identity.gigabit
                )
            return identity
    return None
