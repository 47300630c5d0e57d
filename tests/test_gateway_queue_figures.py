"""A queue's figures on the bus: the first change at once, later ones at most every
QUEUE_FIGURES_EVERY and taken afresh when they go; every other event at once."""

from __future__ import annotations

import asyncio

from loops import run_apart
from bus import cti
from bus.envelope import decode_event
from cti_gateway.service import QUEUE_FIGURES_EVERY, BusPublisher


def figures(queue: str, waiting: int) -> cti.QueueStatsChanged:
    return cti.QueueStatsChanged(stats=cti.QueueStats(
        queue=queue, waiting=waiting, longest_wait=0.0, agents_logged_in=1, agents_ready=1, agents_offered=0,
        agents_busy=0, agents_wrap_up=0, agents_not_ready=0, entered=waiting, answered=0, abandoned=0,
        overflowed=0, answered_in_service_level=0, service_level_seconds=20.0, service_level=None))


class Delivery:
    def __init__(self):
        self.sent: list = []

    def publish(self, keys, payload: bytes) -> int:
        self.sent.append(decode_event(payload, cti.EVENTS))
        return len(keys)

    def publish_to_all(self, payload: bytes) -> int:
        return self.publish(["all"], payload)


class Audience:
    def for_everyone(self, topics) -> bool:
        return False

    def keys(self, topics) -> set[str]:
        return {"ann"}


def test_a_queue_s_figures_go_at_once_then_at_most_every_interval_the_latest_taken_when_they_go():
    async def scenario() -> tuple[list, list, list]:
        delivery = Delivery()
        publisher = BusPublisher(delivery, Audience(), "run1")
        now = {"billing": 0, "sales": 0}
        publisher.figures = lambda queue: figures(queue, now[queue])
        topic = [cti.queue_topic("billing")]
        for waiting in range(1, 6):  # five changes in a moment
            now["billing"] = waiting
            publisher.publish(topic, figures("billing", waiting))
        now["billing"] = 9  # changed once more without an event: what goes is what holds then
        publisher.publish([cti.queue_topic("sales")], figures("sales", 1))
        publisher.publish([cti.GATEWAY_TOPIC], cti.GatewayHeartbeat(run="run1", started_at=0.0, records_healthy=True,
                                                                         workers_up=1, workers=1))
        at_once = list(delivery.sent)
        await asyncio.sleep(QUEUE_FIGURES_EVERY * 1.6)
        after_interval = delivery.sent[len(at_once):]
        await asyncio.sleep(QUEUE_FIGURES_EVERY * 1.6)  # nothing changed: nothing more
        publisher.close()
        return at_once, after_interval, delivery.sent

    at_once, after_interval, everything = run_apart(scenario(), timeout=10)
    assert [(type(e).__name__, getattr(e, "stats", None) and e.stats.waiting) for _, e in at_once] == [
        ("QueueStatsChanged", 1), ("QueueStatsChanged", 1), ("GatewayHeartbeat", None)]
    assert [(e.stats.queue, e.stats.waiting) for _, e in after_interval] == [("billing", 9)]
    assert len(everything) == 4
    assert [envelope.seq for envelope, _ in everything] == [1, 2, 3, 4]  # numbered as they go
