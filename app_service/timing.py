"""`Server-Timing: app;dur=MS` on every answer: how long the service worked on a
request, from its first byte read to its headers sent. A client (and a bench)
can then tell the agent's PC, the network and the service apart."""

from __future__ import annotations

import time


class ServerTiming:
    """Pure ASGI middleware (no body buffering, streaming answers untouched)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message):
            if message["type"] == "http.response.start":
                spent = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={spent:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)


def server_ms(headers) -> float | None:
    """The service's own time from a response's Server-Timing header, or None."""
    for part in (headers.get("server-timing") or "").split(","):
        name, _, rest = part.strip().partition(";")
        if name == "app" and rest.startswith("dur="):
            try:
                return float(rest[4:])
            except ValueError:
                return None
    return None
