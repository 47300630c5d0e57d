"""The gateway's notices to agents carry a code and its values, so desktops
say them in the agent's language, and English text for older desktops."""

from __future__ import annotations

from acd_harness import Center, queue
from bus import cti


def test_ring_no_answer_and_a_failed_phone_are_told_by_code_with_their_values():
    center = Center([queue(ring_timeout=10)])
    center.login("ann")
    center.login("bob")
    center.call_in()
    center.wait(10)
    missed = next(n for n in center.events_for("ann", cti.AgentNotice) + center.events_for("bob", cti.AgentNotice)
                  if n.code == "ring_no_answer")
    assert missed.text == "You did not answer a call in time; you are now Not ready." and missed.params == {}
    ringing = next(name for name in ("ann", "bob") if center.offered_to(name))
    center.acd.leg_failed(center.offered_to(ringing), 486, "Busy Here")
    failed = center.events_for(ringing, cti.AgentNotice)[-1]
    assert failed.code == "phone_failed"
    assert failed.params == {"device": f"sip:{ringing}@10.0.0.1", "status": "486 Busy Here"}
    assert "did not take the call (486 Busy Here)" in failed.text
