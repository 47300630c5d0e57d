"""The workbench model without a screen: controls per call state, the
contact's life from offer to wrap-up, identification rules, drafts."""

from __future__ import annotations

import logging

from bus import cti
from bus.envelope import EventEnvelope
from agent_desktop.controls import Control, enabled_controls
from agent_desktop.drafts import DraftStore
from agent_desktop.workbench import (
    DATA_NOTES,
    DATA_NOTES_BY,
    DATA_PARTNER,
    IdStatus,
    PartnerMatch,
    PartnerRef,
    Phase,
    Workbench,
)

NOW = 1_800_000_000.0
ZHANG = PartnerRef(7, "C0000007", "张伟")
ZHANG_MATCH = PartnerMatch(ZHANG, "phone", contact_persons=(PartnerRef(9, "C0000009", "李娜", function="采购经理"),))
OTHER = PartnerMatch(PartnerRef(8, "C0000008", "张伟 (Shanghai)"), "phone")


def call(state="connected", role="handler", consult=None, **extra) -> cti.CallView:
    return cti.CallView(call_id="c1", role=role, state=state, direction="inbound", ani="13800138000",
                        dnis="4001", queue="billing", waited=12.0, answered_at=NOW - 30 if state != "offered" else None,
                        consult=consult, **extra)


def agent(mode="busy", calls=(), **extra) -> cti.AgentView:
    return cti.AgentView(agent="ann", name="Ann", mode=mode, reason=None, since=NOW, queues=["billing"],
                         device="sip:ann@127.0.0.1", calls=list(calls), **extra)


def controls(view, connected=True, contact_open=True):
    return enabled_controls(view, connected=connected, contact_open=contact_open)


def test_only_the_controls_valid_in_each_call_state_are_enabled():
    offered = controls(agent("offered", [call("offered")]))
    assert {Control.ACCEPT, Control.REJECT} <= offered
    assert not offered & {Control.HANGUP, Control.HOLD, Control.END, Control.DIAL}
    talking = controls(agent("busy", [call("connected")]))
    assert {Control.HANGUP, Control.HOLD, Control.TRANSFER, Control.CONSULT, Control.DTMF} <= talking
    assert not talking & {Control.ACCEPT, Control.RETRIEVE, Control.COMPLETE_TRANSFER, Control.END}
    held = controls(agent("busy", [call("held")]))
    assert Control.RETRIEVE in held and Control.HOLD not in held
    ringing = cti.ConsultView(target=cti.Target(kind="agent", value="bob"), state="ringing")
    consulting = controls(agent("busy", [call("consulting", consult=ringing)]))
    assert Control.CANCEL_CONSULT in consulting and Control.COMPLETE_TRANSFER not in consulting
    answered = cti.ConsultView(target=cti.Target(kind="agent", value="bob"), state="connected")
    assert {Control.COMPLETE_TRANSFER, Control.CONFERENCE} <= controls(
        agent("busy", [call("consulting", consult=answered)]))
    idle = controls(agent("wrap_up", [], wrap_up_until=NOW + 20))
    assert {Control.END, Control.READY, Control.NOT_READY, Control.WRAP_UP, Control.DIAL} <= idle
    assert not idle & {Control.HANGUP, Control.ACCEPT}


def test_without_the_gateway_only_ending_the_contact_remains():
    assert controls(agent("busy", [call()]), connected=False) == frozenset()
    assert controls(agent("wrap_up"), connected=False) == {Control.END}
    assert Control.END not in controls(agent("ready"), contact_open=False)


def envelope(seq: int, run="run1") -> EventEnvelope:
    return EventEnvelope(v=1, run=run, seq=seq, at=NOW, event=None)


def offer(bench, seq=2, **data) -> None:
    bench.apply_event(envelope(seq), cti.CallOffered(
        call_id="c1", agent="ann", kind="inbound", ani="13800138000", dnis="4001", queue="billing",
        waited=12.0, ring_timeout=15, data=data))


def bench_with(tmp_path=None, **kwargs) -> Workbench:
    drafts = DraftStore(tmp_path, "ann") if tmp_path else None
    bench = Workbench("ann", drafts=drafts, clock=lambda: NOW, **kwargs)
    bench.apply_snapshot(agent("ready"), "run1", 1)
    return bench


def test_a_contact_goes_from_offer_to_talk_to_wrap_up_with_the_gateways_times(tmp_path):
    bench = bench_with(tmp_path)
    offer(bench)
    assert bench.contact.phase is Phase.OFFERED and bench.call_state() == "offered"
    bench.apply_event(envelope(3), cti.AgentStateChanged(state=agent("busy", [call("connected")])))
    assert bench.contact.phase is Phase.ACTIVE and bench.call_state() == "talking"
    assert bench.timers(NOW)["talk"] == 30 and bench.timers(NOW)["waited"] == 12
    bench.apply_event(envelope(4), cti.AgentStateChanged(
        state=agent("busy", [call("held", held_since=NOW - 5, hold_seconds=3)])))
    assert bench.call_state() == "on_hold" and bench.timers(NOW)["hold"] == 8
    bench.apply_event(envelope(5), cti.CallEnded(call_id="c1", agent="ann", cause="caller_hangup",
                                                talk_seconds=40, hold_seconds=8, waited=12))
    bench.apply_event(envelope(6), cti.AgentStateChanged(state=agent("wrap_up", [], wrap_up_until=NOW + 25)))
    assert bench.contact.phase is Phase.WRAP_UP and bench.call_state() == "wrap_up"
    assert bench.timers(NOW) == {"waited": 12, "talk": 40, "hold": 8, "wrap_up_left": 25}
    bench.edit_record(outcome_code="resolved", notes="explained the invoice")
    ended = bench.end_contact()
    assert bench.contact is None and ended.draft.outcome_code == "resolved"
    assert DraftStore(tmp_path, "ann").pending()[0]["draft"]["notes"] == "explained the invoice"
    bench.record_saved(ended.key)
    assert DraftStore(tmp_path, "ann").pending() == [] and bench.unsaved == []


def test_old_events_and_events_for_unknown_calls_change_nothing(caplog):
    caplog.set_level(logging.INFO, logger="agent_desktop.workbench")
    bench = bench_with()
    offer(bench, seq=1)  # already in the snapshot (seq 1)
    assert bench.contact is None
    bench.apply_event(envelope(5), cti.CallEnded(call_id="nobody", agent="ann", cause="caller_hangup",
                                                talk_seconds=1, hold_seconds=0, waited=0))
    assert bench.contact is None and "does not know" in caplog.text


def test_one_match_is_confirmed_or_only_proposed_per_profile():
    confirm = bench_with()
    offer(confirm)
    confirm.identified("c1", [ZHANG_MATCH])
    ident = confirm.contact.identification
    assert ident.status is IdStatus.CONFIRMED and confirm.confirmed_partner == ZHANG
    assert ident.contact_person.name == "李娜"  # the only contact person is preselected
    propose = bench_with(identification_mode="propose")
    offer(propose)
    propose.identified("c1", [ZHANG_MATCH])
    assert propose.contact.identification.status is IdStatus.PROPOSED and propose.confirmed_partner is None
    propose.confirm(ZHANG)
    assert propose.confirmed_partner == ZHANG


def test_several_matches_wait_for_a_pick_and_none_asks_for_a_search():
    bench = bench_with()
    offer(bench)
    bench.identified("c1", [ZHANG_MATCH, OTHER])
    assert bench.contact.identification.status is IdStatus.CHOOSE and bench.confirmed_partner is None
    bench.confirm(OTHER.partner)
    assert bench.confirmed_partner == OTHER.partner
    bench.identified("c1", [])  # a late lookup must not undo the agent's pick
    assert bench.confirmed_partner == OTHER.partner
    unknown = bench_with()
    offer(unknown)
    unknown.identified("c1", [])
    assert unknown.contact.identification.status is IdStatus.UNKNOWN


def test_handover_data_carries_partner_and_notes_and_the_next_desktop_shows_them():
    bench = bench_with()
    offer(bench)
    bench.identified("c1", [ZHANG_MATCH])
    bench.edit_record(notes="wants a new router")
    data = bench.handover_data()
    assert data[DATA_PARTNER] == "C0000007" and data[DATA_NOTES] == "wants a new router"
    receiver = Workbench("bob", clock=lambda: NOW)
    receiver.apply_snapshot(agent("ready"), "run1", 1)
    receiver.apply_event(envelope(9), cti.CallOffered(
        call_id="c1", agent="bob", kind="transfer", ani="13800138000", dnis="4001", queue="billing",
        waited=0, ring_timeout=15, data={k: v for k, v in data.items() if v is not None}))
    contact = receiver.contact
    assert contact.handed_over_notes == "wants a new router" and contact.handed_over_by == data[DATA_NOTES_BY]
    assert contact.offer_data[DATA_PARTNER] == "C0000007"
    receiver.identified("c1", [ZHANG_MATCH], source="transfer")
    assert receiver.confirmed_partner == ZHANG


def test_a_call_lost_in_a_gateway_restart_keeps_the_record_open_with_what_was_typed(tmp_path):
    bench = bench_with(tmp_path)
    offer(bench)
    bench.apply_event(envelope(3), cti.AgentStateChanged(state=agent("busy", [call("connected")])))
    bench.edit_record(notes="half a sentence")
    bench.connection_lost("no heartbeat")
    assert not bench.connected and bench.contact.draft.notes == "half a sentence"
    bench.apply_snapshot(agent("not_ready"), "run2", 0)  # a new gateway run without the call
    assert bench.contact.phase is Phase.WRAP_UP and "restarted" in bench.contact.lost
    assert Control.END in bench.controls()
    restored = Workbench("ann", drafts=DraftStore(tmp_path, "ann"), clock=lambda: NOW)
    draft, = restored.drafts.pending()
    contact = restored.restore_draft(draft)
    assert contact.draft.notes == "half a sentence" and contact.call_id == "c1"


def test_a_new_offer_puts_an_unended_contact_aside_for_saving():
    bench = bench_with()
    offer(bench)
    bench.apply_event(envelope(3), cti.AgentStateChanged(state=agent("busy", [call("connected")])))
    bench.edit_record(notes="first caller")
    bench.apply_event(envelope(4), cti.CallEnded(call_id="c1", agent="ann", cause="caller_hangup",
                                                talk_seconds=10, hold_seconds=0, waited=1))
    bench.apply_event(envelope(5), cti.CallOffered(
        call_id="c2", agent="ann", kind="inbound", ani="13900000000", dnis="4001", queue="billing",
        waited=1, ring_timeout=15))
    assert bench.contact.call_id == "c2"
    assert [c.draft.notes for c in bench.unsaved] == ["first caller"]


SCRIPT = """
name: quick
nodes:
  - {id: ask, type: question, text: "Happy?", answer: yes_no,
     branches: [{value: "yes", goto: done}, {value: "no", goto: sorry}]}
  - {id: done, type: end, outcome: resolved}
  - {id: sorry, type: end, outcome: complaint_taken}
"""


def test_a_script_run_goes_with_the_contact_into_its_draft_and_fills_the_records_outcome(tmp_path):
    from scripting.document import load_yaml
    from scripting.runner import RunError, ScriptRun
    from scripting.templates import make_context

    bench = bench_with(tmp_path)
    bench.outcome_codes = ("resolved", "follow_up")
    changes = []
    bench.subscribe(changes.append)
    offer(bench)
    bench.start_script(ScriptRun(load_yaml(SCRIPT), 4, make_context()))
    assert "script" in changes
    try:
        bench.script_next("maybe")
    except RunError:
        pass
    assert bench.contact.script.step().node == "ask"  # a wrong answer moves nothing
    bench.script_next("no")
    assert bench.contact.draft.outcome_code is None  # complaint_taken is not a code of the profile
    bench.script_back()
    bench.script_next("yes")
    assert bench.contact.draft.outcome_code == "resolved"
    kept, = DraftStore(tmp_path, "ann").pending()
    assert kept["script"]["name"] == "quick" and kept["script"]["version"] == 4
    assert kept["script"]["state"]["path"] == ["ask", "done"]
    restored = Workbench("ann", drafts=DraftStore(tmp_path, "ann"), clock=lambda: NOW)
    contact = restored.restore_draft(kept)
    assert contact.script is None and contact.script_to_resume == kept["script"]
    assert contact.draft_json("ann")["script"] == kept["script"]  # kept until it runs again


def test_a_snapshot_after_a_reconnect_picks_up_a_call_in_progress_and_its_kept_draft(tmp_path):
    drafts = DraftStore(tmp_path, "ann")
    before = bench_with(tmp_path)
    offer(before)
    before.apply_event(envelope(3), cti.AgentStateChanged(state=agent("busy", [call("connected")])))
    before.confirm(ZHANG)
    before.edit_record(notes="wants a refund")

    bench = Workbench("ann", drafts=drafts, clock=lambda: NOW)  # the desktop started again
    bench.apply_snapshot(agent("busy", [call("connected", data={DATA_PARTNER: "C0000007"})]), "run1", 9)
    contact = bench.contact
    assert contact is not None and contact.picked_up and contact.call_id == "c1"
    assert (contact.ani, contact.queue, contact.phase, bench.call_state()) == (
        "13800138000", "billing", Phase.ACTIVE, "talking")
    assert contact.offer_data[DATA_PARTNER] == "C0000007"
    assert drafts.load("c1")["draft"]["notes"] == "wants a refund"  # not overwritten before it is read
    bench.resume_picked_up("c1", drafts.load("c1"))
    assert contact.draft.notes == "wants a refund" and bench.confirmed_partner == ZHANG
    bench.identified("c1", [OTHER])  # a late lookup does not undo what the agent confirmed
    assert bench.confirmed_partner == ZHANG
    bench.apply_event(envelope(10), cti.CallEnded(call_id="c1", agent="ann", cause="caller_hangup",
                                                 talk_seconds=50, hold_seconds=0, waited=12))
    bench.apply_event(envelope(11), cti.AgentStateChanged(state=agent("wrap_up", [], wrap_up_until=NOW + 25)))
    assert contact.phase is Phase.WRAP_UP and bench.end_contact() is contact


def test_a_state_change_picks_up_a_talking_call_but_leaves_offers_to_their_event():
    bench = bench_with()
    bench.apply_event(envelope(2), cti.AgentStateChanged(state=agent("offered", [call("offered")])))
    assert bench.contact is None  # call.offered follows with the offer's kind and data
    offer(bench, seq=3)
    assert bench.contact is not None and not bench.contact.picked_up
    other = bench_with()
    other.apply_event(envelope(2), cti.AgentStateChanged(state=agent("busy", [call("held")])))
    assert other.contact is not None and other.contact.picked_up and other.call_state() == "on_hold"


def test_a_session_end_naming_another_desktops_session_is_ignored(caplog):
    caplog.set_level(logging.INFO, logger="agent_desktop.workbench")
    bench = bench_with()
    bench.logged_in("mine")
    bench.apply_event(envelope(2), cti.AgentSessionEnded(agent="ann", session="theirs", reason="taken over"))
    assert bench.connected and bench.session_elsewhere is None
    bench.apply_event(envelope(3), cti.AgentSessionEnded(agent="ann", session="mine",
                                                        reason="taken over by Cicada desktop"))
    assert not bench.connected and bench.session_elsewhere == "taken over by Cicada desktop"
    assert bench.notices[-1].params["reason"] == "taken over by Cicada desktop"


def test_the_transferring_agents_wrap_up_keeps_the_talk_and_hold_times(caplog):
    caplog.set_level(logging.INFO, logger="agent_desktop.workbench")
    bench = bench_with()
    offer(bench)
    bench.apply_event(envelope(3), cti.AgentStateChanged(
        state=agent("busy", [call("connected", hold_seconds=4)])))
    bench.apply_event(envelope(4), cti.CallTransferred(call_id="c1", agent="ann", attended=False,
                                                      target=cti.Target(kind="agent", value="bob")))
    assert bench.contact.phase is Phase.WRAP_UP
    assert (bench.contact.result.talk_seconds, bench.contact.result.hold_seconds) == (30, 4)
    bench.apply_event(envelope(5), cti.CallDataChanged(call_id="elsewhere", data={"x": 1}))
    assert "CallDataChanged for call elsewhere" in caplog.text


def test_an_email_or_chat_contact_keeps_what_the_customer_gave_in_its_draft(tmp_path):
    bench = bench_with(tmp_path)
    contact = bench.open_conversation_contact(
        conversation_id=41, channel="chat", interaction_id=5, address="anna.berg@example.de", mailbox="web",
        queue="web-chat", partner=None, customer_name="Anna Berg", customer_phone="+49 30 1234567")
    assert (contact.customer_name, contact.customer_phone) == ("Anna Berg", "+49 30 1234567")
    assert contact.identification.status is IdStatus.UNKNOWN
    restored = Workbench("ann", drafts=DraftStore(tmp_path, "ann"), clock=lambda: NOW)
    draft, = restored.drafts.pending()
    again = restored.restore_draft(draft)
    assert (again.channel, again.conversation_id, again.ani) == ("chat", 41, "anna.berg@example.de")
    assert (again.customer_name, again.customer_phone) == ("Anna Berg", "+49 30 1234567")
    # a chat whose customer gave only a phone: it is the address, not a second number
    phone_only = bench.open_conversation_contact(
        conversation_id=42, channel="chat", interaction_id=6, address="13912345678", mailbox="web",
        queue="web-chat", partner=None, customer_name="赵敏", customer_phone="13912345678")
    assert phone_only.customer_phone == ""
