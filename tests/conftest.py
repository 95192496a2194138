"""Shared fixtures for every test.

The Home Assistant test plugin blocks sockets; our servers are real and bind
to 127.0.0.1, so sockets are enabled for every test (connections are still
limited to 127.0.0.1 by the plugin).

No test may need a real resolver: the plugin for Home Assistant 2026 refuses
DNS look-ups, and ``_no_dns`` does the same on 2025.4, so a test that would
only pass with a resolver fails on both releases.
"""

from __future__ import annotations

from collections.abc import Callable
import ipaddress
import socket
from typing import Any

import pytest

# What the newer plugin still lets through (it never reaches a resolver).
_LOCAL_NAMES = {"localhost", "", None}


@pytest.fixture(autouse=True)
def _allow_loopback_sockets(socket_enabled: None) -> None:
    """Let tests bind and talk on loopback."""


def _without_dns(real: Callable[..., Any]) -> Callable[..., Any]:
    def refuse_names(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in _LOCAL_NAMES:
            return real(host, *args, **kwargs)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise RuntimeError(f"DNS look-up of {host!r} in a test") from None
        return real(host, *args, **kwargs)

    return refuse_names


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse DNS look-ups (host names) as the 2026 test plugin does."""
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, _without_dns(getattr(socket, name)))


@pytest.fixture(autouse=True)
def _custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load our custom integration in every test that runs Home Assistant."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")
