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
    assert (decisions[0].kind, decisions[0].reason, decisions[0].cause) == ("requeued", "not answered in time",
                                                                          "not_answered")
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


def test_a_seat_in_two_queues_gets_the_most_urgent_work_of_either_first(clock):
    router = Router([QueueRule("service"), QueueRule("vip")], clock=clock)
    router.add(Work(1, "email", "service", priority=5))
    router.add(Work(2, "email", "vip", priority=1))
    router.add(Work(3, "email", "service", priority=3))
    decisions = ready(router, "ann", queues=("service", "vip"), email=2)
    assert offered(decisions) == [(2, "ann"), (3, "ann")]
    assert [(w.conversation_id, w.queue) for w in router.waiting()] == [(1, "service")]
    assert router.waiting_count("service") == (1, clock.now) and router.waiting_count("vip") == (0, None)


def test_work_everyone_refused_is_offered_again_on_the_next_tick(router, clock):
    ready(router, "ann")
    router.add(Work(1, "email", "service"))
    router.reject("ann", 1)  # the only agent: no one left this round
    assert router.items[1].state == "queued"
    assert offered(router.expire()) == [(1, "ann")]


def assigned_to(router, agent, work):
    work.state, work.agent = "assigned", agent
    router.add(work)
    assert work.conversation_id in router.seats[agent].work


def test_a_transfer_to_a_queue_frees_the_agent_and_is_offered_to_another_agent_of_that_queue(clock):
    router = Router([QueueRule("service"), QueueRule("vip")], clock=clock)
    ready(router, "ann", queues=("service", "vip"), email=1)
    ready(router, "bob", queues=("vip",), email=1)
    assigned_to(router, "ann", Work(1, "email", "service", priority=2, due_at=clock.now + 600))
    router.add(Work(2, "email", "service"))  # waits: ann is full
    decisions = router.transfer("ann", 1, queue="vip")
    assert [(d.kind, d.conversation_id, d.agent) for d in decisions] == [
        ("requeued", 1, "ann"), ("offered", 1, "bob"), ("offered", 2, "ann")]  # ann's room filled at once
    assert decisions[0].reason == "transferred to vip"
    work = router.items[1]
    assert (work.queue, work.priority, work.due_at) == ("vip", 2, clock.now + 600)
    assert router.seats["ann"].work == {2} and router.seats["bob"].work == {1}
    check_indexes(router)


def test_a_transfer_to_a_queue_goes_to_someone_else_before_coming_back(clock):
    router = Router([QueueRule("service"), QueueRule("vip")], clock=clock)
    ready(router, "ann", queues=("service", "vip"))
    ready(router, "bob", queues=("vip",))
    assigned_to(router, "bob", Work(5, "email", "vip"))
    assigned_to(router, "ann", Work(1, "email", "service"))
    # ann is the less loaded once it leaves her, but she has just handed it on
    assert offered(router.transfer("ann", 1, queue="vip")) == [(1, "bob")]
    router.reject("bob", 1)
    assert router.items[1].state == "queued"  # no one else: the next round
    assert offered(router.expire()) == [(1, "ann")]


def test_a_transfer_to_a_pull_queue_waits_in_its_group_inbox(router):
    ready(router, "ann", queues=("service", "sales"))
    ready(router, "bob", queues=("sales",))
    assigned_to(router, "ann", Work(1, "email", "service"))
    decisions = router.transfer("ann", 1, queue="sales")
    assert [d.kind for d in decisions] == ["requeued"] and router.items[1].state == "queued"
    assert [w.conversation_id for w in router.waiting("sales")] == [1]
    assert router.seats["ann"].load("email") == 0
    assert [d.kind for d in router.pull("bob", 1)] == ["assigned"]


def test_a_transfer_to_a_colleague_is_offered_to_him_alone_and_accepted(router):
    ready(router, "ann")
    ready(router, "bob", queues=("sales",))  # not even in the work's queue
    ready(router, "cho")
    assigned_to(router, "ann", Work(1, "chat", "service"))
    decisions = router.transfer("ann", 1, to_agent="bob")
    assert [(d.kind, d.agent) for d in decisions] == [("requeued", "ann"), ("offered", "bob")]
    assert router.seats["ann"].load("chat") == 0 and router.seats["bob"].load("chat") == 1
    assert offered(router.dispatch()) == [] and offered(router.expire()) == []  # nobody else gets it
    check_indexes(router)
    assert [(d.kind, d.agent) for d in router.accept("bob", 1)] == [("assigned", "bob")]


@pytest.mark.parametrize("refuse", ["reject", "time out"])
def test_a_transfer_to_a_colleague_refused_goes_back_to_its_queue_and_to_someone_else(router, clock, refuse):
    ready(router, "ann")
    ready(router, "bob")
    ready(router, "cho")
    assigned_to(router, "ann", Work(1, "email", "service"))
    router.transfer("ann", 1, to_agent="bob")
    if refuse == "reject":
        decisions = router.reject("bob", 1)
    else:
        clock.now += 21
        decisions = router.expire()
    assert decisions[0].kind == "requeued" and offered(decisions) == [(1, "cho")]  # not back to ann first
    router.reject("cho", 1)
    assert [cid for cid, _ in offered(router.expire())] == [1]  # everyone said no: a new round


def refusal(call) -> str:
    with pytest.raises(RoutingError) as refused:
        call()
    return refused.value.code


def test_transfers_the_rules_refuse_are_refused_with_their_reason(router):
    ready(router, "ann")
    ready(router, "bob", email=1)
    router.login("cho", ["service"], {"email": 2})  # logged in, not available for email
    assigned_to(router, "ann", Work(1, "email", "service"))
    assigned_to(router, "bob", Work(2, "email", "service"))  # bob is full now
    router.add(Work(3, "email", "service"))  # offered to ann, not accepted
    codes = [
        refusal(lambda: router.transfer("ann", 2, queue="sales")),  # bob's
        refusal(lambda: router.transfer("ann", 3, queue="sales")),  # only offered
        refusal(lambda: router.transfer("ann", 1, queue="billing")),
        refusal(lambda: router.transfer("ann", 1, to_agent="dai")),
        refusal(lambda: router.transfer("ann", 1, to_agent="bob")),
        refusal(lambda: router.transfer("ann", 1, to_agent="cho")),
        refusal(lambda: router.transfer("ann", 1, queue="sales", to_agent="bob")),
        refusal(lambda: router.transfer("ann", 1)),
        refusal(lambda: router.transfer("ann", 1, to_agent="ann")),
        refusal(lambda: router.transfer("ann", 99, queue="sales")),
    ]
    assert codes == ["not_assigned", "not_assigned", "unknown_queue", "target_not_logged_in", "target_full",
                     "target_not_available", "bad_transfer", "bad_transfer", "self_transfer", "unknown"]
    assert router.items[1].state == "assigned" and router.items[1].agent == "ann"  # nothing changed
    check_indexes(router)


def check_indexes(router: Router) -> None:
    """What the router keeps to be fast agrees with what it holds."""
    queued = {cid for cid, w in router.items.items() if w.state == "queued"}
    assert {w.conversation_id for w in router.waiting()} == queued
    assert set(router.offers) == {cid for cid, w in router.items.items() if w.state == "offered"}
    for seat in router.seats.values():
        for channel in ("email", "chat"):
            held = [cid for cid in seat.work if router.items[cid].channel == channel]
            assert seat.load(channel) == len(held) <= max(seat.capacity.get(channel, 0), len(held))
            assert all(router.items[cid].agent == seat.agent for cid in held)
    if router.round_again:
        return  # work everyone refused: the next expire() offers it again
    for work in router.waiting():
        if router.queues[work.queue].mode == PULL:
            continue
        for seat in router.seats.values():  # nothing left waiting that a seat could take now
            assert not (work.queue in seat.queues and seat.has_room(work.channel)
                        and seat.agent not in work.refused_by), (work, seat)


def test_random_traffic_keeps_capacity_order_and_indexes_true(clock):
    import random

    rng = random.Random(7)
    router = Router([QueueRule("service"), QueueRule("vip"), QueueRule("sales", mode=PULL)], clock=clock)
    agents = ["ann", "bob", "cho", "dai"]
    next_id = 1
    for _ in range(3000):
        clock.now += rng.random()
        op = rng.random()
        try:
            if op < 0.30:
                router.add(Work(next_id, rng.choice(["email", "chat"]), rng.choice(["service", "vip", "sales"]),
                                priority=rng.randint(1, 5)))
                next_id += 1
            elif op < 0.38:
                agent = rng.choice(agents)
                router.login(agent, rng.sample(["service", "vip", "sales"], rng.randint(1, 3)),
                             {"email": rng.randint(0, 4), "chat": rng.randint(0, 3)})
                router.set_available(agent, rng.choice(["email", "chat"]), True)
            elif op < 0.42:
                router.logout(rng.choice(agents))
            elif op < 0.47:
                router.set_available(rng.choice(agents), rng.choice(["email", "chat"]), rng.random() < 0.6)
            elif op < 0.62 and router.offers:
                work = router.offers[rng.choice(list(router.offers))]
                (router.accept if rng.random() < 0.7 else router.reject)(work.agent, work.conversation_id)
            elif op < 0.70:
                pullable = router.waiting("sales")
                if pullable:
                    router.pull(rng.choice(agents), pullable[0].conversation_id)
            elif op < 0.78 and router.items:
                router.finished(rng.choice(list(router.items)))
            elif op < 0.85:
                transfer_some_work(router, rng, agents)
            else:
                router.expire()
        except RoutingError:
            pass
        check_indexes(router)
    assert next_id > 800 and any(w.state == "assigned" for w in router.items.values())


def transfer_some_work(router: Router, rng, agents: list[str]) -> None:
    assigned = [w for w in router.items.values() if w.state == "assigned"]
    if not assigned:
        return
    work = rng.choice(assigned)
    if rng.random() < 0.5:
        router.transfer(work.agent, work.conversation_id, queue=rng.choice(["service", "vip", "sales"]))
    else:
        router.transfer(work.agent, work.conversation_id, to_agent=rng.choice(agents))
