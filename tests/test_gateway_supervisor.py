"""A supervisor acting on agents through a real gateway (SIPp caller and agent phone): Not ready
and log off take effect at once, or when the agent's call ends if he is on one; an agent outside
the supervisor's org units, one who logged off meanwhile, an agent's own session and an ended
session are refused with declared codes; every action is in the CRM's audit trail."""

from __future__ import annotations

import pytest

from bus import cti
from console_harness import people
from crm.db import Database
from crm.models import AuditEntry
from cti_gateway.client import CtiError
from desktop_harness import desks  # noqa: F401 - fixture
from gateway_harness import ANN_TONE, CUSTOMER_TONE, customer, event, make_gateway, media, offered, phone  # noqa: F401

pytestmark = pytest.mark.slow


def trail(gateway) -> list[tuple[str, str | None, str]]:
    """(action, agent, outcome) of every supervisor's action in the audit trail (written on the
    gateway's CRM threads: in any order)."""
    database = Database.open(gateway.db_url)
    try:
        with database.reading() as session:
            entries = session.query(AuditEntry).filter(AuditEntry.entity == "supervision").order_by(AuditEntry.id)
            return [(e.action, (e.changes or {}).get("agent"), (e.changes or {}).get("outcome")) for e in entries]
    finally:
        database.dispose()


def refusal(call) -> CtiError:
    with pytest.raises(CtiError) as refused:
        call()
    return refused.value


def notice(desk, code: str) -> cti.AgentNotice:
    return desk.wait_for(lambda e: isinstance(e, cti.AgentNotice) and e.code == code, 10)


def test_a_supervisor_sets_an_agent_on_a_call_not_ready_after_it_then_logs_him_off(make_gateway, phone, media,
                                                                                   tmp_path):
    gateway = make_gateway()  # ann and bob, billing agents
    people(gateway.db_url)  # ann in sue's team
    ann = gateway.desktop("ann", phone("ann", media(ANN_TONE), answer_ms=200).uri)
    sue = gateway.sign_in("sue")
    supervisor = gateway.client()

    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), ani="13900000001")
    offer = offered(ann, 15)
    ann.command(cti.CallAccept, call_id=offer.call_id)
    event(ann, cti.CallAnswered, 10, call_id=offer.call_id)

    result = supervisor.supervisor_not_ready(sue, "ann", "meeting")
    assert not result.done and result.state.mode == "busy"  # his call is not cut
    assert (result.state.pending_mode, result.state.pending_reason) == ("not_ready", "meeting")
    told = notice(ann, "supervisor_not_ready_after_call")
    assert told.params == {"supervisor": "Sue Supervisor", "reason": "meeting"}
    ann.command(cti.CallHangup, call_id=offer.call_id)
    ann.wait_for(lambda e: isinstance(e, cti.AgentStateChanged) and e.state.mode == "not_ready"
                 and e.state.reason == "meeting", 10)  # after his wrap-up
    caller.stop()

    result = supervisor.supervisor_log_off(sue, "ann")
    assert result.done and result.state is None
    notice(ann, "supervisor_logged_off")
    assert "ann" not in [a.agent for a in gateway.status().agents]
    gone = refusal(lambda: supervisor.supervisor_not_ready(sue, "ann", "break"))  # logged off meanwhile
    assert gone.code == "unknown_agent" and "logged off meanwhile" in gone.message
    assert refusal(lambda: ann.set_mode("ready")).code == "not_logged_in"
    gateway.wait_until(lambda: len(trail(gateway)) == 3, what="the audit trail")
    assert sorted(trail(gateway)) == [("log_off", "ann", "done"), ("not_ready", "ann", "after_call"),
                                      ("not_ready", "ann", "unknown_agent")]
    assert "Traceback" not in gateway.log()


def test_outside_his_units_an_agents_own_session_and_an_ended_session_are_refused(make_gateway):
    gateway = make_gateway()
    people(gateway.db_url)  # bob in no unit: not sue's
    ann_token = gateway.sign_in("ann")
    ann = gateway.client()
    ann.login(ann_token, device="sip:ann@127.0.0.1:5998")
    gateway.desktop("bob", "sip:bob@127.0.0.1:5999")
    supervisor = gateway.client()
    sue = gateway.sign_in("sue")

    outside = refusal(lambda: supervisor.supervisor_log_off(sue, "bob"))
    assert outside.code == "forbidden" and "not in sue's org units" in outside.message
    assert refusal(lambda: supervisor.send_message(sue, "hi", agent="bob")).code == "forbidden"
    own = refusal(lambda: ann.supervisor_not_ready(ann_token, "ann", "break"))  # an agent's session
    assert own.code == "forbidden"
    unknown = refusal(lambda: supervisor.supervisor_not_ready(sue, "ann", "coffee"))
    assert unknown.code == "invalid_argument" and "coffee" in unknown.message
    assert "coffee" not in gateway.status().not_ready_reasons and "break" in gateway.status().not_ready_reasons
    # a message reaches the agents of her units only
    assert supervisor.send_message(sue, "Team meeting at 3").agents == ["ann"]
    assert supervisor.send_message(sue, "Only you", agent="ann").agents == ["ann"]
    ann.wait_for(lambda e: isinstance(e, cti.AgentBroadcast) and e.text == "Only you", 10)
    assert supervisor.send_message(sue, "North only", team="north").agents == ["ann"]
    assert refusal(lambda: supervisor.send_message(sue, "The whole site", team="S1")).code == "forbidden"
    assert refusal(lambda: supervisor.send_message(sue, "hello", team="nowhere")).code == "invalid_argument"

    gateway.sign_out(sue)
    assert refusal(lambda: supervisor.supervisor_log_off(sue, "ann")).code == "session_ended"
    assert [a.mode for a in gateway.status().agents if a.agent == "ann"] == ["not_ready"]  # untouched
    gateway.wait_until(lambda: len(trail(gateway)) == 8, what="the audit trail")
    assert sorted(trail(gateway), key=str) == sorted([
        ("log_off", "bob", "forbidden"), ("message", "bob", "forbidden"), ("not_ready", "ann", "forbidden"),
        ("not_ready", "ann", "invalid_argument"), ("message", None, "done"), ("message", "ann", "done"),
        ("message", None, "done"), ("message", None, "forbidden")], key=str)


def test_the_agents_desktop_shows_the_change_and_who_made_it(make_gateway, desks, qtbot):
    gateway = make_gateway()
    people(gateway.db_url)
    ann = desks(gateway)("ann", "sip:ann@127.0.0.1:5998")
    sue, supervisor = gateway.sign_in("sue"), gateway.client()

    assert supervisor.supervisor_not_ready(sue, "ann", "meeting").done
    qtbot.waitUntil(lambda: ann.window.mode_label.text().startswith("Not ready"), timeout=5000)
    qtbot.waitUntil(lambda: "Sue Supervisor set you Not ready (meeting)." in messages(ann), timeout=5000)
    assert supervisor.supervisor_log_off(sue, "ann").done
    qtbot.waitUntil(lambda: "Sue Supervisor logged you off the CTI gateway." in messages(ann), timeout=5000)
    qtbot.waitUntil(lambda: ann.window.mode_label.text() == "Logged out", timeout=5000)
    qtbot.wait(3000)  # heartbeats come and go: the desktop does not log itself in again
    assert "ann" not in [a.agent for a in gateway.status().agents]


def messages(desk) -> list[str]:
    """The desktop's messages without the time they came."""
    return [desk.window.messages.item(i).text().split(maxsplit=1)[-1] for i in range(desk.window.messages.count())]
