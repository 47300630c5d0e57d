"""A relay for trying Cicada without a mail server: an SMTP listener on
127.0.0.1 that delivers every message into a folder as an .eml file, so the
demo's replies are really sent (and can be opened in any mail program)."""

from __future__ import annotations

import itertools
import socket
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from email_queue.outbox import Relay


class _FolderHandler:
    def __init__(self, folder: Path):
        self.folder = folder
        self.count = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self.count):04d}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 2.0.0 OK: delivered to the folder"


class SentFolder:
    """Start with `start()`; `relay` is what the outbox sends through."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.controller: Controller | None = None

    def start(self) -> Relay:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.controller = Controller(_FolderHandler(self.folder), hostname="127.0.0.1", port=_free_port())
        self.controller.start()
        return Relay("127.0.0.1", self.controller.port, timeout=10)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
