"""Push to a phone's /CGI/Execute, one-time credentials, and URLs in phone files."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs

import pytest

from custom_components.cisco_ip_phone.provisioning.files.render import render_files
from custom_components.cisco_ip_phone.provisioning.phone_services import push as p
from custom_components.cisco_ip_phone.provisioning.phone_services.access import (
    ServiceUrls,
)
from custom_components.cisco_ip_phone.provisioning.phone_services.objects import (
    ObjectError,
)
from custom_components.cisco_ip_phone.provisioning.phone_services.validate import (
    validate,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    Line,
    PhoneConfig,
    ServerSettings,
)


def test_push_book_approves_only_its_own_grant() -> None:
    now = [0.0]
    book = p.PushBook(clock=lambda: now[0])
    user, password = book.issue("001122334455")
    assert book.check(user, password, "SEP001122334455")
    assert book.check(user, password, "sep001122334455")
    assert not book.check(user, password, "SEP001122334466")
    assert not book.check(user, "wrong", "SEP001122334455")
    assert not book.check("someone", password, "SEP001122334455")
    now[0] = p.CREDENTIAL_TTL + 1
    assert not book.check(user, password, "SEP001122334455")
    user, password = book.issue("001122334455")
    book.revoke(user)
    assert not book.check(user, password, "SEP001122334455")
    for _ in range(p.MAX_PENDING + 5):
        book.issue("001122334455")
    assert len(book._grants) == p.MAX_PENDING
    assert p.PushBook(clock=None).issue("00")[0].startswith(p.PUSH_USER)


def test_execute_for() -> None:
    data = p.execute_for("http://h/n/1", beep="Chime.raw", priority=1)
    root = validate(data)
    assert [i.get("URL") for i in root] == ["http://h/n/1", "Play:Chime.raw"]
    with pytest.raises(ObjectError):
        p.execute_for("http://h/" + "x" * 250, beep="y" * 250)


async def _fake_phone(answer: bytes, seen: list[bytes]) -> asyncio.Server:
    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        seen.append(await reader.read(65536))
        writer.write(answer)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("answer", "ok", "error"),
    [
        (
            b'HTTP/1.1 200 OK\r\n\r\n<CiscoIPPhoneResponse><ResponseItem Status="0" '
            b'URL="x"/></CiscoIPPhoneResponse>',
            True,
            None,
        ),
        (b'HTTP/1.1 200 OK\r\n\r\n<CiscoIPPhoneError Number="4"/>', False, 4),
        (b"garbage", False, None),
    ],
)
async def test_push_posts_form_with_basic_auth(
    answer: bytes, ok: bool, error: int | None
) -> None:
    seen: list[bytes] = []
    server = await _fake_phone(answer, seen)
    port = server.sockets[0].getsockname()[1]
    xml = p.execute_for("http://h/n?a=1&b=2")
    try:
        result = await p.push("127.0.0.1", port, xml, "u", "pw")
    finally:
        server.close()
        await server.wait_closed()
    assert (result.ok, result.error) == (ok, error)
    head, _, body = seen[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /CGI/Execute HTTP/1.0")
    assert b"Authorization: Basic " + base64.b64encode(b"u:pw") in head
    assert b"Expect" not in head
    assert parse_qs(body.decode())["XML"][0].encode() == xml


async def test_push_unreachable_raises_oserror() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(OSError):
        await p.push("127.0.0.1", port, b"x", "u", "p")


def test_render_files_writes_service_urls_per_phone() -> None:
    settings = ServerSettings(sip_proxy="10.0.0.1")
    old = PhoneConfig(mac="001122334401", model="7960", lines=(Line("100"),))
    new = PhoneConfig(mac="001122334402", model="7970", lines=(Line("200"),))
    urls = ServiceUrls.for_base("http://10.0.0.9:8123/api/cisco_ip_phone/TOKEN")
    plain = render_files(settings, [old, new])
    files = render_files(
        settings,
        [old, new],
        overrides={
            "00:11:22:33:44:01": urls.as_overrides(),
            "001122334402": urls.as_overrides(),
        },
    )
    cnf = files["SIP001122334401.cnf"].content.decode()
    assert f'services_url: "{urls.services}"' in cnf
    assert f'directory_url: "{urls.directory}"' in cnf
    xml = files["SEP001122334402.cnf.xml"].content.decode()
    for tag, url in (
        ("servicesURL", urls.services),
        ("directoryURL", urls.directory),
        ("authenticationURL", urls.authentication),
    ):
        assert f"<{tag}>{url}</{tag}>" in xml
    assert "TOKEN" not in files["SIPDefault.cnf"].content.decode()
    assert "TOKEN" not in files["XMLDefault.cnf.xml"].content.decode()
    assert "TOKEN" not in plain["SIP001122334401.cnf"].content.decode()
