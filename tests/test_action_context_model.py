"""The Action Box's context as the desktop holds it, without Qt or a CRM: asked once per
set of facts, dropped at once for another customer, a late reply thrown away."""

from __future__ import annotations

from agent_desktop.action_context import ActionContext

FACTS = {"partner_id": 7, "contact_person_id": None, "call": None, "answers": {}, "language": "en"}


def test_the_same_facts_are_asked_for_once_and_again_after_a_failure():
    held = ActionContext()
    wanted = held.ask("c1", FACTS)
    assert wanted is not None and held.ask("c1", dict(FACTS)) is None
    held.failed(wanted)
    assert held.ask("c1", FACTS) == wanted


def test_a_reply_for_facts_no_longer_current_is_thrown_away():
    held = ActionContext()
    first = held.ask("c1", FACTS)
    second = held.ask("c1", {**FACTS, "answers": {"q1": "yes"}})
    assert not held.loaded(first, "context for the old answers", ("c1", 7, None)) and held.context is None
    held.failed(first)  # too late to matter
    assert held.ask("c1", {**FACTS, "answers": {"q1": "yes"}}) is None
    assert held.loaded(second, "context", ("c1", 7, None)) and held.context == "context"


def test_the_context_is_dropped_at_once_when_whom_it_is_for_changes():
    held = ActionContext()
    assert not held.stale(("c1", 7, None))  # nothing loaded: nothing to drop
    held.loaded(held.ask("c1", FACTS), "context", ("c1", 7, None))
    assert not held.stale(("c1", 7, None))
    assert held.stale(("c1", 8, None)) and held.context is None
    assert held.ask("c1", FACTS) is not None  # asked again for the new customer
    held.loaded(held.ask("c2", FACTS), "context", ("c2", 7, None))
    held.clear()
    assert held.context is None and held.ask("c2", FACTS) is not None
