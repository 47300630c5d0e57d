"""The application service's Python client: what the desktop (and any other
program) uses to do CRM work. It needs httpx, not the service's framework.

TLS: the service presents a certificate made at install (`cicada keys
init`) or one the site provides. A certificate no public authority signed is
trusted the way SSH trusts a host key: pinned once, by its SHA-256
fingerprint given in the configuration or accepted by the user, kept in a
folder of known certificates, and any other certificate later is refused with
a clear warning.

Errors come back as the `crm` errors the service raised (app_service.wire);
a service that does not answer is ServiceUnreachable.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import httpx
import msgspec

from app_service import wire
from app_service.mail_results import Download
from app_service.schemas import Me, SignedIn
from crm import errors
from crm.errors import SessionEnded

T = TypeVar("T")


class CertificateUnknown(wire.ApiError):
    """The service's certificate is not pinned yet: show `fingerprint` to the user."""

    def __init__(self, address: str, fingerprint: str, pem: str):
        super().__init__("certificate_unknown", f"The application service at {address} presents a certificate "
                         f"this computer does not know yet ({fingerprint}).", 0)
        self.address, self.fingerprint, self.pem = address, fingerprint, pem


class CertificateChanged(wire.ApiError):
    """The service presents another certificate than the one pinned: refuse, as SSH does."""

    def __init__(self, address: str, pinned: str, presented: str):
        super().__init__("certificate_changed", f"The application service at {address} presents another "
                         f"certificate ({presented}) than the one this computer trusts ({pinned}). Someone "
                         "may be in between; ask your administrator before going on.", 0)
        self.address, self.pinned, self.presented = address, pinned, presented


def fingerprint(pem: str) -> str:
    """The SHA-256 of the certificate as `cicada keys show` (and `openssl x509 -fingerprint
    -sha256`) prints it: AB:CD:..."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).digest())


def presented_certificate(host: str, port: int, timeout: float = 5.0) -> str:
    """The certificate a TLS server presents, unverified (to be compared with a pin)."""
    try:
        return ssl.get_server_certificate((host, port), timeout=timeout)
    except (OSError, ssl.SSLError) as exc:
        raise wire.ServiceUnreachable(f"The application service at {host}:{port} cannot be reached: {exc}") from None


class KnownCertificates:
    """Pinned certificates of application services, one PEM file per address."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, host: str, port: int) -> Path:
        return self.directory / f"{host.replace(':', '_')}_{port}.pem"

    def get(self, host: str, port: int) -> str | None:
        try:
            return self._path(host, port).read_text()
        except FileNotFoundError:
            return None

    def remember(self, host: str, port: int, pem: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._path(host, port).write_text(pem)


def trust(url: str, known: KnownCertificates | None, pinned_fingerprint: str | None = None) -> ssl.SSLContext | bool:
    """The TLS verification for `url`: the system's CAs for a certificate they sign, else the
    pinned certificate. CertificateUnknown when nothing is pinned yet, CertificateChanged when
    the service presents another one."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return True
    host, port = parts.hostname or "localhost", parts.port or 443
    address = f"{host}:{port}"
    pem = presented_certificate(host, port)
    presented = fingerprint(pem)
    kept = known.get(host, port) if known is not None else None
    if kept is not None and fingerprint(kept) != presented:
        raise CertificateChanged(address, fingerprint(kept), presented)
    if kept is None:
        if pinned_fingerprint and _same_fingerprint(pinned_fingerprint, presented):
            if known is not None:
                known.remember(host, port, pem)
        elif _signed_by_a_public_authority(host, port):
            return True
        elif pinned_fingerprint:
            raise CertificateChanged(address, pinned_fingerprint, presented)
        else:
            raise CertificateUnknown(address, presented, pem)
    context = ssl.create_default_context(cadata=kept or pem)
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the pinned certificate itself is the anchor
    return context


def _same_fingerprint(a: str, b: str) -> bool:
    def bare(text: str) -> str:
        return text.strip().lower().removeprefix("sha256:").replace(":", "")
    return bare(a) == bare(b)


def _signed_by_a_public_authority(host: str, port: int) -> bool:
    context = ssl.create_default_context()
    try:
        with socket.create_connection((host, port), timeout=5) as raw, context.wrap_socket(raw, server_hostname=host):
            return True
    except (OSError, ssl.SSLError):
        return False


class AppClient:
    """One user's connection to the application service."""

    def __init__(self, base_url: str, *, verify: ssl.SSLContext | bool = True, timeout: float = 10.0,
                 token: str | None = None, transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        # Told (from whichever thread made the request) when the service says the session is over.
        self.on_session_ended: Callable[[SessionEnded], None] | None = None
        self._http = httpx.Client(base_url=self.base_url, verify=verify, timeout=timeout, transport=transport,
                                  headers={"Accept": "application/json"})

    # --- sessions --------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, client: str = "desktop") -> SignedIn:
        signed = self.call("POST", "/v1/sessions", SignedIn,
                           json={"username": username, "password": password, "client": client})
        self.token = signed.token
        return signed

    def sign_out(self) -> None:
        if self.token:
            try:
                self.call("DELETE", "/v1/sessions/current")
            finally:
                self.token = None

    def me(self) -> Me:
        return self.call("GET", "/v1/me", Me)

    # --- any route -------------------------------------------------------------------------

    def call(self, method: str, path: str, result_type: type[T] | Any = None, *, json: Any = None,
             params: dict | None = None) -> T | Any:
        """One request; the result converted to `result_type` (dataclasses, lists of them...)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        content = wire.encode(json) if json is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, path, content=content, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise wire.ServiceUnreachable(f"The application service at {self.base_url} cannot be reached "
                                          f"({type(exc).__name__}: {exc}).") from None
        if response.status_code >= 400:
            error = _error(response)
            if isinstance(error, SessionEnded) and self.token and self.on_session_ended is not None:
                self.on_session_ended(error)
            raise error
        if result_type is None or response.status_code == 204 or not response.content:
            return None
        return msgspec.json.decode(response.content, type=result_type)

    def download(self, path: str, max_bytes: int) -> Download:
        """A file the service sends (an attachment), read as it streams in: refused
        (ValidationError) as soon as it grows beyond `max_bytes`."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            with self._http.stream("GET", path, headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                content = bytearray()
                for chunk in response.iter_bytes():
                    content += chunk
                    if len(content) > max_bytes:
                        raise errors.ValidationError(f"The file is larger than {max_bytes // 1_000_000} MB; "
                                                     "it was not read.")
                filename = _attachment_name(response.headers.get("content-disposition", ""))
                content_type = response.headers.get("content-type", "application/octet-stream")
                content_type = content_type.split(";")[0].strip()  # the file's type, not the charset added
        except httpx.HTTPError as exc:
            raise wire.ServiceUnreachable(f"The application service at {self.base_url} cannot be reached "
                                          f"({type(exc).__name__}: {exc}).") from None
        return Download(filename, content_type, bytes(content))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AppClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _attachment_name(disposition: str) -> str:
    """The file name of a Content-Disposition header (RFC 6266): filename* (UTF-8) first."""
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition, re.IGNORECASE)
    if encoded:
        return unquote(encoded.group(1))
    plain = re.search(r'filename="([^"]*)"', disposition)
    return plain.group(1) if plain else "attachment"


def _error(response: httpx.Response) -> Exception:
    try:
        error = response.json()["error"]
        return wire.rebuild_error(error["code"], error["message"], error.get("detail") or {}, response.status_code)
    except (ValueError, KeyError, TypeError):
        if response.status_code == 413:  # a route's body limit (or a proxy's) answers in plain text
            return wire.rebuild_error("too_large", "The request is larger than the application service takes.",
                                      {}, 413)
        return wire.ApiError("http", f"The application service answered {response.status_code}: "
                                     f"{response.text[:200]}", response.status_code)
