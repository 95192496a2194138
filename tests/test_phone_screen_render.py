"""The documentation's phone screenshots come from real, valid pages."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from custom_components.cisco_ip_phone.provisioning.phone_services.validate import (
    validate,
)

ROOT = Path(__file__).resolve().parents[1]


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "render_phone_screen", ROOT / "scripts/render_phone_screen.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_sample_page_is_valid_drawn_and_committed() -> None:
    script = _script()
    pages = script.sample_pages()
    for name, xml in pages.items():
        validate(xml)
        image = script.render_screen(xml)
        assert image.size == (script.WIDTH, script.HEIGHT)
        assert (ROOT / "docs/images" / f"phone-{name}.png").is_file(), name
