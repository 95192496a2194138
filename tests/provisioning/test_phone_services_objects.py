"""XML objects: limits, escaping, encodings, and the validator that checks them."""

from __future__ import annotations

import pytest

from custom_components.cisco_ip_phone.provisioning.phone_services import objects as o
from custom_components.cisco_ip_phone.provisioning.phone_services.validate import (
    validate,
)

DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def test_menu_order_escaping_and_clipping() -> None:
    menu = o.Menu(
        "T" * 40 + "<&>",
        [o.MenuItem('a "b" <c> & d\x07', "http://h/x?a=1&b=2")],
        prompt="p",
        softkeys=[o.SoftKey("Select", 1, "SoftKey:Select")],
    )
    data = o.render(menu)
    root = validate(data)
    assert [child.tag for child in root] == [
        "Title",
        "Prompt",
        "MenuItem",
        "SoftKeyItem",
    ]
    assert len(root.findtext("Title") or "") == o.MAX_TITLE
    assert root.findtext("MenuItem/Name") == 'a "b" <c> & d'
    assert root.findtext("MenuItem/URL") == "http://h/x?a=1&b=2"
    assert b"&amp;b=2" in data


def test_text_keeps_lines_and_clips_to_4000() -> None:
    data = o.render(o.Text("t", "line1\nline2\x00" + "x" * 5000))
    root = validate(data)
    text = root.findtext("Text") or ""
    assert text.startswith("line1\nline2 ")
    assert len(text) == o.MAX_TEXT


def test_latin1_transliterates() -> None:
    data = o.render(o.Text("Café ☃ Łódź", "€…"), o.LATIN1)
    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    root = validate(data)
    assert root.findtext("Title") == "Café ? ?ódz"  # Ł has no Latin-1 base
    assert root.findtext("Text") == "?..."


@pytest.mark.parametrize(
    "obj",
    [
        o.Menu("t", [o.MenuItem("n", "u")] * 101),
        o.Menu("t", [o.MenuItem("n", "")]),
        o.Menu("t", [o.MenuItem("n", "http://h/" + "x" * 300)]),
        o.Menu("t", [o.MenuItem("n", "http://h/\n")]),
        o.Directory("t", [o.DirectoryEntry("n", "1")] * 33),
        o.Input("t", "http://h/", [o.InputItem("n", "q")] * 6),
        o.Input("t", "http://h/", [o.InputItem("n", "q", "X")]),
        o.Text("t", "x", softkeys=[o.SoftKey("a", 1, "u")] * 9),
        o.Text("t", "x", softkeys=[o.SoftKey("a", 1, "u"), o.SoftKey("b", 1, "u")]),
        o.Text("t", "x", softkeys=[o.SoftKey("a", 9, "u")]),
        o.Execute([]),
        o.Execute([o.ExecuteItem("http://a/"), o.ExecuteItem("http://b/")]),
        o.Execute([o.ExecuteItem("Play:x.raw", 5)]),
    ],
)
def test_limits_raise(obj: o.PhoneObject) -> None:
    with pytest.raises(o.ObjectError):
        o.render(obj)


def test_every_object_validates() -> None:
    softkeys = [o.SoftKey("Dial", 1, "SoftKey:Dial")]
    for obj in (
        o.Directory("d", [o.DirectoryEntry("A & B", "100")], "p", softkeys),
        o.Input("i", "http://h/r", [o.InputItem("Name", "q", "A", "x")], "p"),
        o.Execute([o.ExecuteItem("http://h/n", 1), o.ExecuteItem("Play:a.raw")]),
        o.Text("", "only text"),
    ):
        validate(o.render(obj))


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        (b"<CiscoIPPhoneText/>", "declaration"),
        (DECL + b"<CiscoIPPhoneText>", "well-formed"),
        (DECL + b"<CiscoIPPhoneFoo/>", "unknown"),
        (DECL + b"<CiscoIPPhoneText><Bogus/></CiscoIPPhoneText>", "may not"),
        (
            DECL
            + b"<CiscoIPPhoneText><Text>x</Text><Title>t</Title></CiscoIPPhoneText>",
            "order",
        ),
        (
            DECL
            + b"<CiscoIPPhoneText><Title>t</Title><Title>t</Title></CiscoIPPhoneText>",
            "times",
        ),
        (
            DECL
            + b"<CiscoIPPhoneText><Title>"
            + b"x" * 33
            + b"</Title></CiscoIPPhoneText>",
            "32",
        ),
        (
            DECL + b"<CiscoIPPhoneText><Title><b/></Title></CiscoIPPhoneText>",
            "elements",
        ),
        (
            DECL + b"<CiscoIPPhoneMenu><MenuItem><URL>u</URL><Name>n</Name></MenuItem>"
            b"</CiscoIPPhoneMenu>",
            "children",
        ),
        (
            DECL
            + b"<CiscoIPPhoneMenu>"
            + b"<MenuItem><Name>n</Name></MenuItem>" * 101
            + b"</CiscoIPPhoneMenu>",
            "> 100",
        ),
        (
            DECL + b"<CiscoIPPhoneText>" + b"<SoftKeyItem><Name>n</Name><URL>u</URL>"
            b"<Position>1</Position></SoftKeyItem>" * 9 + b"</CiscoIPPhoneText>",
            "8 soft",
        ),
        (
            DECL + b"<CiscoIPPhoneText><SoftKeyItem><Name>n</Name><URL>u</URL>"
            b"<Position>9</Position></SoftKeyItem></CiscoIPPhoneText>",
            "position",
        ),
        (DECL + b"<CiscoIPPhoneInput><Title>t</Title></CiscoIPPhoneInput>", "URL"),
        (
            DECL
            + b"<CiscoIPPhoneInput><URL>u</URL><InputItem><DisplayName>d</DisplayName>"
            b"<QueryStringParam>q</QueryStringParam><InputFlags>Z</InputFlags></InputItem>"
            b"</CiscoIPPhoneInput>",
            "InputFlags",
        ),
        (DECL + b"<CiscoIPPhoneExecute/>", "1..3"),
        (DECL + b"<CiscoIPPhoneExecute><Foo/></CiscoIPPhoneExecute>", "ExecuteItem"),
    ],
)
def test_validator_finds_faults(data: bytes, fault: str) -> None:
    with pytest.raises(o.ObjectError, match=fault):
        validate(data)
