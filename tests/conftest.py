"""Shared fixtures for every test.

The Home Assistant test plugin blocks sockets; our servers are real and bind
to 127.0.0.1, so sockets are enabled for every test (connections are still
limited to 127.0.0.1 by the plugin).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _allow_loopback_sockets(socket_enabled: None) -> None:
    """Let tests bind and talk on loopback."""


@pytest.fixture(autouse=True)
def _custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load our custom integration in every test that runs Home Assistant."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")
