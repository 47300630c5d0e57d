"""The email and chat part of the console's wallboard through the whole product: a real gateway,
a real `cicada mailq` on the same CRM database, `cicada console` watching both, and Chromium
(the supervisor's page, and a customer's web chat)."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage

import pytest

import browser_harness
from bus import mailq as bus
from console_harness import RunningConsole, people
from gateway_harness import make_gateway  # noqa: F401
from mailq_harness import SERVICE, RunningMailq
from test_console_wallboard import WALL, sign_in
from test_mailq_chat import open_widget, say

pytestmark = pytest.mark.slow


@pytest.fixture
def board(make_gateway, tmp_path):
    """A gateway and a mail queue on one CRM (ann in sue's team; bob in none), and the console."""
    gateway = make_gateway()
    people(gateway.db_url)
    mail = RunningMailq(tmp_path / "mailq", agents=(), db_url=gateway.db_url, silent_seconds=30.0).start(prepare=False)
    console = RunningConsole(tmp_path / "console", gateway, mailq=mail).start()
    yield gateway, mail, console
    console.stop()
    mail.stop()


def mail_queue(page, queue: str, channel: str):
    return page.locator(f"#mail-queues tr[data-queue='{queue}'][data-channel='{channel}']")


def mail_agent(page, agent: str):
    return page.locator(f"#mail-agents tr[data-agent='{agent}']")


def send_email(mail: RunningMailq, subject: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "wang.wei@example.cn", SERVICE, subject
    message.set_content("My invoice is wrong.")
    with smtplib.SMTP("127.0.0.1", mail.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def test_email_and_chat_on_the_wallboard_beside_the_phones_and_the_mail_queue_down_and_back(board, chromium):
    gateway, mail, console = board
    gateway.desktop("ann", "sip:ann@127.0.0.1:5999", ready=False)  # her phone queue shows on sue's board
    ann = mail.desktop("ann", channels=("chat",))  # chat only: an email waits in its queue
    mail.desktop("bob", channels=())  # away; in no org unit: not on sue's board
    context = browser_harness_context(chromium, "en-US")
    customer = chromium.new_context(locale="zh-CN")
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_selector("#status.live")
        page.wait_for_selector("#mail-status.live")
        row = mail_agent(page, "ann")
        assert row.locator("td.availability.email").inner_text() == "Away"
        assert row.locator("td.availability.chat").inner_text() == "Available"
        assert mail_agent(page, "bob").count() == 0
        assert mail_queue(page, "service", "email").locator("td.waiting").inner_text() == "0"
        assert mail_queue(page, "web-chat", "chat").locator("td.channel").inner_text() == "Chat"
        assert page.locator("#queues tr[data-queue='billing'] td.channel").inner_text() == "Phone"

        send_email(mail, "Invoice 2024-17")  # nobody takes email: it waits
        waiting = mail_queue(page, "service", "email")
        waiting.locator("td.waiting").filter(has_text="1").wait_for(timeout=5000)
        longest = waiting.locator("td.longest")
        deadline = time.monotonic() + 5
        while longest.inner_text() < "0:02" and time.monotonic() < deadline:  # the oldest wait ticks on
            page.wait_for_timeout(200)
        assert longest.inner_text() >= "0:02"

        chat = customer.new_page()  # a customer's web chat enters web-chat and is offered to ann
        open_widget(chat, mail, lang="en", name="Li Na")
        say(chat, "My line is down")
        offer = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
        row.locator("td.work .conversation.offered").filter(has_text="web-chat").wait_for(timeout=3000)
        ann.accept(offer.work.conversation_id)
        row.locator("td.work .conversation.assigned").filter(has_text="Working").wait_for(timeout=3000)
        assert row.locator("td.open").inner_text() == "1"
        mail_queue(page, "web-chat", "chat").locator("td.busy").filter(has_text="1").wait_for(timeout=3000)
        page.wait_for_timeout(1200)  # the timers tick
        page.screenshot(path="/tmp/mailboard-en.png", full_page=True)
        page.screenshot(path=browser_harness.screenshot_path("console_mailboard.png"), full_page=True)

        zh = browser_harness_context(chromium, "zh-CN")
        zh_page = sign_in(zh, console, "zhou")
        zh_page.wait_for_selector("#mail-status.live")
        assert "邮件和在线聊天队列" in zh_page.inner_text("#mail-part")
        assert mail_queue(zh_page, "web-chat", "chat").locator("td.channel").inner_text() == "在线聊天"
        mail_agent(zh_page, "ann").locator("td.work").filter(has_text="处理中").wait_for()
        zh_page.screenshot(path="/tmp/mailboard-zh.png", full_page=True)
        zh_page.screenshot(path=browser_harness.screenshot_path("console_mailboard_zh.png"), full_page=True)
        zh.close()

        mail.stop()  # the mail queue down: its part says so at once, with no figure; the phones stay live
        page.wait_for_selector("#mail-status.offline", timeout=5000)
        assert "mail queue cannot be reached" in page.inner_text("#mail-status")
        assert page.locator("#mail-board").is_hidden()
        assert page.locator("#status.live").count() == 1 and page.locator("#board").is_visible()
        page.screenshot(path="/tmp/mailboard-mailq-down.png", full_page=True)

        mail.start(prepare=False)  # back: the console logs in again by itself and catches up
        page.wait_for_selector("#mail-status.live", timeout=20_000)
        assert page.locator("#mail-board").is_visible()
        # the email still waits; ann's desktop went with the old run, so she is not on the board
        mail_queue(page, "service", "email").locator("td.waiting").filter(has_text="1").wait_for(timeout=5000)
        assert mail_agent(page, "ann").count() == 0

        gateway.stop()  # and the other way round: the phones offline, the mail part live
        page.wait_for_selector("#status.offline", timeout=6000)
        assert page.locator("#board").is_hidden()
        assert page.locator("#mail-status.live").count() == 1 and page.locator("#mail-board").is_visible()
    finally:
        customer.close()
        context.close()
    assert "Traceback" not in console.log()


def browser_harness_context(chromium, locale: str):
    context = chromium.new_context(viewport=WALL, locale=locale)
    context.set_default_timeout(10_000)
    return context


def test_a_supervisor_sets_an_email_and_chat_agent_away_and_the_refusals_say_why(board, chromium):
    gateway, mail, console = board
    ann = mail.desktop("ann", channels=("email", "chat"))
    mail.desktop("bob", channels=("chat",))  # in no org unit: not sue's
    context = browser_harness_context(chromium, "en-US")
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_selector("#mail-status.live")
        row = mail_agent(page, "ann")
        row.locator("td.availability.chat").filter(has_text="Available").wait_for()
        csrf = page.input_value("form[action='/signout'] input[name=csrf]")

        def away(agent: str, channel: str = "", token: str = csrf):
            return page.request.post(console.url + "actions/mail-away",
                                     form={"csrf": token, "agent": agent, "channel": channel})

        assert away("ann", token="forged").status == 403
        row.locator("button.act-away").click()  # from the row, as a supervisor does
        assert "Set ann Away" in page.inner_text("#action-dialog")
        shown = [label.inner_text().split("\n")[0] for label in page.locator("#action-dialog label").all()
                 if label.is_visible()]
        assert shown == ["Channels"]  # no reason, team or message: the mail queue's Away takes none
        page.select_option("#action-dialog select[name=channel]", "chat")
        page.screenshot(path=browser_harness.screenshot_path("console_mail_away.png"))
        page.click("#action-send")
        page.locator("#action-result.ok").filter(  # after "Working…", the mail queue's answer
            has_text="ann is now Away for chat; what he holds stays his.").wait_for()
        told = ann.wait_for(lambda e: isinstance(e, bus.SetAway), 5)
        assert (told.channels, told.by) == (["chat"], "Sue Supervisor")  # her desktop says who
        row.locator("td.availability.chat").filter(has_text="Away").wait_for(timeout=3000)
        assert row.locator("td.availability.email").inner_text() == "Available"
        assert away("bob").json() == {"ok": False, "text": "Refused: this agent is not in your org units."}
        assert away("ann", "fax").status == 400
        ann.logout()
        assert away("ann").json()["text"] == ("Refused: the agent is not logged in to the mail queue (he may have "
                                              "logged off meanwhile).")
        mail.stop()
        assert away("ann").json() == {"ok": False, "text": "The mail queue cannot be reached: nothing was done."}

        page.goto(console.url + "actions")
        trail = page.locator("#actions tbody")
        trail.locator("tr").nth(2).wait_for()
        rows = [trail.locator("tr").nth(i).inner_text() for i in range(3)]  # newest first
        assert "not_logged_in" in rows[0] and "Away" in rows[0]
        assert "forbidden" in rows[1] and "bob" in rows[1] and "Email and chat" in rows[1]
        assert "Done" in rows[2] and "Chat" in rows[2] and "ann" in rows[2]
    finally:
        context.close()
