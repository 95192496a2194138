"""Real-world 79x0 files import with nothing silently dropped, and re-render.

The fixtures are public working configurations (``fixtures/real/SOURCES.md``).
Every key of each file is either imported or named in a warning; every
imported value comes back from the files rendered from the import.
"""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from custom_components.cisco_ip_phone.provisioning.files.cnf_import import (
    MANAGED,
    SERVER_KEYS,
    import_cnf,
    parse_cnf,
)
from custom_components.cisco_ip_phone.provisioning.files.render import render_files
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    DialRule,
    Line,
    PhoneConfig,
    ServerSettings,
)

_KEPT_LINE_KEY = re.compile(r"line[1-6]_(name|password|displayname|shortname)")
REAL = Path(__file__).parent / "fixtures" / "real"
CASES = [
    ("voipfone_SIPDefault.cnf", "voipfone_SIP0014638ADF5E.cnf", "0014638ADF5E"),
    ("julianhead_SIPDefault.cnf", "julianhead_SIP0015F92EC692.cnf", "0015F92EC692"),
    ("julianhead_SIPDefault.cnf2", "julianhead_SIP0015F92EC692.cnf", "0015F92EC692"),
]


def _merged(default: bytes, mac_file: bytes) -> dict[str, tuple[str, object]]:
    """Return key -> (source, entry) as the phone sees it: its own file wins."""
    found: dict[str, tuple[str, object]] = {}
    for source, data in (("SIPDefault.cnf", default), ("SIP.cnf", mac_file)):
        for key, entry in parse_cnf(data, source=source).last().items():
            found[key] = (source, entry)
    return found


@pytest.mark.parametrize(("default", "mac_file", "mac"), CASES)
def test_real_files_import_without_silent_drops(
    default: str, mac_file: str, mac: str
) -> None:
    default_bytes, mac_bytes = (
        (REAL / default).read_bytes(),
        (REAL / mac_file).read_bytes(),
    )
    result = import_cnf(default_bytes, mac_bytes, mac=mac, model="7960")
    warnings = "\n".join(result.warnings)
    files = render_files(result.settings, [result.phone])
    rendered = _merged(files["SIPDefault.cnf"].content, files[f"SIP{mac}.cnf"].content)
    for key, (source, entry) in _merged(default_bytes, mac_bytes).items():
        if key in SERVER_KEYS and "." not in SERVER_KEYS[key][0]:
            reader = SERVER_KEYS[key][1]
            assert key in rendered, f"{key} lost"
            _, again = rendered[key]
            assert reader(again, "") == reader(entry, source), key  # type: ignore[arg-type]
        elif key == "phone_label" or _KEPT_LINE_KEY.fullmatch(key):
            assert rendered[key][1].value == entry.value, key  # type: ignore[attr-defined]
        elif key in MANAGED or key.startswith(("line", "proxy", "dst_")):
            continue
        else:
            assert f"unknown setting {key} ignored" in warnings, f"{key} dropped"


def test_every_key_and_element_we_write_is_in_compatibility_md() -> None:
    """docs/compatibility.md lists each .cnf key and XML element we write."""
    doc = (Path(__file__).parents[2] / "docs" / "compatibility.md").read_text("utf-8")
    settings = ServerSettings(
        outbound_proxy="x",
        ntp_server="x",
        directory_url="http://x",
        services_url="http://x",
        authentication_url="http://x",
        idle_url="http://x",
        dial_plan=(DialRule("9.*"),),
    )
    phones = [
        PhoneConfig(mac="001122334455", lines=(Line("1"), Line("2")), proxy_port=1),
        PhoneConfig(mac="001122334466", model="7965", lines=(Line("1"),)),
    ]
    files = render_files(settings, phones)
    written = {
        re.sub(r"^(line|proxy)[1-6]_", r"\1N_", line.split(":")[0])
        for name in ("SIPDefault.cnf", "SIP001122334455.cnf")
        for line in files[name].content.decode().splitlines()
        if not line.startswith("#")
    }
    xml = files["SEP001122334466.cnf.xml"].content.decode()
    written |= set(re.findall(r"<([A-Za-z][A-Za-z0-9]*)[\s>/]", xml))
    missing = sorted(key for key in written if f"| `{key}` |" not in doc)
    assert not missing, f"not in docs/compatibility.md: {missing}"
