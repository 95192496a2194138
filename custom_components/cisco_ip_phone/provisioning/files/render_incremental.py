"""Render only what changed: the shared files, and the phones whose inputs did.

``render_files`` renders every phone's files on every call. The hub calls it
for every added phone, firmware hop and ``sync`` change, so adding the
1,001st phone rendered 1,001 phones (issue #16: set-up by adding phones one
at a time was quadratic). ``IncrementalRenderer`` keeps each phone's inputs
and files and re-renders a phone only when its own inputs or the server
settings changed. The output is the same dict, byte for byte, as
``render_files`` with the same arguments (a test holds them equal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..settings.models import (
    ConfigStyle,
    PhoneConfig,
    ServerSettings,
    SettingsError,
    check_image,
    normalize_mac,
)
from .render import (
    DEFAULT_SYNC,
    GeneratedFile,
    render_phone,
    render_shared,
    render_syncinfo_file,
)

__all__ = ["IncrementalRenderer"]


@dataclass(frozen=True, slots=True)
class _Inputs:
    """Everything one phone's files are made from, besides the settings."""

    phone: PhoneConfig
    image: str
    sync: str
    extra: Mapping[str, Any] | None


class IncrementalRenderer:
    """Keep the generated files and re-render only what an update changes."""

    def __init__(self) -> None:
        self._settings: ServerSettings | None = None
        self._shared: list[GeneratedFile] = []
        self._inputs: dict[str, _Inputs] = {}
        self._files: dict[str, list[GeneratedFile]] = {}
        self.phone_renders = 0
        """How many times a phone's files were rendered (tests count these)."""
        self.changed: frozenset[str] = frozenset()
        """MACs whose files changed (or that left) in the last ``render``."""
        self.shared_changed = False
        """Whether the last ``render`` changed a shared file (syncinfo aside)."""

    def render(
        self,
        settings: ServerSettings,
        phones: Iterable[PhoneConfig],
        *,
        images: Mapping[str, str] | None = None,
        syncs: Mapping[str, str] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, GeneratedFile]:
        """Return every generated file, as ``render_files`` would.

        Nothing is kept when rendering fails, so the next call starts from
        the last good state.
        """
        extra = {normalize_mac(mac): value for mac, value in (overrides or {}).items()}
        image_of = {normalize_mac(mac): image for mac, image in (images or {}).items()}
        for image in image_of.values():
            check_image(image, "images", required=True)
        sync_of = {normalize_mac(mac): sync for mac, sync in (syncs or {}).items()}
        settings_changed = settings != self._settings
        shared = render_shared(settings) if settings_changed else self._shared
        inputs: dict[str, _Inputs] = {}
        for phone in phones:
            if phone.mac in inputs:
                raise SettingsError(f"phone {phone.mac} is listed twice", field="mac")
            inputs[phone.mac] = _Inputs(
                phone,
                image_of.get(phone.mac) or settings.image_for(phone),
                sync_of.get(phone.mac, DEFAULT_SYNC),
                extra.get(phone.mac),
            )
        files: dict[str, list[GeneratedFile]] = {}
        changed: set[str] = set(self._files.keys() - inputs.keys())
        renders = 0
        for mac, item in inputs.items():
            old = self._files.get(mac)
            if old is not None and not settings_changed and self._inputs[mac] == item:
                files[mac] = old
                continue
            files[mac] = render_phone(
                settings, item.phone, image=item.image, sync=item.sync, extra=item.extra
            )
            renders += 1
            if files[mac] != old:
                changed.add(mac)
        self.shared_changed = [f.digest for f in shared] != [
            f.digest for f in self._shared
        ]
        self._settings, self._shared = settings, shared
        self._inputs, self._files = inputs, files
        self.phone_renders += renders
        self.changed = frozenset(changed)
        return self._assemble()

    def _assemble(self) -> dict[str, GeneratedFile]:
        """Shared files, phones by MAC, then ``syncinfo.xml``, as render_files."""
        result = {file.name: file for file in self._shared}
        sync_entries: dict[str, str] = {}
        for mac in sorted(self._files):
            item = self._inputs[mac]
            if item.phone.phone_model.config_style is ConfigStyle.CNF:
                sync_entries.setdefault(item.image, item.sync)
            for file in self._files[mac]:
                result[file.name] = file
        syncinfo = render_syncinfo_file(sync_entries)
        result[syncinfo.name] = syncinfo
        return result
