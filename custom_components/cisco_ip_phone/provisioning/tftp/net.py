"""Socket plumbing for the TFTP server: families, MTU, buffers, ICMP errors.

Kept apart from the protocol so the server and sessions read as TFTP; every
function here is a thin, documented wrapper around one Linux socket detail.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket

_LOGGER = logging.getLogger(__name__)

# Linux getsockopt names, not exported by the socket module on every build.
_IP_MTU = getattr(socket, "IP_MTU", 14)
_IPV6_MTU = getattr(socket, "IPV6_MTU", 24)
_IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
_IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
IP_UDP_TFTP_OVERHEAD = {socket.AF_INET: 20 + 8 + 4, socket.AF_INET6: 40 + 8 + 4}

# Errors a UDP socket reports when an ICMP message says the peer is gone.
UNREACHABLE_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.EHOSTDOWN,
    }
)


def address_family(host: str) -> socket.AddressFamily:
    """Return the family of a literal IP address; OSError for anything else."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError as err:
        raise OSError(errno.EADDRNOTAVAIL, f"not an IP address: {host!r}") from err
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (it can only come from this host)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def path_mtu(family: socket.AddressFamily, addr: tuple[str, int]) -> int | None:
    """Return the route's MTU towards ``addr`` (asked via a connected UDP socket)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect(addr)
            if family == socket.AF_INET6:  # pragma: no cover - needs an IPv6 route
                return int(probe.getsockopt(socket.IPPROTO_IPV6, _IPV6_MTU))
            return int(probe.getsockopt(socket.IPPROTO_IP, _IP_MTU))
    except OSError:
        return None


def size_receive_buffer(sock: socket.socket, size: int) -> int:
    """Make room for a boot storm of requests; FORCE needs root, then fall back."""
    options = [socket.SO_RCVBUF]
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    if force is not None:  # pragma: no cover - not exported by every build
        options.insert(0, force)
    for option in options:
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
            break
        except OSError:
            continue
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


def report_icmp_errors(sock: socket.socket, family: socket.AddressFamily) -> None:
    """Ask Linux to report ICMP errors on an unconnected UDP socket.

    Without it a transfer toward a closed port (a client that gave up, or a
    spoofed source) holds its slot until every retry has timed out.
    """
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVERR, 1)
        else:
            sock.setsockopt(socket.IPPROTO_IP, _IP_RECVERR, 1)
    except OSError as err:  # pragma: no cover - not Linux
        _LOGGER.debug("ICMP error reporting unavailable: %s", err)


def unreachable_peers(sock: socket.socket) -> list[tuple[str, int]]:
    """Drain the socket's ICMP error queue; return the addresses it names.

    Each entry names the destination of the datagram that bounced, so an
    error about a stranger we answered (unknown TID) is told apart from one
    about our own client.
    """
    peers: list[tuple[str, int]] = []
    for _ in range(64):  # pragma: no branch - bounded: drained, not trusted
        try:
            _data, _anc, _flags, addr = sock.recvmsg(1, 512, socket.MSG_ERRQUEUE)
        except OSError:
            break
        peers.append((str(addr[0]), int(addr[1])))
    return peers
