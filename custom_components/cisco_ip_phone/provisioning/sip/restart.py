"""Restart a phone over SIP, the way its own stack accepts, or say why not.

Two SIP stacks, two methods (research/13 resync_and_hops.md, verified in
Cisco's published sipcc source and in what FreeSWITCH and UCM send):

* 7940/7960 on SIP: ``Event: check-sync``. After 20 s idle the phone reads
  ``syncinfo.xml`` and reboots when the SYNC for its image changed (SIPAG80).
* 79x1/79x2/79x5/797x on SIP 8.x+: check-sync is answered 200 and ignored.
  They restart on ``Event: service-control`` (``action=restart`` re-reads
  ``SEP<MAC>.cnf.xml``, ``action=reset`` reboots), which the stack accepts
  only with ``RegisterCallId`` equal to the Call-ID of the phone's current
  REGISTER and only in CCM mode (line 1's proxy ``USECALLMANAGER``); else
  400. Home Assistant is not the registrar, so the Call-ID must come from
  the PBX (Asterisk ``${SIPPEER(peer,regcallid)}``); without it such a phone
  cannot be restarted remotely.
* Phones on SCCP (or the loader) have no SIP stack to receive anything.

:func:`can_restart_remotely` answers before anything is sent (the UI shows
it before the button is pressed); :func:`restart_phone` picks the method,
sends it and returns a clear outcome within ``timeout`` seconds, so an
offline phone fails at once rather than after the 60 s resync timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ..firmware.names import FirmwareNameError, Protocol, parse_image_name
from ..settings.models import MODELS, Family
from .notify import NotifyResult, send_check_sync, send_service_control
from .transport import T1

# service-control exists from SIP 8.0 on the 79x1 class (GS notes; CME-REG
# shows a 7970 on 8.4 advertising X-cisco-service-control).
SERVICE_CONTROL_SINCE: Final = 8


class RestartMethod(StrEnum):
    """The NOTIFY a phone's SIP stack acts on."""

    CHECK_SYNC = "check-sync"
    SERVICE_CONTROL = "service-control"


class RestartBlocker(StrEnum):
    """Why a phone cannot be restarted remotely (a translation key)."""

    NOT_SIP = "not_sip"  # runs SCCP or the loader: no SIP stack
    FIRMWARE_TOO_OLD = "firmware_too_old"  # 79x1 class before SIP 8.0
    NEEDS_REGISTER_CALL_ID = "needs_register_call_id"  # 79x1 class, no Call-ID
    UNKNOWN_MODEL = "unknown_model"


class RestartOutcome(StrEnum):
    """How a restart request ended."""

    SENT = "sent"  # the phone accepted it (2xx); watch TFTP for the reboot
    REFUSED = "refused"  # the phone answered with an error
    UNREACHABLE = "unreachable"  # no answer in time: off, unplugged, wrong port
    UNSUPPORTED = "unsupported"  # nothing sent: see the capability's reason


@dataclass(frozen=True, slots=True)
class RestartCapability:
    """Whether and how a phone can be restarted from here, and why not."""

    method: RestartMethod | None
    blocker: RestartBlocker | None = None
    reason: str = ""

    @property
    def possible(self) -> bool:
        """Tell whether a restart request can be sent at all."""
        return self.method is not None


@dataclass(frozen=True, slots=True)
class RestartResult:
    """What a restart request did: outcome, method, the phone's answer."""

    outcome: RestartOutcome
    method: RestartMethod | None
    reason: str
    status: int | None = None
    attempts: int = 0

    @property
    def sent(self) -> bool:
        """Tell whether the phone accepted the request."""
        return self.outcome is RestartOutcome.SENT


def _protocol(firmware: str | None) -> tuple[Protocol | None, int | None]:
    try:
        image = parse_image_name(firmware or "")
    except FirmwareNameError:
        return None, None
    return image.protocol, image.version.major


def can_restart_remotely(
    model: str | None,
    firmware: str | None,
    *,
    register_call_id: str | None = None,
) -> RestartCapability:
    """Tell whether a phone can be restarted over SIP, and how.

    ``firmware`` is the image it runs (None when unknown: a 7940/7960 is then
    assumed to run SIP, as it asked for its SIP configuration; a 79x1-class
    phone's version cannot be assumed). ``register_call_id`` is the Call-ID
    of its REGISTER as the PBX saw it.
    """
    phone = MODELS.get(model or "")
    if phone is None:
        return RestartCapability(
            None,
            RestartBlocker.UNKNOWN_MODEL,
            f"{model!r} is not a supported phone model",
        )
    protocol, major = _protocol(firmware)
    if protocol is not None and protocol is not Protocol.SIP:
        return RestartCapability(
            None,
            RestartBlocker.NOT_SIP,
            f"the phone runs {firmware} ({protocol.upper()}), which has no SIP "
            "stack to take a restart request: power-cycle it",
        )
    if phone.family is Family.F79X0:
        return RestartCapability(RestartMethod.CHECK_SYNC)
    if major is not None and major < SERVICE_CONTROL_SINCE:
        return RestartCapability(
            None,
            RestartBlocker.FIRMWARE_TOO_OLD,
            f"a {model} restarts remotely only from SIP 8.0 (it runs {firmware}): "
            "power-cycle it",
        )
    if not register_call_id:
        return RestartCapability(
            None,
            RestartBlocker.NEEDS_REGISTER_CALL_ID,
            f"a {model} ignores check-sync and accepts a restart only with the "
            "Call-ID of its registration, which only the PBX knows, and only "
            "when line 1's proxy is USECALLMANAGER: power-cycle it",
        )
    return RestartCapability(RestartMethod.SERVICE_CONTROL)


def _outcome(
    answer: NotifyResult, method: RestartMethod, host: str, port: int
) -> RestartResult:
    if answer.status is None:
        return RestartResult(
            RestartOutcome.UNREACHABLE,
            method,
            f"the phone at {host}:{port} did not answer ({answer.reason}): is it "
            "switched on, on the network, and is its SIP port right?",
            None,
            answer.attempts,
        )
    if answer.accepted:
        return RestartResult(
            RestartOutcome.SENT, method, answer.reason, answer.status, answer.attempts
        )
    hint = {
        404: "the user is not line 1's name",
        400: "the phone refused the request (for service-control: wrong "
        "RegisterCallId or not in CCM mode)",
    }.get(answer.status, "the phone refused the request")
    return RestartResult(
        RestartOutcome.REFUSED,
        method,
        f"{answer.status} {answer.reason}: {hint}",
        answer.status,
        answer.attempts,
    )


async def restart_phone(
    host: str,
    *,
    model: str | None,
    firmware: str | None,
    user: str,
    port: int = 5060,
    register_call_id: str | None = None,
    full: bool = False,
    local_host: str | None = None,
    timeout: float = 2.0,  # noqa: ASYNC109 - how long to wait for an answer
    t1: float = T1,
) -> RestartResult:
    """Ask the phone to restart with the method its stack acts on.

    ``user`` is line 1's name (the phone answers 404 to any other; empty:
    nothing is sent). ``full``
    asks a 79x1-class phone for a reboot (``reset``, e.g. between firmware
    hops) instead of a configuration restart; a 7940/7960 always reboots
    when its sync value changed. Returns within about ``timeout`` seconds.
    """
    capability = can_restart_remotely(
        model, firmware, register_call_id=register_call_id
    )
    if capability.method is None:
        return RestartResult(RestartOutcome.UNSUPPORTED, None, capability.reason)
    if not user:
        return RestartResult(
            RestartOutcome.UNSUPPORTED,
            None,
            "line 1 has no name: the phone accepts a NOTIFY only for line 1's "
            "name (404 otherwise): fill in line 1 or power-cycle the phone",
        )
    if capability.method is RestartMethod.CHECK_SYNC:
        answer = await send_check_sync(
            host, port=port, user=user, local_host=local_host, timeout=timeout, t1=t1
        )
    else:
        answer = await send_service_control(
            host,
            action="reset" if full else "restart",
            port=port,
            user=user,
            register_call_id=register_call_id or "",
            local_host=local_host,
            timeout=timeout,
            t1=t1,
        )
    return _outcome(answer, capability.method, host, port)
