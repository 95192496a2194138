#!/usr/bin/env python3
"""Boot a real Home Assistant with this integration and set the server up.

Run in the Python 3.14 environment (``scripts/test`` does, through
``scripts/in-latest``) with the newest installable Home Assistant:

1. start ``hass`` on free loopback ports with a fresh configuration folder
   holding only ``custom_components/cisco_ip_phone`` (a link to this checkout);
2. onboard the owner and get a token (``/api/onboarding/users``,
   ``/auth/token``), as the frontend does;
3. set the server up through the config flow REST API
   (``POST /api/config/config_entries/flow``) and wait for the entry to load;
4. boot a simulated 7960 against it (``tests/support/simphone.py``) and see the
   integration count the phone;
5. stop Home Assistant and fail on any warning or error from the integration
   in its log or output (deprecations included), apart from the one Home
   Assistant logs for every custom integration.

Each wait is bounded; the whole check takes well under two minutes once the
environment exists. Usage: ``check_latest_hass.py [--work DIR]`` (keeps the
configuration folder and the output there). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

DOMAIN = "cisco_ip_phone"
PROJECT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 240.0  # the first start may still install a few packages
STEP_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0
PHONE_MAC = "00:11:22:33:44:55"

# Every custom integration gets this one; it is not about our code.
EXPECTED = re.compile(
    r"We found a custom integration cisco_ip_phone which has not been tested"
)
LEVEL = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) |^\S+:\d+: \w*Warning: ")
OURS = re.compile(r"cisco_ip_phone")


def free_port(kind: socket.SocketKind) -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Api:
    """The few REST calls the check makes."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        form: dict[str, str] | None = None,
    ) -> Any:
        headers = {}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else None


def wait_for(what: str, probe: Any, timeout: float, hass: subprocess.Popen[str]) -> Any:
    """Poll ``probe`` until it returns something true; fail if hass exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hass.poll() is not None:
            raise SystemExit(f"Home Assistant exited ({hass.returncode}) {what}")
        try:
            result = probe()
        except (OSError, urllib.error.URLError, ValueError):
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise SystemExit(f"timed out after {timeout:.0f} s {what}")


def write_config(config: Path, http_port: int) -> None:
    """A minimal configuration: HTTP on loopback, our integration's debug log."""
    (config / "custom_components").mkdir(parents=True)
    (config / "custom_components" / DOMAIN).symlink_to(
        PROJECT / "custom_components" / DOMAIN
    )
    (config / "configuration.yaml").write_text(
        "http:\n"
        "  server_host: 127.0.0.1\n"
        f"  server_port: {http_port}\n"
        "logger:\n"
        "  default: info\n"
        "  logs:\n"
        f"    custom_components.{DOMAIN}: debug\n"
    )


def onboard(api: Api) -> None:
    """Create the owner and log in with the code onboarding hands back."""
    client_id = api.base + "/"
    user = api.call(
        "POST",
        "/api/onboarding/users",
        {
            "client_id": client_id,
            "name": "Check",
            "username": "check",
            "password": "check-password-1",
            "language": "en",
        },
    )
    token = api.call(
        "POST",
        "/auth/token",
        form={
            "grant_type": "authorization_code",
            "code": user["auth_code"],
            "client_id": client_id,
        },
    )
    api.token = token["access_token"]


def set_up_server(api: Api, root: Path) -> tuple[str, int]:
    """Run the server's config flow over REST; return the entry id, TFTP port."""
    flow = api.call(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
    )
    if flow.get("type") != "form" or flow.get("step_id") != "user":
        raise SystemExit(f"unexpected first step: {flow}")
    answer = {
        field["name"]: field["default"]
        for field in flow["data_schema"]
        if "default" in field
    }
    passive = free_port(socket.SOCK_STREAM)
    answer.update(
        root=str(root),
        host="127.0.0.1",
        tftp_port=free_port(socket.SOCK_DGRAM),
        ftp_port=free_port(socket.SOCK_STREAM),
        passive_start=passive,
        passive_end=passive,
        ftp_password="check-ftp-password-2",
    )
    result = api.call(
        "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", answer
    )
    if result.get("type") != "create_entry":
        raise SystemExit(f"the config flow did not create the entry: {result}")
    print(f"config flow: created entry {result['result']['title']!r}")
    return str(result["result"]["entry_id"]), int(answer["tftp_port"])


def entry_state(api: Api, entry_id: str) -> str | None:
    for entry in api.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}"):
        if entry["entry_id"] == entry_id:
            return str(entry["state"])
    return None


def phones_seen(api: Api) -> int:
    for state in api.call("GET", "/api/states"):
        if state["entity_id"].startswith("sensor.") and state["entity_id"].endswith(
            "_phones_seen"
        ):
            try:
                return int(state["state"])
            except ValueError:
                return 0
    return 0


def boot_phone(port: int) -> None:
    """Boot the simulated phone once (it is unknown: discovery, not a register)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.simphone",
            "--server",
            f"127.0.0.1:{port}",
            "--mac",
            PHONE_MAC,
            "--model",
            "7960",
            "--max-reboots",
            "1",
        ],
        cwd=PROJECT,
        check=False,
        timeout=STEP_TIMEOUT,
        stdout=subprocess.DEVNULL,
    )


# A log record starts with its time stamp; a Python warning with its place.
RECORD_START = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\S+:\d+: \w*Warning: )")


def records(text: str) -> list[str]:
    """Split a log into records (a traceback stays with its record)."""
    found: list[list[str]] = []
    for line in text.splitlines():
        if RECORD_START.match(line) or not found:
            found.append([line])
        else:
            found[-1].append(line)
    return ["\n".join(lines) for lines in found]


def our_problems(text: str) -> list[str]:
    """Records at warning level or above that come from or name the integration."""
    found: dict[str, None] = {}  # the console repeats the log file: once each
    for record in records(text):
        if LEVEL.search(record) and OURS.search(record) and not EXPECTED.search(record):
            found[record] = None
    return list(found)


def stop(hass: subprocess.Popen[str]) -> None:
    if hass.poll() is None:
        hass.send_signal(signal.SIGTERM)
        try:
            hass.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            hass.kill()
            hass.wait()
            raise SystemExit("Home Assistant did not stop within a minute") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="keep config and output here")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hass-check-"))
    config = work / "config"
    http_port = free_port(socket.SOCK_STREAM)
    write_config(config, http_port)
    output = work / "output.txt"
    env = {
        **os.environ,
        # Python warnings (deprecations) are printed, so they can be found.
        "PYTHONWARNINGS": "default",
    }
    started = time.monotonic()
    with output.open("w") as out:
        hass = subprocess.Popen(
            # --skip-pip: everything is installed (requirements_latest_hass.txt),
            # so the check needs no network and changes no package.
            [
                sys.executable,
                "-m",
                "homeassistant",
                "--config",
                str(config),
                "--skip-pip",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        try:
            api = Api(f"http://127.0.0.1:{http_port}")
            wait_for(
                "before its API answered",
                lambda: api.call("GET", "/api/onboarding"),
                START_TIMEOUT,
                hass,
            )
            print(f"Home Assistant up in {time.monotonic() - started:.0f} s")
            onboard(api)
            version = api.call("GET", "/api/config")["version"]
            entry_id, port = set_up_server(api, work / "tftp")
            wait_for(
                "before the entry loaded",
                lambda: entry_state(api, entry_id) == "loaded",
                STEP_TIMEOUT,
                hass,
            )
            boot_phone(port)
            seen = wait_for(
                "before the phone was counted",
                lambda: phones_seen(api),
                STEP_TIMEOUT,
                hass,
            )
            print(f"entry loaded; simulated phone served (phones seen: {seen})")
        finally:
            stop(hass)
    log = config / "home-assistant.log"
    text = (log.read_text() if log.exists() else "") + "\n" + output.read_text()
    problems = our_problems(text)
    print(
        f"Home Assistant {version} on Python {sys.version.split()[0]}: "
        f"boot, config flow and shutdown in {time.monotonic() - started:.0f} s"
    )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        print(f"{len(problems)} warning(s)/error(s) from {DOMAIN}:")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"log: no warning or error from {DOMAIN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
