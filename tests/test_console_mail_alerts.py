"""The email and chat queues' alerts and the email and chat agents' warnings, with a fake clock:
each queue's channel against its own thresholds ([console.queues.NAME.email] and .chat), raised
as time passes with no event and cleared when the condition ends, ended when the mail queue is
out of sight, kept in the CRM beside the phone queues' alerts and read in both languages; an
agent away too long or holding a conversation open too long turns to a warning."""

from __future__ import annotations

import pytest

from admin_console import i18n
from admin_console.alerts.book import LONGEST_WAIT, WAITING, WITHIN_DUE, channel_of, mail_kind
from admin_console.alerts.mail import MailMonitor
from admin_console.alerts.monitor import QueueMonitor
from admin_console.alerts.rules import AlertRules
from admin_console.alerts.texts import alert_text, worst_text
from admin_console.config import ConsoleConfigError, load_console_config
from admin_console.wallboard.agents import AgentLimits
from admin_console.wallboard.mail_model import MailBoard
from admin_console.wallboard.model import Wallboard
from bus import mailq
from test_console_alerts import agent as phone_agent
from test_console_alerts import stats as phone_stats
from test_console_alerts import status as phone_status
from test_console_mailboard_model import T0, Clock, channel, queue, seat, status

EMAIL_WAIT, CHAT_WAIT = mail_kind("email", LONGEST_WAIT), mail_kind("chat", LONGEST_WAIT)


def rules(**queues) -> AlertRules:
    return load_console_config({"queues": queues}).alert_rules


def board(alert_rules: AlertRules, clock: Clock, limits: AgentLimits | None = None) -> MailBoard:
    return MailBoard(clock, silence=1e9, monitor=MailMonitor(alert_rules, clock), limits=limits)


def looked(model: MailBoard, clock: Clock, seconds: float, *events) -> None:
    """`seconds` pass, a look every 0.25 s as the feed's loop does; the events at the start."""
    for event in events:
        model.apply(event)
    end = clock.now + seconds
    while clock.now < end:
        clock.now = min(end, clock.now + 0.25)
        model.check()


def kinds(model: MailBoard) -> list[tuple[str, str, str]]:
    return [(a["kind"], a["queue"], a["channel"]) for a in model.view()["alerts"]]


def test_an_email_waiting_past_its_threshold_raises_an_alert_with_no_event_and_taking_it_clears_it():
    clock = Clock()
    model = board(rules(default={"alert_longest_wait": 5, "email": {"alert_longest_wait": 600}},
                        service={"chat": {"alert_longest_wait": 30}}), clock)
    model.seed(status([queue("service", channel("email", waiting=1, oldest=590.0), channel("chat", waiting=1,
                                                                                            oldest=20.0))]))
    looked(model, clock, 9)
    assert kinds(model) == []  # the phone queues' 5 s is not an email's or a chat's
    looked(model, clock, 2)  # 601 s: over the email's 600 s, the chat at 31 s over its 30 s
    assert kinds(model) == [(EMAIL_WAIT, "service", "email"), (CHAT_WAIT, "service", "chat")]
    rows = {row["channel"]: row for row in model.view()["queues"]}
    assert rows["email"]["alerting"] and rows["chat"]["alerting"]
    [email] = [a for a in model.view()["alerts"] if a["kind"] == EMAIL_WAIT]
    assert (email["threshold"], email["started_at"]) == (600, pytest.approx(T0 + 10.25, abs=0.26))

    version = model.version
    looked(model, clock, 1, mailq.QueueChanged(queue=queue("service", channel("email"), channel("chat", waiting=1,
                                                                                                 oldest=32.0))))
    assert kinds(model) == [(CHAT_WAIT, "service", "chat")]  # an agent took the email: it clears
    assert model.version > version
    assert not {row["channel"]: row for row in model.view()["queues"]}["email"]["alerting"]
    [ended] = [a for a in model.monitor.book.history if a.kind == EMAIL_WAIT]
    assert ended.ended_at == pytest.approx(T0 + 11.25) and ended.value > 600  # the worst it reached


def test_more_conversations_waiting_than_the_channel_s_threshold():
    clock = Clock()
    model = board(rules(default={"chat": {"alert_waiting": 2}}), clock)
    model.seed(status([queue("web-chat", channel("chat", waiting=2)), queue("service", channel("email", waiting=9))]))
    looked(model, clock, 1)
    assert kinds(model) == []  # two is not more than two; the email channel has no threshold
    looked(model, clock, 1, mailq.QueueChanged(queue=queue("web-chat", channel("chat", waiting=3))))
    assert kinds(model) == [(mail_kind("chat", WAITING), "web-chat", "chat")]
    looked(model, clock, 1, mailq.QueueChanged(queue=queue("web-chat", channel("chat", waiting=1))))
    assert kinds(model) == []


def contact(step: str, conversation: int, at: float) -> mailq.QueueContactStep:
    return mailq.QueueContactStep(queue="service", channel="email", conversation_id=conversation, step=step, at=at)


def test_the_share_answered_within_due_time_today_under_its_threshold():
    clock = Clock()
    model = board(rules(service={"email": {"alert_within_due": 60}}), clock)
    due = mailq.QueueView(name="service", mode="push", waiting=0, oldest_wait=0.0,
                          channels=[channel("email")], first_response_seconds=60.0)
    model.seed(status([due]))
    looked(model, clock, 1, contact("entered", 1, T0), contact("entered", 2, T0))
    looked(model, clock, 30, contact("first_reply", 1, T0 + 20))  # one replied in time; the other not due yet
    assert kinds(model) == []
    looked(model, clock, 45)  # the other falls overdue unreplied: 1 of 2, 50 % under 60 %
    assert kinds(model) == [(mail_kind("email", WITHIN_DUE), "service", "email")]
    [alert] = model.view()["alerts"]
    assert (alert["value"], alert["threshold"]) == (50.0, 60.0)
    looked(model, clock, 11, contact("entered", 3, clock.now), contact("first_reply", 3, clock.now))
    assert kinds(model) == []  # 2 of 3 in time: 66.7 %, the step measured again at once


def test_a_mail_queue_out_of_sight_ends_its_alerts_and_a_queue_without_thresholds_raises_none():
    clock = Clock()
    model = board(rules(default={"email": {"alert_waiting": 1}}), clock)
    model.seed(status([queue("service", channel("email", waiting=5)), queue("web-chat", channel("chat", waiting=5))]))
    looked(model, clock, 1)
    assert kinds(model) == [(mail_kind("email", WAITING), "service", "email")]  # chat has no threshold
    model.lost("silent")
    assert model.view()["online"] is False and "alerts" not in model.view()
    assert model.monitor.book.active == {} and model.monitor.book.history[0].ended_at == clock.now
    model.seed(status([queue("service", channel("email", waiting=0))]))  # back, nothing waits
    looked(model, clock, 1)
    assert kinds(model) == []


def test_phone_and_mail_alerts_of_a_queue_of_the_same_name_stay_apart():
    clock = Clock()
    alert_rules = rules(billing={"alert_waiting": 1, "email": {"alert_waiting": 1}})
    mail = board(alert_rules, clock)
    mail.seed(status([queue("billing", channel("email", waiting=2))]))
    phones = Wallboard(clock, silence=1e9, monitor=QueueMonitor(alert_rules, clock))
    phones.seed(phone_status([phone_stats(waiting=2, entered=2)], [phone_agent()]))
    looked(mail, clock, 1)
    phones.check()
    [phone], [email] = phones.view()["alerts"], mail.view()["alerts"]
    assert (phone["kind"], phone["channel"], email["kind"], email["channel"]) == (WAITING, "phone",
                                                                                 "email_waiting", "email")
    assert phone["id"] != email["id"]  # one store and one page hold both
    assert phones.monitor.alerting("billing") and mail.monitor.alerting("billing", "email")
    assert not mail.monitor.alerting("billing", "chat")
    assert [channel_of(kind) for kind in (WAITING, EMAIL_WAIT, CHAT_WAIT)] == ["phone", "email", "chat"]


def test_each_kind_reads_in_both_languages():
    view = {"queue": "service", "agent": None, "reason": None, "threshold": 3600.0, "value": 5400.0}
    english = alert_text(lambda text: text, {**view, "kind": EMAIL_WAIT}, {})
    chinese = alert_text(lambda text: i18n.translate("zh", text), {**view, "kind": EMAIL_WAIT}, {})
    assert (english, chinese) == ("service: an email has waited over 60 min", "service：有邮件等待超过 60 分钟")
    assert worst_text(lambda text: text, {**view, "kind": EMAIL_WAIT}) == "90 min"
    chat_wait = {**view, "kind": CHAT_WAIT, "threshold": 30.0, "value": 42.0}
    assert alert_text(lambda text: i18n.translate("zh", text), chat_wait, {}) == "service：有在线聊天等待超过 30 秒"
    assert worst_text(lambda text: text, chat_wait) == "42 s"
    chat = {**view, "kind": mail_kind("chat", WITHIN_DUE), "threshold": 80.0, "value": 62.5}
    assert alert_text(lambda text: i18n.translate("zh", text), chat, {}) == "service：今日在线聊天按时回复率低于 80 %"
    assert worst_text(lambda text: text, chat) == "62.5 %"
    for kind in (mail_kind(c, what) for c in ("email", "chat") for what in (LONGEST_WAIT, WAITING, WITHIN_DUE)):
        assert alert_text(lambda text: i18n.translate("zh", text), {**view, "kind": kind}, {}) \
            != alert_text(lambda text: text, {**view, "kind": kind}, {})


def test_the_channels_thresholds_from_the_configuration_and_their_errors():
    alert_rules = rules(default={"alert_longest_wait": 60, "email": {"alert_longest_wait": 3600, "alert_waiting": 20}},
                        service={"email": {"alert_waiting": 5}, "chat": {"alert_within_due": 90}})
    service = alert_rules.of("service")
    assert (service.email.alert_longest_wait, service.email.alert_waiting) == (3600, 5)  # default's, then its own
    assert (service.chat.alert_longest_wait, service.chat.alert_within_due) == (0, 90)
    assert service.alert_longest_wait == 60 and alert_rules.of("other").email.alert_waiting == 20
    with pytest.raises(ConsoleConfigError, match=r"queues\.service\.chat: alert_message: the mail queue cannot send"):
        rules(service={"chat": {"alert_message": True}})
    with pytest.raises(ConsoleConfigError, match=r"service\.email: alert_within_due must be between 0 and 100"):
        rules(service={"email": {"alert_within_due": 120}})
    with pytest.raises(ConsoleConfigError, match=r"default\.email: alert_longest_wait cannot be negative"):
        rules(default={"email": {"alert_longest_wait": -1}})
    with pytest.raises(ConsoleConfigError, match="alert_oldest"):
        rules(service={"email": {"alert_oldest": 3}})


def test_an_agent_away_too_long_or_holding_a_conversation_open_too_long_turns_to_a_warning():
    clock = Clock()
    limits = load_console_config({"agents": {"away_minutes": 10, "chat_open_minutes": 5}}).agent_limits
    assert (limits.away, dict(limits.conversation)) == (600, {"chat": 300})
    model = board(AlertRules(), clock, limits)
    chat = mailq.SeatWorkView(conversation_id=7, channel="chat", queue="web-chat", state="assigned", since=T0 - 301)
    offered = mailq.SeatWorkView(conversation_id=8, channel="chat", queue="web-chat", state="offered", since=T0 - 400)
    email = mailq.SeatWorkView(conversation_id=9, channel="email", queue="service", state="assigned", since=T0 - 9999)
    model.seed(status(seats=[seat("ann", email=True, chat=True, work=[chat, offered, email]),
                             seat("bob", email=False, chat=False, since=T0 - 60)]))
    ann, bob = model.view()["agents"]
    by_id = {w["since"]: w["warn"] for w in ann["work"]}
    assert by_id[T0 - 301] == {"limit": 300, "at": T0 - 1, "over": True}  # a chat open 5 min 1 s
    assert by_id[T0 - 400] is None  # an offer is not his yet
    assert by_id[T0 - 9999] is None  # no limit for email
    assert ann["warn"] is None  # available: never away too long
    assert bob["warn"] == {"limit": 600, "at": T0 + 540, "over": False}  # the page turns it at T0 + 540
    clock.now += 541
    assert model.view()["agents"][1]["warn"]["over"] is True


def test_the_scope_s_mail_alerts_are_kept_in_the_crm_beside_its_phone_alerts(db):
    from admin_console.alerts.store import AlertStore
    from admin_console.wallboard.feed import Feeds
    from crm.services.supervision import WatchScope

    store = AlertStore(db)
    clock = Clock()
    try:
        feeds = Feeds(lambda: None, rules=rules(service={"email": {"alert_waiting": 1}}), alert_store=store)
        scope = WatchScope(False, frozenset({3}))
        model = board(AlertRules(), clock)
        model.monitor = feeds._mail_monitor(scope)  # as the scope's mail feed gets it
        model.monitor.clock = model.monitor.book.clock = clock
        model.seed(status([queue("service", channel("email", waiting=3))]))
        looked(model, clock, 1)
        looked(model, clock, 1, mailq.QueueChanged(queue=queue("service", channel("email"))))
        store.flush()
        [kept] = store.recent("units:3")
        assert (kept["kind"], kept["queue"], kept["threshold"], kept["value"]) == ("email_waiting", "service", 1, 3)
        assert kept["started_at"] == pytest.approx(T0 + 0.25) and kept["ended_at"] == pytest.approx(T0 + 1.25)
        assert alert_text(lambda text: text, kept, {}) == "service: more than 1 emails waiting"
    finally:
        store.stop()
