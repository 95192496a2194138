"""Draw Cisco IP Phone XML pages as a 79xx screen would, for the documentation.

``python scripts/render_phone_screen.py`` writes docs/images/phone-*.png from
the pages the integration really serves (built by the engine's
``PageBuilder`` with sample entities and contacts). The drawing is a simple
approximation of a 7960/7970 screen: a title bar, numbered menu items,
directory entries with their numbers, a prompt line and the soft key row.
"""

from __future__ import annotations

from pathlib import Path
import sys
import textwrap
import xml.etree.ElementTree as ET

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT = 320, 200
BACKGROUND = (203, 215, 192)
INK = (28, 36, 28)
BAR = (62, 84, 70)
ROWS = 7


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _softkeys(root: ET.Element) -> list[tuple[int, str]]:
    """Return (position, label) of the soft keys, or the object's defaults."""
    keys = sorted(
        (int(k.findtext("Position") or 0), k.findtext("Name") or "")
        for k in root.iter("SoftKeyItem")
    )
    if keys:
        return keys
    defaults = {
        "CiscoIPPhoneMenu": ["Select", "", "Exit"],
        "CiscoIPPhoneDirectory": ["Dial", "EditDial", "Exit"],
        "CiscoIPPhoneInput": ["Submit", "<<", "Cancel"],
        "CiscoIPPhoneText": ["", "", "Exit"],
    }.get(root.tag, [])
    return list(enumerate(defaults, start=1))


def _lines(root: ET.Element) -> list[tuple[str, str]]:
    if root.tag == "CiscoIPPhoneMenu":
        return [
            (f"{n} {item.findtext('Name') or ''}", "")
            for n, item in enumerate(root.iter("MenuItem"), start=1)
        ]
    if root.tag == "CiscoIPPhoneDirectory":
        return [
            (e.findtext("Name") or "", e.findtext("Telephone") or "")
            for e in root.iter("DirectoryEntry")
        ]
    if root.tag == "CiscoIPPhoneInput":
        return [
            (f"{i.findtext('DisplayName')}:", "[ _________ ]")
            for i in root.iter("InputItem")
        ]
    text = root.findtext("Text") or ""
    wrapped: list[str] = []
    for paragraph in text.splitlines() or [""]:
        wrapped += textwrap.wrap(paragraph, 38) or [""]
    return [(line, "") for line in wrapped]


def render_screen(xml: bytes) -> Image.Image:
    """Return a picture of the object ``xml`` on a 79xx-style screen."""
    root = ET.fromstring(xml)
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    big, small = _font(15), _font(13)
    draw.rectangle((0, 0, WIDTH, 22), fill=BAR)
    draw.text((6, 3), root.findtext("Title") or "", font=big, fill=BACKGROUND)
    y = 28
    for index, (left, right) in enumerate(_lines(root)[:ROWS]):
        if index == 0 and root.tag in ("CiscoIPPhoneMenu", "CiscoIPPhoneDirectory"):
            draw.rectangle((2, y - 1, WIDTH - 3, y + 16), outline=INK)
        draw.text((6, y), left, font=small, fill=INK)
        if right:
            draw.text((WIDTH - 6, y), right, font=small, fill=INK, anchor="ra")
        y += 18
    prompt = root.findtext("Prompt") or ""
    draw.line((0, HEIGHT - 42, WIDTH, HEIGHT - 42), fill=INK)
    draw.text((6, HEIGHT - 39), prompt, font=small, fill=INK)
    slot = WIDTH // 4
    draw.rectangle((0, HEIGHT - 20, WIDTH, HEIGHT), fill=BAR)
    for position, name in _softkeys(root):
        if not 1 <= position <= 4:
            continue
        draw.text(
            ((position - 1) * slot + slot // 2, HEIGHT - 17),
            name,
            font=small,
            fill=BACKGROUND,
            anchor="ma",
        )
    return image


def sample_pages() -> dict[str, bytes]:
    """Return the documentation's sample pages, made by the real page builder."""
    from custom_components.cisco_ip_phone.provisioning.phone_services.objects import (
        render,
    )
    from custom_components.cisco_ip_phone.provisioning.phone_services.pages import (
        MODERN,
        EntityView,
        PageBuilder,
    )
    from custom_components.cisco_ip_phone.provisioning.phone_services.phonebook import (
        Contact,
    )

    builder = PageBuilder("http://192.168.1.10:8123/api/cisco_ip_phone/TOKEN", MODERN)
    light = EntityView("light.kitchen", "Kitchen light", "on", area="Kitchen")
    lock = EntityView("lock.front_door", "Front door", "locked", area="Hall")
    temp = EntityView(
        "sensor.hall_temperature",
        "Hall temperature",
        "21.5",
        "°C",
        "2026-12-07 08:14",
        "Hall",
    )
    book = [
        Contact("Alice (desk)", "1001"),
        Contact("Bob (kitchen)", "1002"),
        Contact("Dr. Zoe Miller", "+41445550100"),
        Contact("Pizza Roma", "0445550199"),
    ]
    pages = {
        "home": builder.home([("a", "Hall"), ("b", "Kitchen"), ("c", "Other")]),
        "area": builder.area(
            "b",
            "Kitchen",
            [light, EntityView("switch.kettle", "Kettle", "off", area="Kitchen")],
        ),
        "entity": builder.entity(light, "Done"),
        "confirm": builder.confirm(lock, "unlock", "Unlock"),
        "sensor": builder.entity(temp),
        "directory": builder.directory_home(),
        "search": builder.search(),
        "results": builder.directory("zo", [book[2]], 0, "directory/results"),
        "phonebook": builder.directory("Phonebook", book, 0, "directory/list"),
        "message": builder.message("Front door", "Front door opened at 18:02."),
    }
    return {name: render(page.obj) for name, page in pages.items()}


def main() -> int:
    """Write every sample page as docs/images/phone-<name>.png."""
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for name, xml in sample_pages().items():
        render_screen(xml).save(out / f"phone-{name}.png", optimize=True)
        print(f"docs/images/phone-{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
