"""Alerts and staffing advice on the console's wallboard through the whole product: a real gateway
(SIPp caller and agent phone), `cicada console` as a real server, Chromium driven by Playwright."""

from __future__ import annotations

import pytest

import browser_harness
from bus import cti
from console_harness import PASSWORD, RunningConsole, people
from gateway_harness import ANN_TONE, CUSTOMER_TONE, customer, event, make_gateway, media, offered, phone  # noqa: F401

pytestmark = pytest.mark.slow

WALL = {"width": 1366, "height": 768}


@pytest.fixture
def console(make_gateway, tmp_path):
    gateway = make_gateway()  # ann and bob, billing agents
    people(gateway.db_url)  # ann in sue's and zhou's team
    running = RunningConsole(tmp_path / "console", gateway,
                             queues={"billing": {"alert_longest_wait": 2, "target_level": 90,
                                                 "alert_message": True}}).start()
    running.gateway = gateway
    yield running
    running.stop()


def sign_in(context, console, username: str):
    page = context.new_page()
    page.goto(console.url + "signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form#sign-in button[type=submit]")
    page.wait_for_selector("#status.live")
    return page


def test_a_caller_waiting_too_long_raises_an_alert_that_clears_when_he_is_answered(console, chromium, phone,
                                                                                   media, tmp_path):
    gateway = console.gateway
    ann = gateway.desktop("ann", phone("ann", media(ANN_TONE), answer_ms=200).uri, ready=False)
    ann.set_mode("not_ready", "break")
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.grant_permissions(["notifications"])
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        assert page.inner_text("#alerts") == "No active alert."
        card = page.locator("#figures .figures-card[data-queue='billing']")
        card.locator(".advice").filter(has_text="No contacts arriving: no agents needed").wait_for()

        caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), ani="13900000001")
        alert = page.locator("#alerts li[data-kind='longest_wait']")
        alert.wait_for(timeout=8000)  # over 2 s waiting
        assert alert.inner_text().startswith("billing: a caller has waited over 2 s")
        assert page.locator("#queues tr[data-queue='billing']").get_attribute("class") == "alerting"
        assert alert.get_attribute("data-alert") in page.get_attribute("#board", "data-notified").split()
        assert page.evaluate("Notification.permission") == "granted"
        told = event(ann, cti.AgentBroadcast, 10)  # the queue's agents are told
        assert told.queue == "billing" and told.sender == "sue"
        assert told.text == "billing: a caller has waited over 2 s / billing：有来电等待超过 2 秒"
        page.wait_for_timeout(1200)  # the alert's timer ticks
        page.screenshot(path=tmp_path / "alert.png")
        page.screenshot(path=browser_harness.screenshot_path("console_alert.png"))
        wall = context.new_page()  # the wall screen shows it large
        wall.goto(console.url + "wallboard?wall=1")
        wall.locator("#alerts li[data-kind='longest_wait']").wait_for()
        wall.screenshot(path=browser_harness.screenshot_path("console_alert_wall.png"))
        wall.close()

        ann.set_mode("ready")
        call = offered(ann, 10)
        ann.command(cti.CallAccept, call_id=call.call_id)
        event(ann, cti.CallAnswered, 10, call_id=call.call_id)
        page.locator("#alerts li.empty").wait_for(timeout=3000)  # it clears itself
        assert page.locator("#queues tr[data-queue='billing']").get_attribute("class") in (None, "")
        today = card.locator("tr.today")
        today.locator("td.answered").filter(has_text="1").wait_for(timeout=3000)
        assert today.locator("td.offered").inner_text() == "1"
        # the windows and the advice are made again every few seconds
        card.locator("tr[data-minutes='15'] td.offered").filter(has_text="1").wait_for(timeout=8000)
        # a call came in, none was handled to the end yet: no handle time to go by
        card.locator(".advice").filter(has_text="No handle time measured yet").wait_for(timeout=8000)

        page.click("#alert-page")
        page.wait_for_url("**/alerts")
        row = page.locator("#alert-history tr[data-kind='longest_wait']")
        assert row.locator("td.text").inner_text() == "billing: a caller has waited over 2 s"
        assert row.locator("td.ended").inner_text() != "Still active"
        assert row.locator("td.worst").inner_text().endswith(" s")
        page.screenshot(path=browser_harness.screenshot_path("console_alerts_page.png"))

        # the same in Chinese
        zh = chromium.new_context(viewport=WALL, locale="zh-CN")
        zh.set_default_timeout(10_000)
        zh_page = sign_in(zh, console, "zhou")
        assert "当前没有告警。" in zh_page.inner_text("#alerts")
        zh_card = zh_page.locator("#figures .figures-card[data-queue='billing']")
        zh_card.locator(".advice").filter(has_text="尚未测得处理时长").wait_for()
        assert "队列数据与人力建议" in zh_page.inner_text("main")
        zh_page.screenshot(path=browser_harness.screenshot_path("console_figures_zh.png"))
        zh_page.goto(console.url + "alerts")
        assert zh_page.locator("#alert-history td.text").first.inner_text() == "billing：有来电等待超过 2 秒"
        zh.close()
        caller.stop()
    finally:
        context.close()
    assert "Traceback" not in console.log()
