"""TFTP option negotiation: RFC 2347 (OACK), 2348, 2349 and 7440."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MIN_BLKSIZE = 8
MAX_BLKSIZE = 65464
DEFAULT_BLKSIZE = 512
MIN_TIMEOUT = 1
MAX_TIMEOUT = 255
MAX_WINDOWSIZE = 65535


class OptionError(ValueError):
    """An option value the RFCs call invalid: answered with TFTP error 8."""


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The transfer parameters agreed with the client, and the OACK to send."""

    blksize: int = DEFAULT_BLKSIZE
    windowsize: int = 1
    timeout: float | None = None
    tsize: int | None = None
    oack: dict[str, str] = field(default_factory=dict)


def _number(name: str, text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise OptionError(f"Invalid {name} value {text[:20]!r}")
    return int(text)


def negotiate(
    options: Mapping[str, str],
    *,
    size: int | None,
    max_blksize: int,
    max_windowsize: int,
    max_timeout: int = MAX_TIMEOUT,
) -> Negotiated:
    """Accept, clamp or refuse each known option; unknown options are ignored.

    ``size`` is the file size for a read (answered in ``tsize``), or None for a
    write, where the client's announced ``tsize`` is echoed back. A valid
    ``timeout`` above ``max_timeout`` is left out of the OACK (RFC 2347 lets a
    server decline an option): the client then keeps its default and we keep
    ours, so nobody can pin a slot for 255 s per retry.
    """
    oack: dict[str, str] = {}
    blksize = DEFAULT_BLKSIZE
    windowsize = 1
    timeout: float | None = None
    tsize: int | None = None
    if "blksize" in options:
        value = _number("blksize", options["blksize"])
        if value < MIN_BLKSIZE:
            raise OptionError(f"blksize {value} below {MIN_BLKSIZE}")
        blksize = min(value, max_blksize, MAX_BLKSIZE)
        oack["blksize"] = str(blksize)
    if "timeout" in options:
        value = _number("timeout", options["timeout"])
        if not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
            raise OptionError(f"timeout {value} outside 1-255")
        if value <= max_timeout:
            timeout = float(value)
            oack["timeout"] = str(value)
    if "tsize" in options:
        announced = _number("tsize", options["tsize"])
        tsize = announced if size is None else size
        oack["tsize"] = str(tsize)
    if "windowsize" in options:
        value = _number("windowsize", options["windowsize"])
        if not 1 <= value <= MAX_WINDOWSIZE:
            raise OptionError(f"windowsize {value} outside 1-65535")
        windowsize = min(value, max_windowsize)
        oack["windowsize"] = str(windowsize)
    return Negotiated(blksize, windowsize, timeout, tsize, oack)
