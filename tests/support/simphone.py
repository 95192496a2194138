"""A simulated Cisco 7940/7960: a real TFTP and SIP peer on loopback.

A physical 79xx cannot exist in a test run, so this module plays one, as
faithfully as the reference allows (cisco79xx.md §1.2-§1.5, §3.4, §4.1, §7.1):

* old images (SCCP <= 5.x, SIP <= 6.x) read ``OS79XX.TXT`` and ignore it
  when its first four characters match their own image (``P0S3`` on SIP,
  MATRIX; so a SIP phone only leaves through the loader ``P003-…``);
  SCCP 3.x refuses to go beyond SIP 6.3 / SCCP 5.x ("Load ID Incorrect",
  the user's notes);
* the universal application loader hunts ``CTLSEP<MAC>.tlv``,
  ``SEP<MAC>.cnf.xml`` (stops there when found, LOG-TEO), ``SIP<MAC>.cnf``
  (stops when it names an image, the user's log), ``MGC<MAC>.cnf``,
  ``XMLDefault.cnf.xml``, then checks ``<image>.loads`` and downloads the
  loader (reboot) and the application (reboot) it names;
* the SIP application fetches ``SIPDefault.cnf``, ``<tftp_cfg_dir>SIP<MAC>.cnf``,
  then ``RINGLIST.DAT`` and ``<dial_template>.xml`` in parallel;
* a check-sync NOTIFY is answered ``200 OK``; after the idle delay the phone
  fetches ``syncinfo.xml`` and ``dialplan.xml`` and reboots only when the SYNC
  for its image differs from its ``sync`` value;
* a 79x1-class phone (7941/7961/7970/7975 on ``SIP41.…``/``SIP70.…``) reads
  ``SEP<MAC>.cnf.xml`` only, ignores check-sync and restarts on a
  service-control NOTIFY that passes Cisco's checks (``tests.support.simphone_sip``);
* every phone answers OPTIONS with ``Server: Cisco-CP<model>G…/<version>``.

It parses what it downloads with its own small parsers, independent of the
engine's, so a test that passes means two implementations agree.

Command line: ``python -m tests.support.simphone --server 127.0.0.1:6969 --mac
00:11:22:33:44:55`` boots once and prints each request like a TFTP log.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
import re
import sys
import time
import uuid
from xml.etree import ElementTree

from tests.support.cnf_reader import parse_cnf
from tests.support.simphone_sip import SipListener
from tests.support.simphone_tftp import TftpResult, tftp_read
from tests.support.simphone_web import serve

MODEL_IDS: Mapping[str, int] = {"7960": 7, "7940": 8}
# 79x1-class models and their device-type numbers (xml_elements.md §5).
JAVA_MODEL_IDS: Mapping[str, int] = {
    "7941": 115,
    "7961": 30018,
    "7970": 30006,
    "7975": 437,
}
_GIGABIT = frozenset({"7941", "7961"})  # UA token CP79x1G-GE (SIPCC-CONST)
_JAVA_LOAD = re.compile(r"^SIP\d\d\.(\d+)-(\d+)-(\d+)", re.IGNORECASE)


class PhoneState(StrEnum):
    """Where a boot ended, as the handset would show it."""

    OFF = "off"
    REGISTERED = "registered"  # lines and proxy configured: it would REGISTER
    UNPROVISIONED = "unprovisioned"  # W362 No Valid Line Names Provisioned
    SCCP_RUNNING = "sccp_running"
    FIRMWARE_ERROR = "firmware_error"  # an image file is missing or broken
    LOAD_ID_INCORRECT = "load_id_incorrect"  # the hop is too far for its loader
    TFTP_ERROR = "tftp_error"  # "TFTP timeout": no server answered
    REBOOT_LIMIT = "reboot_limit"  # kept rebooting: a loop between files


@dataclass(frozen=True, slots=True)
class PhoneTimings:
    """Delays of a real 7960 (reference §7.1), and a fast set for tests."""

    rrq_timeout: float = 4.0
    rrq_retries: int = 5
    app_start_delay: float = 23.0  # from the image check to SIPDefault.cnf
    reboot_delay: float = 26.0  # from the end of a download to the next hunt
    sync_idle_delay: float = 20.0  # check-sync: wait until idle for 20 s

    @classmethod
    def real(cls) -> PhoneTimings:
        """Return the timings seen in the logs."""
        return cls()

    @classmethod
    def fast(cls) -> PhoneTimings:
        """Return timings for tests: same order of events, no waiting."""
        return cls(
            rrq_timeout=0.5,
            rrq_retries=3,
            app_start_delay=0.0,
            reboot_delay=0.0,
            sync_idle_delay=0.05,
        )


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One file the phone asked for, as a TFTP server log would list it."""

    name: str
    outcome: str
    size: int
    port: int
    blocks: int
    retransmits: int
    at: float
    duration: float
    client_ip: str = "127.0.0.1"

    def log_lines(self) -> list[str]:
        """Render like the user's TFTP server log (seed notes)."""
        stamp = datetime.fromtimestamp(self.at).strftime("%d/%m %H:%M:%S.%f")[:-3]
        lines = [
            f"Connection received from {self.client_ip} on port {self.port} [{stamp}]",
            f"Read request for file <{self.name}>. Mode octet [{stamp}]",
        ]
        if self.outcome == "ok":
            plural = "blk" if self.blocks == 1 else "blks"
            lines.append(
                f"<{self.name}>: received {self.blocks} {plural}, {self.size} bytes "
                f"in {self.duration:.0f} s. {self.retransmits} blk resent [{stamp}]"
            )
        else:
            lines.append(f"File <{self.name}> : {self.outcome} [{stamp}]")
        return lines


@dataclass(slots=True)
class BootReport:
    """What one power-on did: every request, the reboots, where it ended."""

    requests: list[RequestRecord] = field(default_factory=list)
    state: PhoneState = PhoneState.OFF
    firmware: str = ""
    reboots: int = 0
    error: str | None = None

    @property
    def names(self) -> list[str]:
        """Return the requested names, in order."""
        return [record.name for record in self.requests]


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a check-sync NOTIFY made the phone do."""

    fetched: list[str]
    rebooted: bool
    boot: BootReport | None


@dataclass(frozen=True, slots=True)
class Image:
    """What the phone's firmware needs to know about an image name."""

    name: str
    protocol: str  # "sip", "sccp", "mgcp", "loader"
    major: int
    minor: int


_DASHED = re.compile(r"^P0([0SM])3-(\d{1,2})-(\d{1,2})-(\d{1,2})", re.IGNORECASE)
_SCCP_LONG = re.compile(r"^P003(\d{2})(\d{2})", re.IGNORECASE)
_EIGHT_THREE = re.compile(r"^P0([0SM])3(\d{2})(\d{2})$", re.IGNORECASE)
_PROTOCOLS = {"0": "sccp", "s": "sip", "m": "mgcp"}


def parse_image(name: str) -> Image:
    """Decode ``P0S3-8-12-00``, ``P00303020214``, ``P0S30203`` (ref. §3.1)."""
    if match := _DASHED.match(name):
        protocol = _PROTOCOLS[match[1].lower()]
        if protocol == "sccp":
            protocol = "loader"  # P003-xx-y-zz: the universal application loader
        return Image(name, protocol, int(match[2]), int(match[3]))
    if match := _SCCP_LONG.match(name):
        return Image(name, "sccp", int(match[1]), int(match[2]))
    if match := _EIGHT_THREE.match(name):
        return Image(name, _PROTOCOLS[match[1].lower()], int(match[2]), int(match[3]))
    raise ValueError(f"not a 79x0 image name: {name!r}")


def uses_universal_loader(image: Image) -> bool:
    """Tell whether an image boots through the loader hunt (SIP >= 7, SCCP >= 6)."""
    if image.protocol in ("sip", "mgcp"):
        return image.major >= 7
    if image.protocol == "sccp":
        return image.major >= 6
    return True


def parse_load_information(data: bytes, model_id: int) -> tuple[str, str] | None:
    """Return (protocol, image) named by a SEP/XMLDefault file, or None."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
    protocol = (root.findtext("deviceProtocol") or "").strip().lower()
    for tag in (f"loadInformation{model_id}", "loadInformation"):
        element = root.find(f".//{tag}")
        if element is not None and (element.text or "").strip():
            return protocol, (element.text or "").strip()
    return None


def parse_loads(data: bytes) -> tuple[str | None, str | None]:
    """Return the loader and application names listed in a ``.loads`` file."""
    names = [m.decode() for m in re.findall(rb"[\w.-]+\.sb[n2]", data)]
    loader = next((n[: -len(".sbn")] for n in names if n.endswith(".sbn")), None)
    app = next((n[: -len(".sb2")] for n in names if n.endswith(".sb2")), None)
    return loader, app


def parse_syncinfo(data: bytes) -> dict[str, str]:
    """Return image -> SYNC from ``syncinfo.xml`` (``*`` allowed)."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return {}
    return {
        element.get("VERSION", ""): element.get("SYNC", "")
        for element in root.iter("IMAGE")
        if element.get("VERSION")
    }


class _Reboot(Exception):  # noqa: N818 - control flow, not an error
    """The phone restarts (after a download, or to apply image_version)."""


class _Stop(Exception):  # noqa: N818
    """The boot ends in ``state`` (steady or failed)."""

    def __init__(self, state: PhoneState, error: str | None = None) -> None:
        super().__init__(state)
        self.state = state
        self.error = error


class SimulatedPhone:
    """One Cisco 7940/7960 with a flash (firmware, loader, sync) and a network."""

    def __init__(
        self,
        mac: str,
        *,
        model: str = "7960",
        firmware: str = "P0S3-8-12-00",
        server: tuple[str, int] = ("127.0.0.1", 69),
        timings: PhoneTimings | None = None,
        sip_port: int = 0,
        max_reboots: int = 6,
        on_request: asyncio.Queue[RequestRecord] | None = None,
    ) -> None:
        self.mac = re.sub(r"[^0-9A-Fa-f]", "", mac).upper()
        if len(self.mac) != 12:
            raise ValueError(f"not a MAC address: {mac!r}")
        if model not in MODEL_IDS and model not in JAVA_MODEL_IDS:
            raise ValueError(
                f"only 7940/7960 and 7941/7961/7970/7975 are simulated, not {model!r}"
            )
        self.java = model in JAVA_MODEL_IDS
        if self.java:
            if not _JAVA_LOAD.match(firmware):
                raise ValueError(f"not a 79x1-class SIP image: {firmware!r}")
            self.loader: str | None = None
        else:
            image = parse_image(firmware)
            # A phone on a universal-loader image also has that loader in flash.
            self.loader = (
                "P003" + firmware[4:] if uses_universal_loader(image) else None
            )
        self.model = model
        self.firmware = firmware
        # Set when a configuration names line 1 (the NOTIFY user it accepts).
        self.line1_name: str | None = None
        self.ccm_mode = False  # 79x1 class: line 1's proxy is USECALLMANAGER
        self.register_call_id = ""
        self.sync = "1"
        self.server = server
        self.timings = timings or PhoneTimings.fast()
        self.max_reboots = max_reboots
        self.state = PhoneState.OFF
        self.config: dict[str, str] = {}
        self.sync_reports: asyncio.Queue[SyncReport] = asyncio.Queue()
        self._on_request = on_request
        self._sip_port_wanted = sip_port
        self._sip: asyncio.DatagramTransport | None = None
        self.sip_stack: SipListener | None = None
        self._web: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._report = BootReport()

    # -- public API ----------------------------------------------------------

    @property
    def sip_port(self) -> int:
        """Return the UDP port the phone's SIP stack listens on."""
        if self._sip is None:
            raise RuntimeError("call start_sip() first")
        return int(self._sip.get_extra_info("sockname")[1])

    async def boot(self) -> BootReport:
        """Power the phone on and run until it settles, fails or loops."""
        report = self._report = BootReport()
        while True:
            try:
                await self._one_boot()
            except _Reboot:
                report.reboots += 1
                if report.reboots > self.max_reboots:
                    self._finish(PhoneState.REBOOT_LIMIT, "kept rebooting")
                    break
                await asyncio.sleep(self.timings.reboot_delay)
                continue
            except _Stop as stop:
                self._finish(stop.state, stop.error)
            break
        report.firmware = self.firmware
        return report

    @property
    def server_header(self) -> str:
        """Return its ``Server``/``User-Agent`` (research/13 phone_identity a.1)."""
        if self.java:
            match = _JAVA_LOAD.match(self.firmware)
            assert match is not None
            version = ".".join(match.groups())
            suffix = "-GE" if self.model in _GIGABIT else ""
            return f"Cisco-CP{self.model}G{suffix}/{version}"
        image = parse_image(self.firmware)
        version = "8.0" if image.major == 8 else f"{image.major}.{image.minor}"
        return f"Cisco-CP{self.model}G/{version}"

    async def start_sip(self) -> None:
        """Listen for SIP on UDP (NOTIFY, OPTIONS) at 127.0.0.1:sip_port."""
        loop = asyncio.get_running_loop()
        self._sip, self.sip_stack = await loop.create_datagram_endpoint(
            lambda: SipListener(self),
            local_addr=(self.server[0], self._sip_port_wanted),
        )

    async def start_web(self) -> int:
        """Start its web server (device-information page); return the port."""
        self._web = await serve(self, self.server[0])
        return int(self._web.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Close the SIP socket and web server; wait for check-sync work to end."""
        if self._web is not None:
            self._web.close()
            await self._web.wait_closed()
            self._web = None
        if self._sip is not None:
            self._sip.close()
            self._sip = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- one boot --------------------------------------------------------------

    def _finish(self, state: PhoneState, error: str | None) -> None:
        self.state = self._report.state = state
        self._report.error = error

    async def _fetch(self, name: str) -> TftpResult:
        result = await tftp_read(
            self.server,
            name,
            timeout=self.timings.rrq_timeout,
            retries=self.timings.rrq_retries,
        )
        record = RequestRecord(
            name,
            result.outcome,
            len(result.data),
            result.port,
            result.blocks,
            result.retransmits,
            time.time(),
            result.duration,
            self.server[0],  # the client binds on the server's side of loopback
        )
        self._report.requests.append(record)
        if self._on_request is not None:
            self._on_request.put_nowait(record)
        if result.outcome == "timeout":
            raise _Stop(PhoneState.TFTP_ERROR, f"TFTP timeout on {name}")
        return result

    async def _one_boot(self) -> None:
        if self.java:
            await self._java_boot()
            return
        image = parse_image(self.firmware)
        if self.loader is None and not uses_universal_loader(image):
            await self._old_image_boot(image)
        else:
            await self._loader_hunt()
        current = parse_image(self.firmware)
        if current.protocol == "sip":
            await self._sip_application(current)
        else:
            await self._sccp_application()

    async def _old_image_boot(self, image: Image) -> None:
        """SIP <= 6.x / SCCP <= 5.x: OS79XX.TXT decides (reference §1.2)."""
        result = await self._fetch("OS79XX.TXT")
        if not result.ok:
            return
        # Only the line break is dropped: a trailing space stays part of the
        # name, as on real phones (CSCdv19260, reference §2.1).
        target = result.data.decode("latin-1").split("\n", 1)[0].rstrip("\r")
        if target[:4].upper() == self.firmware[:4].upper():
            return  # MATRIX: same first four characters, no protocol switch
        if target:
            await self._old_image_load(image, target)

    async def _old_image_load(self, image: Image, target: str) -> None:
        """Load what OS79XX.TXT or image_version names (reference §1.2, §3.4)."""
        try:
            wanted: Image | None = parse_image(target.strip())
        except ValueError:
            wanted = None
        same_family = target[:4].upper() == self.firmware[:4].upper()
        if wanted and same_family and _version(wanted) <= _version(image):
            return  # same protocol, not newer: keep running
        signed = image.major >= 5  # signed images cannot go back to .bin
        loader = wanted is not None and wanted.protocol == "loader"
        name = target + (".sbn" if loader and signed else ".bin")
        result = await self._fetch(name)
        if not result.ok and wanted and not loader and 5 <= wanted.major <= 6:
            name, result = await self._old_loads(target)  # 6.x: .loads/.sb2
        if not result.ok:
            raise _Stop(PhoneState.FIRMWARE_ERROR, f"{name}: {result.outcome}")
        if wanted is None or not result.data:
            raise _Stop(PhoneState.FIRMWARE_ERROR, f"{name} is not an image")
        too_old = image.protocol == "sccp" and image.major < 5
        if too_old and not _reachable_from_sccp3(wanted):
            raise _Stop(
                PhoneState.LOAD_ID_INCORRECT,
                f"{target} cannot be loaded from {self.firmware}: go through "
                "SIP 6.3 or SCCP 5.x first",
            )
        if loader:
            self.loader = target
        else:
            self.firmware = target
        raise _Reboot

    async def _old_loads(self, target: str) -> tuple[str, TftpResult]:
        """Fetch a 6.x image shipped as ``.loads`` + ``.sb2`` instead of ``.bin``."""
        name = f"{target}.loads"
        loads = await self._fetch(name)
        if not loads.ok:
            return name, loads
        _, app = parse_loads(loads.data)
        if app is None:
            return name, TftpResult(name, "error", b"", loads.port, 0, 0, 0.0)
        app_name = f"{app}.sb2"
        return app_name, await self._fetch(app_name)

    async def _loader_hunt(self) -> None:
        """Universal application loader (reference §1.3)."""
        await self._fetch(f"CTLSEP{self.mac}.tlv")
        target = await self._hunt_target()
        if target is None:
            return
        loads = await self._fetch(f"{target}.loads")
        if not loads.ok and target == self.firmware:
            # Already running the named image: a phone boots what its flash
            # holds when the server lacks the image files (reference §6,
            # "Image never changes"; LOG-TEO checks the .loads of a current
            # image and then starts the application).
            return
        if not loads.ok:
            raise _Stop(PhoneState.FIRMWARE_ERROR, f"{target}.loads: {loads.outcome}")
        loader, app = parse_loads(loads.data)
        if loader is None or app is None:
            raise _Stop(PhoneState.FIRMWARE_ERROR, f"{target}.loads lists no images")
        if loader != self.loader:
            await self._download(f"{loader}.sbn")
            self.loader = loader
            raise _Reboot
        if app != self.firmware:
            await self._download(f"{app}.sb2")
            self.firmware = app
            raise _Reboot

    async def _hunt_target(self) -> str | None:
        model_id = MODEL_IDS[self.model]
        sep = await self._fetch(f"SEP{self.mac}.cnf.xml")
        if sep.ok:
            found = parse_load_information(sep.data, model_id)
            return found[1] if found else None
        sip = await self._fetch(f"SIP{self.mac}.cnf")
        if sip.ok and (image := parse_cnf(sip.data).get("image_version")):
            return image
        await self._fetch(f"MGC{self.mac}.cnf")
        default = await self._fetch("XMLDefault.cnf.xml")
        if default.ok and (found := parse_load_information(default.data, model_id)):
            return found[1]
        return None

    async def _download(self, name: str) -> None:
        result = await self._fetch(name)
        if not result.ok or not result.data:
            detail = result.outcome if not result.ok else "empty file"
            raise _Stop(PhoneState.FIRMWARE_ERROR, f"{name}: {detail}")

    async def _sip_application(self, image: Image) -> None:
        """SIP application start (reference §1.4)."""
        await asyncio.sleep(self.timings.app_start_delay)
        default = await self._fetch("SIPDefault.cnf")
        config = parse_cnf(default.data) if default.ok else {}
        prefix = config.get("tftp_cfg_dir", "./")
        own = await self._fetch(f"{prefix}SIP{self.mac}.cnf")
        if own.ok:
            config.update(parse_cnf(own.data))
        self.config = config
        self.sync = config.get("sync", self.sync)
        self.line1_name = config.get("line1_name") or None
        extras = ["RINGLIST.DAT"]
        if template := config.get("dial_template"):
            extras.append(f"{template}.xml")
        try:
            async with asyncio.TaskGroup() as group:  # in parallel, like LOG-TEO
                for name in extras:
                    group.create_task(self._fetch(name))
        except* _Stop as failed:
            raise failed.exceptions[0] from None
        wanted = config.get("image_version", "")
        if wanted and wanted != self.firmware:
            if self.loader is None:  # old images load image_version themselves
                await self._old_image_load(image, wanted)
            else:  # DOC72029: reboot; the loader fetches the named image
                raise _Reboot
        if own.ok and config.get("line1_name") and config.get("proxy1_address"):
            raise _Stop(PhoneState.REGISTERED)
        raise _Stop(PhoneState.UNPROVISIONED, "W362 No Valid Line Names Provisioned")

    async def _sccp_application(self) -> None:
        """SCCP firmware: its config, then locale files (LOG-JH)."""
        await asyncio.sleep(self.timings.app_start_delay)
        await self._fetch(f"SEP{self.mac}.cnf.xml")
        await self._fetch(f"/{self.model}-font.xml")
        await self._fetch(f"US/{self.model}-tones.xml")
        raise _Stop(PhoneState.SCCP_RUNNING)

    # -- 79x1 class ----------------------------------------------------------

    async def _java_boot(self) -> None:
        """A 79x1-class SIP phone: its own XML file, the load it names, register.

        The 79x1 stack reads ``SEP<MAC>.cnf.xml`` (reference §1.6): line 1's
        ``name`` is the NOTIFY user it accepts, a ``proxy`` of
        ``USECALLMANAGER`` puts it in CCM mode (research/13 a.2).
        """
        await self._fetch(f"CTLSEP{self.mac}.tlv")
        sep = await self._fetch(f"SEP{self.mac}.cnf.xml")
        if not sep.ok:
            raise _Stop(PhoneState.UNPROVISIONED, "no SEP<MAC>.cnf.xml")
        try:
            root = ElementTree.fromstring(sep.data)
        except ElementTree.ParseError:
            raise _Stop(PhoneState.UNPROVISIONED, "SEP<MAC>.cnf.xml") from None
        load = (root.findtext(".//loadInformation") or "").strip()
        if load and load != self.firmware:
            loads = await self._fetch(f"{load}.loads")
            if loads.ok and _JAVA_LOAD.match(load):
                self.firmware = load
                raise _Reboot
        line = root.find(".//line[@button='1']")
        if line is None:
            line = root.find(".//line")
        name = (line.findtext("name") or "").strip() if line is not None else ""
        proxy = (line.findtext("proxy") or "").strip() if line is not None else ""
        self.line1_name = name or None
        self.ccm_mode = proxy.upper() == "USECALLMANAGER"
        if not name or not proxy:
            raise _Stop(PhoneState.UNPROVISIONED, "no line 1")
        # Cisco's REGISTER Call-ID starts with the MAC (phone_identity a.2).
        mac = self.mac.lower()
        self.register_call_id = (
            f"{mac[:8]}-{mac[8:]}{uuid.uuid4().hex[:4]}-"
            f"{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:8]}@{self.server[0]}"
        )
        raise _Stop(PhoneState.REGISTERED)

    def _restart(self, full: bool) -> None:
        """service-control restart/reset: boot again (re-reads its XML file)."""
        task = asyncio.get_running_loop().create_task(self._restarted(full))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _restarted(self, full: bool) -> None:
        report = await self.boot()
        self.sync_reports.put_nowait(SyncReport([], True, report))

    # -- check-sync ----------------------------------------------------------

    def _notified(self) -> None:
        task = asyncio.get_running_loop().create_task(self._check_sync())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _check_sync(self) -> None:
        """Reference §4.1: wait until idle, read syncinfo.xml, maybe reboot."""
        await asyncio.sleep(self.timings.sync_idle_delay)
        self._report = BootReport()
        fetched: list[str] = []
        try:
            info = await self._fetch("syncinfo.xml")
            await self._fetch("dialplan.xml")
        except _Stop:
            self.sync_reports.put_nowait(SyncReport(["syncinfo.xml"], False, None))
            return
        fetched = ["syncinfo.xml", "dialplan.xml"]
        table = parse_syncinfo(info.data) if info.ok else {}
        wanted = table.get(self.firmware, table.get("*"))
        if wanted is None or wanted == self.sync:
            self.sync_reports.put_nowait(SyncReport(fetched, False, None))
            return
        report = await self.boot()
        self.sync_reports.put_nowait(SyncReport(fetched, True, report))


def _version(image: Image) -> tuple[int, int]:
    return (image.major, image.minor)


def _reachable_from_sccp3(target: Image) -> bool:
    """The user's notes: from SCCP 3.x only SIP <= 6.3 or SCCP 5.x load."""
    if target.protocol == "sip":
        return (target.major, target.minor) <= (6, 3)
    return target.protocol == "sccp" and target.major == 5


# -- command line --------------------------------------------------------------


def _server(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``python -m tests.support.simphone``."""
    parser = argparse.ArgumentParser(
        prog="scripts/simulate-phone",
        description="Boot a simulated Cisco 7940/7960 against a TFTP server.",
    )
    parser.add_argument("--server", type=_server, default=("127.0.0.1", 69))
    parser.add_argument("--mac", required=True)
    parser.add_argument(
        "--model", choices=sorted({*MODEL_IDS, *JAVA_MODEL_IDS}), default="7960"
    )
    parser.add_argument("--firmware", default="P0S3-8-12-00")
    parser.add_argument("--max-reboots", type=int, default=6)
    parser.add_argument(
        "--real-timings",
        action="store_true",
        help="wait like a real phone (4 s retransmits, ~23 s app start)",
    )
    return parser


async def _run(args: argparse.Namespace) -> int:
    queue: asyncio.Queue[RequestRecord] = asyncio.Queue()
    phone = SimulatedPhone(
        args.mac,
        model=args.model,
        firmware=args.firmware,
        server=args.server,
        timings=PhoneTimings.real() if args.real_timings else PhoneTimings.fast(),
        max_reboots=args.max_reboots,
        on_request=queue,
    )
    task = asyncio.create_task(phone.boot())
    while not task.done() or not queue.empty():
        getter = asyncio.ensure_future(queue.get())
        await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            print("\n".join(getter.result().log_lines()), flush=True)
        else:
            getter.cancel()
    report = task.result()
    print(
        f"Phone {phone.mac} ({phone.model}): {report.state.value}, firmware "
        f"{report.firmware}, {report.reboots} reboot(s)"
        + (f" - {report.error}" if report.error else "")
    )
    return 0 if report.state is PhoneState.REGISTERED else 1


def main(argv: list[str] | None = None) -> int:
    """Boot one simulated phone; exit 0 when it ends up registered."""
    args = build_parser().parse_args(argv)
    try:
        SimulatedPhone(args.mac, model=args.model, firmware=args.firmware)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
