"""The wallboard's agents table in Chromium, against a real gateway and `cicada console`: the
supervisor filters to "not ready" and sorts by the time in mode, the choice is kept in the address
and across the live updates; an agent passing his threshold turns to a warning with no event;
the team and the filters in Chinese; the wall screen keeps the address's choice."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

import browser_harness
from console_harness import RunningConsole, people
from gateway_harness import make_gateway  # noqa: F401 - fixture
from test_console_wallboard import WALL, agent_row, sign_in

pytestmark = pytest.mark.slow

READY_MINUTES = 0.1  # 6 s: an agent ready longer turns to a warning


@pytest.fixture
def console(make_gateway, tmp_path):
    gateway = make_gateway()  # ann and bob, billing agents
    people(gateway.db_url, agents_in_north=("ann", "bob"))  # both in sue's team North
    running = RunningConsole(tmp_path / "console", gateway, agents={"ready_minutes": READY_MINUTES})
    running.start()
    running.gateway = gateway
    yield running
    running.stop()


def shown(page) -> list[str]:
    return page.locator("#agents tbody tr[data-agent]").evaluate_all("rows => rows.map(r => r.dataset.agent)")


def query(page) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def wait_shown(page, agents: list[str], timeout: float = 5000) -> None:
    page.wait_for_function("want => JSON.stringify(Array.from(document.querySelectorAll("
                           "'#agents tbody tr[data-agent]'), r => r.dataset.agent)) === JSON.stringify(want)",
                           arg=agents, timeout=timeout)


def test_a_supervisor_filters_to_not_ready_sorts_by_time_and_live_updates_keep_it(console, chromium):
    gateway = console.gateway
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5998", ready=False)
    ann.set_mode("not_ready", "break")  # the longest in Not ready
    bob = gateway.desktop("bob", "sip:bob@127.0.0.1:5999", ready=False)
    bob.set_mode("not_ready", "lunch")
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_url("**/wallboard")
        page.wait_for_selector("#status.live")
        wait_shown(page, ["ann", "bob"])
        assert agent_row(page, "ann").locator("td.team").inner_text() == "North"
        assert agent_row(page, "ann").locator("td.handled").inner_text() == "0"

        page.select_option("#filter-mode", "not_ready")
        assert query(page) == {"mode": "not_ready"}
        time_header = page.locator("#agents th[data-sort=time] button")
        time_header.click()  # the longest in mode first
        wait_shown(page, ["ann", "bob"])
        assert page.get_attribute("#agents th[data-sort=time]", "aria-sort") == "descending"
        time_header.click()  # and the other way
        wait_shown(page, ["bob", "ann"])
        assert query(page) == {"mode": "not_ready", "sort": "time", "order": "asc"}
        assert "sort=time" in page.get_attribute("#full-screen", "href")  # the wall screen shows the same

        bob.set_mode("ready")  # a live update: bob leaves the filter, the choice stays
        wait_shown(page, ["ann"])
        assert page.input_value("#filter-mode") == "not_ready"
        assert page.get_attribute("#agents th[data-sort=time]", "aria-sort") == "ascending"
        bob.set_mode("not_ready", "meeting")  # back, the shortest in mode: first
        wait_shown(page, ["bob", "ann"])
        assert agent_row(page, "bob").locator("td.reason").inner_text() == "meeting"
        assert query(page) == {"mode": "not_ready", "sort": "time", "order": "asc"}

        page.reload()  # a bookmark of the address opens the same choice
        page.wait_for_selector("#status.live")
        wait_shown(page, ["bob", "ann"])
        assert page.input_value("#filter-mode") == "not_ready"

        # bob ready: his time turns to a warning when it passes the limit, with no event to say so
        page.select_option("#filter-mode", "ready")
        bob.set_mode("ready")
        wait_shown(page, ["bob"])
        in_mode = agent_row(page, "bob").locator("td.in-mode")
        assert "over" not in (in_mode.get_attribute("class") or "")
        page.wait_for_selector("#agents tr[data-agent=bob].over td.in-mode.over", timeout=15_000)
        assert in_mode.get_attribute("title") == "over 6 s"
        assert in_mode.locator(".cue").is_visible()  # a sign beside the colour
        assert in_mode.evaluate("td => getComputedStyle(td).backgroundColor") != "rgba(0, 0, 0, 0)"

        page.select_option("#filter-mode", "")
        wait_shown(page, ["bob", "ann"])  # still the shortest time in mode first
        page.locator("#agents th[data-sort=agent] button").click()
        wait_shown(page, ["ann", "bob"])
        assert query(page) == {}  # the default order: nothing in the address
        page.locator("#agents th[data-sort=agent] button").click()  # names backwards
        wait_shown(page, ["bob", "ann"])
        page.screenshot(path="/tmp/agentstable-1366.png")
        page.screenshot(path=browser_harness.screenshot_path("console_agents_table.png"))

        # the wall screen, bookmarked with a team and a mode: no controls, the same choice
        page.goto(console.url + "wallboard?wall=1&team=North&mode=ready")
        page.wait_for_selector("#status.live")
        wait_shown(page, ["bob"])
        assert page.locator("#agent-filters").count() == 0 and page.locator("#agents th button").count() == 0
        assert page.inner_text("#agents-choice") == "· North · Ready"  # the wall says what it shows
        page.wait_for_selector("#agents tr[data-agent=bob].over")
        page.screenshot(path="/tmp/agentstable-wall.png", full_page=True)  # the agents below the queues
        page.screenshot(path=browser_harness.screenshot_path("console_agents_table_wall.png"), full_page=True)

        # in Chinese: the headers, the filters and the cue
        zh = chromium.new_context(viewport=WALL, locale="zh-CN")
        zh.set_default_timeout(10_000)
        zh_page = sign_in(zh, console, "zhou")
        zh_page.wait_for_selector("#status.live")
        zh_page.goto(console.url + "wallboard?team=North")
        zh_page.wait_for_selector("#status.live")
        wait_shown(zh_page, ["ann", "bob"])
        assert "今日处理" in zh_page.inner_text("#agents thead")
        assert zh_page.input_value("#filter-team") == "North"
        assert "全部状态" in zh_page.inner_text("#filter-mode")
        zh_page.wait_for_selector("#agents tr[data-agent=bob] td.in-mode.over")
        assert agent_row(zh_page, "bob").locator("td.in-mode").get_attribute("title") == "超过 6 秒"
        zh_page.screenshot(path="/tmp/agentstable-zh.png")
        zh.close()
    finally:
        context.close()
        ann.close()
        bob.close()
    assert "Traceback" not in console.log()
