"""Regenerate the settings reference in docs/configuration.md from the table.

Usage: ``python scripts/gen_settings_docs.py`` (write) or ``--check`` (exit 1
when the file is out of date).
"""

from __future__ import annotations

from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.cisco_ip_phone.provisioning.settings.docs import (
    replace_reference,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def main(argv: list[str]) -> int:
    """Write (or with --check compare) the generated tables."""
    text = DOC.read_text(encoding="utf-8")
    new = replace_reference(text)
    if "--check" in argv:
        if new != text:
            print(
                "docs/configuration.md is out of date; run scripts/gen_settings_docs.py"
            )
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
