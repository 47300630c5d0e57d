"""The console's live wallboard through the whole product: a real gateway (SIPp caller and
agent phone), `cicada console` as a real server, and Chromium driven by Playwright."""

from __future__ import annotations

import time

import pytest

import browser_harness
from bus import cti
from console_harness import PASSWORD, RunningConsole, people
from gateway_harness import PASSWORD as AGENT_PASSWORD
from gateway_harness import ANN_TONE, CUSTOMER_TONE, customer, event, make_gateway, media, offered, phone  # noqa: F401

pytestmark = pytest.mark.slow

WALL = {"width": 1366, "height": 768}


@pytest.fixture
def console(make_gateway, tmp_path):
    gateway = make_gateway()  # ann and bob, billing agents
    people(gateway.db_url)  # ann in sue's team; bob in none
    running = RunningConsole(tmp_path / "console", gateway).start()
    running.gateway = gateway
    yield running
    running.stop()


def sign_in(context, console, username: str, password: str = PASSWORD):
    page = context.new_page()
    page.goto(console.url + "signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form#sign-in button[type=submit]")
    return page


def agent_row(page, agent: str):
    return page.locator(f"#agents tr[data-agent='{agent}']")


def queue_cell(page, queue: str, column: str):
    return page.locator(f"#queues tr[data-queue='{queue}'] td.{column}")


def test_a_supervisor_watches_a_call_enter_a_queue_and_an_agent_take_it(console, chromium, phone, media, tmp_path):
    gateway = console.gateway
    watcher = gateway.watcher()  # tells when the gateway published what the page must show
    ann = gateway.desktop("ann", phone("ann", media(ANN_TONE), answer_ms=200).uri, ready=False)
    ann.set_mode("not_ready", "break")
    gateway.desktop("bob", "sip:bob@127.0.0.1:5999", ready=False)  # another team's: not on sue's board
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_url("**/wallboard")
        page.wait_for_selector("#status.live")
        row = agent_row(page, "ann")
        assert row.locator("td.mode").inner_text() == "Not ready"
        assert row.locator("td.reason").inner_text() == "break"
        assert agent_row(page, "bob").count() == 0
        assert queue_cell(page, "billing", "waiting").inner_text() == "0"

        caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), ani="13900000001")
        watcher.wait_for(lambda e: isinstance(e, cti.QueueStatsChanged) and e.stats.waiting == 1, 15)
        published = time.monotonic()
        queue_cell(page, "billing", "waiting").filter(has_text="1").wait_for(timeout=1000)  # within a second
        assert time.monotonic() - published < 1.0
        longest = queue_cell(page, "billing", "longest")
        deadline = time.monotonic() + 5
        while longest.inner_text() < "0:02" and time.monotonic() < deadline:  # the longest wait ticks
            page.wait_for_timeout(200)
        assert longest.inner_text() >= "0:02"

        ann.set_mode("ready")
        offer = offered(ann, 10)
        ann.command(cti.CallAccept, call_id=offer.call_id)
        event(ann, cti.CallAnswered, 10, call_id=offer.call_id)
        row.locator("td.mode").filter(has_text="Busy").wait_for(timeout=2000)
        row.locator("td.call").filter(has_text="Phone · billing").wait_for(timeout=2000)
        assert row.locator("td.team").inner_text() == "North"
        row.locator("td.handled").filter(has_text="1").wait_for(timeout=2000)  # the call answered counts
        assert queue_cell(page, "billing", "waiting").inner_text() == "0"
        page.wait_for_timeout(2500)  # the timers tick
        page.screenshot(path=tmp_path / "wallboard.png")
        page.screenshot(path=browser_harness.screenshot_path("console_wallboard.png"))
        page.goto(console.url + "wallboard?wall=1")  # the wall screen: large figures, no controls
        agent_row(page, "ann").wait_for()
        assert page.locator("#sign-out").is_hidden()
        page.screenshot(path=browser_harness.screenshot_path("console_wall.png"))

        # the same in Chinese, for a supervisor whose language is Chinese
        zh = chromium.new_context(viewport=WALL, locale="zh-CN")
        zh.set_default_timeout(10_000)
        zh_page = sign_in(zh, console, "zhou")
        zh_page.wait_for_selector("#status.live")
        assert "电话队列" in zh_page.inner_text("main")
        agent_row(zh_page, "ann").locator("td.mode").filter(has_text="通话中").wait_for()
        zh_page.screenshot(path=tmp_path / "wallboard_zh.png")
        zh_page.screenshot(path=browser_harness.screenshot_path("console_wallboard_zh.png"))
        zh_page.goto(console.url + "wallboard?wall=1")
        agent_row(zh_page, "ann").wait_for()
        zh_page.screenshot(path=browser_harness.screenshot_path("console_wall_zh.png"))
        zh.close()
        caller.stop()
    finally:
        context.close()
    assert "Traceback" not in console.log()


def test_an_agent_is_refused_and_a_form_without_its_token_too(console, chromium):
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "ann", AGENT_PASSWORD)
        page.wait_for_selector("#refused")
        page.screenshot(path=browser_harness.screenshot_path("console_refused.png"))
        assert "The console is for supervisors" in page.inner_text("#refused")
        page = sign_in(context, console, "sue")
        page.wait_for_url("**/wallboard")
        forged = page.request.post(console.url + "signout", form={"csrf": "not-the-token"})
        assert forged.status == 403
        bare = page.request.post(console.url + "signout", form={})
        assert bare.status == 403
        page.reload()
        page.wait_for_selector("#board, #status")  # still signed in
        assert page.url.endswith("/wallboard")
        page.click("#sign-out")
        page.wait_for_url("**/signin")
    finally:
        context.close()
    assert "CSRF token refused" in console.log()


def test_the_wallboard_says_at_once_when_the_gateway_is_away_and_catches_up(console, chromium):
    gateway = console.gateway
    gateway.desktop("ann", "sip:ann@127.0.0.1:5998", ready=True)
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_selector("#status.live")
        agent_row(page, "ann").wait_for()
        gateway.stop(goodbye=False)
        stopped = time.monotonic()
        page.wait_for_selector("#status.offline", timeout=6000)
        assert time.monotonic() - stopped < 5
        assert "cannot be reached" in page.inner_text("#status")
        assert page.locator("#board").is_hidden()  # no stale figure shown as live
        gateway.restart()
        page.wait_for_selector("#status.live", timeout=20_000)
        assert page.locator("#board").is_visible()
    finally:
        context.close()


def test_a_supervisor_disabled_in_the_crm_is_sent_back_to_sign_in(make_gateway, chromium, tmp_path):
    from crm.db import Database
    from crm.permissions import Actor
    from crm.services.users import set_active

    gateway = make_gateway(account_check_seconds=0.5)
    people(gateway.db_url)
    console = RunningConsole(tmp_path / "console", gateway).start()
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_selector("#status.live")
        database = Database.open(gateway.db_url)
        try:
            with database.unit_of_work() as session:
                set_active(session, Actor.system(), "sue", False)  # her sessions end everywhere
        finally:
            database.dispose()
        page.wait_for_url("**/signin", timeout=15_000)  # the gateway ended the watch; the console the sign-in
    finally:
        context.close()
        console.stop()


def test_a_wall_screen_left_alone_stays_live_while_the_idle_sign_in_does_nothing_else(make_gateway, chromium,
                                                                                     tmp_path):
    gateway = make_gateway()
    people(gateway.db_url)
    console = RunningConsole(tmp_path / "console", gateway, idle_minutes=0.1).start()  # idle after 6 s
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5998", ready=True)
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        desk = sign_in(context, console, "sue")
        desk.wait_for_selector("#status.live")
        wall = context.new_page()
        wall.goto(console.url + "wallboard?wall=1")
        agent_row(wall, "ann").locator("td.mode").filter(has_text="Ready").wait_for()
        desk.wait_for_url("**/signin", timeout=20_000)  # the supervisor's own page: idle, signed out
        ann.set_mode("not_ready", "break")  # long after the idle time, the wall still follows
        agent_row(wall, "ann").locator("td.mode").filter(has_text="Not ready").wait_for(timeout=5000)
        assert wall.locator("#status.live").count() == 1
        csrf = wall.evaluate("() => document.querySelector('form[action=\"/signout\"] input[name=csrf]')?.value || ''")
        acted = wall.request.post(console.url + "actions/agent", form={"csrf": csrf, "action": "log_off",
                                                                       "agent": "ann"})
        assert acted.status == 401  # nothing but the wall: its idle sign-in acts on no one
        assert [a.mode for a in gateway.status().agents if a.agent == "ann"] == ["not_ready"]
    finally:
        context.close()
        console.stop()


def test_a_wall_screen_goes_on_by_itself_after_the_console_restarts(make_gateway, chromium, tmp_path):
    gateway = make_gateway()
    people(gateway.db_url)
    console = RunningConsole(tmp_path / "console", gateway).start()
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5998", ready=True)
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        sign_in(context, console, "sue").close()
        wall = context.new_page()
        wall.goto(console.url + "wallboard?wall=1")
        agent_row(wall, "ann").locator("td.mode").filter(has_text="Ready").wait_for()
        console.stop()  # an upgrade, or a crash and its restart: same address, same secret
        wall.locator("#status:not(.live)").wait_for()
        console.start()
        ann.set_mode("not_ready", "break")
        agent_row(wall, "ann").locator("td.mode").filter(has_text="Not ready").wait_for(timeout=30_000)
        assert wall.locator("#status.live").count() == 1 and "/signin" not in wall.url
        assert "sue's console sign-in was taken back after a restart" in console.log()
    finally:
        context.close()
        console.stop()


def test_a_supervisor_sees_his_org_units_queue_before_any_agent_logs_in(make_gateway, chromium, tmp_path):
    from console_harness import people

    # billing is north's, sue's team; sales the site's, above her team: an administrator's to see
    queues = [{"name": "billing", "numbers": ["4001"], "org_units": ["north"]},
              {"name": "sales", "numbers": ["4002"], "org_units": ["S1"]}]
    gateway = make_gateway(queues=queues, crm=people)
    console = RunningConsole(tmp_path / "console", gateway).start()
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_selector("#status.live")
        assert queue_cell(page, "billing", "waiting").inner_text() == "0"  # nobody is logged in
        assert page.locator("#queues tr[data-queue='sales']").count() == 0
        admin = sign_in(chromium.new_context(viewport=WALL, locale="en-US"), console, "ada")
        admin.wait_for_selector("#status.live")
        assert [admin.locator(f"#queues tr[data-queue='{q}']").count() for q in ("billing", "sales")] == [1, 1]
        gateway.desktop("ann", "sip:ann@127.0.0.1:5999")  # sue's agent, Ready
        agent_row(page, "ann").wait_for()
        assert page.locator("#queues tr[data-queue='sales']").count() == 0  # ann serves billing only
        admin.context.close()
    finally:
        context.close()
        console.stop()
    assert "Traceback" not in console.log()
