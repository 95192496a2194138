"""Turn the browser test's screenshots into the small images the docs use.

tests/browser/test_ui_quickstart.py leaves one screenshot per step in
build/screenshots/ (git-ignored). The docs show four of them; this copies
those to docs/images/, scaled down and reduced to a palette so the committed
PNGs stay small. Run it after the browser test:

    .venv/bin/python -m pytest tests/browser
    .venv/bin/python scripts/docs_images.py
"""

from __future__ import annotations

from pathlib import Path
import sys

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "build" / "screenshots"
IMAGES = REPO / "docs" / "images"
WIDTH = 800
# step name in build/screenshots -> image in docs/images
CHOSEN = {
    "server-form": "server-form.png",
    "discovered-add": "discovered-add.png",
    "phone-lines": "phone-lines.png",
    "device-page": "device-configured.png",
}


def main() -> int:
    """Write docs/images/*.png from the newest screenshots."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    missing = []
    for step, target in CHOSEN.items():
        found = sorted(SHOTS.glob(f"[0-9][0-9]-{step}.png"))
        if not found:
            missing.append(step)
            continue
        with Image.open(found[-1]) as shot:
            height = round(shot.height * WIDTH / shot.width)
            small = shot.convert("RGB").resize(
                (WIDTH, height), Image.Resampling.LANCZOS
            )
            small.quantize(colors=64).save(IMAGES / target, optimize=True)
        print(f"{found[-1].name} -> docs/images/{target}")
    if missing:
        print(f"no screenshot for {', '.join(missing)}: run tests/browser first")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
