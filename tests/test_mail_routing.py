"""The mail queue's routing rules: push offers to the best agent within his
capacity, reject and time-out to the next, the group inbox, requeue on log
off and after a restart."""

from __future__ import annotations

import pytest

from email_queue.routing import PULL, QueueRule, Router, RoutingError, Work


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def router(clock):
    return Router([QueueRule("service", offer_seconds=20), QueueRule("sales", mode=PULL)], clock=clock)


def ready(router, agent, queues=("service",), email=2, chat=1):
    router.login(agent, queues, {"email": email, "chat": chat})
    decisions = router.set_available(agent, "email", True)
    return decisions + router.set_available(agent, "chat", True)


def offered(decisions):
    return [(d.conversation_id, d.agent) for d in decisions if d.kind == "offered"]


def test_push_work_is_offered_to_the_least_loaded_agent_and_accepted(router):
    ready(router, "ann")
    ready(router, "bob")
    first = router.add(Work(1, "email", "service"))
    assert offered(first) == [(1, "ann")]  # equal load: by name, then by idle time
    router.accept("ann", 1)
    assert offered(router.add(Work(2, "email", "service"))) == [(2, "bob")]
    router.accept("bob", 2)
    # both have one of two emails; ann was assigned longer ago
    assert offered(router.add(Work(3, "email", "service")))[0][1] in ("ann", "bob")


def test_capacity_per_channel_is_never_exceeded(router):
    ready(router, "ann", email=1, chat=1)
    assert offered(router.add(Work(1, "email", "service"))) == [(1, "ann")]
    assert offered(router.add(Work(2, "email", "service"))) == []  # full for email (the offer counts)
    assert offered(router.add(Work(3, "chat", "service"))) == [(3, "ann")]  # chat has its own room
    router.accept("ann", 1)
    assert offered(router.finished(1)) == [(2, "ann")]  # room again: the waiting email comes


def test_an_agent_not_available_for_a_channel_gets_none_of_it(router):
    router.login("ann", ["service"], {"email": 5, "chat": 5})
    router.set_available("ann", "chat", True)
    assert offered(router.add(Work(1, "email", "service"))) == []
    assert offered(router.set_available("ann", "email", True)) == [(1, "ann")]


def test_rejected_and_unanswered_offers_go_to_the_next_agent(router, clock):
    ready(router, "ann")
    ready(router, "bob")
    router.add(Work(1, "email", "service"))
    decisions = router.reject("ann", 1)
    assert [d.kind for d in decisions] == ["requeued", "offered"] and offered(decisions) == [(1, "bob")]
    clock.now += 19
    assert router.expire() == []
    clock.now += 2
    decisions = router.expire()
    assert decisions[0].kind == "requeued" and decisions[0].reason == "not answered in time"
    # both refused: the round starts again rather than leaving the customer waiting
    assert offered(decisions) == [] and offered(router.dispatch()) == [(1, "ann")]


def test_most_urgent_work_is_offered_first(router, clock):
    router.add(Work(1, "email", "service", priority=5))
    router.add(Work(2, "email", "service", priority=5, due_at=clock.now + 60))
    router.add(Work(3, "email", "service", priority=1))
    decisions = ready(router, "ann", email=3)
    assert [cid for cid, _ in offered(decisions)] == [3, 2, 1]


def test_a_pull_queue_waits_in_the_group_inbox_until_an_agent_takes_it(router):
    ready(router, "ann", queues=("service", "sales"))
    ready(router, "bob", queues=("service",))
    assert offered(router.add(Work(7, "email", "sales"))) == []
    assert [w.conversation_id for w in router.waiting("sales")] == [7]
    with pytest.raises(RoutingError) as refused:
        router.pull("bob", 7)
    assert refused.value.code == "not_your_queue"
    assert [d.kind for d in router.pull("ann", 7)] == ["assigned"]
    with pytest.raises(RoutingError) as taken:
        router.pull("ann", 7)
    assert taken.value.code == "taken"


def test_pulling_beyond_capacity_is_refused(router):
    ready(router, "ann", queues=("sales",), email=1)
    router.add(Work(1, "email", "sales"))
    router.add(Work(2, "email", "sales"))
    router.pull("ann", 1)
    with pytest.raises(RoutingError) as full:
        router.pull("ann", 2)
    assert full.value.code == "full"


def test_work_of_an_agent_who_logs_off_goes_back_and_on_to_another(router):
    ready(router, "ann")
    router.add(Work(1, "email", "service"))
    router.accept("ann", 1)
    router.add(Work(2, "email", "service"))  # offered to ann, not yet accepted
    ready(router, "bob", email=0)
    decisions = router.logout("ann", "disconnected")
    assert [(d.kind, d.conversation_id, d.reason) for d in decisions] == [
        ("requeued", 1, "disconnected"), ("requeued", 2, "disconnected")]
    assert len(router.waiting("service")) == 2
    assert offered(router.set_available("bob", "email", True)) == []  # bob has no room for email
    ready(router, "bob")
    assert sorted(offered(router.dispatch())) == []  # ready() already dispatched both
    assert {w.agent for w in router.items.values()} == {"bob"}


def test_after_a_restart_assigned_work_waits_for_its_agent_then_goes_back(router, clock):
    router.add(Work(1, "email", "service", state="assigned", agent="ann"))
    router.add(Work(2, "email", "service", state="offered", agent="ann"))  # offers do not survive
    assert router.items[1].state == "assigned" and router.items[2].state == "queued"
    ready(router, "ann")
    assert 1 in router.seats["ann"].work and router.items[1].agent == "ann"
    router.add(Work(3, "chat", "service", state="assigned", agent="bob"))
    clock.now += 121
    decisions = router.expire()
    assert ("requeued", 3) in [(d.kind, d.conversation_id) for d in decisions]
    assert router.items[1].state == "assigned"  # ann came back in time


def test_commands_about_unknown_work_or_agents_are_refused_plainly(router):
    with pytest.raises(RoutingError) as unknown:
        router.accept("ann", 99)
    assert unknown.value.code == "unknown"
    with pytest.raises(RoutingError) as absent:
        router.set_available("nobody", "email", True)
    assert absent.value.code == "not_logged_in"
    ready(router, "ann")
    with pytest.raises(RoutingError) as channel:
        router.set_available("ann", "fax", True)
    assert channel.value.code == "bad_channel"
    router.add(Work(1, "email", "service"))
    ready(router, "bob")
    with pytest.raises(RoutingError) as not_offered:
        router.accept("bob", 1)
    assert not_offered.value.code == "not_offered"
