"""`cicada app`: the application service under uvicorn, with TLS."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from app_service.app import AppSettings, create_app

log = logging.getLogger("cicada.app")


class AppServiceError(Exception):
    """The service cannot start; the message says why."""


def run_app_service(settings: AppSettings, *, host: str, port: int, certificate: Path, private_key: Path,
                    on_ready=None) -> None:
    for what, path in (("certificate", certificate), ("private key", private_key)):
        if not Path(path).is_file():
            raise AppServiceError(f"the TLS {what} {path} does not exist; run `cicada keys init`, or set "
                                  "[keys] tls_certificate and tls_key to the site's")
    config = uvicorn.Config(create_app(settings), host=host, port=port, ssl_certfile=str(certificate),
                            ssl_keyfile=str(private_key), log_level="warning", access_log=False,
                            lifespan="on", timeout_graceful_shutdown=5)
    server = _Server(config, on_ready)
    server.run()
    if not server.started:
        raise AppServiceError(f"cannot listen on {host}:{port} (is another application service running?)")


class _Server(uvicorn.Server):
    """uvicorn's server, telling the caller once it listens (the port it got, for port 0)."""

    def __init__(self, config: uvicorn.Config, on_ready):
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started and self.on_ready is not None:
            port = self.servers[0].sockets[0].getsockname()[1] if self.servers else self.config.port
            self.on_ready(port)
