"""The mail queue's parts that carry it through faults, each on its own: the
router's decisions stored in order and kept through a database outage, what
counts as an outage, and the limits on new web chats."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from crm.errors import Conflict, DatabaseUnavailable
from email_queue.assignments import Assignments
from email_queue.chat_gate import ChatGate, ChatLimits, ChatRefused
from email_queue.health import DatabaseHealth, describe, is_outage
from email_queue.routing import QueueRule, Router, Work


def run_alone(coroutine):
    """asyncio.run in a thread of its own: the browser tests' session keeps a loop running in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Writes:
    """The CRM's side of Assignments: records each write; `away` makes them fail as in an outage."""

    def __init__(self):
        self.done: list[tuple[int, str, str | None, float]] = []
        self.away = False
        self.refuse: set[int] = set()
        self.hold: asyncio.Event | None = None
        self.steps: list[str] = []  # the keys of the steps written, in order (a key again: written again)
        self.answer_lost = False  # the next write commits, but its answer does not come back

    async def __call__(self, conversation_id, status, agent, at, steps=()):
        if self.hold is not None:
            await self.hold.wait()
        if self.away:
            raise DatabaseUnavailable("away")
        if conversation_id in self.refuse:
            raise Conflict(f"conversation {conversation_id} is closed")
        self.done.append((conversation_id, status, agent, at))
        self.steps.extend(step["key"] for step in steps)
        if self.answer_lost:
            self.answer_lost = False
            raise DatabaseUnavailable("the connection dropped before the commit's answer")


def routed():
    router = Router([QueueRule("service")])
    for agent in ("ann", "bob"):
        router.login(agent, ["service"], {"email": 1})
        router.set_available(agent, "email", True)
    return router


# --- decisions through an outage ------------------------------------------------------------------------


def test_a_conversation_is_written_as_the_router_has_it_and_a_later_write_never_lands_first():
    async def scenario():
        router, writes, health = routed(), Writes(), DatabaseHealth()
        assignments = Assignments(router, writes, health)
        router.add(Work(1, "email", "service"))
        writes.hold = asyncio.Event()
        first = asyncio.create_task(assignments.store(1, 10.0))  # offered to ann, the write held up
        await asyncio.sleep(0)
        router.accept(router.items[1].agent, 1)
        second = asyncio.create_task(assignments.store(1, 11.0))  # assigned: must wait for the first
        await asyncio.sleep(0)
        writes.hold.set()
        assert await first and await second
        return writes.done, router.items[1].agent

    done, agent = run_alone(scenario())
    assert [(status, who, at) for _, status, who, at in done] == [("offered", agent, 10.0), ("assigned", agent, 11.0)]


def test_decisions_the_database_cannot_take_are_kept_and_written_as_the_router_then_has_them():
    async def scenario():
        router, writes, health = routed(), Writes(), DatabaseHealth()
        assignments = Assignments(router, writes, health)
        router.add(Work(1, "email", "service"))
        writes.away = True
        assert await assignments.store(1, 10.0)  # kept, not refused
        health.failed(OperationalError("SELECT 1", {}, Exception("connection refused")))
        holder = router.items[1].agent
        decisions = router.reject(holder, 1)  # goes round meanwhile; nothing is tried
        for decision in decisions:
            assert await assignments.store(decision.conversation_id, 12.0)
        kept = dict(assignments.unsaved)
        writes.away = False
        assert await assignments.flush() == 0  # still away as far as anyone knows
        health.back()
        written = await assignments.flush()
        return kept, written, writes.done, router.items[1], assignments.unsaved

    kept, written, done, work, unsaved = run_alone(scenario())
    assert kept == {1: 12.0}
    assert written == 1 and unsaved == {}
    assert done == [(1, "offered", work.agent, 12.0)]  # one write, of the latest state
    assert work.state == "offered"


def test_a_refusal_of_the_crm_is_not_kept_and_a_conversation_closed_meanwhile_is_not_written():
    async def scenario():
        router, writes, health = routed(), Writes(), DatabaseHealth()
        assignments = Assignments(router, writes, health)
        router.add(Work(1, "email", "service"))
        router.add(Work(2, "email", "service"))
        writes.refuse.add(1)
        refused = await assignments.store(1, 10.0)
        health.failed(OperationalError("SELECT 1", {}, Exception("gone")))
        await assignments.store(2, 10.0)
        router.finished(2)
        health.back()
        await assignments.flush()
        return refused, writes.done, assignments.unsaved

    refused, done, unsaved = run_alone(scenario())
    assert refused is False and done == [] and unsaved == {}


def step(key: str) -> dict:
    return {"key": key}


def test_steps_kept_through_an_outage_are_written_once_each_in_order_with_the_state_they_made():
    async def scenario():
        router, writes, health = routed(), Writes(), DatabaseHealth()
        assignments = Assignments(router, writes, health)
        router.add(Work(1, "email", "service"))
        writes.away = True
        assert await assignments.store(1, 10.0, [step("offered-1")])
        health.failed(OperationalError("SELECT 1", {}, Exception("connection refused")))
        for decision in router.reject(router.items[1].agent, 1):
            assert await assignments.store(decision.conversation_id, 12.0, [step(f"{decision.kind}-2")])
        writes.away = False
        health.back()
        await assignments.flush()
        return writes.done, writes.steps, assignments.steps, assignments.unsaved

    done, steps, left, unsaved = run_alone(scenario())
    assert len(done) == 1 and steps == ["offered-1", "requeued-2", "offered-2"]
    assert left == {} and unsaved == {}


def test_steps_whose_commit_answer_was_lost_are_written_again_with_the_same_keys():
    async def scenario():
        router, writes, health = routed(), Writes(), DatabaseHealth()
        assignments = Assignments(router, writes, health)
        router.add(Work(1, "email", "service"))
        writes.answer_lost = True
        assert await assignments.store(1, 10.0, [step("mq-a:1")])
        health.failed(OperationalError("SELECT 1", {}, Exception("connection reset")))
        health.back()
        await assignments.flush()
        return writes.steps, assignments.steps

    steps, left = run_alone(scenario())
    assert steps == ["mq-a:1", "mq-a:1"] and left == {}  # the log's unique key keeps the one row


def test_the_steps_of_a_conversation_closed_before_the_database_came_back_are_still_written():
    async def scenario():
        router, writes, health = routed(), Writes(), DatabaseHealth()
        assignments = Assignments(router, writes, health)
        router.add(Work(1, "email", "service"))
        health.failed(OperationalError("SELECT 1", {}, Exception("gone")))
        await assignments.store(1, 10.0, [step("offered")])
        router.finished(1)
        health.back()
        await assignments.flush()
        return writes.done, writes.steps

    done, steps = run_alone(scenario())
    assert done == [(1, None, None, 10.0)] and steps == ["offered"]


def test_the_steps_of_a_decision_the_crm_refuses_are_dropped_with_it():
    async def scenario():
        router, writes, health = routed(), Writes(), DatabaseHealth()
        assignments = Assignments(router, writes, health)
        router.add(Work(1, "email", "service"))
        writes.refuse.add(1)
        refused = await assignments.store(1, 10.0, [step("offered")])
        return refused, writes.steps, assignments.steps

    refused, steps, left = run_alone(scenario())
    assert refused is False and steps == [] and left == {}


def test_a_flush_stops_when_the_database_goes_away_again():
    async def scenario():
        router, writes, health = routed(), Writes(), DatabaseHealth()
        assignments = Assignments(router, writes, health)
        for cid in (1, 2):
            router.add(Work(cid, "email", "service"))
        health.failed(OperationalError("SELECT 1", {}, Exception("gone")))
        await assignments.store(1, 10.0)
        await assignments.store(2, 11.0)
        health.back()
        writes.away = True
        written = await assignments.flush()
        return written, assignments.unsaved

    written, unsaved = run_alone(scenario())
    assert written == 0 and unsaved == {1: 10.0, 2: 11.0}


def test_what_counts_as_an_outage_and_how_it_is_told():
    lost = OperationalError("SELECT secret FROM t WHERE name = %(name)s", {"name": "Li Na"},
                            Exception("server closed the connection unexpectedly\nThis probably means..."))
    assert is_outage(lost) and is_outage(DatabaseUnavailable("x"))
    assert not is_outage(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_outage(Conflict("closed")) and not is_outage(ValueError())
    assert describe(lost) == "server closed the connection unexpectedly"  # no SQL, no customer data
    clock = Clock()
    health = DatabaseHealth(clock)
    assert health.failed(lost) is True and health.failed(lost) is False
    clock.now += 42
    assert health.back() == 42 and health.back() is None and health.available


# --- new web chats -----------------------------------------------------------------------------------


def test_a_source_may_have_so_many_chats_open_and_another_once_one_is_closed():
    gate = ChatGate(ChatLimits(per_source=2, burst=10), clock=Clock())
    for cid in (1, 2):
        gate.admit("203.0.113.7")
        gate.opened("203.0.113.7", cid)
    with pytest.raises(ChatRefused) as refused:
        gate.admit("203.0.113.7")
    assert refused.value.code == "too_many_chats" and refused.value.retry_after > 0
    gate.admit("198.51.100.1")  # another address is not concerned
    gate.ended(1)
    gate.admit("203.0.113.7")
    assert gate.refused == 1


def test_openings_are_rate_limited_per_source_after_a_burst():
    clock = Clock()
    gate = ChatGate(ChatLimits(per_source=100, burst=3, per_minute=2.0), clock=clock)
    for _ in range(3):
        gate.admit("203.0.113.7")
    with pytest.raises(ChatRefused) as refused:
        gate.admit("203.0.113.7")
    assert refused.value.code == "chat_rate_limited" and refused.value.retry_after == pytest.approx(30.0)
    clock.now += 30.0
    gate.admit("203.0.113.7")


def test_no_more_chats_are_taken_than_may_wait_in_all():
    waiting = [0]
    gate = ChatGate(ChatLimits(waiting=2), waiting=lambda: waiting[0], clock=Clock())
    gate.admit("203.0.113.7")
    waiting[0] = 2
    with pytest.raises(ChatRefused) as refused:
        gate.admit("198.51.100.1")
    assert refused.value.code == "chat_busy"


def test_a_refused_source_is_logged_once_not_per_attempt(caplog):
    clock = Clock()
    gate = ChatGate(ChatLimits(per_source=1, burst=100), clock=clock)
    gate.opened("203.0.113.7", 1)
    with caplog.at_level(logging.WARNING, "email_queue.chat_gate"):
        for _ in range(50):
            with pytest.raises(ChatRefused):
                gate.admit("203.0.113.7")
        clock.now += 601
        with pytest.raises(ChatRefused):
            gate.admit("203.0.113.7")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and all("203.0.113.7" in line and "too_many_chats" in line for line in lines)
    assert gate.refused == 51


def test_invented_addresses_cost_bounded_memory(monkeypatch):
    import email_queue.chat_gate as chat_gate

    monkeypatch.setattr(chat_gate, "MAX_SOURCES", 100)
    gate = ChatGate(ChatLimits(burst=1), clock=Clock())
    for n in range(1000):
        gate.admit(f"10.0.{n // 256}.{n % 256}")
        with pytest.raises(ChatRefused):
            gate.admit(f"10.0.{n // 256}.{n % 256}")
    assert len(gate._buckets) <= 100 and len(gate._logged) <= 100


# --- the service's loops -----------------------------------------------------------------------------


def test_a_loop_failing_again_and_again_logs_its_traceback_once_a_minute_with_a_count(caplog):
    from email_queue.config import load_mailq_config
    from bus.keys import new_keypair
    from email_queue.service import FAILURE_LOG_SECONDS, MailqService

    service = MailqService(load_mailq_config(None), "sqlite://", keypair=new_keypair())
    try:
        with caplog.at_level(logging.ERROR, "email_queue.service"):
            for _ in range(5):
                try:
                    raise RuntimeError("a bug in one round")
                except RuntimeError:
                    service._report_failure("offer expiry")
            last, since = service._failures_logged["offer expiry"]
            service._failures_logged["offer expiry"] = (last - FAILURE_LOG_SECONDS, since)  # a minute later
            try:
                raise RuntimeError("a bug in one round")
            except RuntimeError:
                service._report_failure("offer expiry")
        messages = [r.getMessage() for r in caplog.records]
        assert messages == ["offer expiry failed; the mail queue goes on",
                            "offer expiry failed (4 more times since it was last logged); the mail queue goes on"]
        assert all(r.exc_info for r in caplog.records)
    finally:
        service.pool.shutdown()
        service.session_checks.shutdown()
