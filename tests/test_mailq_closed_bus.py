"""The mail queue's bus is closed: against a real `cicada mailq`, a client in
clear gets nothing at all, a CURVE client without a session nothing but the
refusal, an agent only his own chats (two agents, two chats, a card number
in each), a supervisor only his org units' agents, a session ended in the CRM
is refused and logs its agent out, and a flood of made-up event keys costs a
working agent nothing."""

from __future__ import annotations

import time

import pytest
import zmq
from mailq_harness import make_mailq  # noqa: F401 (a fixture)
from test_mailq_faults import ChatCustomer, offered

from bus import mailq as bus
from bus.curve import make_client
from bus.delivery import prepare_subscriber, request_events
from bus.envelope import decode_reply, encode_request
from email_queue.client import MailqError

pytestmark = pytest.mark.slow


def events_for(client, seconds: float) -> list:
    """Every event the client receives within `seconds`."""
    got, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        event = client.next_event(min(left, 0.2))
        if event is not None:
            got.append(event[1])
    return got


def dealer(address: str, server_key: bytes | None = None, *, subscriber: bool = False) -> zmq.Socket:
    """A DEALER to the mail queue, in clear or (with `server_key`) speaking CURVE with a key of its own."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if subscriber:
        prepare_subscriber(sock)
    if server_key is not None:
        make_client(sock, server_key)
    sock.connect(address)
    return sock


def test_a_client_in_clear_gets_no_status_no_event_and_no_command(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann")
    commands, events = dealer(mailq.commands), dealer(mailq.events, subscriber=True)
    try:
        commands.send(encode_request("s", bus.Status()), zmq.NOBLOCK)
        commands.send(encode_request("p", bus.Ping(session=ann.session)), zmq.NOBLOCK)  # even a stolen session
        events.send(b"anything", zmq.NOBLOCK)
        assert not commands.poll(2000) and not events.poll(500), "a client in clear was answered"
    except zmq.Again:
        pass  # never connected: nothing could even be sent, which is the point
    finally:
        commands.close(0)
        events.close(0)
    ann.ping()  # the mail queue and its agent go on
    assert mailq.operator().status().agents == ["ann"]


def test_a_curve_client_without_a_session_gets_only_the_refusal(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("email",))
    commands = dealer(mailq.commands, mailq.public_key)
    events = dealer(mailq.events, mailq.public_key, subscriber=True)
    try:
        for n, command in enumerate([bus.Status(), bus.Ping(session="made-up"), bus.Snapshot(session=""),
                                     bus.AcceptWork(session="x" * 24, conversation_id=1),
                                     bus.SendNow(session="nobody")]):
            commands.send(encode_request(f"r{n}", command))
            assert commands.poll(5000), f"no reply to {command}"
            reply = decode_reply(commands.recv())
            assert (reply.ok, reply.error.code) == (False, "no_session"), command
        for key in (b"", b"made-up", ann.session.encode(), b"x" * 43):  # not an event key; or not one granted
            request_events(events, key.decode())
        assert not events.poll(2500), "events (or a heartbeat) reached a client without a session"
    finally:
        commands.close(0)
        events.close(0)


def test_each_agent_receives_his_own_chats_and_never_another_agents(make_mailq):
    mailq = make_mailq()
    ann, bob = mailq.desktop("ann", channels=("chat",)), mailq.desktop("bob", channels=("chat",))
    desks = {"ann": ann, "bob": bob}
    customers = [ChatCustomer(mailq), ChatCustomer(mailq, "127.0.0.2")]
    try:
        cids = [customers[0].start(name="Li Na")["conversation"]]
        holder = _offered_to(desks, cids[0])
        desks[holder].accept(cids[0])
        cids.append(customers[1].start(name="Zhao Lei", email="zhao@example.cn")["conversation"])
        other = _offered_to(desks, cids[1])
        assert other != holder  # the least loaded
        desks[other].accept(cids[1])
        customers[0].say("卡号 6222 0000 1111 2222", "c-1")
        customers[1].say("card 4111 1111 1111 1111", "c-2")
        heard = {name: events_for(desk, 2.0) for name, desk in desks.items()}
    finally:
        for customer in customers:
            customer.close()
    mine = {holder: cids[0], other: cids[1]}
    for name, events in heard.items():
        lines = [e for e in events if isinstance(e, bus.ChatLine)]
        assert [e.conversation_id for e in lines] == [mine[name]], (name, lines)
        assert all(getattr(e, "agent", name) == name for e in events), (name, events)
    assert "6222" in _texts(heard[holder]) and "6222" not in _texts(heard[other])
    assert "4111" in _texts(heard[other]) and "4111" not in _texts(heard[holder])


def _offered_to(desks: dict, conversation_id: int) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for name, desk in desks.items():
            got = desk.next_event(0.1)
            if got is not None and isinstance(got[1], bus.WorkOffered) \
                    and got[1].work.conversation_id == conversation_id:
                return name
    raise AssertionError(f"conversation {conversation_id} was offered to nobody")


def _texts(events: list) -> str:
    return " ".join(e.line.text for e in events if isinstance(e, bus.ChatLine))


def test_a_supervisor_watches_only_the_agents_of_his_org_units(make_mailq):
    mailq = make_mailq(silent_seconds=30.0)  # the watchers only listen here, they do not ping
    mailq.add_user("ann", org_unit="north")
    mailq.add_user("bob", org_unit="south")
    sue = mailq.supervisor("sue", org_unit="north")
    boss = mailq.supervisor("boss", role="administrator")
    with pytest.raises(MailqError) as refused:  # an agent cannot watch
        mailq.client().login(mailq.sign_in("bob"), watch=True)
    assert refused.value.code == "forbidden"
    ann, bob = mailq.desktop("ann", channels=("chat",)), mailq.desktop("bob", channels=("chat",))
    customer = ChatCustomer(mailq)
    try:
        cid = customer.start()["conversation"]
        holder = _offered_to({"ann": ann, "bob": bob}, cid)
        {"ann": ann, "bob": bob}[holder].accept(cid)
        customer.say("我的订单号是 889900", "c-1")
        seen = {"sue": events_for(sue, 2.0), "boss": events_for(boss, 0.5), "ann": events_for(ann, 0.5)}
    finally:
        customer.close()
    about = {name: {getattr(e, "agent", None) for e in events if not isinstance(e, bus.SeatChanged)} - {None}
             for name, events in seen.items()}
    assert about["boss"] == {holder}  # the administrator: every agent
    assert about["sue"] == ({"ann"} if holder == "ann" else set())  # never bob's chat
    seats = {name: {e.agent for e in events if isinstance(e, bus.SeatChanged)} for name, events in seen.items()}
    assert seats == {"sue": {"ann"}, "boss": {"ann", "bob"}, "ann": set()}  # seats: to supervisors only
    assert any(isinstance(e, bus.MailqHeartbeat) for e in seen["sue"])
    assert sue.status().agents == ["ann", "bob"]  # a supervisor's status is the whole of it
    assert [s.agent for s in sue.status().seats] == ["ann"]  # but the seats of his org units' agents only
    assert [s.agent for s in boss.status().seats] == ["ann", "bob"]
    assert ann.status().agents == ["ann"] and ann.status().health == []  # an agent's, his own
    assert ann.status().seats == []
    with pytest.raises(MailqError) as refused:
        sue.accept(cid)
    assert refused.value.code == "watching"


def test_an_ended_session_is_refused_and_logs_its_agent_out_at_once(make_mailq):
    mailq = make_mailq(account_check_seconds=0.5)
    signed_out = mailq.sign_in("bob")
    mailq.end_sessions("bob")
    with pytest.raises(MailqError, match="^You signed out; sign in again.$") as refused:
        mailq.client().login(signed_out)
    assert refused.value.code == "session_ended"

    ann = mailq.desktop("ann", channels=("email",))
    stolen = ann.session
    mailq.end_sessions("ann", "signed_out")  # she signs out of the application service
    ended = ann.wait_for(lambda e: isinstance(e, bus.MailSessionEnded), 10)
    assert (ended.agent, ended.reason) == ("ann", "signed_out")
    with pytest.raises(MailqError) as refused:
        ann.ping()
    assert refused.value.code == "no_session"
    assert events_for(ann, 1.5) == []  # no heartbeat either: her events stopped
    thief = mailq.client(events=False)
    thief.session = stolen
    with pytest.raises(MailqError) as refused:
        thief.snapshot()
    assert refused.value.code == "no_session"
    assert "ann" not in mailq.operator().status().agents
    assert "ann's mail queue session ends: the CRM session ended (signed_out)" in mailq.log()


def test_a_flood_of_made_up_event_keys_costs_a_working_agent_nothing(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("email",))
    flood = [dealer(mailq.events, mailq.public_key, subscriber=True) for _ in range(20)]
    try:
        started = time.monotonic()
        for n in range(5000):
            request_events(flood[n % 20], f"guess-{n:06d}-" + "x" * 30)
        beats = [e for e in events_for(ann, 2.5) if isinstance(e, bus.MailqHeartbeat)]
        slowest = 0.0
        for _ in range(5):
            before = time.monotonic()
            ann.ping()
            slowest = max(slowest, time.monotonic() - before)
        assert len(beats) >= 2 and slowest < 1.0, (len(beats), slowest, time.monotonic() - started)
        assert not any(sock.poll(0) for sock in flood), "a made-up key was answered"
    finally:
        for sock in flood:
            sock.close(0)
    assert "event subscriptions" in mailq.log()  # refused, and said in the log (a line a minute)


def test_a_supervisors_scope_is_his_org_unit_and_every_one_below_it(tmp_path):
    from crm.db import Database, make_engine, upgrade
    from crm.permissions import Actor
    from crm.services.users import create_org_unit, create_user
    from crm.services.supervision import WatchScope, watch_scope

    engine = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    upgrade(engine)
    database = Database(engine)
    system = Actor.system()
    with database.unit_of_work() as session:
        center = create_org_unit(session, system, kind="contact_center", code="cc", name="Contact center")
        north = create_org_unit(session, system, kind="site", code="north", name="North", parent=center)
        team = create_org_unit(session, system, kind="team", code="north-1", name="North 1", parent=north)
        south = create_org_unit(session, system, kind="site", code="south", name="South", parent=center)
        sue = create_user(session, system, username="sue", password="x" * 12, role="supervisor", org_unit=north)
        root = create_user(session, system, username="root", password="x" * 12, role="administrator")
        loner = create_user(session, system, username="lone", password="x" * 12, role="supervisor")
        scope = watch_scope(session, Actor.for_user(sue))  # as the mail queue applies it to a watcher
        assert scope == WatchScope(everything=False, org_unit_ids=frozenset({north.id, team.id}))
        assert scope.covers(team.id) and not scope.covers(south.id) and not scope.covers(None)
        everything = watch_scope(session, Actor.for_user(root))
        assert everything.covers(south.id) and everything.covers(None)  # agents of no org unit too
        assert watch_scope(session, Actor.for_user(loner)) == WatchScope(everything=False)  # no org unit: nobody's
    database.dispose()


def test_a_supervisor_sees_each_queues_counts_per_channel_and_each_agents_seat(make_mailq):
    mailq = make_mailq(silent_seconds=30.0)
    mailq.add_user("ann", org_unit="north")
    sue = mailq.supervisor("sue", org_unit="north")
    ann = mailq.desktop("ann", channels=("chat",))
    channels = {q.name: [(c.channel, c.serving, c.available, c.busy) for c in q.channels] for q in sue.status().queues}
    assert channels["web-chat"] == [("chat", 1, 1, 0)]  # ann serves it, available for chat
    assert [c[0] for c in channels["sales"]] == ["email"]  # written to a mailbox: email only
    seat = next(s for s in sue.status().seats if s.agent == "ann")
    assert (seat.name, seat.available, seat.work) == ("Ann", {"email": False, "chat": True}, [])
    customer = ChatCustomer(mailq)
    try:
        cid = customer.start()["conversation"]
        assert offered(ann).conversation_id == cid
        ann.accept(cid)
        taken = sue.wait_for(lambda e: isinstance(e, bus.SeatChanged) and e.seat is not None
                             and [w.state for w in e.seat.work] == ["assigned"], 5)
        assert (taken.seat.work[0].conversation_id, taken.seat.work[0].channel) == (cid, "chat")
        busy = sue.wait_for(lambda e: isinstance(e, bus.QueueChanged) and e.queue.name == "web-chat"
                            and e.queue.channels[0].busy == 1, 5)
        assert busy.queue.channels[0].waiting == 0
    finally:
        customer.close()
    ann.logout()
    gone = sue.wait_for(lambda e: isinstance(e, bus.SeatChanged) and e.agent == "ann", 5)
    assert gone.seat is None


def test_a_supervisor_sets_an_agent_of_his_units_away_and_the_trail_keeps_it(make_mailq):
    from crm.models import AuditEntry

    mailq = make_mailq(silent_seconds=30.0)
    mailq.add_user("ann", org_unit="north")
    mailq.add_user("bob", org_unit="south")
    sue = mailq.supervisor("sue", org_unit="north")
    sue_token = mailq.sign_in("sue")
    ann, bob = mailq.desktop("ann", channels=("email", "chat")), mailq.desktop("bob", channels=("chat",))
    customer = ChatCustomer(mailq)
    try:
        cid = customer.start()["conversation"]
        holder = _offered_to({"ann": ann, "bob": bob}, cid)
        if holder == "ann":
            ann.accept(cid)
        seat = sue.supervisor_away(sue_token, "ann", "chat")
        assert seat.available == {"email": True, "chat": False}
        told = ann.wait_for(lambda e: isinstance(e, bus.SetAway), 5)
        assert (told.channels, told.by) == (["chat"], "Sue")
        if holder == "ann":  # what he holds stays his
            assert [w.conversation_id for w in sue.status().seats[0].work] == [cid]
        assert sue.supervisor_away(sue_token, "ann").available == {"email": False, "chat": False}
        refusals = {}
        for token, agent in ((sue_token, "bob"), (sue_token, "nobody"), (mailq.sign_in("bob"), "ann"),
                             ("made-up", "ann")):
            with pytest.raises(MailqError) as refused:
                sue.supervisor_away(token, agent)
            refusals[agent if token != "made-up" else "made-up"] = refused.value.code
        assert refusals == {"bob": "forbidden", "nobody": "unknown_agent", "ann": "forbidden",
                            "made-up": "session_ended"}
    finally:
        customer.close()
    ann.logout()
    with pytest.raises(MailqError) as refused:
        sue.supervisor_away(sue_token, "ann")
    assert refused.value.code == "not_logged_in"
    def trail():
        rows = mailq.rows(AuditEntry, AuditEntry.entity == "supervision")
        return [(e.action, e.changes.get("agent"), e.changes.get("reason"), e.changes["outcome"]) for e in rows]

    assert sorted(mailq.wait_until(lambda: len(trail()) >= 6 and trail(), what="the actions in the trail")) == sorted([
        ("away", "ann", "chat", "done"), ("away", "ann", "email+chat", "done"),
        ("away", "bob", "email+chat", "forbidden"), ("away", "nobody", "email+chat", "unknown_agent"),
        ("away", "ann", "email+chat", "forbidden"),  # bob, an agent, tried
        ("away", "ann", "email+chat", "not_logged_in")])
