"""How a 79x0 phone reads a ``name: value`` file: leniently, never our parser.

The simulated phones of the tests (``simphone.py``) and of the boot-storm
benchmark (``bench/storm_phones.py``) both read what the server sends the way
a phone does (reference §2.2): comments and malformed lines are skipped, a
quoted value ends at its closing quote, an unquoted one at ``;``. It is
deliberately not ``provisioning.files.cnf_syntax.parse_cnf``: a phone that
read our files with our own strict parser could not catch our mistakes.
Standard library only, so the benchmark's phone process can import it.
"""

from __future__ import annotations


def parse_cnf(data: bytes) -> dict[str, str]:
    """Parse the 79x0 ``name: value`` format (reference §2.2), leniently."""
    values: dict[str, str] = {}
    for raw in data.decode("latin-1").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, rest = line.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            continue
        rest = rest.strip()
        if rest.startswith('"'):
            value = rest[1:].split('"', 1)[0]
        else:
            value = rest.split(";", 1)[0].strip()
        values[key.strip()] = value
    return values
