"""Ports for the services and parties under test, safe under pytest-xdist.

A test picks the ports of a gateway, a mail queue, SIPp or Dovecot before the process that
binds them has started. A port the kernel hands out for port 0 (the ephemeral range) may
meanwhile go to any socket bound to port 0 or any outgoing connection, in this test process
or another one. So the ports picked in advance come from below the ephemeral range, where the
kernel never hands out ports by itself, and each xdist worker (PYTEST_XDIST_WORKER gw0, gw1 ...)
picks from its own share of each region: two test processes never pick the same port.

Below the ephemeral range (ip_local_port_range), from the top:
  SIPp's media ports (-mp)                      SIPP_MEDIA_SPAN ports
  gateways' RTP ports (rtp_ports)               GATEWAY_RTP_SPAN ports
  listening ports: SIP, bus, SMTP, IMAP, chat,  down to LISTEN_LOW
  PostgreSQL of the tests
RtpPeers and anything else that can bind port 0 do so and stay in the ephemeral range.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

LOCALHOST = "127.0.0.1"
SIPP_MEDIA_SPAN = 12000
GATEWAY_RTP_SPAN = 10000
LISTEN_LOW = 2000  # leaves the well-known and registered ports most often in use alone


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def sipp_media_region() -> range:
    top = _ephemeral_low() - 4
    return range(max(1024, top - SIPP_MEDIA_SPAN), top)


def gateway_rtp_region() -> range:
    top = sipp_media_region().start - 2
    return range(max(1024, top - GATEWAY_RTP_SPAN), top)


def listen_region() -> range:
    return range(LISTEN_LOW, gateway_rtp_region().start - 2)


def worker_number() -> int:
    """This test process's number under xdist (gw3: 3), 0 without it."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0


def worker_count() -> int:
    try:
        return max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    except ValueError:
        return 1


def worker_share(region: range) -> range:
    """This test process's own part of `region`: disjoint from every other worker's."""
    count = worker_count()
    size = len(region) // count
    start = region.start + (worker_number() % count) * size
    return range(start, start + size)


# Ports a browser refuses to open (Chromium's restricted ports above 1024): a web page under test
# on one of them fails with ERR_UNSAFE_PORT, so none is handed out.
BROWSER_UNSAFE = frozenset({1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667,
                            6668, 6669, 6679, 6697, 10080})


class _Cursor:
    """Walks this worker's share of the listening ports, from a random place (other test runs
    on the machine then rarely start where we do), never handing out a port twice in a row of
    its share: a port picked but not yet bound would otherwise be free for the next pick."""

    def __init__(self):
        self.share: range | None = None
        self.next = 0

    def take(self, count: int) -> int:
        if self.share is None:
            self.share = worker_share(listen_region())
            self.next = random.randrange(len(self.share))
        for _ in range(len(self.share)):
            if self.next + count > len(self.share):
                self.next = 0
            first = self.share.start + self.next
            self.next += count
            ports = range(first, first + count)
            if not BROWSER_UNSAFE.intersection(ports) and all(port_free(port) for port in ports):
                return first
        raise RuntimeError(f"no {count} consecutive free ports in {self.share}")


_cursor = _Cursor()


def free_port() -> int:
    """A port free for TCP and UDP, for a service or party under test to listen on."""
    return _cursor.take(1)


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (a gateway's SIP workers' ports)."""
    return _cursor.take(count)


def port_free(port: int) -> bool:
    """Whether nothing holds `port` on any address, for TCP or UDP."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                return False
    return True
