"""Fail when any module of the integration is below the coverage floor.

A single total can hide an untested module; the quality gate is per module.
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys


def main() -> int:
    """Print per-module coverage and return 1 if any module is under the floor."""
    floor = float(sys.argv[1]) if len(sys.argv) > 1 else 95.0
    out = Path(".coverage-report.json")
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", "-q", "-o", str(out)],
        check=True,
    )
    report = json.loads(out.read_text())
    out.unlink()
    failed = []
    for name, data in sorted(report["files"].items()):
        pct = data["summary"]["percent_covered"]
        mark = "ok " if pct >= floor else "LOW"
        print(f"{mark} {pct:6.2f}%  {name}")
        if pct < floor:
            failed.append(name)
    total = report["totals"]["percent_covered"]
    print(f"total {total:.2f}%")
    if failed:
        print(f"{len(failed)} module(s) under {floor:.0f}%: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
