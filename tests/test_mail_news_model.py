"""Which of the mail queue's events the agent hears of, without Qt or a mail queue: new
and transferred offers, an offer going round and round told once, work that left him."""

from __future__ import annotations

from agent_desktop.mail_news import NOT_ANSWERED, OFFERED, TOLD_SECONDS, TRANSFERRED, WITHDRAWN, MailNews, News
from bus import mailq


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def work(cid=1, channel="email", state="offered", subject="Invoice", **extra) -> mailq.WorkView:
    return mailq.WorkView(conversation_id=cid, channel=channel, queue="service", state=state,
                          customer="Mei", subject=subject, **extra)


def offered(**extra) -> mailq.WorkOffered:
    return mailq.WorkOffered(agent="ann", work=work(**extra))


def withdrawn(cause, cid=1) -> mailq.WorkWithdrawn:
    return mailq.WorkWithdrawn(agent="ann", conversation_id=cid, reason="...", cause=cause)


def test_a_new_offer_is_news_in_words_for_its_channel():
    news = MailNews(Clock())
    assert news.heard(offered(), None) == News("info", OFFERED["email"],
                                               {"customer": "Mei", "subject": "Invoice", "agent": ""})
    chat = news.heard(offered(cid=2, channel="chat", subject=""), None)
    assert (chat.template, chat.params["subject"]) == (OFFERED["chat"], "—")
    assert news.heard(offered(cid=3, transferred_by="Bob"), None) == News(
        "info", TRANSFERRED, {"customer": "Mei", "subject": "Invoice", "agent": "Bob"})


def test_an_offer_made_again_while_it_is_offered_is_the_same_offer_told_more():
    news = MailNews(Clock())
    assert news.heard(offered(), work(state="offered")) is None


def test_an_offer_going_round_and_round_is_told_once_until_it_is_quiet_for_a_while():
    clock = Clock()
    news = MailNews(clock)
    assert news.heard(offered(), None) is not None
    assert news.heard(withdrawn("not_answered"), work()) is not None  # missed: told once
    for _ in range(3):
        clock.now += TOLD_SECONDS / 2  # back before the last notice is old: the clock starts again
        assert news.heard(offered(), None) is None
        assert news.heard(withdrawn("not_answered"), work()) is None
    assert news.heard(offered(transferred_by="Bob"), None) is not None  # a colleague's hand-over always is
    clock.now += TOLD_SECONDS + 1  # a thread the customer reopened much later
    assert news.heard(offered(), None) is not None


def test_work_that_became_his_or_closed_is_news_again_when_it_comes_back():
    clock = Clock()
    news = MailNews(clock)
    assert news.heard(offered(), None) is not None
    assert news.heard(mailq.WorkAssigned(agent="ann", work=work(state="assigned")), None) is None
    assert news.heard(offered(), None) is not None
    assert news.heard(mailq.WorkClosed(agent="ann", conversation_id=1, by="agent"), None) is None
    assert news.heard(offered(), None) is not None


def test_work_that_left_him_by_no_doing_of_his_own_is_a_warning_and_what_he_did_is_not_told():
    news = MailNews(Clock())
    assert news.heard(withdrawn("not_answered"), work()) == News(
        "warning", NOT_ANSWERED["email"], {"customer": "Mei", "subject": "Invoice"})
    assert news.heard(withdrawn("not_answered", cid=2), work(cid=2, channel="chat")).template == NOT_ANSWERED["chat"]
    for cause in ("customer_ended", "customer_left", "rerouted"):
        assert news.heard(withdrawn(cause, cid=3), work(cid=3, channel="chat")).template == WITHDRAWN[cause]
    for cause in ("rejected", "logged_off", "agent_gone", "transferred", "other"):
        assert news.heard(withdrawn(cause, cid=4), work(cid=4)) is None
    assert news.heard(withdrawn("customer_left", cid=5), None) is None  # work this desktop never knew


def test_the_notices_remembered_stay_few():
    clock = Clock()
    news = MailNews(clock)
    for cid in range(600):
        news.heard(offered(cid=cid), None)
    clock.now += TOLD_SECONDS + 1
    news.heard(offered(cid=1000), None)
    assert len(news._told) == 1
