"""A message to a queue's agents when one of its alerts starts (`alert_message = true` for the
queue), through the gateway's supervisor broadcast, with the session of the supervisor whose
watch saw it. Several scopes watching the same queue raise the same alert: it goes out once a
minute at most."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from admin_console import i18n
from admin_console.alerts.book import Alert
from admin_console.alerts.texts import alert_text
from bus import cti
from cti_gateway.client import CtiClient, CtiError

log = logging.getLogger("cicada.console")

AGAIN_SECONDS = 60.0


def message_text(alert: Alert) -> str:
    """In both of the product's languages: the console does not know the agents'."""
    view = alert.view()
    return " / ".join(alert_text(lambda text, lang=lang: i18n.translate(lang, text), view, {})
                      for lang in ("en", "zh"))


class Announcer:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.sent: dict[tuple[str, str | None], float] = {}  # (kind, queue) -> when last sent

    def __call__(self, client: CtiClient, token: str, alert: Alert) -> None:
        with self.lock:
            key, now = (alert.kind, alert.queue), self.clock()
            if now - self.sent.get(key, -1e18) < AGAIN_SECONDS:
                return
            self.sent[key] = now
        try:
            result = client.request(cti.SupervisorBroadcast(token=token, text=message_text(alert), queue=alert.queue),
                                    cti.BroadcastResult)
            log.info("alert on queue %s told to %d agent(s)", alert.queue, len(result.agents))
        except CtiError as exc:
            log.warning("the alert on queue %s could not be told to its agents: %s", alert.queue, exc.message)
