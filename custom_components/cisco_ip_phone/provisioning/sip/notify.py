"""Ask a phone to re-check its configuration with a SIP NOTIFY.

A 7940/7960 on SIP firmware that receives ``NOTIFY`` with ``Event:
check-sync`` waits until idle, fetches ``syncinfo.xml`` and reboots when its
``sync`` value differs (reference §4.1); 79x1-class phones take
``Event: service-control`` with ``action=restart|reset`` instead. The SIP
answer is only a courtesy: the real acknowledgement is the phone's later
``syncinfo.xml`` request, which the tracker watches. So this module sends one
non-INVITE transaction over UDP, retransmitting per RFC 3261 (Timer E: T1
doubling up to T2), and reports whatever status line came back, or None.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
import secrets
from typing import Final, Literal

from ..settings.checks import SettingsError, check_host, check_port
from .transport import (
    MAX_SENDS,
    T1,
    SipResponse,
    Transaction,
    parse_response,
    transact,
)

__all__ = [
    "MAX_SENDS",
    "T1",
    "NotifyResult",
    "SipResponse",
    "build_check_sync",
    "build_service_control",
    "parse_response",
    "send_check_sync",
    "send_service_control",
]

# The phone answers 404 unless the Request-URI user is its line 1 name (or
# contact), and 400 for an empty To user (sipcc SIPTaskProcessSIPNotify,
# research/13 a.1): so a user is required, and the caller passes line 1's.
_USER: Final = re.compile(r"^[A-Za-z0-9._+~!*'()&=$,-]{1,64}$")
_CALL_ID: Final = re.compile(r"^[A-Za-z0-9._+~!*'()%:@/<>\[\]?-]{0,128}$")
_ZERO_STAMP: Final = "{00000000-0000-0000-0000-000000000000}"

ServiceAction = Literal["restart", "reset"]


@dataclass(frozen=True, slots=True)
class NotifyResult:
    """The phone's answer: ``status`` None means no (valid) answer in time."""

    status: int | None
    reason: str
    attempts: int = 1

    @classmethod
    def of(cls, transaction: Transaction) -> NotifyResult:
        """Return the NOTIFY view of a finished transaction."""
        return cls(transaction.status, transaction.reason, transaction.attempts)

    @property
    def accepted(self) -> bool:
        """Tell whether the phone answered with a 2xx."""
        return self.status is not None and 200 <= self.status < 300


# ------------------------------------------------------------------ messages


def _check_user(user: object) -> str:
    if not isinstance(user, str) or not _USER.fullmatch(user):
        raise SettingsError(
            f"user: {user!r} is not a SIP user name: give the phone's line 1 name "
            "(1 to 64 letters, digits and . _ + ~ ! * ' ( ) & = $ , -; no spaces, "
            "@ or line breaks); the phone refuses a NOTIFY to any other user",
            field="user",
        )
    return user


def _check_token(value: object, field: str) -> str:
    if not isinstance(value, str) or not _CALL_ID.fullmatch(value):
        raise SettingsError(
            f"{field}: {value!r} may only hold letters, digits and SIP word "
            "characters (no spaces, braces or line breaks)",
            field=field,
        )
    return value


def _check_service(action: object, register_call_id: object) -> None:
    if action not in ("restart", "reset"):
        raise SettingsError(
            f"action: {action!r} is not 'restart' or 'reset'", field="action"
        )
    _check_token(register_call_id, "register_call_id")


def _notify(
    host: str,
    *,
    port: int,
    user: str,
    local_host: str,
    local_port: int,
    event: str,
    extra: tuple[str, ...] = (),
    body: str = "",
    call_id: str | None = None,
    branch: str | None = None,
    tag: str | None = None,
) -> bytes:
    """Return a NOTIFY in the layout of reference §4.1 (RFC 3261 headers)."""
    host = check_host(host, "host", required=True)
    port = check_port(port, "port")
    user = _check_user(user)
    local_host = check_host(local_host, "local_host", required=True)
    local_port = check_port(local_port, "local_port")
    branch = _check_token(branch or secrets.token_hex(8), "branch")
    tag = _check_token(tag or secrets.token_hex(4), "tag")
    call_id = _check_token(
        call_id or f"{secrets.token_hex(12)}@{local_host}", "call_id"
    )
    encoded = body.encode("utf-8")
    lines = [
        f"NOTIFY sip:{user}@{host}:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP {local_host}:{local_port};branch=z9hG4bK{branch}",
        "Max-Forwards: 70",
        f"From: <sip:provisioner@{local_host}>;tag={tag}",
        f"To: <sip:{user}@{host}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 NOTIFY",
        f"Contact: <sip:provisioner@{local_host}:{local_port}>",
        f"Event: {event}",
        # RFC 6665 requires it in a NOTIFY; Asterisk and UCM send "active".
        "Subscription-State: active",
        *extra,
        f"Content-Length: {len(encoded)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + encoded


def build_check_sync(
    host: str,
    *,
    port: int = 5060,
    user: str,
    local_host: str,
    local_port: int = 5060,
    call_id: str | None = None,
    branch: str | None = None,
    tag: str | None = None,
) -> bytes:
    """Return the check-sync NOTIFY for a 7940/7960 (random ids unless given)."""
    return _notify(
        host,
        port=port,
        user=user,
        local_host=local_host,
        local_port=local_port,
        event="check-sync",
        call_id=call_id,
        branch=branch,
        tag=tag,
    )


def build_service_control(
    host: str,
    *,
    action: ServiceAction,
    port: int = 5060,
    user: str,
    local_host: str,
    local_port: int = 5060,
    register_call_id: str = "",
    call_id: str | None = None,
    branch: str | None = None,
    tag: str | None = None,
) -> bytes:
    """Return a service-control NOTIFY for 79x1-class phones.

    ``restart`` is a quick restart that re-downloads ``SEP<MAC>.cnf.xml``,
    ``reset`` a full reboot. Cisco's stack (sipcc, research/13 a.2) answers
    400 unless ``RegisterCallId`` equals the Call-ID of the phone's own
    REGISTER byte for byte and the phone is in CCM mode (line 1's proxy is
    ``USECALLMANAGER``); restart and reset need no version stamps, the
    all-zero ones are what FreeSWITCH and UCM send. ``FeatureControl…``
    is left out: a newer Cisco stack answers 400 to it (PJSIP-SC).
    """
    _check_service(action, register_call_id)
    body = "\r\n".join(
        [
            f"action={action}",
            f"RegisterCallId={{{register_call_id}}}",
            f"ConfigVersionStamp={_ZERO_STAMP}",
            f"DialplanVersionStamp={_ZERO_STAMP}",
            f"SoftkeyVersionStamp={_ZERO_STAMP}",
        ]
    )
    return _notify(
        host,
        port=port,
        user=user,
        local_host=local_host,
        local_port=local_port,
        event="service-control",
        extra=("Content-Type: text/plain",),
        body=body + "\r\n",
        call_id=call_id,
        branch=branch,
        tag=tag,
    )


async def send_check_sync(
    host: str,
    *,
    port: int = 5060,
    user: str,
    local_host: str | None = None,
    timeout: float = 2.0,  # noqa: ASYNC109 - how long to wait for an answer
    t1: float = T1,
) -> NotifyResult:
    """Send a check-sync NOTIFY and return the phone's answer (None if none).

    ``local_host`` is the address to send from and advertise; by default the
    one the kernel routes to the phone from. Network failures are reported
    in the result, invalid input raises :class:`SettingsError`.
    """
    _check_user(user)

    def build(local: str, local_port: int, call_id: str) -> bytes:
        return build_check_sync(
            host,
            port=port,
            user=user,
            local_host=local,
            local_port=local_port,
            call_id=call_id,
        )

    return NotifyResult.of(
        await transact(host, port, local_host, timeout, t1, build, "NOTIFY")
    )


async def send_service_control(
    host: str,
    *,
    action: ServiceAction,
    port: int = 5060,
    user: str,
    register_call_id: str = "",
    local_host: str | None = None,
    timeout: float = 2.0,  # noqa: ASYNC109 - how long to wait for an answer
    t1: float = T1,
) -> NotifyResult:
    """Send a service-control NOTIFY (79x1-class phones) and return the answer."""
    _check_user(user)

    def build(local: str, local_port: int, call_id: str) -> bytes:
        return build_service_control(
            host,
            action=action,
            port=port,
            user=user,
            local_host=local,
            local_port=local_port,
            register_call_id=register_call_id,
            call_id=call_id,
        )

    _check_service(action, register_call_id)
    return NotifyResult.of(
        await transact(host, port, local_host, timeout, t1, build, "NOTIFY")
    )
