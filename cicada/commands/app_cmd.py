"""`cicada app`: run the application service (the CRM over HTTPS)."""

from __future__ import annotations

import sys

from cicada.commands import load


def register(commands) -> None:
    parser = commands.add_parser(
        "app", help="run the application service: the CRM over HTTPS for desktops and other programs",
        description="Run the application service: agents' desktops sign in here once and do all of their "
                    "CRM work through its HTTPS API (docs/api/openapi.json); only services reach the CRM "
                    "database. Where it listens comes from the [app] section of the configuration; its "
                    "certificate is the one `cicada keys init` made, or the site's ([keys] tls_certificate).")
    parser.add_argument("--address", metavar="HOST:PORT", help="where it listens (default 127.0.0.1:8040)")
    parser.set_defaults(run=_app)


def app_settings(config):
    from cicada.config import ConfigError
    from app_service.config import AppConfigError, load_app_config

    try:
        return load_app_config(config.sections.get("app"), config.path)
    except AppConfigError as exc:
        raise ConfigError(str(exc)) from None


def tls_certificate(config):
    """The certificate and key the application service presents: the site's ([keys] tls_certificate
    and tls_key), else the one `cicada keys init` made."""
    from bus.keys import tls_certificate_paths
    from cicada.config import keys_settings

    keys = keys_settings(config)
    if keys.tls_certificate is not None:
        return keys.tls_certificate, keys.tls_key
    paths = tls_certificate_paths(keys.directory)
    return paths.certificate, paths.key


def _app(args) -> int:
    import dataclasses
    import logging

    from cicada.config import ConfigError, ensure_sqlite_directory
    from app_service.app import AppSettings
    from app_service.server import AppServiceError, run_app_service

    config = load(args)
    settings = app_settings(config)
    if args.address:
        host, sep, port = args.address.rpartition(":")
        if not sep or not port.isdigit():
            raise ConfigError(f"--address {args.address!r}: write it as HOST:PORT")
        settings = dataclasses.replace(settings, host=host.strip("[]"), port=int(port))
    certificate, private_key = tls_certificate(config)
    ensure_sqlite_directory(config.database_url)
    logging.getLogger("cicada").setLevel(logging.INFO if args.verbose else logging.WARNING)

    def ready(port: int) -> None:
        print(f"Cicada application service ready: https://{settings.host}:{port}/v1/", flush=True)

    try:
        sender = str(config.sections.get("mail", {}).get("sender") or AppSettings.mail_sender)
        run_app_service(AppSettings(config.database_url, pool_size=settings.pool_size, mail_sender=sender),
                        host=settings.host, port=settings.port, certificate=certificate, private_key=private_key, on_ready=ready)
    except AppServiceError as exc:
        print(f"cicada app: {exc}", file=sys.stderr)
        return 2
    return 0
