"""The engine's error family: every input it refuses raises one of these.

Kept in a module of its own so any part of the engine (settings, files,
firmware, servers) can raise them without importing the others.
"""

from __future__ import annotations


class ProvisioningError(ValueError):
    """A setting or input the engine cannot use; says which one and why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidMacError(ProvisioningError):
    """A MAC address that is not 12 hexadecimal digits in a known spelling."""


class SettingsError(ProvisioningError):
    """A setting value outside what the phones accept."""
