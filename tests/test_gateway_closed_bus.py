"""The gateway's bus closed, against the real gateway: a client in clear, or
one that trusts another key, gets nothing at all; an agent logs in with his
CRM session, never a password; a session ended in the CRM (signed out,
password changed) logs him out of the gateway, and its token opens nothing
any more."""

from __future__ import annotations

import time

import pytest
import zmq

from bus import cti
from bus.curve import make_client
from bus.envelope import encode_request
from bus.keys import new_keypair
from crm.db import Database
from crm.permissions import Actor
from crm.services.users import create_org_unit, create_user, set_password, user_by_name
from cti_gateway.client import CtiClient, CtiError, GatewayUnreachable
from gateway_harness import (  # noqa: F401 - fixtures
    _HASH,
    ANN_TONE,
    BOB_TONE,
    CUSTOMER_TONE,
    customer,
    make_gateway,
    media,
    offered,
    phone,
)


def plain_socket(kind: int, address: str) -> zmq.Socket:
    sock = zmq.Context.instance().socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(address)
    return sock


def raw_dealer(address: str, server_key: bytes) -> zmq.Socket:
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    make_client(sock, server_key)
    sock.connect(address)
    return sock


def test_a_client_in_clear_gets_no_status_no_event_and_its_commands_go_nowhere(make_gateway):
    gateway = make_gateway()
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5999")
    commands = plain_socket(zmq.DEALER, gateway.commands)
    events = plain_socket(zmq.SUB, gateway.events)
    events.setsockopt(zmq.SUBSCRIBE, b"")
    commands.send(encode_request("s1", cti.GatewayStatus()))
    commands.send(encode_request("l1", cti.AgentLogout(session=ann.session)))
    assert not commands.poll(2000), "the gateway answered a client in clear"
    assert not events.poll(1500), "an event reached a subscriber in clear"  # heartbeats beat every second
    assert ann.snapshot().state.mode == "ready"  # the logout in clear changed nothing
    commands.close(0)
    events.close(0)


def test_a_client_that_trusts_another_key_gets_nothing(make_gateway):
    gateway = make_gateway()
    stranger = CtiClient(gateway.commands, gateway.events, server_key=new_keypair().public, timeout=2)
    with pytest.raises(GatewayUnreachable):
        stranger.status()
    assert stranger.next_event(1.5) is None
    stranger.close()


def test_an_agent_who_signs_out_is_logged_out_and_his_token_opens_nothing_more(make_gateway):
    gateway = make_gateway(account_check_seconds=0.5)
    token = gateway.sign_in("ann")
    ann = gateway.client()
    ann.login(token, device="sip:ann@127.0.0.1:5999", client="ann's desk")
    ann.set_mode("ready")
    bob = gateway.desktop("bob", "sip:bob@127.0.0.1:5998")

    gateway.sign_out(token)  # at the application service

    ann.wait_for(lambda e: isinstance(e, cti.AgentStateChanged) and e.state.mode == "logged_out", 10)
    notice = ann.wait_for(lambda e: isinstance(e, cti.AgentNotice) and e.code == "signed_out", 5)
    assert "signed out" in notice.text
    assert [a.agent for a in gateway.status().agents] == ["bob"]
    assert bob.snapshot().state.mode == "ready"
    with pytest.raises(CtiError) as stolen:  # whoever copied the token
        gateway.client().login(token, device="sip:ann@127.0.0.1:5999")
    assert stolen.value.code == "session_ended" and "signed out" in stolen.value.message
    assert "ann is logged out: he signed out" in gateway.log()


def test_a_changed_password_ends_the_agents_session_at_the_gateway(make_gateway):
    gateway = make_gateway(account_check_seconds=0.5)
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5999")
    database = Database.open(gateway.db_url)
    try:
        with database.unit_of_work() as session:
            set_password(session, Actor.system(), "ann", "a new password 2026")
    finally:
        database.dispose()
    notice = ann.wait_for(lambda e: isinstance(e, cti.AgentNotice) and e.code == "password_changed", 10)
    assert "password was changed" in notice.text
    with pytest.raises(CtiError) as refused:
        ann.snapshot()
    assert refused.value.code == "not_logged_in"


def test_a_login_needs_a_session_and_says_so_plainly(make_gateway):
    gateway = make_gateway()
    client = gateway.client()
    for token in ("", "x" * 5000, "nul\x00", new_keypair().public.decode()):
        with pytest.raises(CtiError) as refused:
            client.login(token, device="sip:ann@127.0.0.1:5999")
        assert refused.value.code in ("session_ended", "malformed", "invalid_argument", "too_large")
    started = time.monotonic()
    assert gateway.desktop("ann", "sip:ann@127.0.0.1:5999").snapshot().state.mode == "ready"
    assert time.monotonic() - started < 5


# --- events only for those who may see them -----------------------------------------------------

def org_units(db_url: str, teams: dict[str, list[str]], supervisors: dict[str, str]) -> None:
    """Teams of one site, their agents, and supervisors (user → team, "" for the site)."""
    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            center = create_org_unit(session, Actor.system(), kind="contact_center", code="CC", name="CC")
            site = create_org_unit(session, Actor.system(), kind="site", code="S1", name="Site", parent=center)
            units = {"": site}
            for team, agents in teams.items():
                units[team] = create_org_unit(session, Actor.system(), kind="team", code=team, name=team,
                                              parent=site)
                for agent in agents:
                    user_by_name(session, agent).org_unit = units[team]
            for name, team in supervisors.items():
                create_user(session, Actor.system(), username=name, password="", password_hash=_HASH,
                            role="supervisor", display_name=name.title(), org_unit=units[team])
    finally:
        database.dispose()


def events_of(client, seconds: float) -> list:
    got, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        event = client.next_event(min(left, 0.2))
        if event is not None:
            got.append(event[1])
    return got


def agents_named(events) -> set[str]:
    names = set()
    for event in events:
        if isinstance(event, cti.AgentStateChanged):
            names.add(event.state.agent)
        elif getattr(event, "agent", None):
            names.add(event.agent)
    return names


def test_each_agent_receives_his_own_calls_and_never_anothers(make_gateway, phone, media, tmp_path):
    gateway = make_gateway(concurrent_calls=2, lines_per_call=2)  # two calls in one SIP worker
    phones = {name: phone(name, media(tone), answer_ms=200) for name, tone in (("ann", ANN_TONE), ("bob", BOB_TONE))}
    ann = gateway.desktop("ann", phones["ann"].uri)
    bob = gateway.desktop("bob", phones["bob"].uri)
    callers = [customer(gateway, tmp_path, media(CUSTOMER_TONE), name=f"caller{n}", ani=f"1390000000{n}")
               for n in (1, 2)]
    offers = {}
    for name, desk in (("ann", ann), ("bob", bob)):  # one call each: ann is idle longer
        offers[name] = offered(desk, 15)
        desk.command(cti.CallAccept, call_id=offers[name].call_id)
    seen = {"ann": events_of(ann, 3), "bob": events_of(bob, 3)}
    assert offers["ann"].call_id != offers["bob"].call_id
    for name, other in (("ann", "bob"), ("bob", "ann")):
        assert agents_named(seen[name]) == {name}, seen[name]
        call_ids = {getattr(e, "call_id", None) for e in seen[name]} - {None}
        assert call_ids == {offers[name].call_id}
        assert offers[other].ani not in repr(seen[name])  # never the other caller's number
    for caller in callers:
        caller.stop()


def test_a_supervisor_watches_only_the_agents_of_his_org_units(make_gateway):
    gateway = make_gateway(agents={"ann": {"billing": 5}, "bob": {"billing": 5}, "cid": {"billing": 5}})
    org_units(gateway.db_url, {"north": ["ann"], "south": ["bob"]}, {"sue": "north", "sid": ""})
    sue, sid, cids_phone = gateway.client(), gateway.client(), gateway.client()
    sue.watch(gateway.sign_in("sue"))
    sid.watch(gateway.sign_in("sid"))  # the whole site
    cids_phone.watch(gateway.sign_in("cid"))  # an agent watches himself, nobody else
    desks = {name: gateway.desktop(name, f"sip:{name}@127.0.0.1:59{n}0")
             for n, name in enumerate(("ann", "bob", "cid"))}
    desks["bob"].set_mode("not_ready", "break")
    assert agents_named(events_of(sue, 2)) == {"ann"}
    assert agents_named(events_of(sid, 0.5)) == {"ann", "bob"}  # cid is in no unit of the site
    assert agents_named(events_of(cids_phone, 0.5)) == {"cid"}


def test_without_a_session_an_event_socket_gives_nothing(make_gateway):
    gateway = make_gateway()
    gateway.desktop("ann", "sip:ann@127.0.0.1:5999")
    made_up = raw_dealer(gateway.events, gateway.public_key)
    for key in (b"", b"a" * 43, b"x"):
        made_up.send(key)
    assert not made_up.poll(2500), "an event for a key nobody granted"
    made_up.close(0)
    plain = plain_socket(zmq.DEALER, gateway.events)
    plain.send(b"a" * 43)
    assert not plain.poll(1500)
    plain.close(0)
    assert "refused" in gateway.log() and "event subscriptions" in gateway.log()


def test_a_signed_out_agents_events_stop_at_once(make_gateway):
    gateway = make_gateway(account_check_seconds=0.5)
    token = gateway.sign_in("ann")
    ann = gateway.client()
    ann.login(token, device="sip:ann@127.0.0.1:5999")
    assert any(isinstance(e, cti.GatewayHeartbeat) for e in events_of(ann, 1.5))
    gateway.sign_out(token)
    ann.wait_for(lambda e: isinstance(e, cti.AgentNotice) and e.code == "signed_out", 10)
    assert events_of(ann, 2) == []  # not even a heartbeat


def test_a_supervisors_watch_ends_with_his_session(make_gateway):
    gateway = make_gateway(account_check_seconds=0.5)
    org_units(gateway.db_url, {"north": ["ann"]}, {"sue": "north"})
    token = gateway.sign_in("sue")
    sue = gateway.client()
    sue.watch(token)
    assert any(isinstance(e, cti.GatewayHeartbeat) for e in events_of(sue, 1.5))
    gateway.sign_out(token)
    time.sleep(1.5)  # a check of the sessions held
    events_of(sue, 0.3)  # what was sent before it
    gateway.desktop("ann", "sip:ann@127.0.0.1:5999")
    assert events_of(sue, 1.5) == []  # neither ann's login nor a heartbeat
    with pytest.raises(CtiError) as refused:
        gateway.client().watch(token)
    assert refused.value.code == "session_ended"


# --- commands need a session --------------------------------------------------------------------

def test_the_status_is_for_the_operator_and_supervisors_only(make_gateway):
    gateway = make_gateway(agents={"ann": {"billing": 5}, "bob": {"billing": 5}})
    org_units(gateway.db_url, {"north": ["ann"], "south": ["bob"]}, {"sue": "north"})
    gateway.desktop("ann", "sip:ann@127.0.0.1:5999")
    gateway.desktop("bob", "sip:bob@127.0.0.1:5998")
    anyone = gateway.client()
    with pytest.raises(CtiError) as refused:
        anyone.status()
    assert refused.value.code == "session_ended"
    with pytest.raises(CtiError) as agent:
        anyone.status(token=gateway.sign_in("ann"))
    assert agent.value.code == "forbidden"
    assert [a.agent for a in anyone.status(token=gateway.sign_in("sue")).agents] == ["ann"]
    assert sorted(a.agent for a in gateway.status().agents) == ["ann", "bob"]  # the operator's key


def test_a_supervisor_sees_his_agent_log_in_and_log_off(make_gateway):
    gateway = make_gateway(agents={"ann": {"billing": 5}})
    org_units(gateway.db_url, {"north": ["ann"]}, {"sue": "north"})
    sue = gateway.client()
    sue.watch(gateway.sign_in("sue"))
    ann = gateway.client()
    ann.login(gateway.sign_in("ann"), device="sip:ann@127.0.0.1:5999")
    state = sue.wait_for(lambda e: isinstance(e, cti.AgentStateChanged) and e.state.agent == "ann", 5)
    assert (state.state.mode, state.state.reason) == ("not_ready", "login")  # before any change of his
    ann.command(cti.AgentLogout)
    sue.wait_for(lambda e: isinstance(e, cti.AgentStateChanged) and e.state.agent == "ann"
                 and e.state.mode == "logged_out", 5)
