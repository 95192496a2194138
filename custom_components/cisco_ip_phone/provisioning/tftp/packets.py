"""TFTP wire format: requests, errors and OACK through tftpy, DATA/ACK by hand.

tftpy's packet classes are the reference codec. Its DATA/ACK classes cost a
few microseconds per packet (object creation, debug logging, a format string
built per call), which is most of the per-block budget when 20 firmware
downloads run at once, so the hot DATA/ACK path uses precompiled ``struct``
formats instead. Requests, errors and OACKs are rare and go through tftpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
import struct
from types import MappingProxyType

from tftpy.TftpPacketFactory import TftpPacketFactory
from tftpy.TftpPacketTypes import TftpPacketERR, TftpPacketOACK
from tftpy.TftpShared import TftpException

OP_RRQ = 1
OP_WRQ = 2
OP_DATA = 3
OP_ACK = 4
OP_ERROR = 5
OP_OACK = 6

# opcode + block number (DATA, ACK) or opcode + error code (ERROR)
HEADER = struct.Struct("!HH")
_MAX_ERROR_MESSAGE = 200
_FACTORY = TftpPacketFactory()


class ErrorCode(IntEnum):
    """RFC 1350 / RFC 2347 error codes."""

    NOT_DEFINED = 0
    FILE_NOT_FOUND = 1
    ACCESS_VIOLATION = 2
    DISK_FULL = 3
    ILLEGAL_OPERATION = 4
    UNKNOWN_TID = 5
    FILE_EXISTS = 6
    NO_SUCH_USER = 7
    OPTION_NEGOTIATION = 8


class MalformedPacketError(ValueError):
    """A datagram that is not a well-formed TFTP packet (answered with error 4)."""


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded RRQ or WRQ; option names are lower-cased (RFC 2347)."""

    opcode: int
    filename: str
    mode: str
    options: Mapping[str, str]  # read-only: parsed requests are shared


_PARSED: dict[bytes, Request] = {}
_PARSED_MAX = 4096
# Only requests of ordinary length are remembered: 4096 entries of at most
# this many bytes bound the (module-wide) cache to about 2 MiB.
_PARSED_MAX_BYTES = 256


def parse_request(data: bytes) -> Request:
    """Decode an RRQ/WRQ, remembering recent ones (phones repeat the same bytes).

    A boot storm sends the same ``OS79XX.TXT`` / ``SIPDefault.cnf`` request
    from every phone, and tftpy's decoder costs ~15 us per request.
    """
    request = _PARSED.get(data)
    if request is None:
        request = _parse_request(data)
        if len(data) > _PARSED_MAX_BYTES:
            return request
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[data] = request
    return request


def _parse_request(data: bytes) -> Request:
    """Decode an RRQ/WRQ; any defect becomes MalformedPacketError.

    tftpy decodes the file name and mode. The option list is split here:
    tftpy refuses an empty option value, which RFC 2090 (``multicast``) and
    some PXE clients send, and unknown options must be ignored, not fatal.
    """
    if len(data) < 4 or data[0] != 0 or data[1] not in (OP_RRQ, OP_WRQ):
        raise MalformedPacketError("not a read or write request")
    if data[-1] != 0:
        # tftpy silently truncates an unterminated last field; RFC 1350 does not.
        raise MalformedPacketError("request is not NUL-terminated")
    name_end = data.find(b"\0", 2)
    mode_end = data.find(b"\0", name_end + 1)
    if mode_end < 0:
        raise MalformedPacketError("request has no mode")
    try:
        packet = _FACTORY.parse(data[: mode_end + 1])
    except (TftpException, struct.error, UnicodeDecodeError) as err:
        raise MalformedPacketError(f"malformed request: {err}") from err
    fields = data[mode_end + 1 : -1].split(b"\0") if len(data) > mode_end + 1 else []
    if len(fields) % 2:
        raise MalformedPacketError("option without a value")
    options: dict[str, str] = {}
    for index in range(0, len(fields), 2):
        name = fields[index].decode("latin-1").lower()
        options.setdefault(name, fields[index + 1].decode("latin-1"))
    return Request(
        packet.opcode,
        str(packet.filename),
        str(packet.mode),
        MappingProxyType(options),
    )


def encode_error(code: ErrorCode, message: str) -> bytes:
    """Encode an ERROR packet with our own message (tftpy only knows fixed ones)."""
    packet = TftpPacketERR()
    packet.errorcode = int(code)
    text = message.encode("ascii", "replace")[:_MAX_ERROR_MESSAGE].replace(b"\0", b"?")
    packet.errmsgs = {int(code): text}
    buffer: bytes = packet.encode().buffer
    return buffer


def encode_oack(options: dict[str, str]) -> bytes:
    """Encode an OACK packet listing the accepted options."""
    packet = TftpPacketOACK()
    packet.options = options
    buffer: bytes = packet.encode().buffer
    return buffer


def decode_error(data: bytes) -> tuple[int, str]:
    """Decode an ERROR packet leniently (tftpy logs every one at ERROR level)."""
    code = int.from_bytes(data[2:4]) if len(data) >= 4 else 0
    message = data[4:].split(b"\0", 1)[0].decode("ascii", "replace")
    return code, message


def to_netascii(data: bytes) -> bytes:
    """Convert local text to netascii (RFC 764): CR -> CR NUL, LF -> CR LF."""
    return data.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")


def from_netascii(data: bytes) -> bytes:
    """Convert netascii back to local text (inverse of ``to_netascii``)."""
    return data.replace(b"\r\n", b"\n").replace(b"\r\0", b"\r")
