"""The email and chat queues' alerts and the email and chat agents table through the whole
product: a real gateway and a real `cicada mailq` on one CRM, `cicada console` watching both, and
Chromium. An email waiting longer than its queue's threshold raises an alert (the list, the
queue's row, the notification) that clears when an agent takes it, and the Alerts page keeps it;
the email and chat agents table sorted and filtered, the choice in the address and kept across a
live update, and a conversation open too long turning to a warning; in English and Chinese."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

import browser_harness
from bus import mailq as bus
from console_harness import RunningConsole, people
from gateway_harness import make_gateway  # noqa: F401 - fixture
from mailq_harness import RunningMailq
from test_console_mailboard import mail_agent, mail_queue, send_email
from test_console_mail_today import too_wide
from test_console_wallboard import WALL, sign_in

pytestmark = pytest.mark.slow

EMAIL_WAIT = 2  # s: an email waiting longer raises the alert
EMAIL_OPEN_MINUTES = 0.05  # 3 s: an email conversation open longer turns to a warning


@pytest.fixture
def board(make_gateway, tmp_path):
    gateway = make_gateway()
    people(gateway.db_url, agents_in_north=("ann", "bob"))  # both in sue's and zhou's team
    mail = RunningMailq(tmp_path / "mailq", agents=(), db_url=gateway.db_url, silent_seconds=30.0).start(prepare=False)
    console = RunningConsole(tmp_path / "console", gateway, mailq=mail,
                             queues={"default": {"alert_longest_wait": 60},  # a phone queue's: not an email's
                                     "service": {"email": {"alert_longest_wait": EMAIL_WAIT}}},
                             agents={"email_open_minutes": EMAIL_OPEN_MINUTES}).start()
    yield gateway, mail, console
    console.stop()
    mail.stop()


def context_of(chromium, locale: str):
    context = chromium.new_context(viewport=WALL, locale=locale)
    context.grant_permissions(["notifications"])
    context.set_default_timeout(10_000)
    return context


def shown(page) -> list[str]:
    return page.locator("#mail-agents tbody tr[data-agent]").evaluate_all("rows => rows.map(r => r.dataset.agent)")


def wait_shown(page, agents: list[str], timeout: float = 5000) -> None:
    page.wait_for_function("want => JSON.stringify(Array.from(document.querySelectorAll("
                           "'#mail-agents tbody tr[data-agent]'), r => r.dataset.agent)) === JSON.stringify(want)",
                           arg=agents, timeout=timeout)


def query(page) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def test_an_email_waiting_too_long_raises_an_alert_that_clears_when_an_agent_takes_it(board, chromium):
    gateway, mail, console = board
    ann = mail.desktop("ann", channels=())  # away: the email waits
    context, zh = context_of(chromium, "en-US"), context_of(chromium, "zh-CN")
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_selector("#mail-status.live")
        assert page.inner_text("#alerts") == "No active alert."
        zh_page = sign_in(zh, console, "zhou")
        zh_page.wait_for_selector("#mail-status.live")

        send_email(mail, "Invoice 2024-17")
        alert = page.locator("#alerts li[data-kind='email_longest_wait']")
        alert.wait_for(timeout=8000)  # over 2 s waiting, with no event after the email came
        assert alert.inner_text().startswith("service: an email has waited over 2 s")
        assert alert.get_attribute("data-channel") == "email"
        assert mail_queue(page, "service", "email").get_attribute("class") == "alerting"
        assert (mail_queue(page, "web-chat", "chat").get_attribute("class") or "") == ""
        assert alert.get_attribute("data-alert") in page.get_attribute("#board", "data-notified").split()
        assert page.evaluate("Notification.permission") == "granted"
        zh_alert = zh_page.locator("#alerts li[data-kind='email_longest_wait']")
        zh_alert.wait_for()
        assert zh_alert.inner_text().startswith("service：有邮件等待超过 2 秒")
        page.wait_for_timeout(1200)  # the alert's timer ticks
        assert too_wide(page) == []
        page.screenshot(path=browser_harness.screenshot_path("console_mail_alert.png"))
        zh_page.screenshot(path=browser_harness.screenshot_path("console_mail_alert_zh.png"))
        wall = context.new_page()  # the wall screen shows it too
        wall.goto(console.url + "wallboard?wall=1")
        wall.locator("#alerts li[data-kind='email_longest_wait']").wait_for()
        wall.screenshot(path=browser_harness.screenshot_path("console_mail_alert_wall.png"))
        wall.close()

        ann.set_available("email", True)  # she is offered the email and takes it
        offer = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
        ann.accept(offer.work.conversation_id)
        page.locator("#alerts li.empty").wait_for(timeout=3000)  # it clears itself
        assert (mail_queue(page, "service", "email").get_attribute("class") or "") == ""
        zh_page.locator("#alerts li.empty").wait_for(timeout=3000)

        page.click("#alert-page")  # kept with its start and end, listed with the others
        page.wait_for_url("**/alerts")
        row = page.locator("#alert-history tr[data-kind='email_longest_wait']")
        assert row.locator("td.text").inner_text() == "service: an email has waited over 2 s"
        assert row.locator("td.ended").inner_text() not in ("", "Still active")
        assert row.locator("td.worst").inner_text().endswith(" s")
        page.screenshot(path=browser_harness.screenshot_path("console_mail_alerts_page.png"))
        zh_page.goto(console.url + "alerts")
        assert zh_page.locator("#alert-history tr[data-kind='email_longest_wait'] td.text").inner_text() \
            == "service：有邮件等待超过 2 秒"
    finally:
        context.close()
        zh.close()
    assert "Traceback" not in console.log()


def test_the_mail_agents_table_sorted_and_filtered_kept_across_a_live_update(board, chromium):
    gateway, mail, console = board
    ann = mail.desktop("ann", channels=("email",))
    mail.desktop("bob", channels=("chat",))
    context = context_of(chromium, "en-US")
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_selector("#mail-status.live")
        wait_shown(page, ["ann", "bob"])

        page.select_option("#filter-mail-channel", "chat")
        page.select_option("#filter-mail-available", "available")
        wait_shown(page, ["bob"])  # available for chat
        assert query(page) == {"mail_channel": "chat", "mail_available": "available"}
        assert page.inner_text("#mail-agents-choice") == "· Chat · Available"
        page.locator("#mail-agents th[data-sort=agent] button").click()  # names backwards
        assert query(page)["mail_sort"] == "agent" and query(page)["mail_order"] == "desc"
        assert "mail_channel=chat" in page.get_attribute("#full-screen", "href")  # the wall screen shows the same

        ann.set_available("chat", True)  # a live update: ann joins the filter, the choice stays
        wait_shown(page, ["bob", "ann"])
        assert page.input_value("#filter-mail-channel") == "chat"
        assert page.get_attribute("#mail-agents th[data-sort=agent]", "aria-sort") == "descending"
        assert query(page) == {"mail_channel": "chat", "mail_available": "available", "mail_sort": "agent",
                               "mail_order": "desc"}

        page.select_option("#filter-mail-channel", "")  # every agent, the most open conversations first
        page.select_option("#filter-mail-available", "")
        page.locator("#mail-agents th[data-sort=open] button").click()
        send_email(mail, "Invoice 2024-18")  # offered to ann (the only one available for email)
        offer = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
        ann.accept(offer.work.conversation_id)
        mail_agent(page, "ann").locator("td.open").filter(has_text="1").wait_for(timeout=3000)
        assert shown(page) == ["ann", "bob"]  # by open conversations: ann's one first
        conversation = mail_agent(page, "ann").locator("td.work .conversation.assigned")
        page.wait_for_selector("#mail-agents tr[data-agent=ann].over .conversation.over", timeout=10_000)
        assert conversation.get_attribute("title") == "over 3 s"  # open longer than its limit, with no event
        assert conversation.locator(".cue").is_visible()
        page.locator("#mail-agents th[data-sort=open] button").click()  # and the other way
        wait_shown(page, ["bob", "ann"])
        page.select_option("#filter-mail-queue", "service")
        assert query(page) == {"mail_queue": "service", "mail_sort": "open", "mail_order": "asc"}
        assert query(page).keys().isdisjoint({"queue", "sort"})  # the phone agents' choice is its own
        assert too_wide(page) == []
        page.screenshot(path=browser_harness.screenshot_path("console_mail_agents.png"), full_page=True)

        page.reload()  # a bookmark of the address opens the same choice
        page.wait_for_selector("#mail-status.live")
        wait_shown(page, ["bob", "ann"])
        assert page.input_value("#filter-mail-queue") == "service"

        zh = context_of(chromium, "zh-CN")  # in Chinese: the filters and the cue
        zh_page = sign_in(zh, console, "zhou")
        zh_page.goto(console.url + "wallboard?mail_channel=email&mail_sort=open&mail_order=desc")
        zh_page.wait_for_selector("#mail-status.live")
        wait_shown(zh_page, ["ann"])
        assert "全部渠道" in zh_page.inner_text("#filter-mail-channel")
        assert "接待状态" in zh_page.inner_text("#mail-agent-filters")
        zh_page.wait_for_selector("#mail-agents tr[data-agent=ann] .conversation.over")
        assert mail_agent(zh_page, "ann").locator(".conversation.over").get_attribute("title") == "超过 3 秒"
        assert too_wide(zh_page) == []
        zh_page.screenshot(path=browser_harness.screenshot_path("console_mail_agents_zh.png"), full_page=True)
        zh_page.goto(console.url + "wallboard?wall=1&mail_available=away")  # the wall: no controls, the choice
        zh_page.wait_for_selector("#mail-status.live")
        zh_page.locator("#mail-agents td.empty").wait_for()  # nobody is away from both
        assert zh_page.locator("#mail-agent-filters").count() == 0
        assert zh_page.inner_text("#mail-agents-choice") == "· 暂离"
        zh.close()
    finally:
        context.close()
    assert "Traceback" not in console.log()
