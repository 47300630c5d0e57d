"""The console's live wallboard model, with a fake clock: seeded from the gateway's status,
kept by its events, offline (with no figure) when the gateway falls silent."""

from __future__ import annotations

from bus import cti
from admin_console.wallboard.model import Wallboard
from crm.services.supervision import WatchScope


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def stats(queue="billing", waiting=0, longest=0.0, **agents) -> cti.QueueStats:
    counts = {f"agents_{k}": agents.get(k, 0) for k in ("logged_in", "ready", "offered", "busy", "wrap_up",
                                                         "not_ready")}
    return cti.QueueStats(queue=queue, waiting=waiting, longest_wait=longest, entered=0, answered=0, abandoned=0,
                          overflowed=0, answered_in_service_level=0, service_level_seconds=20, service_level=None,
                          **counts)


def agent(name="ann", mode="ready", since=999_990.0, reason=None, calls=()) -> cti.AgentView:
    return cti.AgentView(agent=name, name=name.title(), mode=mode, reason=reason, since=since, queues=["billing"],
                         device=None, calls=list(calls))


def status(queues=(), agents=()) -> cti.StatusResult:
    return cti.StatusResult(run="r", started_at=0, sip_address="", front="worker", workers=[], queues=list(queues),
                            agents=list(agents), records_healthy=True, records_backlog=0)


def test_offline_until_seeded_then_the_status_shows():
    clock = Clock()
    board = Wallboard(clock)
    assert board.view() == {"online": False, "problem": "connecting", "now": clock.now, "queues": [], "agents": []}
    board.apply(cti.AgentStateChanged(state=agent()))  # before the snapshot: ignored
    assert board.view()["agents"] == []
    board.seed(status([stats(logged_in=2, ready=1, busy=1)], [agent("bob", "not_ready", reason="break"), agent()]))
    view = board.view()
    assert view["online"] is True
    assert [{k: v for k, v in q.items() if k != "figures"} for q in view["queues"]] == [
        {"queue": "billing", "waiting": 0, "oldest_since": None, "staffed": 2, "ready": 1,
         "busy": 1, "wrap_up": 0, "not_ready": 0}]  # the figures: tests/test_console_alerts.py
    assert [(a["agent"], a["mode"], a["reason"]) for a in view["agents"]] == [("ann", "ready", None),
                                                                               ("bob", "not_ready", "break")]


def test_a_caller_waiting_and_the_longest_wait_ticking_from_the_oldest_arrival():
    clock = Clock()
    board = Wallboard(clock)
    board.seed(status([stats()]))
    version = board.version
    clock.now += 10
    board.apply(cti.QueueStatsChanged(stats=stats(waiting=2, longest=7.5, logged_in=1, offered=1)))
    assert board.version > version
    queue = board.view()["queues"][0]
    assert queue["waiting"] == 2
    assert queue["oldest_since"] == clock.now - 7.5  # the browser ticks on from here
    assert queue["busy"] == 1  # being offered a call counts as busy


def test_a_supervisor_sees_only_the_queues_his_agents_serve_whose_figures_he_is_told():
    clock = Clock()
    board = Wallboard(clock, scope=WatchScope(False, frozenset({4}), frozenset({"north"})))  # a supervisor's watch
    board.seed(status([stats("billing"), stats("sales", waiting=3, longest=40.0)], [agent()]))
    assert [q["queue"] for q in board.view()["queues"]] == ["billing"]  # sales would freeze at its snapshot
    sales_agent = cti.AgentView(agent="ann", name="Ann", mode="ready", reason=None, since=clock.now,
                                queues=["billing", "sales"], device=None, calls=[])
    board.apply(cti.AgentStateChanged(state=sales_agent))  # from now on the gateway tells him of sales
    assert [q["queue"] for q in board.view()["queues"]] == ["billing", "sales"]
    everything = Wallboard(clock)  # an administrator's: every queue's figures come
    everything.seed(status([stats("billing"), stats("sales")], []))
    assert [q["queue"] for q in everything.view()["queues"]] == ["billing", "sales"]


def test_a_supervisor_sees_the_queues_of_his_org_units_with_none_of_his_agents_logged_in():
    clock = Clock()
    board = Wallboard(clock, scope=WatchScope(False, frozenset({4}), frozenset({"north"})))
    north, south = stats("billing"), stats("sales")
    north.org_units, south.org_units = ["north"], ["south"]
    board.seed(status([north, south], []))
    assert [q["queue"] for q in board.view()["queues"]] == ["billing"]
    his_agent_in_south = cti.AgentView(agent="ann", name="Ann", mode="ready", reason=None, since=clock.now,
                                       queues=["sales"], device=None, calls=[])
    board.apply(cti.AgentStateChanged(state=his_agent_in_south))
    assert [q["queue"] for q in board.view()["queues"]] == ["billing"]  # a queue's org units decide, not its agents


def test_an_agents_state_and_current_call():
    clock = Clock()
    board = Wallboard(clock)
    board.seed(status([], [agent()]))
    call = cti.CallView(call_id="c1", role="handler", state="connected", direction="inbound", ani="13900000001",
                        dnis="4001", queue="billing", waited=3, offered_at=999_995.0, answered_at=999_998.0)
    board.apply(cti.AgentStateChanged(state=agent(mode="busy", since=999_998.0, calls=[call])))
    seen = board.view()["agents"][0]
    assert (seen["mode"], seen["since"]) == ("busy", 999_998.0)
    assert seen["call"] == {"channel": "phone", "queue": "billing", "direction": "inbound", "state": "connected",
                            "since": 999_998.0, "warn": None}  # no limits set (tests/test_console_agents_table.py)
    assert "13900000001" not in repr(board.view())  # the wallboard shows no caller's number
    board.apply(cti.AgentStateChanged(state=agent(mode="logged_out")))
    assert board.view()["agents"] == []


def test_silence_turns_it_offline_with_no_figure_and_a_new_status_brings_it_back():
    clock = Clock()
    board = Wallboard(clock, silence=3.0)
    board.seed(status([stats(waiting=1, longest=2)], [agent()]))
    clock.now += 2.5
    board.apply(cti.GatewayHeartbeat(run="r", started_at=0, records_healthy=True, workers_up=1, workers=1))
    clock.now += 2.5
    assert board.check() is True  # heard 2.5 s ago
    clock.now += 1
    version = board.version
    assert board.check() is False
    assert board.version > version  # browsers are told at once
    assert board.view() == {"online": False, "problem": "silent", "now": clock.now, "queues": [], "agents": []}
    board.lost("unreachable")
    assert board.view()["problem"] == "unreachable"
    board.seed(status([stats()], []))
    assert board.view()["online"] is True and board.view()["queues"][0]["waiting"] == 0


def test_events_the_wallboard_does_not_show_change_nothing_but_prove_the_gateway_alive():
    clock = Clock()
    board = Wallboard(clock)
    board.seed(status())
    version = board.version
    clock.now += 2
    board.apply(cti.AgentNotice(agent="ann", level="info", text="hello"))
    assert board.version == version and board.heard_at == clock.now


# --- one watch per scope, whatever the browsers --------------------------------------------

class FakeGateway:
    """What the feed's client is asked, counted; every watch refused as unreachable."""

    def __init__(self):
        self.connections = 0

    def __call__(self):
        self.connections += 1
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def watch(self, token):
        from cti_gateway.client import GatewayUnreachable

        raise GatewayUnreachable("tcp://nowhere", 0.1)


def test_supervisors_of_one_scope_share_one_feed_which_ends_with_the_last():
    from admin_console.wallboard.feed import Feeds

    gateway = FakeGateway()
    feeds = Feeds(gateway, retry=0.05)
    north, site = ("north",), ("site",)
    first = feeds.join(north, "token-sue")
    assert feeds.join(north, "token-zhou") is first  # a second supervisor of the team
    assert feeds.join(north, "token-sue") is first  # a second browser of the same sign-in
    other = feeds.join(site, "token-sid")
    assert other is not first and len(feeds.feeds) == 2
    assert first.tokens == ["token-sue", "token-zhou"]  # sue's session watches
    first.thread.join(0.3)
    assert first.model.view()["online"] is False and first.model.problem == "unreachable"
    feeds.leave(north, "token-sue")
    assert feeds.get(north) is first and first.tokens == ["token-zhou"]
    feeds.leave(north, "token-zhou")
    assert feeds.get(north) is None
    first.thread.join(2)
    assert not first.thread.is_alive()
    feeds.stop()
    assert not other.thread.is_alive()


def test_a_view_is_serialised_once_per_change_for_every_browser():
    from admin_console.wallboard.feed import GatewayFeed

    feed = GatewayFeed(FakeGateway())
    version, first = feed.snapshot()
    assert feed.snapshot()[1] is first
    with feed.lock:
        feed.model.seed(status([stats()]))
    assert feed.snapshot()[0] > version and feed.snapshot()[1] is not first


def test_a_session_the_gateway_refuses_is_forgotten_and_reported():
    from admin_console.wallboard.feed import Feeds
    from cti_gateway.client import CtiError

    class Refusing(FakeGateway):
        def watch(self, token):
            raise CtiError("session_ended", "The session has ended (signed_out).")

    refused = []
    feeds = Feeds(Refusing(), retry=0.05, on_refused=refused.append)
    feed = feeds.join(("north",), "token-sue")
    feed.thread.join(0.5)
    assert refused == ["token-sue"] and feed.tokens == []
    feeds.stop()


def test_more_browsers_and_supervisors_of_a_scope_leave_the_watch_alone():
    import time

    from admin_console.wallboard.feed import Feeds

    class Answering(FakeGateway):
        watched: list[str] = []

        def watch(self, token):
            self.watched.append(token)

        def status(self, token):
            return status([stats()], [agent()])

        def next_event(self, timeout):
            time.sleep(0.01)
            return ("envelope", cti.GatewayHeartbeat(run="r", started_at=0, records_healthy=True, workers_up=1,
                                                     workers=1))

    gateway = Answering()
    feeds = Feeds(gateway, retry=0.05)
    feed = feeds.join(("north",), "token-sue")
    deadline = time.monotonic() + 2
    while not feed.model.online and time.monotonic() < deadline:
        time.sleep(0.01)
    for _ in range(20):  # browsers opening the page, another supervisor signing in
        feeds.join(("north",), "token-sue")
        feeds.join(("north",), "token-zhou")
    time.sleep(0.2)
    assert gateway.connections == 1 and gateway.watched == ["token-sue"]
    feeds.join(("north",), "token-ada")
    feeds.leave(("north",), "token-ada")  # not the one watching: nothing changes
    time.sleep(0.2)
    assert gateway.connections == 1
    feeds.leave(("north",), "token-sue")  # the watch moves to zhou's session at once
    deadline = time.monotonic() + 2
    while gateway.watched[-1] != "token-zhou" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gateway.watched == ["token-sue", "token-zhou"] and gateway.connections == 2
    feeds.leave(("north",), "token-zhou")  # the last: the watch ends
    feed.thread.join(2)
    assert not feed.thread.is_alive()


def test_a_malformed_event_is_logged_and_the_watch_goes_on(caplog):
    import logging
    import time

    from admin_console.wallboard.feed import Feeds
    from bus.envelope import BadMessage

    class Garbling(FakeGateway):
        sent = 0

        def watch(self, token):
            pass

        def status(self, token):
            return status([stats()], [])

        def next_event(self, timeout):
            time.sleep(0.01)
            self.sent += 1
            if self.sent == 3:
                raise BadMessage("malformed", "not an event envelope")
            waiting = 1 if self.sent > 3 else 0
            return ("envelope", cti.QueueStatsChanged(stats=stats(waiting=waiting, longest=1)))

    caplog.set_level(logging.WARNING, "cicada.console")
    gateway = Garbling()
    feeds = Feeds(gateway, retry=0.05)
    feed = feeds.join(("north",), "token-sue")
    deadline = time.monotonic() + 2
    while not (feed.model.online and feed.model.queues["billing"].waiting == 1) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert feed.model.queues["billing"].waiting == 1 and gateway.connections == 1
    assert "malformed event" in caplog.text
    feeds.stop()
