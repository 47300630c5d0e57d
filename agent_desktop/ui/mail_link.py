"""The desktop's connection to the mail queue: the gateway link's machinery
(events in the Qt loop, commands on a thread, a heartbeat watchdog) with the
mail queue's client, events and heartbeat."""

from __future__ import annotations

import zmq

from agent_desktop.ui.cti_link import CtiLink
from bus import mailq
from email_queue.client import MailqClient


class MailLink(CtiLink):
    client_class = MailqClient
    events_catalogue = mailq.EVENTS
    heartbeat_type = mailq.MailqHeartbeat
    service_topic = mailq.MAILQ_TOPIC
    service_name = "the mail queue"

    def follow_queues(self, queues: list[str]) -> None:
        """Group inbox changes of these queues."""
        for queue in queues:
            self._sub.setsockopt(zmq.SUBSCRIBE, mailq.queue_topic(queue).encode())
