"""Whom the Action Box acts for and on what facts, without Qt or a CRM: the contact with
its confirmed partner and contact person, the call while it lasts, why an action is off."""

from __future__ import annotations

from types import SimpleNamespace

from action_box.model import AgentFacts, CallFacts, Context
from agent_desktop.action_facts import facts, identity, pending_emails, why_not
from agent_desktop.workbench import PartnerMatch, PartnerRef, Workbench
from bus import cti
from bus.envelope import EventEnvelope

ZHANG = PartnerRef(7, "C0000007", "张伟")
LI = PartnerRef(9, "C0000009", "李娜")


def call(state="connected") -> cti.CallView:
    return cti.CallView(call_id="c1", role="handler", state=state, direction="inbound", ani="13800138000",
                        dnis="4001", queue="billing", waited=1.0, answered_at=1.0)


def agent(mode="busy", calls=()) -> cti.AgentView:
    return cti.AgentView(agent="ann", name="Ann", mode=mode, reason=None, since=0.0, queues=["billing"],
                         device="sip:ann@127.0.0.1", calls=list(calls))


def bench_in_a_call() -> Workbench:
    bench = Workbench("ann", clock=lambda: 0.0)
    bench.apply_snapshot(agent("ready"), "run1", 1)
    bench.apply_event(EventEnvelope(v=1, run="run1", seq=2, at=0.0, event=None), cti.CallOffered(
        call_id="c1", agent="ann", kind="inbound", ani="13800138000", dnis="4001", queue="billing",
        waited=1.0, ring_timeout=15))
    bench.apply_event(EventEnvelope(v=1, run="run1", seq=3, at=0.0, event=None),
                      cti.AgentStateChanged(state=agent("busy", [call()])))
    return bench


def test_the_actions_are_for_the_contact_and_only_a_confirmed_partner_and_his_contact_person():
    bench = Workbench("ann", clock=lambda: 0.0)
    assert identity(bench) is None and facts(bench, "en") is None
    bench = bench_in_a_call()
    assert identity(bench) == ("c1", None, None)
    bench.identified("c1", [PartnerMatch(ZHANG, "phone"), PartnerMatch(LI, "phone")])  # to choose from
    assert identity(bench) == ("c1", None, None)
    bench.confirm(ZHANG, LI)
    assert identity(bench) == ("c1", 7, 9)
    assert facts(bench, "zh") == dict(partner_id=7, contact_person_id=9, answers={}, language="zh",
                                      call=CallFacts("c1", "13800138000", "4001", "billing", True))


def test_the_call_is_active_only_while_it_lasts():
    bench = bench_in_a_call()
    bench.apply_event(EventEnvelope(v=1, run="run1", seq=4, at=0.0, event=None), cti.CallEnded(
        call_id="c1", agent="ann", cause="caller_hangup", talk_seconds=5, hold_seconds=0, waited=1))
    assert facts(bench, "en")["call"] == CallFacts("c1", "13800138000", "4001", "billing", False)
    walk_in = Workbench("ann", clock=lambda: 0.0)
    walk_in.open_local_contact()
    assert facts(walk_in, "en")["call"] is None


def test_why_an_action_is_off_no_contact_the_context_loading_then_what_it_needs():
    needs_partner = SimpleNamespace(needs=frozenset({"partner"}))
    bench = Workbench("ann", clock=lambda: 0.0)
    context = Context(agent=AgentFacts(1, "ann", "Ann", None))
    assert why_not(bench, context, needs_partner) == "no contact in the workspace"
    bench = bench_in_a_call()
    assert why_not(bench, None, needs_partner) == "loading the customer's data"
    assert why_not(bench, context, needs_partner) == "confirm the caller first"
    assert why_not(bench, context, SimpleNamespace(needs=frozenset())) is None


def test_the_emails_followed_are_those_not_known_yet_or_still_in_the_outbox():
    statuses = {1: None, 2: SimpleNamespace(status="queued"), 3: SimpleNamespace(status="sent"),
                4: SimpleNamespace(status="failed")}
    assert pending_emails(statuses) == [1, 2]
