"""The files the hub serves: rendered incrementally, with their digests.

One job: turn the current settings, phones and per-phone overrides (firmware
hops, ``sync`` values) into the generated files the TFTP server answers
with, re-rendering only what changed (``IncrementalRenderer``, issue #16),
and tell whether what a phone fetched is still current.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .provisioning.files.render import GeneratedFile
from .provisioning.files.render_incremental import IncrementalRenderer
from .provisioning.settings.models import PhoneConfig, ServerSettings
from .provisioning.tracking.model import ProvisioningState

# A phone in these states is still fetching its files (issue #16: a first
# boot wrote "off" and then "on" within seconds).
IN_BOOT = frozenset(
    {
        ProvisioningState.BOOTING,
        ProvisioningState.CHECKING_IMAGE,
        ProvisioningState.DOWNLOADING_LOADER,
        ProvisioningState.DOWNLOADING_APPLICATION,
    }
)

# Served per requesting phone (firmware hops, resync), so a phone's copy may
# differ from the shared one without its config being out of date.
PER_PHONE_FILES = frozenset({"os79xx.txt", "syncinfo.xml"})


class ServedFiles:
    """Render, publish and compare the generated files of one server."""

    def __init__(self, publish: Callable[[Mapping[str, GeneratedFile]], None]) -> None:
        self.renderer = IncrementalRenderer()
        self.files: dict[str, GeneratedFile] = {}
        self._publish = publish
        self._digests: dict[str, str] = {}

    def render(
        self,
        settings: ServerSettings,
        phones: Iterable[PhoneConfig],
        images: Mapping[str, str],
        syncs: Mapping[str, str],
        *,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, GeneratedFile]:
        """Render what changed and serve the whole set at once."""
        self.files = self.renderer.render(
            settings, phones, images=images, syncs=syncs, overrides=overrides
        )
        self._digests = {name.lower(): file.digest for name, file in self.files.items()}
        self._publish(self.files)
        return self.files

    def up_to_date(
        self, main_file: str, fetched: Mapping[str, str], state: ProvisioningState
    ) -> bool | None:
        """Return whether ``fetched`` (name -> digest) holds current files only.

        The phone must have fetched its main config file, and every generated
        file it fetched must match today's digest (per-phone files aside).
        ``None`` while a phone that never fetched it is still booting: its
        first boot is judged when it ends, not file by file.
        Costs the number of files the phone fetched, not the number of phones.
        """
        seen = {name.lower(): digest for name, digest in fetched.items()}
        if main_file.lower() not in seen:
            return None if state in IN_BOOT else False
        current = self._digests
        return all(
            current[name] == digest
            for name, digest in seen.items()
            if name in current and name not in PER_PHONE_FILES
        )
