"""`cicada keys`: the services' CURVE keys and the application service's TLS certificate."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from cicada.commands import load
from cicada.config import ConfigError, KeysSettings, keys_settings

SERVICES = ("gateway", "mailq")  # bus.keys.SERVICE_NAMES, without importing it for --help
APP = "app"  # the application service's TLS certificate


def register(commands) -> None:
    parser = commands.add_parser(
        "keys", help="make and show the services' keys",
        description="The services' CURVE key pairs (gateway, mailq) and the application service's TLS "
                    "certificate (app), kept in the keys directory ([keys] dir in the configuration; by "
                    "default keys in the user configuration directory). Desktops are given the public "
                    "keys and the certificate's fingerprint.")
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="make the keys that are missing and print the public ones",
                          description="Make each key that is missing; an existing key is kept unless --force.")
    init.add_argument("names", nargs="*", metavar="NAME", help="gateway, mailq or app (default: all three)")
    init.add_argument("--force", action="store_true",
                      help="make the named keys anew: every client must then be given the new public key "
                           "or fingerprint")
    init.add_argument("--host", action="append", metavar="NAME",
                      help="a host name or address the certificate is for (repeatable; default: [keys] "
                           "tls_hosts, else localhost, 127.0.0.1 and this machine's name)")
    _add_dir(init)
    init.set_defaults(run=_init)
    show = sub.add_parser("show", help="print the public keys and the certificate's fingerprint",
                          description="Print what a desktop's configuration needs: the services' public "
                                      "keys and the application service's certificate fingerprint.")
    show.add_argument("--json", action="store_true", help="print JSON")
    _add_dir(show)
    show.set_defaults(run=_show)


def _add_dir(parser) -> None:
    parser.add_argument("--dir", metavar="PATH", help="the keys directory (overrides [keys] dir)")


def _settings(args) -> KeysSettings:
    settings = keys_settings(load(args))
    if args.dir:
        settings = dataclasses.replace(settings, directory=Path(args.dir).expanduser())
    return settings


def _init(args) -> int:
    from bus.keys import KeyFileError, ensure_keys, public_key_path

    unknown = [name for name in args.names if name not in (*SERVICES, APP)]
    if unknown:
        raise ConfigError(f"no key named {', '.join(unknown)}: the keys are {', '.join(SERVICES)} and {APP}")
    settings = _settings(args)
    names = args.names or [*SERVICES, APP]
    if settings.tls_certificate is not None and (args.host or (args.force and APP in args.names)):
        raise ConfigError("the application service's certificate is the site's own ([keys] tls_certificate): "
                          "nothing is generated for it, so --force app and --host do not apply")
    services = [name for name in names if name != APP]
    existed = {name for name in services if public_key_path(settings.directory, name).exists()}
    try:
        pairs = ensure_keys(settings.directory, services, force=args.force)
        certificate = _ensure_certificate(settings, args) if APP in names else None
    except (KeyFileError, ValueError) as exc:
        return _error(exc)
    print(f"Keys directory: {settings.directory}")
    for name, pair in pairs.items():
        state = "made" if args.force or name not in existed else "kept"
        print(f"{name + ' public key:':<20}{pair.public.decode()}  ({state}; {name}.public)")
    if certificate is not None:
        _print_certificate(*certificate)
    print("Desktops need the public keys and the fingerprint; `cicada keys show` prints them again.")
    return 0


def _ensure_certificate(settings: KeysSettings, args):
    """The certificate and how it came: "made", "kept" or "site" (the site's own: nothing generated)."""
    from bus.keys import ensure_tls_certificate, load_tls_certificate, tls_certificate_paths

    if settings.tls_certificate is not None:
        return load_tls_certificate(settings.tls_certificate, settings.tls_key), "site"
    existed = tls_certificate_paths(settings.directory).certificate.exists()
    certificate = ensure_tls_certificate(settings.directory, args.host or settings.tls_hosts, force=args.force)
    return certificate, "made" if args.force or not existed else "kept"


def _show(args) -> int:
    from bus.keys import KeyFileError

    settings = _settings(args)
    try:
        keys, certificate = _public_keys(settings), _certificate_for_show(settings)
    except KeyFileError as exc:
        return _error(exc)
    origin = "site" if settings.tls_certificate is not None else "kept"
    if args.json:
        print(json.dumps({
            "directory": str(settings.directory), "public_keys": keys,
            "tls": {"certificate": str(certificate.certificate), "site": origin == "site",
                    "fingerprint": certificate.fingerprint(), "hosts": certificate.hosts()},
        }, indent=2))
        return 0
    print(f"Keys directory: {settings.directory}")
    for name, key in keys.items():
        print(f"{name + ' public key:':<20}{key}  ({name}.public)")
    _print_certificate(certificate, origin)
    return 0


def _public_keys(settings: KeysSettings) -> dict[str, str]:
    """Read without reading a secret (whoever runs `show` may not be the services' user); each
    secret's permissions are checked all the same, as the service will check them."""
    from bus.keys import check_private_file, load_public_key, secret_key_path

    keys = {}
    for name in SERVICES:
        keys[name] = load_public_key(settings.directory, name).decode()
        check_private_file(secret_key_path(settings.directory, name))
    return keys


def _certificate_for_show(settings: KeysSettings):
    from bus.keys import KeyFileError, TlsCertificate, check_private_file, tls_certificate_paths

    if settings.tls_certificate is not None:
        certificate = TlsCertificate(settings.tls_certificate, settings.tls_key)
    else:
        certificate = tls_certificate_paths(settings.directory)
    check_private_file(certificate.key)
    try:
        certificate.fingerprint()
    except FileNotFoundError:
        raise KeyFileError(f"{certificate.certificate} does not exist: run `cicada keys init`") from None
    except ValueError:
        raise KeyFileError(f"{certificate.certificate} is not a PEM certificate") from None
    return certificate


def _print_certificate(certificate, origin: str) -> None:
    where = (f"site certificate {certificate.certificate}" if origin == "site"
             else f"{certificate.certificate.name} ({origin})")
    print(f"{APP} TLS certificate: {where}, valid for {', '.join(certificate.hosts())}")
    print(f"{APP} SHA-256 fingerprint: {certificate.fingerprint()}")


def _error(exc: Exception) -> int:
    print(f"cicada: error: {exc}", file=sys.stderr)
    return 2
