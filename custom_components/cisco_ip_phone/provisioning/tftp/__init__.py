"""Asyncio TFTP server and the content resolver behind it."""

from .events import ContentSource, EventKind, TransferEvent, TransferOutcome
from .resolver import (
    ContentResolver,
    GeneratedContent,
    ResolvedFile,
    TftpAccessError,
    TftpFileNotFoundError,
)
from .server import TftpServer, TftpSettings, TftpStats

__all__ = [
    "ContentResolver",
    "ContentSource",
    "EventKind",
    "GeneratedContent",
    "ResolvedFile",
    "TftpAccessError",
    "TftpFileNotFoundError",
    "TftpServer",
    "TftpSettings",
    "TftpStats",
    "TransferEvent",
    "TransferOutcome",
]
