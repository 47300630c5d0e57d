"""The `[app]` section of the configuration: where the application service
listens and with which certificate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec


class AppConfigError(ValueError):
    """The [app] section cannot be used; the message says what and where."""


class AppSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    address: str = "127.0.0.1:8040"  # HOST:PORT; desktops reach it as https://HOST:PORT
    pool_size: int = 16  # database connections, and requests worked on at once
    url: str | None = None  # how clients reach it, when not https://address (a load balancer, a name)
    fingerprint: str | None = None  # clients: the certificate's SHA-256 to pin without asking


@dataclass(frozen=True)
class AppConfig:
    """Its TLS certificate is the [keys] section's (bus.keys): the one `cicada keys init` made,
    or the site's own."""

    host: str
    port: int
    pool_size: int
    url: str
    fingerprint: str | None


def load_app_config(section: dict | None, source: Path | None = None) -> AppConfig:
    where = f"{source or 'configuration'}: [app]"
    try:
        raw = msgspec.convert(section or {}, AppSection)
    except msgspec.ValidationError as exc:
        raise AppConfigError(f"{where}: {exc}") from None
    host, sep, port = raw.address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise AppConfigError(f"{where}: address = {raw.address!r}: write it as HOST:PORT, e.g. 127.0.0.1:8040")
    if raw.pool_size < 1:
        raise AppConfigError(f"{where}: pool_size must be at least 1")
    host = host.strip("[]")
    shown = f"[{host}]" if ":" in host else host
    return AppConfig(host, int(port), raw.pool_size, raw.url or f"https://{shown}:{port}", raw.fingerprint)
