"""Is the phone up? An OPTIONS "qualify", as Asterisk does for its peers.

One OPTIONS over UDP to the phone's SIP port, retransmitted per RFC 3261
and bounded by the caller's timeout. Any final answer means the phone is up
(Asterisk's default; research/13 phone_identity a.4: whether a 7940/7960
answers 200 or an error is unconfirmed, but it does answer); the answer's
``Server``/``User-Agent`` tells the model and version (:mod:`.identity`),
and the time to the answer is the round trip an "Online" sensor shows.
"""

from __future__ import annotations

from dataclasses import dataclass
import secrets

from ..settings.checks import check_host, check_port
from .identity import PhoneIdentity, identity_from_headers
from .notify import _check_token, _check_user
from .transport import T1, transact


@dataclass(frozen=True, slots=True)
class QualifyResult:
    """The phone's answer to OPTIONS: up or not, how fast, and who it is."""

    reachable: bool
    status: int | None
    reason: str
    rtt: float | None = None
    identity: PhoneIdentity | None = None
    attempts: int = 1


def build_options(
    host: str,
    *,
    port: int = 5060,
    user: str | None = None,
    local_host: str,
    local_port: int = 5060,
    call_id: str | None = None,
    branch: str | None = None,
    tag: str | None = None,
) -> bytes:
    """Return an out-of-dialog OPTIONS (RFC 3261 §11) to the phone."""
    host = check_host(host, "host", required=True)
    port = check_port(port, "port")
    at = f"{_check_user(user)}@" if user is not None else ""
    local_host = check_host(local_host, "local_host", required=True)
    local_port = check_port(local_port, "local_port")
    branch = _check_token(branch or secrets.token_hex(8), "branch")
    tag = _check_token(tag or secrets.token_hex(4), "tag")
    call_id = _check_token(
        call_id or f"{secrets.token_hex(12)}@{local_host}", "call_id"
    )
    lines = [
        f"OPTIONS sip:{at}{host}:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP {local_host}:{local_port};branch=z9hG4bK{branch}",
        "Max-Forwards: 70",
        f"From: <sip:provisioner@{local_host}>;tag={tag}",
        f"To: <sip:{at}{host}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:provisioner@{local_host}:{local_port}>",
        "Accept: application/sdp",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


async def qualify(
    host: str,
    *,
    port: int = 5060,
    user: str | None = None,
    local_host: str | None = None,
    timeout: float = 2.0,  # noqa: ASYNC109 - how long to wait for an answer
    t1: float = T1,
) -> QualifyResult:
    """Send OPTIONS and return whether (and how fast, and who) answered.

    Returns within ``timeout`` seconds (plus socket set-up); network failures
    are results (``reachable`` False with the reason), invalid input raises
    :class:`SettingsError`.
    """
    if user is not None:
        _check_user(user)

    def build(local: str, local_port: int, call_id: str) -> bytes:
        return build_options(
            host,
            port=port,
            user=user,
            local_host=local,
            local_port=local_port,
            call_id=call_id,
        )

    done = await transact(host, port, local_host, timeout, t1, build, "OPTIONS")
    final = done.status is not None and done.status >= 200
    identity = identity_from_headers(done.response.headers) if done.response else None
    return QualifyResult(
        reachable=final or identity is not None,
        status=done.status,
        reason=done.reason,
        rtt=done.rtt,
        identity=identity,
        attempts=done.attempts,
    )
