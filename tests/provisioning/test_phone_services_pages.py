"""Phonebook, pages, tokens and rate limits of the phone services engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.cisco_ip_phone.provisioning.errors import ProvisioningError
from custom_components.cisco_ip_phone.provisioning.phone_services import (
    access,
    pages,
    phonebook as pb,
)
from custom_components.cisco_ip_phone.provisioning.phone_services.objects import (
    render,
)
from custom_components.cisco_ip_phone.provisioning.phone_services.validate import (
    validate,
)

VCARD = """BEGIN:VCARD
VERSION:3.0
FN:Bob <Builder> & Co
TEL;TYPE=work:+49 (30) 1234-5
TEL:tel:555
END:VCARD
BEGIN:VCARD
N:Smith;Anna;;;
item1.TEL:200
END:VCARD
BEGIN:VCARD
FN:No Number
TEL:call me
END:VCARD
BEGIN:VCARD
FN:Long
 Folded
TEL:3
END:VCARD
garbage line
"""


def test_vcard() -> None:
    contacts = pb.parse_phonebook("PhoneBook.VCF", VCARD.encode())
    assert contacts == [
        pb.Contact("Anna Smith", "200"),
        pb.Contact("Bob <Builder> & Co", "+493012345"),
        pb.Contact("Bob <Builder> & Co", "555"),
        pb.Contact("LongFolded", "3"),
    ]


def test_csv_with_and_without_header() -> None:
    text = "Number,Name\n100,Zed\n,Empty\nshort\n"
    assert pb.parse_phonebook("b.csv", text.encode()) == [pb.Contact("Zed", "100")]
    plain = "Ann,101\nBen,102\n".encode("latin-1")
    assert [c.number for c in pb.parse_phonebook("b.csv", plain)] == ["101", "102"]
    assert pb.parse_phonebook("b.csv", "Jörg,1".encode("latin-1"))[0].name == "Jörg"
    assert pb.parse_phonebook("b.csv", b"") == []


def test_bounds() -> None:
    with pytest.raises(ValueError, match="larger"):
        pb.parse_phonebook("b.csv", b"x" * (pb.MAX_FILE_BYTES + 1))
    many = "".join(f"n{i},{i}\n" for i in range(pb.MAX_ENTRIES + 10))
    assert len(pb.parse_phonebook("b.csv", many.encode())) == pb.MAX_ENTRIES
    long = pb.parse_phonebook("b.csv", ("x" * 500 + ",1").encode())
    assert len(long[0].name) == pb.MAX_FIELD


def test_load_phonebook(tmp_path: Path) -> None:
    assert pb.load_phonebook(tmp_path) == []
    (tmp_path / "phonebook.csv").write_text("Ann,1\n")
    assert pb.load_phonebook(tmp_path) == [pb.Contact("Ann", "1")]
    (tmp_path / "phonebook.vcf").write_bytes(b"x" * (pb.MAX_FILE_BYTES + 1))
    assert pb.load_phonebook(tmp_path) == []


def test_search_and_paging() -> None:
    book = [pb.Contact("Anna Smith", "1"), pb.Contact("Bob Anders", "2")]
    assert pb.search(book, "an") == book
    assert pb.search(book, "smi") == [book[0]]
    assert pb.search(book, "  ") == book
    assert pb.page_of(list(range(5)), 9, 2) == ([4], False)
    assert pb.page_of(list(range(5)), -1, 2) == ([0, 1], True)


def test_profiles_and_actions() -> None:
    assert pages.profile_for("7960") is pages.LEGACY
    assert pages.profile_for("7970") is pages.MODERN
    assert pages.profile_for("nope") is pages.LEGACY
    assert pages.find_action("light", "on") is not None
    assert pages.find_action("light", "unlock") is None
    assert pages.find_action("lock", "unlock").confirm  # type: ignore[union-attr]


def _check(page: pages.Page, profile: pages.Profile = pages.MODERN) -> str:
    data = render(page.obj, profile.charset)
    validate(data)
    return data.decode(profile.charset)


def test_pages_validate_for_both_profiles() -> None:
    light = pages.EntityView("light.k", "Kitchen <b>", "on", last_changed="now")
    sensor = pages.EntityView("sensor.t", "Temp", "21", "°C", "12:00", "Hall")
    for profile in (pages.LEGACY, pages.MODERN):
        builder = pages.PageBuilder("http://ha:8123/api/cisco_ip_phone/tok/", profile)
        home = builder.home([(str(i), f"Area {i}") for i in range(70)], page=1)
        text = _check(home, profile)
        assert "page=0" in text
        assert "page=2" in text
        assert "Nothing exposed" in _check(builder.home([]), profile)
        _check(builder.area("k", "Kitchen", [light, sensor]), profile)
        assert "Kitchen &lt;b&gt;" in _check(builder.entity(light, "Done"), profile)
        assert "Changed: 12:00" in _check(builder.entity(sensor), profile)
        _check(builder.confirm(light, "unlock", "Unlock"), profile)
        _check(builder.directory_home(), profile)
        _check(builder.search(), profile)
        book = [pb.Contact(f"n{i}", str(i)) for i in range(40)]
        page = builder.directory("Phonebook", book, 0, "directory/list?book=x")
        assert page.refresh_url is not None
        assert page.refresh_url.endswith("&page=1")
        _check(page, profile)
        last = builder.directory("Phonebook", book, 1, "directory/results")
        assert last.refresh_url is None
        assert "No match" in _check(builder.directory("x", [], 0, "d"), profile)
        _check(builder.message("", "Front door opened"), profile)
    assert "SoftKeyItem" not in _check(
        pages.PageBuilder("http://h/", pages.LEGACY).directory_home(), pages.LEGACY
    )
    assert sensor.value == "21 °C"
    assert light.domain == "light"
    assert pages.query_value("a b&c") == "a%20b%26c"


def test_tokens_and_urls() -> None:
    token = access.new_token()
    assert access.is_token(token)
    assert not access.is_token(token + "x")
    assert access.new_token() != token
    urls = access.ServiceUrls.for_base(
        f"http://10.0.0.2:8123/api/cisco_ip_phone/{token}/"
    )
    assert urls.authentication.endswith(f"{token}/auth")
    with pytest.raises(ProvisioningError):
        access.ServiceUrls.for_base("https://h")
    with pytest.raises(ProvisioningError):
        access.ServiceUrls.for_base("http://h/" + "x" * 300)
    with pytest.raises(ProvisioningError, match="unsafe"):
        access.ServiceUrls.for_base('http://h/"')


def test_rate_limiter() -> None:
    now = [0.0]
    limiter = access.RateLimiter(rate=1.0, burst=2, max_keys=2, clock=lambda: now[0])
    assert limiter.allow("a")
    assert limiter.allow("a")
    assert not limiter.allow("a")
    now[0] = 1.0
    assert limiter.allow("a")
    assert limiter.allow("b")
    assert limiter.allow("c")
    assert len(limiter._buckets) == 2
