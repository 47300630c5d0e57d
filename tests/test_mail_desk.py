"""The desktop's model of its emails and chats (no Qt): offers, assigned
work, chat lines once each, typing, a closed chat, a fresh login."""

from __future__ import annotations

from agent_desktop.mail_desk import MailDesk
from bus import mailq


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def work(cid, channel="email", state="offered", **extra):
    return mailq.WorkView(conversation_id=cid, channel=channel, queue="service", state=state,
                          customer=f"customer {cid}", **extra)


def line(n, sender="customer", text="hi"):
    return mailq.ChatLineView(id=n, sender=sender, author="Mei", text=text, at=float(n))


def test_offers_become_work_and_withdrawn_offers_disappear():
    desk, changes = MailDesk(), []
    desk.subscribe(changes.append)
    desk.apply_event(None, mailq.WorkOffered(agent="ann", work=work(1, offer_deadline=5.0)))
    desk.apply_event(None, mailq.WorkOffered(agent="ann", work=work(2, offer_deadline=3.0)))
    assert [w.conversation_id for w in desk.offers()] == [2, 1]  # the one running out first
    desk.apply_event(None, mailq.WorkWithdrawn(agent="ann", conversation_id=2, reason="not answered in time"))
    desk.apply_event(None, mailq.WorkAssigned(agent="ann", work=work(1, state="assigned")))
    assert desk.offers() == [] and [w.conversation_id for w in desk.assigned()] == [1]
    assert desk.load("email") == 1 and changes.count("work") == 4


def test_chat_lines_arrive_once_in_order_with_typing_and_unread():
    clock = Clock()
    desk = MailDesk(clock=clock)
    desk.apply_event(None, mailq.WorkAssigned(agent="ann", work=work(7, channel="chat", state="assigned")))
    desk.apply_event(None, mailq.ChatLine(agent="ann", conversation_id=7, line=line(3)))
    desk.chat_loaded(7, [line(1), line(2, "agent"), line(3)])  # the transcript overlaps the live line
    assert [x.id for x in desk.chats[7].lines] == [1, 2, 3] and desk.chats[7].unread == 1
    desk.apply_event(None, mailq.CustomerTyping(agent="ann", conversation_id=7))
    assert desk.typing(7)
    clock.now += 5
    assert not desk.typing(7)
    desk.chat_read(7)
    assert desk.chats[7].unread == 0


def test_a_chat_closed_by_the_customer_stays_readable_until_forgotten():
    desk = MailDesk()
    desk.apply_event(None, mailq.WorkAssigned(agent="ann", work=work(7, channel="chat", state="assigned")))
    desk.apply_event(None, mailq.WorkClosed(agent="ann", conversation_id=7, by="customer"))
    assert desk.chats[7].closed_by == "customer" and 7 not in desk.work
    desk.forget_chat(7)
    assert 7 not in desk.chats


def test_a_login_reply_is_the_whole_truth():
    desk = MailDesk()
    desk.apply_event(None, mailq.WorkOffered(agent="ann", work=work(1)))
    desk.connection_lost("the mail queue restarted")
    assert not desk.connected
    seat = mailq.SeatView(agent="ann", queues=["service"], capacity={"email": 10, "chat": 3},
                          available={"email": True}, work=[work(4, channel="chat", state="assigned")])
    desk.apply_seat(seat)
    assert desk.connected and list(desk.work) == [4] and 4 in desk.chats
    assert desk.available == {"email": True, "chat": False}


def test_a_chat_the_customer_ended_stays_work_but_takes_no_more_typing():
    clock = Clock()
    desk, changes = MailDesk(clock=clock), []
    desk.subscribe(changes.append)
    desk.apply_event(None, mailq.WorkAssigned(agent="ann", work=work(7, channel="chat", state="assigned")))
    desk.apply_event(None, mailq.CustomerTyping(agent="ann", conversation_id=7))
    desk.apply_event(None, mailq.ChatLine(agent="ann", conversation_id=7, line=line(4, "system",
                                                                                     "The customer ended the chat.")))
    desk.apply_event(None, mailq.CustomerEndedChat(agent="ann", conversation_id=7))
    assert desk.chats[7].closed_by == "customer" and not desk.typing(7)
    assert [w.conversation_id for w in desk.assigned("chat")] == [7]  # the agent still closes it
    assert changes[-1] == "chat:7"


def test_a_desktop_that_comes_back_learns_which_chats_the_customer_ended():
    desk = MailDesk(clock=Clock())
    desk.apply_seat(mailq.SeatView(agent="ann", queues=["web-chat"], capacity={"chat": 3}, available={"chat": True},
                                   work=[work(7, channel="chat", state="assigned", customer_ended=True),
                                         work(8, channel="chat", state="assigned")]))
    assert desk.chats[7].closed_by == "customer" and desk.chats[8].closed_by is None


def test_work_transferred_away_leaves_the_work_and_the_chat_tabs():
    desk, changes = MailDesk(), []
    desk.apply_event(None, mailq.WorkAssigned(agent="ann", work=work(1, channel="chat", state="assigned")))
    desk.apply_event(None, mailq.WorkAssigned(agent="ann", work=work(2, state="assigned")))
    desk.subscribe(changes.append)
    desk.forget_work(1)
    assert 1 not in desk.work and 1 not in desk.chats and [w.conversation_id for w in desk.assigned()] == [2]
    desk.forget_work(1)  # the WorkWithdrawn event came first: nothing more to say
    assert changes == ["work"]
    offer = work(3, transferred_by="Bob", transfer_note="price list attached")
    desk.apply_event(None, mailq.WorkOffered(agent="ann", work=offer))
    assert desk.offers()[0].transferred_by == "Bob"


def test_the_mail_queues_database_is_news_when_it_goes_and_for_a_while_when_it_comes_back():
    clock = Clock()
    desk, changes = MailDesk(clock), []
    desk.subscribe(changes.append)
    desk.database_heard(True)
    assert changes == [] and desk.database_news() is None
    desk.database_heard(False)
    desk.database_heard(False)  # every heartbeat says it; once is news
    assert changes == ["database"] and desk.database_news() == "unavailable"
    desk.database_heard(True)
    assert changes == ["database", "database"] and desk.database_news() == "back"
    clock.now += 15.0
    assert desk.database_news() is None
