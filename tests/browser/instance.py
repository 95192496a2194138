"""A real Home Assistant process for the browser test, started like scripts/develop.

``scripts/develop`` runs ``python -m homeassistant --config config`` with
``config/custom_components`` linked to this repository. The browser test does
the same with a temporary copy of ``config/configuration.yaml`` on a free
loopback port, so it never touches the developer's ``config/`` (its users,
entries and stored state) and never collides with a running ``scripts/develop``.

``--skip-pip`` keeps Home Assistant offline: everything the frontend needs
(``home-assistant-frontend``) is pinned in requirements_test.txt. The process
gets its own session so teardown can end it with everything it started.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
import contextlib
from dataclasses import dataclass
import os
from pathlib import Path
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0  # seconds until the HTTP server answers
STOP_TIMEOUT = 15.0  # seconds for a clean shutdown before SIGKILL


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port that is free now (TCP by default, UDP for TFTP)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_range(size: int) -> int:
    """The first of ``size`` consecutive free TCP ports (FTP passive range)."""
    for _ in range(50):
        first = random.randrange(40000, 60000 - size)
        try:
            with contextlib.ExitStack() as stack:
                for port in range(first, first + size):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {size} consecutive free ports on 127.0.0.1")


def without_coverage(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment minus pytest-cov's hooks for subprocesses.

    Under ``--cov`` pytest-cov makes every Python subprocess measure itself;
    one started outside the repository (as Home Assistant is, in its temporary
    folder) does not find pyproject.toml, records line instead of branch data
    and the final combine fails. The browser test measures no integration
    code, so its subprocesses run unmeasured (and faster).
    """
    return {
        key: value
        for key, value in environ.items()
        if not key.startswith(("COV_CORE_", "COVERAGE_"))
    }


@dataclass(frozen=True)
class Instance:
    """A running development instance: its URL, config folder and log."""

    url: str
    config: Path
    log: Path
    process: subprocess.Popen[bytes]


def _config_dir(tmp: Path, port: int) -> Path:
    config = tmp / "config"
    config.mkdir()
    text = (REPO / "config" / "configuration.yaml").read_text(encoding="utf-8")
    if "server_port: 8123" not in text:  # the copy must not take 8123
        raise RuntimeError("config/configuration.yaml no longer sets server_port")
    text = text.replace("server_port: 8123", f"server_port: {port}")
    (config / "configuration.yaml").write_text(text, encoding="utf-8")
    (config / "custom_components").symlink_to(REPO / "custom_components")
    return config


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(
                f"Home Assistant exited with {process.returncode}:\n{tail}"
            )
        try:
            with urllib.request.urlopen(url + "/manifest.json", timeout=2):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    raise TimeoutError(f"Home Assistant did not answer on {url} in {START_TIMEOUT} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the process group: SIGTERM (clean HA shutdown), then SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def running_instance(tmp: Path) -> Iterator[Instance]:
    """Start Home Assistant as scripts/develop does; always stop it."""
    port = free_port()
    config = _config_dir(tmp, port)
    log = tmp / "home-assistant.log"
    env = without_coverage(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), env.get("PYTHONPATH", "")) if p
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "homeassistant",
                "--config",
                str(config),
                "--skip-pip",
            ],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(url, process, log)
        yield Instance(url, config, log, process)
    finally:
        stop(process)
