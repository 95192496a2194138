"""SIP NOTIFY check-sync / service-control against a real UDP listener."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
import re
import socket

import pytest

from custom_components.cisco_ip_phone.provisioning.settings.models import SettingsError
from custom_components.cisco_ip_phone.provisioning.sip.notify import (
    MAX_SENDS,
    NotifyResult,
    build_check_sync,
    build_service_control,
    parse_response,
    send_check_sync,
    send_service_control,
)

_REQUEST_LINE = re.compile(r"^NOTIFY sip:(?:([^@\s]+)@)?([^:\s]+):(\d+) SIP/2\.0$")


@dataclass
class Request:
    """A NOTIFY as a phone parses it: strict CRLF framing, checked length."""

    raw: bytes
    user: str | None
    host: str
    port: int
    headers: dict[str, str]
    body: bytes
    source: tuple[str, int]


def parse_request(data: bytes, source: tuple[str, int]) -> Request:
    head, separator, body = data.partition(b"\r\n\r\n")
    assert separator, "no blank line after the headers"
    lines = head.decode("ascii").split("\r\n")
    match = _REQUEST_LINE.match(lines[0])
    assert match, lines[0]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(": ")
        assert colon, f"malformed header {line!r}"
        assert name not in headers, f"duplicate header {name}"
        headers[name] = value
    assert int(headers["Content-Length"]) == len(body)
    return Request(
        data,
        match.group(1),
        match.group(2),
        int(match.group(3)),
        headers,
        body,
        source,
    )


def answer(
    request: Request, status: str = "200 OK", call_id: str | None = None
) -> bytes:
    lines = [
        f"SIP/2.0 {status}",
        f"Via: {request.headers['Via']}",
        f"From: {request.headers['From']}",
        f"To: {request.headers['To']};tag=phone1",
        f"Call-ID: {call_id or request.headers['Call-ID']}",
        f"CSeq: {request.headers['CSeq']}",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


Replies = Callable[[Request, int], list[bytes]]


@dataclass
class FakePhone(asyncio.DatagramProtocol):
    """A phone's SIP port on 127.0.0.1: records requests, answers as told."""

    replies: Replies
    requests: list[Request] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        request = parse_request(data, addr)
        self.requests.append(request)
        assert self.transport is not None
        for reply in self.replies(request, len(self.requests)):
            self.transport.sendto(reply, addr)

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])


@pytest.fixture
async def start_phone() -> AsyncIterator[
    Callable[[Replies], asyncio.Future[FakePhone]]
]:
    loop = asyncio.get_running_loop()
    transports: list[asyncio.BaseTransport] = []

    async def start(replies: Replies) -> FakePhone:
        transport, phone = await loop.create_datagram_endpoint(
            lambda: FakePhone(replies), local_addr=("127.0.0.1", 0)
        )
        transports.append(transport)
        return phone

    yield start  # type: ignore[misc]
    for transport in transports:
        transport.close()
    await asyncio.sleep(0)


def ok(request: Request, count: int) -> list[bytes]:
    return [answer(request)]


def silent(request: Request, count: int) -> list[bytes]:
    return []


# ------------------------------------------------------------------ building


def test_check_sync_has_exactly_the_reference_layout() -> None:
    message = build_check_sync(
        "192.168.1.50",
        user="1001",
        local_host="192.168.1.2",
        local_port=5070,
        call_id="abc@192.168.1.2",
        branch="1234",
        tag="99",
    )
    assert message == (
        b"NOTIFY sip:1001@192.168.1.50:5060 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.168.1.2:5070;branch=z9hG4bK1234\r\n"
        b"Max-Forwards: 70\r\n"
        b"From: <sip:provisioner@192.168.1.2>;tag=99\r\n"
        b"To: <sip:1001@192.168.1.50>\r\n"
        b"Call-ID: abc@192.168.1.2\r\n"
        b"CSeq: 1 NOTIFY\r\n"
        b"Contact: <sip:provisioner@192.168.1.2:5070>\r\n"
        b"Event: check-sync\r\n"
        b"Subscription-State: active\r\n"
        b"Content-Length: 0\r\n"
        b"\r\n"
    )


def test_ids_are_random_each_time() -> None:
    def ids(message: bytes) -> tuple[str, ...]:
        text = message.decode()
        return tuple(
            re.search(pattern, text).group(1)  # type: ignore[union-attr]
            for pattern in (r"branch=(z9hG4bK\w+)", r"tag=(\w+)", r"Call-ID: (\S+)")
        )

    first = ids(build_check_sync("10.0.0.5", user="x", local_host="10.0.0.1"))
    second = ids(build_check_sync("10.0.0.5", user="x", local_host="10.0.0.1"))
    assert all(a != b for a, b in zip(first, second, strict=True))
    assert first[0].startswith("z9hG4bK")
    assert len(first[0]) > len("z9hG4bK") + 8
    assert first[2].endswith("@10.0.0.1")


def test_check_sync_to_a_host_name() -> None:
    message = build_check_sync("phone.lan", port=5062, user="1001", local_host="ha")
    request = parse_request(message, ("0.0.0.0", 0))
    assert (request.user, request.host, request.port) == ("1001", "phone.lan", 5062)
    assert request.headers["To"] == "<sip:1001@phone.lan>"


def test_a_notify_without_a_user_is_refused() -> None:
    """Issue #13 item 4: the phone answers 400 to an empty To user, 404 to a
    Request-URI user that is not its line 1 (sipcc), so none is sent."""
    with pytest.raises(SettingsError, match="line 1 name") as caught:
        build_check_sync("phone.lan", user="", local_host="ha.lan")
    assert caught.value.field == "user"


def test_service_control_layout() -> None:
    message = build_service_control(
        "10.0.0.5",
        action="restart",
        user="1001",
        local_host="10.0.0.1",
        register_call_id="00112233-4455@10.0.0.5",
    )
    request = parse_request(message, ("0.0.0.0", 0))
    assert request.headers["Event"] == "service-control"
    assert request.headers["Subscription-State"] == "active"
    assert request.headers["Content-Type"] == "text/plain"
    assert request.body.decode().split("\r\n") == [
        "action=restart",
        "RegisterCallId={00112233-4455@10.0.0.5}",
        "ConfigVersionStamp={00000000-0000-0000-0000-000000000000}",
        "DialplanVersionStamp={00000000-0000-0000-0000-000000000000}",
        "SoftkeyVersionStamp={00000000-0000-0000-0000-000000000000}",
        "",
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"host": "10.0.0.5\r\nX-Evil: 1"}, "host"),
        ({"host": "10.0.0.5 "}, "host"),
        ({"host": ""}, "host"),
        ({"host": "a b"}, "host"),
        ({"user": "1001\r\nEvent: reboot"}, "user"),
        ({"user": "10 01"}, "user"),
        ({"user": "a@b"}, "user"),
        ({"user": "<1001>"}, "user"),
        ({"user": 1001}, "user"),
        ({"local_host": "10.0.0.1\n"}, "local_host"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"port": True}, "port"),
        ({"local_port": -1}, "local_port"),
        ({"call_id": "abc\r\nVia: x"}, "call_id"),
        ({"branch": "a b"}, "branch"),
        ({"tag": "x;y"}, "tag"),
    ],
)
def test_header_injection_is_refused(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {
        "host": "10.0.0.5",
        "user": "1001",
        "local_host": "10.0.0.1",
    }
    arguments.update(kwargs)
    with pytest.raises(SettingsError) as caught:
        build_check_sync(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"action": "reboot"}, "action"),
        ({"register_call_id": "x}\r\nEvil: 1"}, "register_call_id"),
        ({"register_call_id": "a b"}, "register_call_id"),
    ],
)
def test_service_control_input_is_checked(
    kwargs: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {
        "action": "reset",
        "user": "1001",
        "local_host": "10.0.0.1",
    }
    arguments.update(kwargs)
    with pytest.raises(SettingsError) as caught:
        build_service_control("10.0.0.5", **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


# ------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"SIP/2.0 200 OK\r\nCall-ID: a@b\r\n\r\n", (200, "OK", "a@b")),
        (b"SIP/2.0 489 Bad Event\ni: x@y\n\nbody", (489, "Bad Event", "x@y")),
        (b"SIP/2.0 100\r\n\r\n", (100, "", None)),
        (b"SIP/2.0 200 OK\r\nnot a header\r\nCall-ID: z\r\n", (200, "OK", "z")),
    ],
)
def test_parse_response(data: bytes, expected: tuple[int, str, str | None]) -> None:
    response = parse_response(data)
    assert response is not None
    assert (response.status, response.reason, response.headers.get("call-id")) == (
        expected
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\xff garbage",
        b"NOTIFY sip:x SIP/2.0\r\n\r\n",
        b"SIP/2.0 99 Low\r\n",
        b"HTTP/1.1 200 OK",
    ],
)
def test_parse_response_rejects_non_responses(data: bytes) -> None:
    assert parse_response(data) is None


# ------------------------------------------------------------------- sending


async def test_check_sync_is_answered(start_phone: Callable[..., object]) -> None:
    phone: FakePhone = await start_phone(ok)  # type: ignore[misc]
    result = await send_check_sync("127.0.0.1", port=phone.port, user="1001")
    assert result == NotifyResult(200, "OK", 1)
    assert result.accepted
    (request,) = phone.requests
    assert (request.user, request.host, request.port) == (
        "1001",
        "127.0.0.1",
        phone.port,
    )
    headers = request.headers
    assert headers["Event"] == "check-sync"
    assert headers["Max-Forwards"] == "70"
    assert headers["CSeq"] == "1 NOTIFY"
    assert headers["Content-Length"] == "0"
    assert headers["Call-ID"].endswith("@127.0.0.1")
    # Via and Contact name the address and port the phone must answer to.
    source = f"{request.source[0]}:{request.source[1]}"
    assert headers["Via"].startswith(f"SIP/2.0/UDP {source};branch=z9hG4bK")
    assert headers["Contact"] == f"<sip:provisioner@{source}>"
    assert re.fullmatch(r"<sip:provisioner@127\.0\.0\.1>;tag=\w+", headers["From"])


async def test_explicit_local_host(start_phone: Callable[..., object]) -> None:
    phone: FakePhone = await start_phone(ok)  # type: ignore[misc]
    result = await send_check_sync(
        "127.0.0.1", port=phone.port, user="1001", local_host="127.0.0.1"
    )
    assert result.status == 200


async def test_no_answer(start_phone: Callable[..., object]) -> None:
    phone: FakePhone = await start_phone(silent)  # type: ignore[misc]
    result = await send_check_sync("127.0.0.1", port=phone.port, user="1", timeout=0.2)
    assert result.status is None
    assert result.reason == "no answer within 0.2 s"
    assert not result.accepted
    assert result.attempts == len(phone.requests) >= 1


async def test_garbage_answer_is_ignored(start_phone: Callable[..., object]) -> None:
    def garbage(request: Request, count: int) -> list[bytes]:
        return [b"\x00\x01 not sip", answer(request, call_id="other@1.2.3.4")]

    phone: FakePhone = await start_phone(garbage)  # type: ignore[misc]
    result = await send_check_sync("127.0.0.1", port=phone.port, user="1", timeout=0.2)
    assert result.status is None
    assert "unrelated or unparseable datagrams ignored" in result.reason


async def test_garbage_then_real_answer(start_phone: Callable[..., object]) -> None:
    def mixed(request: Request, count: int) -> list[bytes]:
        cseq = request.headers["CSeq"]
        wrong_method = answer(request).replace(cseq.encode(), b"1 INVITE")
        return [b"junk", wrong_method, answer(request, "202 Accepted")]

    phone: FakePhone = await start_phone(mixed)  # type: ignore[misc]
    result = await send_check_sync("127.0.0.1", port=phone.port, user="1", timeout=30)
    assert (result.status, result.reason) == (202, "Accepted")


async def test_retransmits_until_answered(start_phone: Callable[..., object]) -> None:
    def third(request: Request, count: int) -> list[bytes]:
        return [answer(request)] if count == 3 else []

    phone: FakePhone = await start_phone(third)  # type: ignore[misc]
    result = await send_check_sync(
        "127.0.0.1", port=phone.port, user="1", timeout=30, t1=0.02
    )
    assert result == NotifyResult(200, "OK", 3)
    assert len(phone.requests) == 3
    # A retransmission is the same request: same branch, Call-ID and bytes.
    assert len({request.raw for request in phone.requests}) == 1


async def test_retransmissions_are_bounded(start_phone: Callable[..., object]) -> None:
    phone: FakePhone = await start_phone(silent)  # type: ignore[misc]
    result = await send_check_sync(
        "127.0.0.1", port=phone.port, user="1", timeout=1.5, t1=0.002
    )
    assert result.status is None
    assert result.attempts == MAX_SENDS
    assert len(phone.requests) == MAX_SENDS


async def test_provisional_then_final(start_phone: Callable[..., object]) -> None:
    def trying(request: Request, count: int) -> list[bytes]:
        return [answer(request, "100 Trying")] + (
            [answer(request)] if count == 2 else []
        )

    phone: FakePhone = await start_phone(trying)  # type: ignore[misc]
    result = await send_check_sync(
        "127.0.0.1", port=phone.port, user="1", timeout=30, t1=0.01
    )
    # The final answer comes with the second request; on a loaded machine a
    # third retransmit may leave before it arrives, so only the order counts.
    assert (result.status, result.reason) == (200, "OK")
    assert 2 <= result.attempts <= len(phone.requests)


async def test_provisional_only(start_phone: Callable[..., object]) -> None:
    def trying(request: Request, count: int) -> list[bytes]:
        return [answer(request, "100 Trying")]

    phone: FakePhone = await start_phone(trying)  # type: ignore[misc]
    result = await send_check_sync("127.0.0.1", port=phone.port, user="1", timeout=0.2)
    assert (result.status, result.reason, result.accepted) == (100, "Trying", False)


async def test_error_status_is_reported(start_phone: Callable[..., object]) -> None:
    def bad_event(request: Request, count: int) -> list[bytes]:
        return [answer(request, "489 Bad Event")]

    phone: FakePhone = await start_phone(bad_event)  # type: ignore[misc]
    result = await send_check_sync("127.0.0.1", port=phone.port, user="1")
    assert (result.status, result.reason, result.accepted) == (489, "Bad Event", False)


async def test_answers_from_another_address_are_ignored(
    start_phone: Callable[..., object],
) -> None:
    impostor = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    impostor.bind(("127.0.0.2", 0))

    def spoofed(request: Request, count: int) -> list[bytes]:
        impostor.sendto(answer(request, "486 Busy Here"), request.source)
        return [answer(request)] if count == 2 else []

    try:
        phone: FakePhone = await start_phone(spoofed)  # type: ignore[misc]
        result = await send_check_sync(
            "127.0.0.1", port=phone.port, user="1", timeout=30, t1=0.05
        )
    finally:
        impostor.close()
    assert result.status == 200


async def test_flood_of_datagrams_does_not_hide_the_answer(
    start_phone: Callable[..., object],
) -> None:
    def flood(request: Request, count: int) -> list[bytes]:
        return [b"x" * 10] * 200 + [answer(request)]

    phone: FakePhone = await start_phone(flood)  # type: ignore[misc]
    result = await send_check_sync(
        "127.0.0.1", port=phone.port, user="1", timeout=30, t1=0.02
    )
    assert result.status == 200


async def test_service_control_is_answered(start_phone: Callable[..., object]) -> None:
    phone: FakePhone = await start_phone(ok)  # type: ignore[misc]
    result = await send_service_control(
        "127.0.0.1",
        action="reset",
        port=phone.port,
        user="1001",
        register_call_id="reg-1@127.0.0.1",
    )
    assert result.status == 200
    (request,) = phone.requests
    assert request.headers["Event"] == "service-control"
    assert request.body.startswith(b"action=reset\r\nRegisterCallId={reg-1@127.0.0.1}")


async def test_cannot_bind_the_local_address_is_reported() -> None:
    result = await send_check_sync("127.0.0.1", user="1", local_host="192.0.2.1")
    assert result.status is None
    assert result.attempts == 0
    assert result.reason.startswith("cannot reach 127.0.0.1:5060: ")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": "2"}, "timeout"),
        ({"t1": 0}, "t1"),
        ({"host": "x\r\ny"}, "host"),
        ({"local_host": "bad host"}, "local_host"),
        ({"port": 0}, "port"),
        ({"user": "a b"}, "user"),
    ],
)
async def test_send_validates_before_opening_a_socket(
    kwargs: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {"host": "127.0.0.1", "user": "1"}
    arguments.update(kwargs)
    host = arguments.pop("host")
    with pytest.raises(SettingsError) as caught:
        await send_check_sync(host, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


async def test_send_service_control_validates_action() -> None:
    with pytest.raises(SettingsError, match="not 'restart' or 'reset'"):
        await send_service_control("127.0.0.1", action="halt", user="1")  # type: ignore[arg-type]


async def test_send_errors_are_kept_for_the_reason() -> None:
    # Broadcast without SO_BROADCAST: the kernel refuses every send.
    result = await send_check_sync(
        "255.255.255.255", user="1", local_host="127.0.0.1", timeout=0.2
    )
    assert result.status is None
    assert result.reason.startswith("no answer within 0.2 s (last error: ")
