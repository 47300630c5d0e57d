"""The agent's work mode as the desktop decides it, without Qt or a gateway: the Not ready
reasons he may pick, the mode he gets back after a re-login, the mode chosen while the
gateway was away, and the next mode after End."""

from __future__ import annotations

from agent_desktop.work_modes import WorkModes, allowed_reasons, mode_after_end, mode_to_restore
from bus import cti


def agent(mode="ready", reason=None) -> cti.AgentView:
    return cti.AgentView(agent="ann", name="Ann", mode=mode, reason=reason, since=0.0, queues=["billing"],
                         device="sip:ann@127.0.0.1", calls=[])


def modes(**profile) -> tuple[WorkModes, list]:
    sent: list = []
    return WorkModes(lambda mode, reason: sent.append((mode, reason)), **profile), sent


def test_the_reasons_are_the_profiles_the_gateway_accepts_or_the_gateways_when_the_profile_names_none():
    assert allowed_reasons(["lunch", "break", "coaching"], ["break", "lunch"]) == ["lunch", "break"]
    assert allowed_reasons([], ["break", "lunch"]) == ["break", "lunch"]
    assert allowed_reasons(["lunch"], []) == ["lunch"]

    keeper, _ = modes(profile_reasons=["lunch", "coaching"])
    keeper.logged_in(None, gateway_reasons=["lunch", "break"], contact_open=False)
    assert keeper.not_ready_reasons == ["lunch"]
    keeper.logged_in(None, gateway_reasons=[], contact_open=False)  # says nothing new of them
    assert keeper.not_ready_reasons == ["lunch"]


def test_after_a_re_login_the_agent_gets_back_ready_or_a_reason_he_may_still_pick():
    reasons = ["lunch", "break"]
    assert mode_to_restore(agent("ready"), reasons=reasons, contact_open=False) == ("ready", None)
    assert mode_to_restore(agent("not_ready", "lunch"), reasons=reasons, contact_open=False) == ("not_ready", "lunch")
    assert mode_to_restore(agent("not_ready", "coaching"), reasons=reasons, contact_open=False) is None
    assert mode_to_restore(agent("ready"), reasons=reasons, contact_open=True) is None  # End decides
    assert mode_to_restore(agent("wrap_up"), reasons=reasons, contact_open=False) is None
    assert mode_to_restore(None, reasons=reasons, contact_open=False) is None


def test_the_first_login_restores_nothing_a_re_login_restores_the_mode_he_had():
    keeper, sent = modes(profile_reasons=["lunch"])
    keeper.logged_in(agent("ready"), gateway_reasons=["lunch"], contact_open=False)
    assert sent == []  # a state from before this desktop's first login is not the agent's choice here
    keeper.logged_in(agent("not_ready", "lunch"), gateway_reasons=["lunch"], contact_open=False)
    assert sent == [("not_ready", "lunch")] and keeper.wanted == ("not_ready", "lunch")
    keeper.confirmed()
    assert keeper.wanted is None


def test_a_mode_chosen_while_the_gateway_was_away_is_asked_for_until_it_is_set():
    keeper, sent = modes(after_wrap_up="ready")
    keeper.logged_in(None, gateway_reasons=[], contact_open=False)
    keeper.contact_ended("phone", agent("wrap_up"), connected=False)
    assert sent == [] and keeper.wanted == ("ready", None)
    keeper.resynced()  # the gateway answers again
    keeper.logged_in(agent("not_ready", "lunch"), gateway_reasons=[], contact_open=False)  # the wanted one wins
    assert sent == [("ready", None), ("ready", None)]
    keeper.confirmed()
    keeper.resynced()
    assert len(sent) == 2


def test_the_next_mode_after_end_follows_the_profile_with_a_reason_the_agent_may_pick():
    def after(mode, *, channel="phone", then="ready", reason=None, reasons=("lunch", "after_call_work")):
        return mode_after_end(channel, agent(mode), after_wrap_up=then, after_wrap_up_reason=reason,
                              reasons=list(reasons))

    assert after("wrap_up") == ("ready", None)
    assert after("ready") is None  # ready already
    assert after("not_ready") == ("ready", None)
    assert after("wrap_up", then="not_ready", reason="lunch") == ("not_ready", "lunch")
    assert after("wrap_up", then="not_ready", reason="meeting") == ("not_ready", "after_call_work")
    assert after("wrap_up", then="not_ready", reason="meeting", reasons=["lunch"]) == ("not_ready", "lunch")
    assert after("wrap_up", then="not_ready", reason="meeting", reasons=[]) == ("not_ready", "meeting")
    assert after("ready", then="not_ready", reason="lunch") == ("not_ready", "lunch")
    assert after("busy") is None and after("offered") is None  # in a call: the gateway decides
    assert after("wrap_up", channel="email") is None and after("wrap_up", channel="chat") is None
    assert mode_after_end("phone", None, after_wrap_up="ready", after_wrap_up_reason=None, reasons=[]) is None

    keeper, sent = modes(after_wrap_up="not_ready", after_wrap_up_reason="lunch", profile_reasons=["lunch"])
    keeper.contact_ended("phone", agent("wrap_up"), connected=True)
    assert sent == [("not_ready", "lunch")]
