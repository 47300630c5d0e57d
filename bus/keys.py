"""The services' keys, made once at install and kept in one directory.

* A ZeroMQ CURVE key pair per service, by name: ``NAME.secret`` (z85 text,
  readable by its owner alone) and ``NAME.public`` (z85 text: what a
  desktop's configuration is given to trust the service).
* The application service's TLS certificate, ``app.crt`` with its key
  ``app.key`` (owner only): self-signed, and pinned by desktops through its
  SHA-256 fingerprint on first use, as an SSH host key is. A site may bring
  its own certificate instead (`load_tls_certificate`).

Nothing here replaces an existing key unless told to (``force``): a new key
means every client must be given the new public key or fingerprint. A
secret that its group or others may read is refused, as ssh refuses such a
private key: someone else may have it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import zmq
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from zmq.utils import z85

SERVICE_NAMES = ("gateway", "mailq")  # the services desktops reach over the bus
TLS_NAME = "app"  # the application service, reached over HTTPS
CERTIFICATE_DAYS = 3650  # desktops pin the certificate itself; its end date is no renewal schedule
CURVE_KEY_CHARS = 40  # a 32-byte key in z85

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")
_HOST_NAME = re.compile(r"(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                        r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")


class KeyFileError(Exception):
    """A key or certificate file that cannot be used; the message names the file and the remedy."""


@dataclass(frozen=True)
class KeyPair:
    """A CURVE key pair, both halves z85-encoded (40 bytes each)."""

    public: bytes
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class TlsCertificate:
    """A certificate (PEM) and its private key (PEM), as files a TLS server loads."""

    certificate: Path
    key: Path

    def fingerprint(self) -> str:
        return certificate_fingerprint(self.certificate.read_bytes())

    def hosts(self) -> list[str]:
        """The names and addresses the certificate is valid for."""
        cert = x509.load_pem_x509_certificate(self.certificate.read_bytes())
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return []
        return ([str(n) for n in names.get_values_for_type(x509.DNSName)]
                + [str(a) for a in names.get_values_for_type(x509.IPAddress)])


# --- CURVE key pairs ------------------------------------------------------------------------------

def new_keypair() -> KeyPair:
    """A fresh key pair, kept in memory only (a client's, or a link's for one run)."""
    public, secret = zmq.curve_keypair()
    return KeyPair(public=public, secret=secret)


def public_key_path(directory: str | os.PathLike, name: str) -> Path:
    return Path(directory) / f"{_checked_name(name)}.public"


def secret_key_path(directory: str | os.PathLike, name: str) -> Path:
    return Path(directory) / f"{_checked_name(name)}.secret"


def ensure_keys(directory: str | os.PathLike, names: Iterable[str], *,
                force: bool = False) -> dict[str, KeyPair]:
    """The key pair of each service named, made where missing; with `force`, made anew."""
    directory = ensure_directory(directory)
    return {name: _ensure_keypair(directory, name, force) for name in names}


def _ensure_keypair(directory: Path, name: str, force: bool) -> KeyPair:
    secret_path, public_path = secret_key_path(directory, name), public_key_path(directory, name)
    if not force and not secret_path.exists():
        if public_path.exists():
            raise KeyFileError(
                f"{public_path} exists without its secret key {secret_path.name}: restore the secret key, "
                f"or make a new pair with --force (then every client needs the new public key)")
    if force or not secret_path.exists():
        pair = new_keypair()
        write_private_file(secret_path, pair.secret + b"\n", replace=force)
        write_public_file(public_path, pair.public + b"\n")
        return pair
    pair = load_keypair(directory, name)
    if not public_path.exists():  # derivable from the secret: made again, the same
        write_public_file(public_path, pair.public + b"\n")
    return pair


def load_keypair(directory: str | os.PathLike, name: str) -> KeyPair:
    """A service's key pair from its files, refused if the secret is not the owner's alone."""
    secret_path = secret_key_path(directory, name)
    secret = _read_curve_key(secret_path, private=True)
    public = zmq.curve_public(secret)
    public_path = public_key_path(directory, name)
    if public_path.exists() and _read_curve_key(public_path) != public:
        raise KeyFileError(f"{public_path} is not the public key of {secret_path.name}: remove it and run "
                           "`cicada keys init` to write the right one (clients given the wrong one must be "
                           "given the new one)")
    return KeyPair(public=public, secret=secret)


def ensure_secret(directory: str | os.PathLike, name: str) -> bytes:
    """A service's own 32-byte secret (not a CURVE pair: nothing else needs its public half), made
    on first use and kept in `NAME.secret` for the owner alone, so that what it protects outlives a
    restart (the console's sign-in cookies)."""
    path = secret_key_path(ensure_directory(directory), name)
    try:
        write_private_file(path, z85.encode(secrets.token_bytes(32)) + b"\n")
    except FileExistsError:
        pass
    return z85.decode(_read_curve_key(path, private=True))


def load_public_key(directory: str | os.PathLike, name: str) -> bytes:
    """A service's public key (z85), what a client needs to trust it."""
    return _read_curve_key(public_key_path(directory, name))


def _read_curve_key(path: Path, *, private: bool = False) -> bytes:
    if private:
        check_private_file(path)
    try:
        text = path.read_bytes().strip()
    except FileNotFoundError:
        raise KeyFileError(f"{path} does not exist: run `cicada keys init`") from None
    if len(text) != CURVE_KEY_CHARS or not _is_z85(text):
        raise KeyFileError(f"{path} is not a CURVE key ({CURVE_KEY_CHARS} z85 characters on one line)")
    return text


def _is_z85(text: bytes) -> bool:
    try:
        return len(z85.decode(text)) == 32
    except (ValueError, KeyError, IndexError, TypeError):
        return False


# --- the application service's TLS certificate -----------------------------------------------------

def default_tls_hosts() -> list[str]:
    """localhost, 127.0.0.1 and this machine's host name."""
    return list(dict.fromkeys(h for h in ("localhost", "127.0.0.1", socket.gethostname()) if h))


def tls_certificate_paths(directory: str | os.PathLike, name: str = TLS_NAME) -> TlsCertificate:
    directory = Path(directory)
    return TlsCertificate(certificate=directory / f"{_checked_name(name)}.crt", key=directory / f"{name}.key")


def ensure_tls_certificate(directory: str | os.PathLike, hosts: Iterable[str] | None = None, *,
                           name: str = TLS_NAME, force: bool = False) -> TlsCertificate:
    """The service's self-signed certificate, made if missing (for `hosts`, by default
    `default_tls_hosts()`); with `force`, made anew (its fingerprint changes)."""
    paths = tls_certificate_paths(ensure_directory(directory), name)
    if not force and (paths.certificate.exists() or paths.key.exists()):
        if not paths.certificate.exists():
            raise KeyFileError(f"{paths.key} exists without its certificate {paths.certificate.name}: restore "
                               "it, or make a new one with --force (then desktops must accept its new fingerprint)")
        return load_tls_certificate(paths.certificate, paths.key)
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = self_signed_certificate(key, list(hosts) if hosts else default_tls_hosts())
    write_private_file(paths.key, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        replace=force)
    write_public_file(paths.certificate, certificate.public_bytes(serialization.Encoding.PEM))
    return paths


def self_signed_certificate(key: ec.EllipticCurvePrivateKey, hosts: list[str]) -> x509.Certificate:
    """A server certificate for `hosts` (names and addresses), signed by its own key."""
    if not hosts:
        raise ValueError("a certificate needs at least one host name or address")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cicada application service")])
    now = datetime.now(timezone.utc)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a client whose clock is a little behind
        .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.SubjectAlternativeName([_host_entry(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def _host_entry(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not _HOST_NAME.match(host) or len(host) > 253:
        raise ValueError(f"{host!r} is neither a host name nor an IP address")
    return x509.DNSName(host.lower())


def load_tls_certificate(certificate: str | os.PathLike, key: str | os.PathLike) -> TlsCertificate:
    """A certificate and its key checked for use: readable, the key the owner's alone and the
    certificate's own. For the generated certificate and for a site's."""
    paths = TlsCertificate(certificate=Path(certificate), key=Path(key))
    check_private_file(paths.key)
    try:
        cert = x509.load_pem_x509_certificate(paths.certificate.read_bytes())
    except FileNotFoundError:
        raise KeyFileError(f"{paths.certificate} does not exist") from None
    except ValueError:
        raise KeyFileError(f"{paths.certificate} is not a PEM certificate") from None
    try:
        private_key = serialization.load_pem_private_key(paths.key.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise KeyFileError(f"{paths.key} is not an unencrypted PEM private key") from None
    if _public_bytes(private_key.public_key()) != _public_bytes(cert.public_key()):
        raise KeyFileError(f"{paths.key} is not the key of the certificate {paths.certificate}")
    return paths


def _public_bytes(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate_fingerprint(certificate: bytes) -> str:
    """SHA-256 of the certificate (PEM, the first of a chain; or DER, as a TLS client receives
    it), as `openssl x509 -fingerprint -sha256` prints it: AB:CD:..."""
    if certificate.lstrip().startswith(b"-----BEGIN"):
        certificate = x509.load_pem_x509_certificate(certificate).public_bytes(serialization.Encoding.DER)
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(certificate).digest())


# --- files ---------------------------------------------------------------------------------------

def ensure_directory(directory: str | os.PathLike) -> Path:
    """The keys directory, made for its owner alone if missing."""
    directory = Path(directory).expanduser()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def check_private_file(path: Path) -> None:
    """Refuse a secret its group or others may read or write (as ssh refuses a private key)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"{path} does not exist: run `cicada keys init`") from None
    if os.name == "posix" and mode & 0o077:
        raise KeyFileError(
            f"{path}: permissions {mode & 0o777:04o} are too open; a secret key must be readable by its owner "
            f"only, and this one is not used. Run `chmod 600 {path}` if nobody else can have read it, "
            "otherwise make new keys (`cicada keys init --force`).")


def write_private_file(path: Path, data: bytes, *, replace: bool = False) -> None:
    _write_file(path, data, 0o600, replace=replace)


def write_public_file(path: Path, data: bytes) -> None:
    _write_file(path, data, 0o644, replace=True)


def _write_file(path: Path, data: bytes, mode: int, *, replace: bool) -> None:
    """Write whole or not at all, with `mode` from the start (never readable by others in between);
    without `replace`, an existing file is left alone (FileExistsError)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the file appeared meanwhile: never overwritten
    finally:
        temporary.unlink(missing_ok=True)


def _checked_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a key name (lower-case letters, digits, - and _)")
    return name
