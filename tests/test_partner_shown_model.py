"""The business data follows the confirmed partner and the call carries him, without Qt,
a gateway or a CRM."""

from __future__ import annotations

from agent_desktop.partner_shown import PartnerShown, call_attachment
from agent_desktop.workbench import DATA_CONTACT_PERSON, DATA_PARTNER, PartnerRef, Workbench
from bus import cti
from bus.envelope import EventEnvelope

ZHANG = PartnerRef(7, "C0000007", "张伟")
LI = PartnerRef(9, "C0000009", "李娜")
OTHER = PartnerRef(8, "C0000008", "张伟 (Shanghai)")


def say(bench, seq, event) -> None:
    bench.apply_event(EventEnvelope(v=1, run="run1", seq=seq, at=0.0, event=None), event)


def agent(mode, calls=()) -> cti.AgentView:
    return cti.AgentView(agent="ann", name="Ann", mode=mode, reason=None, since=0.0, queues=["billing"],
                         device="sip:ann@127.0.0.1", calls=list(calls))


def in_a_call() -> Workbench:
    bench = Workbench("ann", clock=lambda: 0.0)
    bench.apply_snapshot(agent("ready"), "run1", 1)
    say(bench, 2, cti.CallOffered(call_id="c1", agent="ann", kind="inbound", ani="13800138000", dnis="4001",
                                  queue="billing", waited=1.0, ring_timeout=15))
    say(bench, 3, cti.AgentStateChanged(state=agent("busy", [cti.CallView(
        call_id="c1", role="handler", state="connected", direction="inbound", ani="13800138000", dnis="4001",
        queue="billing", waited=1.0, answered_at=1.0)])))
    return bench


def test_the_data_is_read_again_when_the_confirmed_partner_changes_and_an_earlier_ones_is_not_shown():
    bench, shown = in_a_call(), PartnerShown()
    assert not shown.follow(bench)  # nobody, as before
    bench.confirm(ZHANG)
    assert shown.follow(bench) and shown.partner_id == 7 and shown.shows(7)
    bench.set_contact_person(LI)
    assert not shown.follow(bench)  # the same partner: his data stays
    bench.confirm(OTHER)
    assert shown.follow(bench) and not shown.shows(7)  # Zhang's data, read late, is not shown
    bench.unconfirm()
    assert shown.follow(bench) and shown.partner_id is None


def test_the_confirmed_partner_is_attached_to_the_call_while_it_lasts():
    bench = in_a_call()
    bench.confirm(ZHANG, LI)
    assert call_attachment(bench) == ("c1", {DATA_PARTNER: "C0000007", DATA_CONTACT_PERSON: "C0000009"})
    say(bench, 4, cti.CallEnded(call_id="c1", agent="ann", cause="caller_hangup", talk_seconds=5, hold_seconds=0,
                                waited=1))
    assert call_attachment(bench) is None  # wrap-up: the call is over
    walk_in = Workbench("ann", clock=lambda: 0.0)
    walk_in.open_local_contact()
    assert call_attachment(walk_in) is None and call_attachment(Workbench("ann")) is None
