"""Who a phone is: its MAC address and the fixed facts of its model.

Kept apart from the settings so the settings table (``table.py``) can say which
model families read a setting without importing the models built from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import re
from types import MappingProxyType

from .checks import InvalidMacError, SettingsError

# --------------------------------------------------------------------------- MAC

_MAC_FORMS = (
    re.compile(r"^[0-9A-Fa-f]{12}$"),
    re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$"),
    re.compile(r"^[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}$"),
    re.compile(r"^[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4}){2}$"),
)


def normalize_mac(value: str) -> str:
    """Return the MAC as 12 upper-case hex digits, the spelling phones request."""
    text = value.strip(" ") if isinstance(value, str) else ""
    if not any(form.fullmatch(text) for form in _MAC_FORMS):
        raise InvalidMacError(
            f"{value!r} is not a MAC address; use 12 hex digits such as "
            "00:11:22:33:44:55, 0011.2233.4455 or 001122334455",
            field="mac",
        )
    return re.sub(r"[^0-9A-Fa-f]", "", text).upper()


_MAC_FILE = re.compile(
    r"^(?:ctlsep|itlsep|sep|sip|mgc)([0-9a-f]{12})\.(?:tlv|cnf\.xml|cnf)$",
    re.IGNORECASE,
)


def mac_from_filename(name: str) -> str | None:
    """Return the MAC a phone put in a requested file name, or None.

    Phones prefix the phone-specific file with ``./`` or a directory taken from
    ``tftp_cfg_dir``, and some models request lower-case names.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    match = _MAC_FILE.fullmatch(base)
    return match.group(1).upper() if match else None


# ------------------------------------------------------------------------ models


class ConfigStyle(StrEnum):
    """Which configuration files a model reads."""

    CNF = "cnf"  # SIPDefault.cnf + SIP<MAC>.cnf (plus a small SEP<MAC>.cnf.xml)
    XML = "xml"  # one full SEP<MAC>.cnf.xml


class Family(StrEnum):
    """Hardware family; phones in one family share firmware and file formats."""

    F79X0 = "79x0"
    F79X1 = "79x1"
    F79X2 = "79x2"
    F79X5 = "79x5"
    F797X = "797x"


@dataclass(frozen=True, slots=True)
class PhoneModel:
    """Fixed facts about one phone model.

    ``model_id`` is Cisco's number used in ``loadInformationNNN`` of
    ``XMLDefault.cnf.xml``. ``load_prefix`` is the number in the Java phones'
    load names (``SIP41.…``, ``term41.default.loads``); the 79x0 images are
    named ``P0S3-…``/``P003…`` instead, so their prefix is empty.
    """

    name: str
    family: Family
    line_keys: int
    model_id: int
    config_style: ConfigStyle
    load_prefix: str

    @property
    def xml_model_name(self) -> str:
        """Return the ``model`` attribute used in loadInformation elements."""
        return f"IP Phone {self.name}"


def _model(
    name: str, family: Family, keys: int, model_id: int, prefix: str
) -> PhoneModel:
    style = ConfigStyle.CNF if family is Family.F79X0 else ConfigStyle.XML
    return PhoneModel(name, family, keys, model_id, style, prefix)


MODELS: Mapping[str, PhoneModel] = MappingProxyType(
    {
        "7940": _model("7940", Family.F79X0, 2, 8, ""),
        "7960": _model("7960", Family.F79X0, 6, 7, ""),
        "7941": _model("7941", Family.F79X1, 2, 115, "41"),
        "7961": _model("7961", Family.F79X1, 6, 30018, "41"),
        "7942": _model("7942", Family.F79X2, 2, 434, "42"),
        "7962": _model("7962", Family.F79X2, 6, 404, "42"),
        "7945": _model("7945", Family.F79X5, 2, 435, "45"),
        "7965": _model("7965", Family.F79X5, 6, 436, "45"),
        "7970": _model("7970", Family.F797X, 8, 30006, "70"),
        "7975": _model("7975", Family.F797X, 8, 437, "75"),
        # Added later, so existing files keep their order. The gigabit
        # variants and the 7971 run the SIP41 / SIP70 loads (ids: sipcc
        # PHONE_MODEL_NUMBER_*, real load309/load308 files).
        "7941G-GE": _model("7941G-GE", Family.F79X1, 2, 309, "41"),
        "7961G-GE": _model("7961G-GE", Family.F79X1, 6, 308, "41"),
        "7971": _model("7971", Family.F797X, 8, 119, "70"),
    }
)

LOAD_PREFIXES: tuple[str, ...] = ("41", "42", "45", "70", "75")


def get_model(name: str, *, field: str = "model") -> PhoneModel:
    """Return the model called ``name`` or raise a SettingsError listing models."""
    model = MODELS.get(str(name).strip()) if isinstance(name, str) else None
    if model is None:
        raise SettingsError(
            f"unknown phone model {name!r}; supported: {', '.join(MODELS)}",
            field=field,
        )
    return model
