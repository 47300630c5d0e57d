"""Today's email and chat figures on the wallboard and the same figures read back from the CRM
agree: a real mail queue (SMTP in, its web chat's socket, an SMTP relay out) and a real gateway on
one CRM, `cicada console` watching them live; emails taken and one answered, a chat taken, answered
and closed, a chat its customer left at once (a short abandon). Then a console started afterwards
(today read from the CRM alone) and the plain read-back over the event log
(crm.reports.mail_contacts + definitions); and the page in Chromium, in both languages."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import httpx
import pytest

import browser_harness
from admin_console.alerts.figures import local_midnight
from bus import mailq as bus
from console_harness import RunningConsole, people
from crm.db import Database
from crm.reports.definitions import MailThresholds, mail_entered_in, mail_figures
from crm.reports.mail_contacts import read_mail_visits
from crm.services.conversations import answering
from crm.services.users import actor_for
from gateway_harness import make_gateway  # noqa: F401
from mail_harness import relay  # noqa: F401
from mailq_harness import RunningMailq
from test_console_mailboard import mail_queue, send_email
from test_console_today import signed_in
from test_console_wallboard import WALL, sign_in
from test_mailq_chat import Customer

pytestmark = pytest.mark.slow

DUE = {"service": 240 * 60.0, "web-chat": 60.0}  # the demo queues' first_response_minutes ([mailq.queues])
COMPARED = ("entered", "answered", "abandoned", "short_abandons", "first_response", "within_due")


def mail_today_on_the_wallboard(client: httpx.Client, queue: str, channel: str, until, timeout: float = 15.0) -> dict:
    """The queue's and channel's "today" in the pictures the wallboard's stream sends, once `until` holds."""
    deadline = time.monotonic() + timeout
    seen = None
    with client.stream("GET", "/wallboard/events", timeout=timeout) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                mail = json.loads(line[6:]).get("mail") or {}
                rows = [q for q in mail.get("queues", []) if (q["queue"], q["channel"]) == (queue, channel)]
                if rows:
                    seen = rows[0]["today"]
                    if until(seen):
                        return seen
            if time.monotonic() > deadline:
                break
    raise AssertionError(f"today's figures of {queue} ({channel}) not reached; last seen {seen}")


def mail_today_from_the_crm(db_url: str, queue: str, channel: str) -> dict:
    """The plain read-back: today's visits from the event log, measured by the definitions."""
    start = local_midnight(time.time())
    database = Database.open(db_url)
    try:
        with database.reading() as session:
            visits = read_mail_visits(session, datetime.fromtimestamp(start, UTC).replace(tzinfo=None),
                                      datetime.now(UTC).replace(tzinfo=None))
    finally:
        database.dispose()
    contacts = mail_entered_in(visits.contacts(queue, channel), start, float("inf"))
    f = mail_figures(contacts, MailThresholds(DUE[queue]), time.time())
    return {"entered": f.entered, "answered": f.answered, "abandoned": f.abandoned,
            "short_abandons": f.short_abandons, "first_response": f.first_response_time,
            "within_due": f.share_within_due}


def rounded(figures: dict) -> dict:
    return {key: round(figures[key], 3) if isinstance(figures[key], float) else figures[key] for key in COMPARED}


def reply_by_email(db_url: str, agent: str, conversation_id: int) -> None:
    """The agent's email reply, written as the application service writes it for his desktop."""
    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            answering.reply(session, actor_for(session, agent), conversation_id, body="We have corrected it.")
    finally:
        database.dispose()


def too_wide(page) -> list[str]:
    """What makes the page scroll sideways at 1366 px (a table too wide scrolls itself): nothing."""
    return page.evaluate("""[...document.querySelectorAll("main > *, main section, table")]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map((e) => e.tagName + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right))""")


def test_email_and_chat_today_live_read_back_and_on_the_page_agree(make_gateway, relay, chromium, tmp_path):
    _, smtp_relay = relay
    gateway = make_gateway()
    people(gateway.db_url)
    mail = RunningMailq(tmp_path / "mailq", agents=(), db_url=gateway.db_url, relay_port=smtp_relay.port,
                        silent_seconds=30.0).start(prepare=False)
    watching = RunningConsole(tmp_path / "console", gateway, mailq=mail).start()
    sue = signed_in(watching)
    try:
        assert mail_today_on_the_wallboard(sue, "service", "email", lambda today: True)["entered"] == 0
        ann = mail.desktop("ann", channels=("email",))  # chat later: the first chat finds nobody

        left = Customer(mail)  # a chat whose customer leaves at once: abandoned, a short abandon
        try:
            left.start(name="Zhao Lei")
            assert left.ask({"type": "end"}) == {"type": "closed", "by": "customer"}
        finally:
            left.close()

        taken = []
        for subject in ("Invoice 2024-17", "Invoice 2024-18"):  # two emails, each offered to ann and taken
            send_email(mail, subject)
            offer = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
            ann.accept(offer.work.conversation_id)
            taken.append(offer.work.conversation_id)
        time.sleep(1.1)  # a first response of a second and more
        reply_by_email(gateway.db_url, "ann", taken[0])  # one answered; told as the mail queue sends it
        ann.wait_for(lambda e: isinstance(e, bus.DeliveryDone), 10)

        ann.set_available("chat")
        customer = Customer(mail)
        try:
            customer.start(name="Li Na")
            assert customer.ask({"type": "message", "text": "My line is down", "client_id": "c-1"})["type"] == "ack"
            offer = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered) and e.work.channel == "chat", 10)
            ann.accept(offer.work.conversation_id)
            ann.chat_send(offer.work.conversation_id, "An engineer is on his way.")
            ann.close_work(offer.work.conversation_id, outcome="solved")
        finally:
            customer.close()

        live_email = mail_today_on_the_wallboard(sue, "service", "email",
                                                 lambda today: today["first_response"] is not None)
        live_chat = mail_today_on_the_wallboard(sue, "web-chat", "chat",
                                                lambda today: today["first_response"] is not None)
        report_email = mail_today_from_the_crm(gateway.db_url, "service", "email")
        report_chat = mail_today_from_the_crm(gateway.db_url, "web-chat", "chat")
        assert (report_email["entered"], report_email["answered"], report_email["within_due"]) == (2, 2, 1.0)
        assert report_email["first_response"] > 1.0
        assert (report_chat["entered"], report_chat["answered"], report_chat["abandoned"],
                report_chat["short_abandons"], report_chat["within_due"]) == (2, 1, 1, 1, 1.0)
        assert rounded(live_email) == rounded(report_email)
        assert rounded(live_chat) == rounded(report_chat)
        assert live_email["due_seconds"] == DUE["service"]  # the mail queue's own due time
    finally:
        sue.close()
        watching.stop()

    read_back = RunningConsole(tmp_path / "console-later", gateway, mailq=mail).start()  # today from the CRM
    zhou = signed_in(read_back, "zhou")
    try:
        later = mail_today_on_the_wallboard(zhou, "web-chat", "chat", lambda today: today["entered"] == 2)
        assert rounded(later) == rounded(report_chat)
        later = mail_today_on_the_wallboard(zhou, "service", "email", lambda today: today["entered"] == 2)
        assert rounded(later) == rounded(report_email)
        for locale, user, texts in (("en-US", "sue", ("Entered today", "1 (1 short)")),
                                    ("zh-CN", "zhou", ("今日进入", "1 (其中短时放弃 1)"))):
            context = chromium.new_context(viewport=WALL, locale=locale)
            context.set_default_timeout(10_000)
            page = sign_in(context, read_back, user)
            chat = mail_queue(page, "web-chat", "chat")
            chat.locator("td.today.abandoned").filter(has_text=texts[1]).wait_for()
            assert texts[0] in page.inner_text("#mail-queues thead")
            assert chat.locator("td.today.entered").inner_text() == "2"
            assert chat.locator("td.today.within-due").inner_text() == "100 %"
            email = mail_queue(page, "service", "email")
            assert (email.locator("td.today.answered").inner_text(), email.locator("td.today.abandoned").inner_text()) \
                == ("2", "")
            assert email.locator("td.today.within-due").get_attribute("title") in ("Due within 4:00:00",
                                                                                 "应在 4:00:00 内首次回复")
            assert too_wide(page) == []
            suffix = "" if locale == "en-US" else "_zh"
            page.screenshot(path=browser_harness.screenshot_path(f"console_mail_today{suffix}.png"), full_page=True)
            page.goto(read_back.url + "wallboard?wall=1")
            mail_queue(page, "web-chat", "chat").locator("td.today.entered").filter(has_text="2").wait_for()
            assert too_wide(page) == []
            page.screenshot(path=browser_harness.screenshot_path(f"console_mail_today_wall{suffix}.png"),
                            full_page=True)
            context.close()
    finally:
        zhou.close()
        read_back.stop()
        mail.stop()
    assert "Traceback" not in read_back.log()
