"""The email and chat part of the console's wallboard, with a fake clock: seeded from the mail
queue's status, kept by its events, offline (with no figure) when the mail queue falls silent or
starts again; its feed shared per scope beside the gateway's, and refusals and silence handled."""

from __future__ import annotations

import time

from admin_console.wallboard.mail_model import MailBoard
from bus import mailq

T0 = 1_000_000.0


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def channel(name="email", waiting=0, oldest=0.0, serving=1, available=1, busy=0) -> mailq.QueueChannelView:
    return mailq.QueueChannelView(channel=name, waiting=waiting, oldest_wait=oldest, serving=serving,
                                  available=available, busy=busy)


def queue(name="service", *channels: mailq.QueueChannelView, waiting=0, oldest=0.0) -> mailq.QueueView:
    return mailq.QueueView(name=name, mode="push", waiting=waiting, oldest_wait=oldest, channels=list(channels))


def seat(agent="ann", email=True, chat=False, since=T0 - 60, work=()) -> mailq.SupervisedSeatView:
    return mailq.SupervisedSeatView(agent=agent, name=agent.title(), queues=["service", "web-chat"],
                                    available={"email": email, "chat": chat}, since=since, work=list(work))


def status(queues=(), seats=(), run="run-1") -> mailq.StatusResult:
    return mailq.StatusResult(run=run, started_at=0, smtp=None, chat=None, imap=[], queues=list(queues),
                              agents=[s.agent for s in seats], seats=list(seats))


def beat(run="run-1") -> mailq.MailqHeartbeat:
    return mailq.MailqHeartbeat(run=run, started_at=0)


def test_offline_until_seeded_then_each_queue_per_channel_and_each_agent_shows():
    clock = Clock()
    board = MailBoard(clock)
    assert board.view() == {"online": False, "problem": "connecting", "now": T0, "queues": [], "agents": []}
    board.apply(mailq.SeatChanged(agent="ann", seat=seat()))  # before the snapshot: ignored
    board.seed(status([queue("web-chat", channel("chat", serving=2, available=1, busy=1)),
                       queue("service", channel("email", waiting=2, oldest=30.0), channel("chat"))],
                      [seat("bob", email=False, chat=True), seat()]))
    view = board.view()
    assert view["online"] is True
    assert [(q["queue"], q["channel"], q["waiting"], q["oldest_since"], q["serving"], q["available"], q["busy"])
            for q in view["queues"]] == [("service", "email", 2, T0 - 30.0, 1, 1, 0),
                                         ("service", "chat", 0, None, 1, 1, 0),
                                         ("web-chat", "chat", 0, None, 2, 1, 1)]
    assert [(a["agent"], a["available"]) for a in view["agents"]] == [
        ("ann", {"email": True, "chat": False}), ("bob", {"email": False, "chat": True})]


def test_a_chat_entering_its_queue_and_an_agent_taking_it():
    clock = Clock()
    board = MailBoard(clock)
    board.seed(status([queue("web-chat", channel("chat"))], [seat(chat=True)]))
    version = board.version
    clock.now += 10
    board.apply(mailq.QueueChanged(queue=queue("web-chat", channel("chat", waiting=1, oldest=4.0, available=1))))
    assert board.version > version
    row = board.view()["queues"][0]
    assert (row["waiting"], row["oldest_since"]) == (1, clock.now - 4.0)  # the browser ticks on from here
    work = mailq.SeatWorkView(conversation_id=7, channel="chat", queue="web-chat", state="assigned", since=clock.now)
    board.apply(mailq.SeatChanged(agent="ann", seat=seat(chat=True, work=[work])))
    board.apply(mailq.QueueChanged(queue=queue("web-chat", channel("chat", available=0, busy=1))))
    view = board.view()
    assert view["agents"][0]["work"] == [{"channel": "chat", "queue": "web-chat", "state": "assigned",
                                          "since": clock.now, "warn": None}]
    assert (view["queues"][0]["waiting"], view["queues"][0]["busy"]) == (0, 1)
    board.apply(mailq.SeatChanged(agent="ann", seat=None))  # logged off
    assert board.view()["agents"] == []


def test_silence_turns_it_offline_with_no_figure_and_a_new_snapshot_brings_it_back():
    clock = Clock()
    board = MailBoard(clock)
    board.seed(status([queue("service", channel("email", waiting=3, oldest=9.0))], [seat()]))
    clock.now += 2.5
    board.apply(beat())  # the heartbeat keeps it live
    clock.now += 2.5
    assert board.check() is True
    clock.now += 3.1
    version = board.version
    assert board.check() is False
    assert board.version > version
    assert board.view() == {"online": False, "problem": "silent", "now": clock.now, "queues": [], "agents": []}
    board.apply(mailq.QueueChanged(queue=queue("service", channel("email", waiting=5))))  # not seeded: ignored
    board.seed(status([queue("service", channel("email", waiting=1, oldest=2.0))]))
    assert board.check() is True and board.view()["queues"][0]["waiting"] == 1


def test_another_run_of_the_mail_queue_turns_it_offline_until_seeded_anew():
    board = MailBoard(Clock())
    board.seed(status([queue("service", channel("email"))], run="run-1"))
    board.apply(beat("run-1"))
    assert board.online
    board.apply(beat("run-2"))  # it started again: the watch's session is gone with the old run
    assert (board.online, board.problem, board.view()["queues"]) == (False, "restarted", [])


def test_a_mail_queue_without_counts_per_channel_shows_its_queue_alone():
    board = MailBoard(Clock())
    board.seed(status([queue("service", waiting=2, oldest=5.0)]))
    assert [(q["queue"], q["channel"], q["waiting"], q["serving"]) for q in board.view()["queues"]] == [
        ("service", None, 2, None)]


# --- the feed: one watch per scope, beside the gateway's ------------------------------------


class FakeMailq:
    """The mail queue as the feed's client sees it: a login, a status, events and pings, counted."""

    def __init__(self, *, refuse: str | None = None, events=(), ping_fails: bool = False):
        self.connections, self.logins, self.pings = 0, [], 0
        self.refuse, self.events, self.ping_fails = refuse, list(events), ping_fails

    def __call__(self):
        self.connections += 1
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def login(self, token, *, client="", watch=False):
        from email_queue.client import MailqError, MailqUnreachable

        if self.refuse == "unreachable":
            raise MailqUnreachable("tcp://nowhere", 0.1)
        if self.refuse:
            raise MailqError(self.refuse, "refused")
        assert watch, "the console only ever watches"
        self.logins.append(token)

    def status(self):
        return status([queue("service", channel("email"))], [seat()])

    def next_event(self, timeout):
        time.sleep(0.01)
        return ("envelope", self.events.pop(0) if self.events else beat())

    def ping(self):
        from email_queue.client import MailqError

        self.pings += 1
        if self.ping_fails:
            raise MailqError("no_session", "the mail queue does not know this session")


class NoGateway:
    def __call__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def watch(self, token):
        from cti_gateway.client import GatewayUnreachable

        raise GatewayUnreachable("tcp://nowhere", 0.1)


def wait_until(predicate, timeout=2.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_a_scope_has_one_mail_feed_beside_its_gateway_feed_live_on_its_own_and_ended_with_the_last():
    from admin_console.wallboard.feed import Feeds

    mail = FakeMailq(events=[mailq.QueueChanged(queue=queue("service", channel("email", waiting=4)))])
    feeds = Feeds(NoGateway(), retry=0.05, mail_connect=mail)
    gateway_feed = feeds.join(("north",), "token-sue")
    feeds.join(("north",), "token-zhou")
    mail_feed = feeds.mail(("north",))
    assert mail_feed is not None and mail_feed.tokens == ["token-sue", "token-zhou"]
    assert wait_until(lambda: mail_feed.model.online and mail_feed.model.queues["service"].channels[0].waiting == 4)
    assert gateway_feed.model.online is False  # the gateway unreachable: the mail part stays live
    assert mail.connections == 1 and mail.logins == ["token-sue"]
    version, view = mail_feed.snapshot()
    assert mail_feed.snapshot()[1] is view  # serialised once per change, whatever the browsers
    feeds.leave(("north",), "token-sue")
    assert wait_until(lambda: mail.logins == ["token-sue", "token-zhou"])  # the watch moves at once
    feeds.leave(("north",), "token-zhou")
    assert feeds.mail(("north",)) is None and feeds.get(("north",)) is None
    mail_feed.thread.join(2)
    assert not mail_feed.thread.is_alive()


def test_a_console_without_a_mail_queue_has_no_mail_feed():
    from admin_console.wallboard.feed import Feeds

    feeds = Feeds(NoGateway(), retry=0.05)
    feeds.join(("north",), "token-sue")
    assert feeds.mail(("north",)) is None
    feeds.stop()


def test_a_session_the_mail_queue_refuses_is_forgotten_and_reported():
    from admin_console.wallboard.feed import MailFeed

    refused = []
    feed = MailFeed(FakeMailq(refuse="session_ended"), retry=0.05, on_refused=refused.append)
    feed.add("token-sue")
    assert wait_until(lambda: refused == ["token-sue"])
    assert feed.tokens == [] and feed.model.online is False
    feed.stop()


def test_an_unreachable_mail_queue_is_offline_and_tried_again():
    from admin_console.wallboard.feed import MailFeed

    mail = FakeMailq(refuse="unreachable")
    feed = MailFeed(mail, retry=0.05)
    feed.add("token-sue")
    assert wait_until(lambda: mail.connections >= 3)  # it keeps trying by itself
    assert (feed.model.online, feed.model.problem) == (False, "unreachable")
    mail.refuse = None  # it answers again: live, seeded afresh
    assert wait_until(lambda: feed.model.online)
    feed.stop()


def test_the_watch_pings_and_a_mail_queue_that_forgot_the_session_is_watched_anew():
    from admin_console.wallboard.feed import MailFeed

    mail = FakeMailq(ping_fails=True)
    feed = MailFeed(mail, retry=0.05, ping=0.05)
    feed.add("token-sue")
    assert wait_until(lambda: mail.pings >= 1 and mail.connections >= 2)  # refused ping: log in again
    mail.ping_fails = False
    assert wait_until(lambda: feed.model.online)
    feed.stop()
