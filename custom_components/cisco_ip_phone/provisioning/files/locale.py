"""Locale files a 79x1/79x2/79x5/797x fetches when told a language or tones.

With ``<userLocale><name>`` the phone fetches its language pack from that
folder (``<name>/mk-sip.jar`` on a 7941/7961/7942/7962, ``be-sip.jar`` on a
7945/7965, ``td-sip.jar`` on a 7970/7971/7975; usecallmanager.nz
user-locale, Cisco CME locale guide); with ``<networkLocale>`` its tones
(``<name>/g3-tones.xml``; usecallmanager.nz network-locale). They come from
Cisco's locale installer packages and are served as static files from the
TFTP root; this says which of them are missing, so the user learns it before
a phone shows "Error updating locale".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..settings.identity import Family, PhoneModel
from ..settings.models import PhoneConfig, ServerSettings

# Language pack of each model family (usecallmanager.nz user-locale table).
USER_LOCALE_JARS: dict[Family, str] = {
    Family.F79X1: "mk-sip.jar",
    Family.F79X2: "mk-sip.jar",
    Family.F79X5: "be-sip.jar",
    Family.F797X: "td-sip.jar",
}
NETWORK_TONES = "g3-tones.xml"


def locale_files(settings: ServerSettings, model: PhoneModel) -> list[str]:
    """Return the files a phone of ``model`` asks for (root-relative, ``/``)."""
    jar = USER_LOCALE_JARS.get(model.family)
    if jar is None:
        return []  # a 79x0 on SIP has no localisation (only English)
    files: list[str] = []
    if settings.user_locale:
        files.append(f"{settings.user_locale}/{jar}")
    if settings.network_locale:
        files.append(f"{settings.network_locale}/{NETWORK_TONES}")
    return files


def _exists(root: Path, relative: str) -> bool:
    """Return whether ``relative`` is a file below ``root``, any case per part."""
    here = root
    for part in relative.split("/"):
        try:
            names = {item.name.lower(): item.name for item in here.iterdir()}
        except OSError:
            return False
        found = names.get(part.lower())
        if found is None:
            return False
        here = here / found
    return here.is_file()


def missing_locale_files(
    root: Path, settings: ServerSettings, phones: Iterable[PhoneConfig]
) -> list[str]:
    """Return the locale files the phones will ask for that the root lacks.

    Blocking (lists folders): call it from an executor. Names are compared
    case-insensitively, as the TFTP server matches them.
    """
    wanted = {
        name for phone in phones for name in locale_files(settings, phone.phone_model)
    }
    return sorted(name for name in wanted if not _exists(root, name))
