"""Typed transfer events and the per-transfer log line."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    """What an event reports: a request arriving, or a transfer ending."""

    REQUEST = "request"
    COMPLETED = "completed"
    FAILED = "failed"


class TransferOutcome(StrEnum):
    """How a transfer ended (``ok`` also marks a request that will be served)."""

    OK = "ok"
    NOT_FOUND = "not_found"
    ACCESS_VIOLATION = "access_violation"
    TIMEOUT = "timeout"
    CLIENT_ERROR = "client_error"
    SERVER_ERROR = "server_error"


class ContentSource(StrEnum):
    """Where served bytes came from."""

    GENERATED = "generated"
    STATIC = "static"


@dataclass(frozen=True, slots=True)
class TransferEvent:
    """One request, or one finished or failed transfer, as seen by the server."""

    kind: EventKind
    client: tuple[str, int]
    requested_name: str
    resolved_name: str | None
    source: ContentSource | None
    digest: str | None
    size: int | None
    bytes_sent: int
    blocks: int
    retransmits: int
    duration: float
    outcome: TransferOutcome
    error: str | None
    timestamp: float
    direction: str = "read"


def format_log_line(event: TransferEvent) -> str:
    """Render an event like the classic TFTP server log the user reads."""
    name = event.resolved_name or event.requested_name
    client = f"{event.client[0]}:{event.client[1]}"
    if event.kind is EventKind.REQUEST:
        return f"<{name}>: {event.direction} request from {client}"
    verb = "received" if event.direction == "write" else "sent"
    line = (
        f"<{name}>: {verb} {event.blocks} blks, {event.bytes_sent} bytes in "
        f"{event.duration:.0f} s. {event.retransmits} blk resent"
    )
    if event.kind is EventKind.FAILED:
        line += f" [{event.outcome}: {event.error}]"
    return f"{line} ({client})"
