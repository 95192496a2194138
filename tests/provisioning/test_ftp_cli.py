"""The standalone ``ftp`` command the benchmarks use."""

from __future__ import annotations

import argparse
import ftplib
import io
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from custom_components.cisco_ip_phone.provisioning.cli import ftp as cli_ftp

USER, PASSWORD = "bench", "bench-pw"
REPO = Path(__file__).parents[2]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command", required=True)
    cli_ftp.register(subparsers)
    return parser.parse_args(["ftp", *argv])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        parse(
            ["--root", str(tmp_path), "--user", "u", "--password", "p", "--listen", "x"]
        )
    with pytest.raises(SystemExit):
        parse(
            [
                "--root",
                str(tmp_path),
                "--user",
                "u",
                "--password",
                "p",
                "--passive-ports",
                "40000",
            ]
        )


def test_bad_setting_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(["--root", str(tmp_path), "--user", "anonymous", "--password", "p"])
    assert args.run(args) == 2
    assert "users" in capsys.readouterr().err


def test_port_in_use_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = parse(
            [
                "--root",
                str(tmp_path),
                "--user",
                "u",
                "--password",
                "p",
                "--listen",
                f"127.0.0.1:{port}",
            ]
        )
        assert args.run(args) == 1
    assert "in_use" in capsys.readouterr().err


def test_serves_until_sigterm_and_writes_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    stats = tmp_path / "stats.json"
    port = free_port()
    monkeypatch.setenv("FTP_TEST_PW", PASSWORD)
    args = parse(
        [
            "--root",
            str(root),
            "--user",
            USER,
            "--password-env",
            "FTP_TEST_PW",
            "--listen",
            f"127.0.0.1:{port}",
            "--passive-ports",
            "40000-40999",
            "--allow-delete",
            "--lag-probe",
            "--stats-out",
            str(stats),
            "-v",
            "--with-tftp",
            "127.0.0.1:0",
        ]
    )
    before = signal.getsignal(signal.SIGTERM)
    outcome: dict[str, object] = {}

    def client() -> None:
        deadline = time.monotonic() + 20
        # Wait until the command has installed its SIGTERM handler.
        while signal.getsignal(signal.SIGTERM) is before:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        try:
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", port, timeout=10)
            ftp.login(USER, PASSWORD)
            outcome["reply"] = ftp.storbinary("STOR a.bin", io.BytesIO(b"abc"))
            ftp.quit()
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=client)
    helper.start()
    try:
        code = args.run(args)
    finally:
        helper.join(30)
    assert code == 0
    assert str(outcome["reply"]).startswith("226")
    assert (root / "a.bin").read_bytes() == b"abc"
    report = json.loads(stats.read_text())
    assert report["stats"]["uploads"] == 1
    assert report["events"] == {"upload_completed": 1}
    assert report["lag"]["samples"] >= 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_module_entry_point_runs_the_server(tmp_path: Path) -> None:
    """``python -m ...provisioning ftp`` as the benchmarks start it."""
    root = tmp_path / "root"
    root.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "custom_components.cisco_ip_phone.provisioning",
            "ftp",
            "--root",
            str(root),
            "--listen",
            f"127.0.0.1:{port}",
            "--user",
            USER,
            "--password",
            PASSWORD,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "FTP accepting uploads" in line, (
            proc.stderr.read() if proc.stderr else ""
        )
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", port, timeout=10)
        ftp.login(USER, PASSWORD)
        ftp.storbinary("STOR b.bin", io.BytesIO(b"xyz"))
        ftp.quit()
    finally:
        proc.terminate()
        code = proc.wait(30)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert code == 0
    assert (root / "b.bin").read_bytes() == b"xyz"
