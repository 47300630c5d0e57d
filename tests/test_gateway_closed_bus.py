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
from bus.envelope import encode_request
from bus.keys import new_keypair
from crm.db import Database
from crm.permissions import Actor
from crm.services.users import set_password
from cti_gateway.client import CtiClient, CtiError, GatewayUnreachable
from gateway_harness import make_gateway  # noqa: F401 - fixture


def plain_socket(kind: int, address: str) -> zmq.Socket:
    sock = zmq.Context.instance().socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
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

