"""Today's email and chat figures on the console's wallboard, with a fake clock: read from the CRM
when the watch starts, kept by the mail queue's `mail.queue_contact` steps (each step once),
measured against the queue's due time as the mail queue tells it, overdue as time passes, and
empty again at midnight."""

from __future__ import annotations

from admin_console.wallboard.mail_model import FIGURES_SECONDS, MailBoard
from bus import mailq
from crm.reports.mail_contacts import MailVisits
from test_console_mailboard_model import Clock, channel, seat, status

DAY_START = 1_000_000.0
T0 = DAY_START + 3600.0  # 1 a.m.


def day_of(at: float) -> float:
    return DAY_START + (at - DAY_START) // 86400 * 86400


def queue(name, *channels, due=60.0) -> mailq.QueueView:
    return mailq.QueueView(name=name, mode="push", waiting=0, oldest_wait=0.0, channels=list(channels),
                           first_response_seconds=due)


def step(kind, queue, conversation, channel, at, **more) -> mailq.QueueContactStep:
    return mailq.QueueContactStep(queue=queue, channel=channel, conversation_id=conversation, step=kind, at=at, **more)


def today(board: MailBoard, queue: str, channel: str) -> dict:
    return next(q["today"] for q in board.view()["queues"] if (q["queue"], q["channel"]) == (queue, channel))


def test_read_from_the_crm_then_kept_by_the_mail_queues_steps():
    clock = Clock(T0)
    board = MailBoard(clock, day_start=day_of, short_abandon=lambda queue: 5.0)
    read = MailVisits()  # what the CRM had: an email that entered before midnight, one at 0:10 taken and replied
    read.step("entered", "service", "1", "email", DAY_START - 60, via="new")
    read.step("entered", "service", "2", "email", DAY_START + 600, via="new")
    read.step("answered", "service", "2", "email", DAY_START + 610, wait=10.0)
    read.step("first_reply", "service", "2", "email", DAY_START + 630)
    board.seed(status([queue("service", channel("email"), due=3600.0), queue("web-chat", channel("chat"))],
                      [seat()]), (read, DAY_START))
    assert today(board, "service", "email") == {"entered": 1, "answered": 1, "abandoned": 0, "short_abandons": 0,
                                                "first_response": 30.0, "within_due": 1.0, "due_seconds": 3600.0}
    # the same steps told again count once; a chat abandoned after 3 s (short), one after 30 s, one taken
    version = board.version
    board.apply(step("entered", "service", 2, "email", DAY_START + 600, via="new"))
    board.apply(step("answered", "service", 2, "email", DAY_START + 610, wait=10.0))
    assert board.version == version  # nothing changed
    for number, (at, wait) in enumerate([(T0 - 100, 3.0), (T0 - 90, 30.0)], start=10):
        board.apply(step("entered", "web-chat", number, "chat", at, via="new"))
        board.apply(step("abandoned", "web-chat", number, "chat", at + wait, wait=wait))
    board.apply(step("entered", "web-chat", 12, "chat", T0 - 50, via="new"))
    board.apply(step("answered", "web-chat", 12, "chat", T0 - 45, wait=5.0))
    board.apply(step("first_reply", "web-chat", 12, "chat", T0 - 40))
    assert board.version > version
    assert today(board, "web-chat", "chat") == {
        "entered": 3, "answered": 1, "abandoned": 2, "short_abandons": 1, "first_response": 10.0,
        # replied within 60 s: 1; the chat abandoned after 30 s was not due yet; the short one neither
        "within_due": 1.0, "due_seconds": 60.0}


def test_a_conversation_falls_overdue_as_time_passes_and_midnight_starts_again():
    clock = Clock(T0)
    board = MailBoard(clock, day_start=day_of)
    board.seed(status([queue("web-chat", channel("chat"))]), (MailVisits(), DAY_START))
    board.apply(step("entered", "web-chat", 1, "chat", T0, via="new"))
    board.apply(step("answered", "web-chat", 1, "chat", T0 + 5, wait=5.0))
    board.apply(step("entered", "web-chat", 2, "chat", T0 + 1, via="new"))
    board.apply(step("answered", "web-chat", 2, "chat", T0 + 6, wait=5.0))
    board.apply(step("first_reply", "web-chat", 2, "chat", T0 + 20))
    clock.now = T0 + 30
    assert today(board, "web-chat", "chat")["within_due"] == 1.0  # the first is not due yet (60 s)
    version = board.version
    clock.now = T0 + 30 + FIGURES_SECONDS
    board.apply(mailq.MailqHeartbeat(run="run-1", started_at=0))
    board.check()
    assert board.version > version  # the picture is made again without a step
    clock.now = T0 + 61
    assert today(board, "web-chat", "chat")["within_due"] == 0.5  # now it is overdue without a reply
    clock.now = DAY_START + 86400 + 1  # midnight
    board.apply(mailq.MailqHeartbeat(run="run-1", started_at=0))
    assert today(board, "web-chat", "chat")["entered"] == 0
    board.apply(step("first_reply", "web-chat", 1, "chat", clock.now))  # of yesterday's chat: not today's
    assert today(board, "web-chat", "chat")["first_response"] is None


def test_a_mail_queue_without_due_times_and_a_watch_started_again():
    clock = Clock(T0)
    board = MailBoard(clock, day_start=day_of)
    board.seed(status([queue("sales", channel("email"), due=None)]), (MailVisits(), DAY_START))
    board.apply(step("entered", "sales", 1, "email", T0, via="new"))
    assert today(board, "sales", "email")["within_due"] is None  # the queue has no due time
    board.lost("restarted")
    board.seed(status([queue("sales", channel("email"), due=None)]), None)  # the CRM could not be read
    assert today(board, "sales", "email")["entered"] == 1  # what it had goes on
