"""The desktop's session at the CTI gateway, without Qt or a gateway: when it logs in
(again), when a snapshot will do, when it stops and asks the agent to sign in, and when
another desktop holds the session, so that only the agent decides."""

from __future__ import annotations

from agent_desktop.gateway_session import RESTARTED, GatewaySession
from agent_desktop.workbench import GATEWAY_ERROR, Workbench
from bus import cti


class Port:
    """The link and the window, as the session sees them: what it asked for, in order."""

    def __init__(self):
        self.session: str | None = None
        self.alive = True
        self.asked: list = []

    def log_in(self, takeover):
        self.asked.append(("log_in", takeover))

    def resync(self):
        self.asked.append("resync")

    def retry_later(self):
        self.asked.append("retry_later")

    def rejoining(self, on):
        self.asked.append(("rejoining", on))

    def sign_in_wanted(self, reason):
        self.asked.append(("sign_in", reason))

    def takeover_asked(self, message):
        self.asked.append(("takeover?", message))


def agent() -> cti.AgentView:
    return cti.AgentView(agent="ann", name="Ann", mode="ready", reason=None, since=0.0, queues=["billing"],
                         device="sip:ann@127.0.0.1", calls=[])


def session(*, logged_in: bool = True) -> tuple[GatewaySession, Port, Workbench]:
    bench, port = Workbench("ann", clock=lambda: 0.0), Port()
    gateway = GatewaySession(bench, port)
    if logged_in:
        gateway.connect()
        gateway.logged_in("run1")
        port.session = "s1"
        bench.logged_in("s1")
        bench.apply_snapshot(agent(), "run1", 1)
        port.asked.clear()
    return gateway, port, bench


def templates(bench) -> list[str]:
    return [n.template for n in bench.notices]


def test_one_login_at_a_time_and_a_refused_one_is_tried_again_later():
    gateway, port, bench = session(logged_in=False)
    gateway.connect()
    gateway.connect()  # the first is still on its way
    assert port.asked == [("log_in", False)]
    gateway.login_failed("crm_unavailable", "no database")
    assert port.asked[-1] == "retry_later" and not bench.connected
    assert templates(bench) == [GATEWAY_ERROR]
    gateway.relogin_if_needed()
    assert port.asked[-1] == ("log_in", False)


def test_a_session_held_by_another_desktop_is_only_taken_when_the_agent_says_so():
    gateway, port, bench = session(logged_in=False)
    gateway.connect()
    gateway.login_failed("already_logged_in", "ann is logged in at 10.0.0.7")
    assert port.asked[-1] == ("takeover?", "ann is logged in at 10.0.0.7")
    assert bench.session_elsewhere == "ann is logged in at 10.0.0.7"
    gateway.relogin_if_needed()
    gateway.heartbeat("run1", True)
    gateway.silent("no word")
    gateway.command_failed("not_logged_in", "who are you?")
    assert port.asked == [("log_in", False), ("takeover?", "ann is logged in at 10.0.0.7")]
    gateway.connect(takeover=True)  # "Take over here"
    assert port.asked[-1] == ("log_in", True)


def test_an_ended_session_is_not_retried_the_agent_is_asked_to_sign_in_and_then_it_takes_over_its_old_one():
    gateway, port, bench = session(logged_in=False)
    port.session = "old"
    gateway.connect()
    gateway.login_failed("session_ended", "sign in again")
    assert port.asked[1:] == [("rejoining", False), ("sign_in", "ended")] and port.session is None
    gateway.rejoin_tick()
    assert port.asked[-1] == ("rejoining", False)  # nothing to log in with
    gateway.signed_in_again()
    assert port.asked[-1] == ("log_in", True) and not gateway.over


def test_the_gateways_notice_that_the_crm_session_ended_asks_for_a_sign_in():
    gateway, port, _bench = session()
    gateway.notice_heard("ring_no_answer")
    assert port.asked == []
    gateway.notice_heard("session_expired")
    assert port.asked == [("sign_in", "expired")] and gateway.over


def test_a_silent_gateway_is_asked_for_a_snapshot_until_it_answers_or_logged_in_to_again():
    gateway, port, bench = session()
    port.alive = False
    gateway.silent("no word from the gateway")
    assert port.asked == [("rejoining", True)] and bench.connection_error == "no word from the gateway"
    gateway.rejoin_tick()
    assert port.asked[-1] == "resync"  # it may still know this session
    port.session = None
    gateway.rejoin_tick()
    assert port.asked[-1] == ("log_in", False)
    gateway.rejoin_tick()  # that login is on its way
    assert port.asked.count(("log_in", False)) == 1
    port.alive = True
    gateway.rejoin_tick()
    assert port.asked[-1] == ("rejoining", False)


def test_a_heartbeat_of_a_new_run_means_a_restart_and_a_login_the_same_run_a_snapshot_when_disconnected():
    gateway, port, bench = session()
    gateway.heartbeat("run1", True)
    assert port.asked == []  # all is well
    bench.connection_lost("no word")
    gateway.heartbeat("run1", True)
    assert port.asked == ["resync"]
    gateway.heartbeat("run2", False)
    assert port.asked[-1] == ("log_in", False) and RESTARTED in templates(bench)
    assert bench.connection_error == "the gateway restarted" and not bench.gateway_records_healthy
    gateway.logged_in("run2")
    assert templates(bench).count(RESTARTED) == 2 and not gateway.logging_in


def test_events_of_another_gateway_run_are_not_this_desktops():
    gateway, _port, bench = session(logged_in=False)
    assert gateway.from_this_run("anything")  # not logged in: the snapshot will sort it out
    bench.apply_snapshot(agent(), "run1", 1)
    assert gateway.from_this_run("run1") and not gateway.from_this_run("run0")


def test_a_command_the_gateway_does_not_know_the_session_of_logs_in_again_and_others_are_told():
    gateway, port, bench = session()
    gateway.command_failed("invalid_state", "not now")
    assert port.asked == [] and bench.connected and templates(bench) == [GATEWAY_ERROR]
    gateway.command_failed("unreachable", "no answer")
    assert port.asked == [] and not bench.connected
    gateway.command_failed("not_logged_in", "who are you?")
    assert port.asked == [("log_in", False)] and len(bench.notices) == 2


def test_the_confirmed_events_bring_a_snapshot_of_what_was_sent_to_no_one():
    gateway, port, _bench = session()
    gateway.subscribed()
    assert port.asked == ["resync"]
    port.session = None
    gateway.subscribed()
    assert port.asked == ["resync"]
