"""The wallboard's figures, staffing advice and alerts, with a fake clock (admin_console/alerts)."""

from __future__ import annotations

import pytest

from admin_console.alerts.monitor import LONGEST_WAIT, NOT_READY, SERVICE_LEVEL, WAITING, QueueMonitor
from admin_console.alerts.rules import AlertRules, QueueRules, QueueSection, load_rules
from admin_console.config import ConsoleConfigError, load_console_config
from admin_console.wallboard.model import Wallboard
from bus import cti

T0 = 1_000_000.0


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def stats(queue="billing", waiting=0, longest=0.0, entered=0, answered=0, abandoned=0, in_time=0,
          ready=0, busy=0) -> cti.QueueStats:
    return cti.QueueStats(queue=queue, waiting=waiting, longest_wait=longest, agents_logged_in=ready + busy,
                          agents_ready=ready, agents_offered=0, agents_busy=busy, agents_wrap_up=0,
                          agents_not_ready=0, entered=entered, answered=answered, abandoned=abandoned, overflowed=0,
                          answered_in_service_level=in_time, service_level_seconds=20, service_level=None)


def call(answered_at: float, waited: float, queue="billing") -> cti.CallView:
    return cti.CallView(call_id="c1", role="handler", state="connected", direction="inbound", ani="1", dnis="2",
                        queue=queue, waited=waited, answered_at=answered_at)


def agent(name="ann", mode="ready", since=T0, reason=None, calls=()) -> cti.AgentView:
    return cti.AgentView(agent=name, name=name.title(), mode=mode, reason=reason, since=since, queues=["billing"],
                         device=None, calls=list(calls))


def status(queues=(), agents=()) -> cti.StatusResult:
    return cti.StatusResult(run="r", started_at=0, sip_address="", front="worker", workers=[], queues=list(queues),
                            agents=list(agents), records_healthy=True, records_backlog=0)


def board(rules: AlertRules | None = None, clock: Clock | None = None) -> tuple[Wallboard, Clock]:
    clock = clock or Clock()
    model = Wallboard(clock, silence=1e9, monitor=QueueMonitor(rules, clock))
    model.seed(status([stats(entered=40, answered=30, abandoned=5, in_time=25, ready=1)], [agent()]))
    return model, clock


def feed(model: Wallboard, clock: Clock, seconds: float, *events) -> None:
    clock.now += seconds
    for event in events:
        model.apply(event)
    model.check()


def step(kind: str, contact: str, at: float, waited: float = 0.0, handle: float = 0.0,
         queue: str = "billing") -> cti.QueueContactStep:
    return cti.QueueContactStep(queue=queue, contact_id=contact, step=kind, at=at, waited=waited,
                                handle_seconds=handle)


def queue_figures(model: Wallboard) -> dict:
    return model.view()["queues"][0]["figures"]


def test_counts_start_from_the_snapshot_and_windows_keep_the_last_hour():
    model, clock = board()
    assert queue_figures(model)["today"]["offered"] == 0  # what came before the console watched is not counted
    feed(model, clock, 10, cti.QueueStatsChanged(stats=stats(waiting=1, entered=41, answered=30, abandoned=5,
                                                             in_time=25, ready=1)))
    feed(model, clock, 30, cti.QueueStatsChanged(stats=stats(entered=41, answered=30, abandoned=6, in_time=25,
                                                             ready=1)))  # hung up after 30 s
    figures = model.monitor.figures.queue("billing")
    hour = figures.window(60, clock.now)
    assert (hour["arrivals"], hour["abandoned"], hour["waited"]) == (1, 1, pytest.approx(30))
    assert hour["seconds"] == 60  # watched for 40 s: the window is the shortest that makes sense
    clock.now += 20 * 60
    assert figures.window(15, clock.now)["arrivals"] == 0  # out of the last 15 minutes
    assert figures.window(30, clock.now)["arrivals"] == 1
    assert figures.window(30, clock.now)["seconds"] == 20 * 60 + 40
    clock.now += 45 * 60
    assert figures.window(60, clock.now)["arrivals"] == 0


def test_a_gateway_that_started_again_counts_from_zero():
    model, clock = board()
    feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(entered=2, answered=1)))
    assert model.monitor.figures.queue("billing").window(15, clock.now)["arrivals"] == 2


def test_today_counts_the_contacts_step_by_step_by_the_definitions():
    """T = 20 s (the queue's target), τ = 5 s: one answered in 12 s and handled in 120 s, one
    abandoned after 3 s (short), one after 30 s, one still waiting."""
    model, clock = board()
    feed(model, clock, 1, step("entered", "c1", T0 + 1), step("entered", "c2", T0 + 1),
         step("entered", "c3", T0 + 1), step("entered", "c4", T0 + 1))
    feed(model, clock, 30, step("answered", "c1", T0 + 13, waited=12), step("abandoned", "c2", T0 + 4, waited=3),
         step("abandoned", "c3", T0 + 31, waited=30))
    today = queue_figures(model)["today"]
    assert (today["offered"], today["answered"], today["abandoned"], today["short_abandons"]) == (4, 1, 2, 1)
    assert today["asa"] == pytest.approx(12) and today["aht"] is None  # not wrapped up yet
    assert today["service_level"] == pytest.approx(1 / (3 - 1))  # answered within T / (left - short)
    assert today["service_level_answered_only"] == pytest.approx(1.0)
    assert today["abandonment_rate"] == pytest.approx((2 - 1) / (4 - 1))
    version = model.version
    feed(model, clock, 120, step("wrapped_up", "c1", T0 + 133, handle=120))
    assert queue_figures(model)["today"]["aht"] == pytest.approx(120) and model.version > version


def test_the_queue_s_short_abandon_threshold_and_variant_are_used():
    rules = AlertRules(QueueRules(short_abandon_seconds=2, service_level_variant="abandons_within_ignored"))
    model, clock = board(rules)
    feed(model, clock, 1, step("entered", "c1", T0), step("entered", "c2", T0), step("entered", "c3", T0))
    feed(model, clock, 1, step("answered", "c1", T0 + 10, waited=10), step("abandoned", "c2", T0 + 3, waited=3),
         step("abandoned", "c3", T0 + 40, waited=40))
    today = queue_figures(model)["today"]
    assert today["short_abandons"] == 0  # 3 s is over τ = 2 s
    assert today["service_level"] == pytest.approx(1 / (3 - 1))  # the abandon within T is left out


def test_today_starts_from_the_crm_s_contacts_and_again_at_midnight():
    from crm.reports.queue_contacts import QueueVisits

    clock = Clock()
    midnight = T0 - 3600
    model = Wallboard(clock, silence=1e9, monitor=QueueMonitor(None, clock))
    model.monitor.figures.day_start = lambda at: midnight if at < T0 + 7200 else T0 + 7200
    model.monitor.figures.today_start = midnight
    read = QueueVisits()
    read.step("entered", "billing", "c1", midnight + 10)
    read.step("answered", "billing", "c1", midnight + 15, wait=5)
    read.step("entered", "billing", "c2", T0 - 1)
    model.seed(status([stats(ready=1)], [agent()]), None, (read, midnight))
    assert queue_figures(model)["today"]["offered"] == 2
    feed(model, clock, 1, step("entered", "c2", T0 - 1),  # read from the CRM already: once
         step("answered", "c2", T0 + 1, waited=2), step("wrapped_up", "c1", T0 + 1, handle=50))
    today = queue_figures(model)["today"]
    assert (today["offered"], today["answered"], today["aht"]) == (2, 2, pytest.approx(50))
    assert today["asa"] == pytest.approx((5 + 2) / 2)
    feed(model, clock, 7200)  # midnight passed
    assert queue_figures(model)["today"]["offered"] == 0
    feed(model, clock, 1, step("abandoned", "c3", T0 + 7201, waited=30))  # entered yesterday: not today's
    assert queue_figures(model)["today"]["abandoned"] == 0


def test_handle_time_runs_from_the_answer_to_the_end_of_wrap_up():
    model, clock = board()
    answered = T0 + 5
    feed(model, clock, 5, cti.AgentStateChanged(state=agent(mode="busy", since=answered,
                                                            calls=[call(answered, waited=12)])))
    feed(model, clock, 100, cti.AgentStateChanged(state=agent(mode="wrap_up", since=answered + 100)))
    feed(model, clock, 20, cti.AgentStateChanged(state=agent(mode="ready", since=answered + 120)))
    hour = model.monitor.figures.queue("billing").window(60, clock.now)
    assert (hour["handled"], hour["handle_seconds"]) == (1, pytest.approx(120))


def test_patience_is_the_time_waited_over_the_abandons():
    model, clock = board()
    feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=2, entered=42, answered=30, abandoned=5,
                                                            in_time=25)))
    feed(model, clock, 40, cti.QueueStatsChanged(stats=stats(waiting=1, entered=42, answered=31, abandoned=5,
                                                             in_time=25)))  # 80 s waited
    feed(model, clock, 20, cti.QueueStatsChanged(stats=stats(entered=42, answered=31, abandoned=6, in_time=25)))
    clock.now += 5  # the advice is made every few seconds
    model.check()
    advice = queue_figures(model)["advice"]
    assert advice["patience"] == pytest.approx(100.0)  # (80 + 20) s waited / 1 abandon


def test_the_advice_is_a_sentence_in_both_languages_against_the_queues_target():
    rules = AlertRules(queues={"billing": QueueRules(target_level=90, target_seconds=15)})
    model, clock = board(rules)
    answered = T0 + 1
    for entered in range(41, 101):  # a call every second for a minute, each handled in 180 s
        feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(entered=entered, answered=30, abandoned=5,
                                                                in_time=25, ready=1)))
    feed(model, clock, 0, cti.AgentStateChanged(state=agent(mode="busy", since=answered,
                                                            calls=[call(answered, waited=0)])))
    clock.now = answered + 180
    feed(model, clock, 0, cti.AgentStateChanged(state=agent(mode="ready", since=clock.now)))
    clock.now += 5
    model.check()
    advice = queue_figures(model)["advice"]
    # 60 calls over the 4 minutes watched at 180 s each: 45 Erlangs, against 1 agent there
    assert advice["reason"] == "short" and advice["difference"] == advice["needed"] - 1 > 40
    assert advice["sentence"]["en"] == f"+{advice['difference']} agents needed for 90 % in 15 s"
    assert advice["sentence"]["zh"] == f"还需 {advice['difference']} 名坐席才能达到 15 秒内 90 %"
    assert queue_figures(model)["target"] == {"level": 90, "seconds": 15}


def test_a_queue_without_calls_needs_no_agents():
    model, clock = board()
    feed(model, clock, 5)
    assert queue_figures(model)["advice"]["sentence"]["en"] == "No contacts arriving: no agents needed"


def test_an_alert_starts_when_a_threshold_is_crossed_and_clears_when_the_condition_ends():
    rules = AlertRules(QueueRules(alert_longest_wait=30, alert_waiting=1))
    model, clock = board(rules)
    feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=1, longest=0.0, entered=41)))
    assert model.view()["alerts"] == [] and not queue_figures(model)["alerting"]
    version = model.version
    feed(model, clock, 29)
    assert model.view()["alerts"] == []
    feed(model, clock, 2)  # the wait ticks past 30 s with no event
    assert model.version > version
    [alert] = model.view()["alerts"]
    assert (alert["kind"], alert["queue"], alert["threshold"], alert["started_at"]) == (
        LONGEST_WAIT, "billing", 30, clock.now)
    assert queue_figures(model)["alerting"]
    feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=2, longest=32.0, entered=42)))
    assert [a["kind"] for a in model.view()["alerts"]] == [LONGEST_WAIT, WAITING]
    feed(model, clock, 3, cti.QueueStatsChanged(stats=stats(waiting=0, entered=42, answered=32, in_time=27)))
    assert model.view()["alerts"] == [] and not queue_figures(model)["alerting"]
    history = list(model.monitor.history)
    assert [(a.kind, a.ended_at) for a in history] == [(LONGEST_WAIT, clock.now), (WAITING, clock.now)]
    assert history[0].value == pytest.approx(32)  # the worst wait while it lasted


def test_service_level_today_under_its_threshold():
    model, clock = board(AlertRules(QueueRules(alert_service_level=80)))
    feed(model, clock, 1, step("entered", "c1", T0), step("answered", "c1", T0 + 1, waited=1))
    assert model.view()["alerts"] == []  # 1 of 1 in time today
    feed(model, clock, 1, step("entered", "c2", T0 + 1), step("abandoned", "c2", T0 + 30, waited=29))
    [alert] = model.view()["alerts"]
    assert (alert["kind"], alert["value"]) == (SERVICE_LEVEL, 50.0)


def test_an_agent_over_the_limit_of_his_not_ready_reason():
    rules = AlertRules(not_ready_limits={"break": 15 * 60})
    model, clock = board(rules)
    feed(model, clock, 0, cti.AgentStateChanged(state=agent(mode="not_ready", reason="break", since=clock.now)),
         cti.AgentStateChanged(state=agent("bob", mode="not_ready", reason="training", since=clock.now)))
    feed(model, clock, 15 * 60 + 1)
    [alert] = model.view()["alerts"]
    assert (alert["kind"], alert["agent"], alert["reason"], alert["queue"]) == (NOT_READY, "ann", "break", None)
    feed(model, clock, 1, cti.AgentStateChanged(state=agent(mode="ready", since=clock.now)))
    assert model.view()["alerts"] == []


def test_a_gateway_out_of_sight_ends_the_alerts():
    model, clock = board(AlertRules(QueueRules(alert_waiting=0, alert_longest_wait=1)))
    feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=1, longest=5, entered=41)))
    assert model.view()["alerts"]
    model.lost("silent")
    assert model.monitor.active == {} and model.monitor.history[0].ended_at == clock.now


def test_rules_from_the_configuration():
    rules = load_rules({"default": QueueSection(alert_waiting=5, target_level=85),
                        "billing": QueueSection(alert_longest_wait=30)}, {"break": 15}, "[console]")
    assert rules.of("billing") == QueueRules(target_level=85, alert_waiting=5, alert_longest_wait=30)
    assert rules.of("sales") == QueueRules(target_level=85, alert_waiting=5)
    assert rules.not_ready_limits == {"break": 900}
    config = load_console_config({"queues": {"billing": {"alert_longest_wait": 3}}})
    assert config.alert_rules.of("billing").alert_longest_wait == 3
    assert config.alert_rules.of("billing").target.level == 0.8
    with pytest.raises(ConsoleConfigError, match="target_level"):
        load_console_config({"queues": {"billing": {"target_level": 100}}})
    with pytest.raises(ConsoleConfigError, match="alert_wait"):
        load_console_config({"queues": {"billing": {"alert_wait": 3}}})
    with pytest.raises(ConsoleConfigError, match="break"):
        load_console_config({"not_ready_limits": {"break": 0}})


def test_alerts_are_kept_in_the_crm_with_their_start_and_end(db):
    from admin_console.alerts.store import AlertStore, scope_key
    from crm.services.supervision import WatchScope

    everyone, team = scope_key(WatchScope(everything=True)), scope_key(WatchScope(False, frozenset({5, 3})))
    assert (everyone, team) == ("all", "units:3,5")
    store = AlertStore(db)
    try:
        clock = Clock()
        model = Wallboard(clock, silence=1e9, monitor=QueueMonitor(
            AlertRules(QueueRules(alert_waiting=1)), clock,
            on_started=lambda alert: store.started(team, alert), on_ended=lambda alert: store.ended(team, alert)))
        model.seed(status([stats()], [agent()]))
        feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=2, entered=2)))
        feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=3, entered=3)))
        store.flush()
        [kept] = store.recent(team)
        assert (kept["kind"], kept["queue"], kept["threshold"], kept["ended_at"]) == (WAITING, "billing", 1, None)
        assert kept["started_at"] == pytest.approx(T0 + 1)
        feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=0, entered=3, answered=3)))
        store.flush()
        [kept] = store.recent(team)
        assert kept["ended_at"] == pytest.approx(T0 + 3) and kept["value"] == 3  # the worst while it lasted
        assert store.recent(everyone) == []  # another scope's wallboard did not see it
        feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=2, entered=5)))
        store.flush()
    finally:
        store.stop()
    again = AlertStore(db)  # a console started again ends what its last run left open
    again.flush()
    again.stop()
    assert all(kept["ended_at"] is not None for kept in again.recent(team))
    assert len(again.recent(team)) == 2


def test_the_last_hour_from_the_crm_fills_the_windows_from_the_start(db):
    from datetime import UTC, datetime

    from crm.models import LoggedEvent
    from crm.services.queue_steps import queue_steps

    def logged(minutes_ago: float, kind: str, queue="billing", channel="phone", **detail) -> LoggedEvent:
        at = datetime.fromtimestamp(T0 - minutes_ago * 60, UTC).replace(tzinfo=None)
        return LoggedEvent(event_key=f"test:{minutes_ago}:{kind}:{queue}:{channel}", at=at, kind=kind, queue=queue,
                           channel=channel, contact_id="c", detail=detail or None)

    with db.unit_of_work() as session:
        session.add_all([logged(90, "entered"),  # before the hour
                         logged(40, "entered"), logged(40, "answered", wait=10), logged(36, "ended", talk=240.0),
                         logged(20, "entered"), logged(19, "abandoned", wait=60),
                         logged(10, "entered"), logged(10, "answered", wait=30),
                         logged(5, "work_mode"), logged(5, "entered", queue="sales"),
                         logged(4, "entered", channel="email")])  # the mail queue's "billing": not a call
    with db.reading() as session:
        steps = queue_steps(session, T0 - 3600)
    assert [(step.kind, step.queue) for step in steps][:3] == [("entered", "billing"), ("answered", "billing"),
                                                              ("ended", "billing")]
    assert len(steps) == 8 and steps[2].talk == 240 and steps[4].wait == 60

    clock = Clock()
    model = Wallboard(clock, silence=1e9, monitor=QueueMonitor(clock=clock))
    model.seed(status([stats(entered=3, answered=2, abandoned=1, in_time=1)]), steps)
    figures = model.monitor.figures.queue("billing")
    assert {minutes: (w["arrivals"], w["answered"], w["abandoned"], w["seconds"])
            for minutes, w in ((w["minutes"], w) for w in figures.windows(clock.now))} == {
        15: (1, 1, 0, 900), 30: (2, 1, 1, 1800), 60: (3, 2, 1, 3600)}
    hour = figures.window(60, clock.now)
    assert (hour["handled"], hour["handle_seconds"], hour["waited"]) == (1, 240, 100)
    model.check()
    assert queue_figures(model)["advice"]["patience"] == pytest.approx(100.0)
    assert queue_figures(model)["today"]["offered"] == 0  # today counts from the watch


def test_a_queue_alert_is_told_to_the_queues_agents_once_a_minute_at_most():
    from admin_console.alerts.announce import Announcer

    rules = AlertRules(QueueRules(alert_waiting=1), {"billing": QueueRules(alert_waiting=1, alert_message=True)})
    model, clock = board(rules)
    feed(model, clock, 1, cti.QueueStatsChanged(stats=stats(waiting=2, entered=42)),
         cti.QueueStatsChanged(stats=stats("sales", waiting=2, entered=2)))
    [alert] = model.monitor.take_announcements()  # sales's agents are not told
    assert alert.queue == "billing" and model.monitor.take_announcements() == []

    class Gateway:
        sent: list = []

        def request(self, command, result_type):
            self.sent.append((command.token, command.queue, command.text))
            return cti.BroadcastResult(agents=["ann"])

    gateway, seconds = Gateway(), Clock(0)
    announce = Announcer(seconds)
    announce(gateway, "sue's", alert)
    announce(gateway, "zhou's", alert)  # another scope's wallboard raised it too
    seconds.now += 61
    announce(gateway, "zhou's", alert)
    text = "billing: more than 1 callers waiting / billing：排队来电超过 1 个"
    assert gateway.sent == [("sue's", "billing", text), ("zhou's", "billing", text)]


def test_a_queue_none_of_the_scopes_agents_is_logged_in_to_raises_no_alert():
    model, clock = board(AlertRules(QueueRules(alert_waiting=1)))
    model.seed(status([stats(waiting=5, entered=41), stats("sales", waiting=5)], [agent()]))
    feed(model, clock, 1)
    assert [a["queue"] for a in model.view()["alerts"]] == ["billing"]  # sales's figures do not come to this watch



def test_short_abandons_and_the_service_level_variant_from_the_configuration():
    config = load_console_config({"queues": {"default": {"short_abandon_seconds": 8},
                                             "billing": {"service_level_variant": "abandons_within_for"}}})
    thresholds = config.alert_rules.thresholds("billing")
    assert (thresholds.service_level_seconds, thresholds.short_abandon_seconds, thresholds.variant) == (
        20, 8, "abandons_within_for")
    assert config.alert_rules.thresholds("sales").variant == "abandons_against"
    with pytest.raises(ConsoleConfigError, match="service_level_variant = 'generous'"):
        load_console_config({"queues": {"billing": {"service_level_variant": "generous"}}})
    with pytest.raises(ConsoleConfigError, match="short_abandon_seconds cannot be negative"):
        load_console_config({"queues": {"default": {"short_abandon_seconds": -1}}})
