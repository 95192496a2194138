"""Import an existing TFTP folder of ``SIP<MAC>.cnf`` / ``SEP<MAC>.cnf.xml`` files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .provisioning.files.cnf_import import import_folder
from .provisioning.settings.models import PhoneConfig, ServerSettings


@dataclass(frozen=True, slots=True)
class FolderImport:
    """The phones of a folder, and the server-wide settings they shared."""

    phones: list[PhoneConfig]
    settings: ServerSettings | None
    warnings: list[str]


def import_phones(root: Path) -> FolderImport:
    """Read the folder with the engine's parser (blocking: run in an executor)."""
    results = import_folder(root)
    # The shared settings of the 79x0 files (SIPDefault.cnf) when there are
    # any (they come first), else those of the first XML phone.
    return FolderImport(
        phones=[result.phone for result in results],
        settings=results[0].settings if results else None,
        warnings=[warning for result in results for warning in result.warnings],
    )
