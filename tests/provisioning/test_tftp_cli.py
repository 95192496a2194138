"""The ``tftp`` subcommand, the lag probe and the transfer log line."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import signal
import socket
import threading
import time

import pytest

from custom_components.cisco_ip_phone.provisioning.__main__ import build_parser
from custom_components.cisco_ip_phone.provisioning.cli import tftp as cli
from custom_components.cisco_ip_phone.provisioning.cli.common import listen_address
from custom_components.cisco_ip_phone.provisioning.tftp.events import (
    ContentSource,
    EventKind,
    TransferEvent,
    TransferOutcome,
    format_log_line,
)
from custom_components.cisco_ip_phone.provisioning.tftp.lagprobe import LagProbe
from tests.support.tftp_packets import LOCALHOST, ack, rrq


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def _fetch_then_terminate(port: int, result: dict[str, bytes]) -> None:
    """Retry one small download until the server answers, then SIGTERM it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.2)
            sock.sendto(rrq("hello.txt"), (LOCALHOST, port))
            try:
                packet, peer = sock.recvfrom(1000)
            except TimeoutError:
                continue
            sock.sendto(ack(1), peer)
            result["data"] = packet[4:]
            break
    os.kill(os.getpid(), signal.SIGTERM)


def test_cli_serves_until_sigterm_and_writes_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Hello.TXT").write_bytes(b"hi there")
    stats = tmp_path / "stats.json"
    port = _free_udp_port()
    args = build_parser().parse_args(
        [
            "tftp", "--root", str(tmp_path), "--listen", f"{LOCALHOST}:{port}",
            "--lag-probe", "--stats-out", str(stats), "--verbose",
        ]
    )  # fmt: skip
    result: dict[str, bytes] = {}
    helper = threading.Thread(target=_fetch_then_terminate, args=(port, result))
    helper.start()
    try:
        assert cli.run(args) == 0
    finally:
        helper.join()
    assert result["data"] == b"hi there"
    report = json.loads(stats.read_text())
    assert report["stats"]["completed"] == 1
    assert report["events"] == 2
    assert report["lag"]["samples"] >= 0
    out = capsys.readouterr().out
    assert f"on {LOCALHOST}:{port}" in out
    assert "event-loop lag: p50" in out


def test_cli_reports_bind_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind((LOCALHOST, 0))
        port = busy.getsockname()[1]
        args = build_parser().parse_args(
            ["tftp", "--root", str(tmp_path), "--listen", f"{LOCALHOST}:{port}"]
        )
        assert cli.run(args) == 1
    assert "cannot start TFTP server" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:6969", ("127.0.0.1", 6969)),
        ("[::1]:69", ("::1", 69)),
        (":69", ("0.0.0.0", 69)),
    ],
)
def test_listen_address(text: str, expected: tuple[str, int]) -> None:
    assert listen_address(text) == expected


@pytest.mark.parametrize("text", ["6969", "host:", "host:x", "h:70000"])
def test_listen_address_rejects(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        listen_address(text)


async def test_lag_probe_records_overshoot() -> None:
    probe = LagProbe(interval=0.001)
    assert probe.summary().samples == 0
    assert probe.summary().p99_ms == 0.0
    probe.start()
    while probe.summary().samples < 5:
        time.sleep(0.002)  # block the loop a little: that is the lag measured
        await asyncio.sleep(0.001)
    summary = await probe.stop()
    assert summary.samples >= 5
    assert 0 <= summary.p50_ms <= summary.p99_ms <= summary.max_ms
    assert summary.max_ms > 0
    assert set(summary.as_dict()) == {"samples", "p50_ms", "p99_ms", "max_ms"}
    assert (await probe.stop()).samples == summary.samples


def _event(**changes: object) -> TransferEvent:
    values: dict[str, object] = {
        "kind": EventKind.COMPLETED,
        "client": ("192.0.2.5", 50000),
        "requested_name": "sip001122334455.cnf",
        "resolved_name": "SIP001122334455.cnf",
        "source": ContentSource.GENERATED,
        "digest": "ab",
        "size": 632,
        "bytes_sent": 632,
        "blocks": 2,
        "retransmits": 0,
        "duration": 0.01,
        "outcome": TransferOutcome.OK,
        "error": None,
        "timestamp": 0.0,
    }
    values.update(changes)
    return TransferEvent(**values)  # type: ignore[arg-type]


def test_log_line_matches_the_users_tftp_log() -> None:
    assert format_log_line(_event()) == (
        "<SIP001122334455.cnf>: sent 2 blks, 632 bytes in 0 s. 0 blk resent"
        " (192.0.2.5:50000)"
    )
    assert format_log_line(_event(kind=EventKind.REQUEST, resolved_name=None)) == (
        "<sip001122334455.cnf>: read request from 192.0.2.5:50000"
    )
    failed = _event(
        kind=EventKind.FAILED,
        outcome=TransferOutcome.TIMEOUT,
        error="no answer",
        direction="write",
    )
    assert format_log_line(failed) == (
        "<SIP001122334455.cnf>: received 2 blks, 632 bytes in 0 s. 0 blk resent"
        " [timeout: no answer] (192.0.2.5:50000)"
    )
