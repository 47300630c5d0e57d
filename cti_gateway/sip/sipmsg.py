"""Reading what the gateway needs from an incoming INVITE's text: the dialled
number (DNIS), the caller's number (ANI) and display name, and the queue
header. pjsua2's CallInfo does not carry the Request-URI, so the worker
reads the whole message."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

# RFC 3261 compact header names the gateway cares about.
_COMPACT = {"f": "from", "t": "to", "i": "call-id", "m": "contact"}
_URI_USER = re.compile(r"<?\s*(?:sips?|tel):(?:([^@;>?\s]+)@)?([^;>?\s]*)", re.IGNORECASE)
_DISPLAY = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"|^\s*([^<"]+?)\s*<')


@dataclass(frozen=True)
class InviteInfo:
    dnis: str
    ani: str
    display_name: str
    x_queue: str | None


def headers(message: str) -> tuple[str, dict[str, list[str]]]:
    """The request line and the headers (lower-case names, compact forms
    expanded, folded lines joined)."""
    head = message.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    lines = head.replace("\r\n", "\n").split("\n")
    request_line = lines[0].strip()
    found: dict[str, list[str]] = {}
    last = None
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and last is not None:
            found[last][-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        name = _COMPACT.get(name, name)
        found.setdefault(name, []).append(value.strip())
        last = name
    return request_line, found


def uri_user(value: str) -> str:
    """The user part of a SIP URI (or a tel: number), unescaped, or ''."""
    match = _URI_USER.search(value or "")
    if not match:
        return ""
    if (value or "").lower().lstrip("<").startswith("tel:"):
        return _unescape(match.group(2))
    return _unescape(match.group(1) or "")


def display_name(value: str) -> str:
    match = _DISPLAY.search(value or "")
    if not match:
        return ""
    return (match.group(1) if match.group(1) is not None else match.group(2) or "").strip()


def _unescape(text: str) -> str:
    """%-escapes read as UTF-8, as a caller's number or name is written; what is no text (a bad
    sequence, a lone surrogate) or no database stores (NUL) becomes U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", unquote(text, errors="replace"))


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# What the gateway leaves as it is in a SIP URI's user part (RFC 3261 25.1: unreserved and
# user-unreserved, but ";" and "?", which parsers read as parameters and headers): the rest is escaped.
_USER_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()&=+$,/")


def escape_user(text: str) -> str:
    """`text` as the user part of a SIP URI: every other character %-escaped (as UTF-8), so
    that a caller's number, whatever it holds, makes a valid URI when the gateway passes it on."""
    return "".join(c if c in _USER_SAFE else "".join(f"%{b:02X}" for b in c.encode("utf-8", errors="replace"))
                   for c in text)


def read_invite(message: str) -> InviteInfo:
    request_line, found = headers(message)
    parts = request_line.split()
    dnis = uri_user(parts[1]) if len(parts) >= 2 else ""
    asserted = found.get("p-asserted-identity", [])
    source = asserted[0] if asserted else (found.get("from") or [""])[0]
    queue = (found.get("x-queue") or [None])[0]
    return InviteInfo(dnis=dnis, ani=uri_user(source), display_name=display_name(source),
                      x_queue=queue.strip() if queue else None)


class TrustedSources:
    """The addresses allowed to send calls in: single addresses or networks."""

    def __init__(self, entries: list[str]):
        self.networks = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None

    def allows(self, address: str) -> bool:
        """`address` as pjsua2 gives it: "ip:port" or "[v6]:port"."""
        host = address.rsplit(":", 1)[0].strip("[]") if ":" in address else address
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)
