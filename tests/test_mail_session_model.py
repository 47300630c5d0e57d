"""The desktop's session at the mail queue, without Qt or a mail queue: logging in again,
the agent's availability surviving a restart, the session's end said once, and typing
notices kept few."""

from __future__ import annotations

from agent_desktop.mail_desk import MAIL_ERRORS, MailDesk
from agent_desktop.mail_session import RESTARTED, SESSION_ENDED_TEXTS, TYPING_EVERY, MailSession
from agent_desktop.workbench import Workbench
from bus import mailq


class Port:
    def __init__(self):
        self.session: str | None = "m1"
        self.asked: list = []

    def log_in(self):
        self.asked.append("log_in")

    def set_available(self, channel, available):
        self.asked.append(("available", channel, available))

    def retry_later(self):
        self.asked.append("retry_later")

    def sign_in_wanted(self, reason):
        self.asked.append(("sign_in", reason))

    def failed(self, message):
        self.asked.append(("failed", message))

    def translate(self, template):
        return f"[zh] {template}"


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def seat(**available) -> mailq.SeatView:
    return mailq.SeatView(agent="ann", queues=["service"], capacity={"email": 5, "chat": 3},
                          available=available, work=[])


def session(clock=None) -> tuple[MailSession, Port, MailDesk, Workbench]:
    desk, bench, port = MailDesk(), Workbench("ann", clock=lambda: 0.0), Port()
    return MailSession(desk, bench, port, **({"clock": clock} if clock else {})), port, desk, bench


def test_after_a_login_the_mail_queue_is_asked_for_the_availability_the_agent_chose():
    mail, port, desk, _bench = session()
    mail.connect()
    mail.connect()  # the first login is on its way
    assert port.asked == ["log_in"]
    mail.logged_in("run1", seat(email=True, chat=True))
    assert desk.connected and mail.run == "run1" and port.asked == ["log_in"]  # as he wants it
    mail.set_available("chat", False)
    mail.logged_in("run2", seat(email=True, chat=True))  # a restarted mail queue offers everything again
    assert port.asked[-1] == ("available", "chat", False) and port.asked.count(("available", "chat", False)) == 2


def test_the_choice_is_asked_for_again_at_each_heartbeat_until_the_seat_shows_it():
    mail, port, desk, _bench = session()
    mail.connect()
    mail.logged_in("run1", seat(email=True, chat=True))
    mail.set_available("chat", False)
    desk.apply_seat(seat(email=True, chat=False))  # its answer
    mail.logged_in("run2", seat(email=True, chat=True))  # restarted: asked once...
    mail.heartbeat("run2", True)  # ...and, with no answer yet, again
    assert port.asked.count(("available", "chat", False)) == 3
    desk.apply_seat(seat(email=True, chat=False))  # now it shows the agent's choice
    mail.heartbeat("run2", True)
    mail.heartbeat("run2", True)
    assert port.asked.count(("available", "chat", False)) == 3
    mail.logged_in("run3", seat(email=True, chat=True))
    mail.command_failed("full", "no")  # refused and told: not asked again and again
    mail.heartbeat("run3", True)
    assert port.asked.count(("available", "chat", False)) == 4


def test_a_refused_login_is_tried_again_later_and_a_silent_mail_queue_too():
    mail, port, desk, _bench = session()
    mail.connect()
    mail.login_failed("unreachable", "no answer")
    assert port.asked == ["log_in", "retry_later"] and desk.connection_error == "no answer"
    mail.relogin_if_needed()
    assert port.asked[-1] == "log_in"
    mail.logged_in("run1", seat(email=True, chat=True))
    mail.relogin_if_needed()
    mail.silent("no word")
    assert port.asked[-2:] == ["log_in", "retry_later"] and not desk.connected


def test_a_heartbeat_of_a_new_run_or_to_a_disconnected_desk_logs_in_again():
    mail, port, desk, _bench = session()
    mail.logged_in("run1", seat(email=True, chat=True))
    mail.heartbeat("run1", True)
    assert port.asked == []
    mail.heartbeat("run2", False)
    assert port.asked == ["log_in"] and desk.connection_error == RESTARTED
    assert desk.database_news() == "unavailable"


def test_the_end_of_the_session_is_said_once_and_nothing_logs_in_until_the_agent_signs_in_again():
    mail, port, desk, bench = session()
    mail.logged_in("run1", seat(email=True, chat=True))
    mail.session_ended("expired")
    mail.session_ended("expired")
    assert port.asked == [("sign_in", "expired")] and port.session is None and mail.over
    assert desk.connection_error == f"[zh] {SESSION_ENDED_TEXTS['expired']}"
    assert [n.template for n in bench.notices] == [SESSION_ENDED_TEXTS["expired"]]
    mail.connect()
    mail.silent("no word")
    mail.login_failed("session_ended", "no")
    assert port.asked == [("sign_in", "expired")]
    mail.signed_in_again()
    assert port.asked[-1] == "log_in" and not mail.over


def test_a_disabled_account_is_told_but_not_asked_to_sign_in_and_an_unknown_reason_is_an_ended_session():
    mail, port, _desk, bench = session()
    mail.session_ended("account_disabled")
    assert port.asked == [] and bench.notices[-1].template == SESSION_ENDED_TEXTS["account_disabled"]
    other, port, _desk, bench = session()
    other.session_ended("who knows")
    assert port.asked == [("sign_in", "who knows")] and bench.notices[-1].template == SESSION_ENDED_TEXTS["ended"]


def test_failed_commands_log_in_again_when_the_session_is_gone_and_are_told_otherwise():
    mail, port, _desk, bench = session()
    mail.logged_in("run1", seat(email=True, chat=True))
    mail.command_failed("not_assigned", "not yours")  # the mail queue's own code: in the agent's language
    assert port.asked == [("failed", f"[zh] {MAIL_ERRORS['not_assigned']}")]
    assert bench.notices[-1].template == MAIL_ERRORS["not_assigned"]
    mail.command_failed("invalid_argument", "the text is too long")  # a shared code: as the service wrote it
    assert port.asked[-1] == ("failed", "the text is too long") and bench.notices[-1].params == {
        "error": "the text is too long"}
    mail.command_failed("no_session", "who are you?")
    assert port.asked[-1] == "log_in" and len(bench.notices) == 2
    mail.session_error("session_ended", "signed out")
    assert port.asked[-1] == ("sign_in", "ended")


def test_only_a_session_the_mail_queue_gave_and_answers_for_is_pinged():
    mail, port, _desk, _bench = session()
    assert not mail.may_ping()  # not connected yet
    mail.logged_in("run1", seat(email=True, chat=True))
    assert mail.may_ping()
    port.session = None
    assert not mail.may_ping()


def test_the_customer_hears_that_the_agent_types_at_most_every_two_seconds_per_chat():
    clock = Clock()
    mail, _port, _desk, _bench = session(clock)
    assert mail.typing_worth_telling(1) and mail.typing_worth_telling(2)
    clock.now += TYPING_EVERY / 2
    assert not mail.typing_worth_telling(1)
    clock.now += TYPING_EVERY / 2
    assert mail.typing_worth_telling(1)


def test_a_supervisor_setting_the_agent_away_is_his_availability_until_he_chooses_again():
    from agent_desktop.mail_session import SET_AWAY_TEXTS

    mail, port, desk, bench = session()
    mail.logged_in("run1", seat(email=True, chat=True))
    mail.set_away(["chat"], "Sue 苏")
    assert desk.available == {"email": True, "chat": False}
    assert [(n.template, n.params) for n in bench.notices] == [(SET_AWAY_TEXTS[("chat",)], {"sender": "Sue 苏"})]
    port.asked.clear()
    mail.logged_in("run2", seat(email=True, chat=True))  # a restarted mail queue: Away is put back, not undone
    assert port.asked == [("available", "chat", False)]
    mail.set_away(["email", "chat", "fax"], "Sue")  # a channel this desktop does not know is left out
    assert desk.available == {"email": False, "chat": False}
    assert bench.notices[-1].template == SET_AWAY_TEXTS[("chat", "email")]
    mail.set_available("chat", True)  # the agent's own choice wins again
    assert mail.wanted == {"email": False, "chat": True}
