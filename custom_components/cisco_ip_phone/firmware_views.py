"""What the update entity and diagnostics read of a server's firmware state.

Kept apart from ``firmware_manager`` (which drives walks and resyncs) so each
module has one job: this one only answers questions, it changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .provisioning.firmware import FirmwareCatalog, advice, is_firmware_name
from .provisioning.firmware.upgrade import UpgradeJob

if TYPE_CHECKING:
    from .hub import CiscoPhoneHub


class FirmwareViews:
    """Read-only answers about phones' firmware, for entities and diagnostics."""

    hub: CiscoPhoneHub
    catalog: FirmwareCatalog | None
    jobs: dict[str, UpgradeJob]

    def _wanted_image(self, mac: str) -> str | None:
        raise NotImplementedError

    def installed_version(self, mac: str) -> str | None:
        """Return the image the phone runs, from TFTP or the phone itself."""
        return self.hub.running.shown(mac)

    def latest_version(self, mac: str) -> str | None:
        """Return the phone's target: its walk's, its configured, or the newest."""
        job = self.jobs.get(mac)
        if job is not None and (job.in_progress or self._wanted_image(mac)):
            return job.target
        phone = self.hub.phones.get(mac)
        if phone is None:
            return None
        configured = self.hub.server_config.settings.image_for(phone.config)
        return configured or advice.newest_image(
            self.catalog, self.installed_version(mac)
        )

    def in_progress(self, mac: str) -> bool:
        """Tell whether the phone is being walked through hops."""
        job = self.jobs.get(mac)
        return job is not None and job.in_progress

    def percentage(self, mac: str) -> int | None:
        """Return the walk's progress while it runs."""
        job = self.jobs.get(mac)
        return job.percentage if job is not None and job.in_progress else None

    def release_summary(self, mac: str) -> str | None:
        """Return the hops still ahead, the one being served first."""
        return advice.release_summary(
            self.jobs.get(mac),
            self.latest_version(mac),
            self.installed_version(mac),
            self.catalog,
        )

    def release_notes(self, mac: str) -> str | None:
        """Return why each hop ahead is needed and what it still lacks."""
        return advice.release_notes(
            self.jobs.get(mac),
            self.latest_version(mac),
            self.installed_version(mac),
            self.catalog,
        )

    def is_newer(self, latest: str, installed: str) -> bool:
        """Compare images by protocol and version; "SIP 8.x" never compares."""
        if not is_firmware_name(installed):
            return False
        return advice.is_newer(latest, installed)

    def phone_diagnostics(self, mac: str) -> dict[str, Any]:
        """Return the phone's walk, image override and sync value."""
        job = self.jobs.get(mac)
        return {
            "walk": job.as_dict() if job is not None else None,
            "image_override": self.hub.images.get(mac),
            "sync": self.hub.syncs.get(mac),
        }

    def catalog_diagnostics(self) -> dict[str, Any]:
        """Return what the root holds: each image, what it lacks, read errors."""
        catalog = self.catalog or FirmwareCatalog(self.hub.root)
        return {
            "images": [
                {
                    "name": entry.name,
                    "directory": entry.directory,
                    "complete": entry.complete,
                    "missing": list(entry.missing),
                    "error": entry.error,
                }
                for entry in catalog.images
            ],
            "problems": list(catalog.problems),
        }
