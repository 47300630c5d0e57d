"""The console's agent time pages through the whole product: `cicada console` as a real server
over a CRM whose event log holds the hand-computed agents' day of test_report_agent_time.py, on
SQLite and PostgreSQL, and Chromium (Playwright). A supervisor opens the agent time report from
the Reports page (each figure equal to crm/reports/agent_time.py's, each formula on hover, the
roll-ups set apart, the chart drawn), downloads it as Excel (read back with openpyxl), opens the
timeline of an agent's day from his name (each segment and its call); another team's supervisor
reads his own agents in Chinese and is refused the other team, its agent and her day; an agent
gets no report."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

import browser_harness
from report_harness import BACKENDS, filled_crm
import factories
from crm.db import Database
from crm.models import User
from crm.permissions import Actor
from crm.reports.agent_time import AgentTimeReport, agent_columns, agent_day, agent_record
from crm.reports.queue_report import Filters, period
from test_console_reports import console, read_download, sign_in  # noqa: F401 - the console fixture
from test_console_wallboard import WALL
from test_report_agent_time import BERLIN, DAY_1, fill

pytestmark = pytest.mark.slow

MARCH = "from=2026-03-28&to=2026-03-29&interval=day"
TIMES = ("logged_in", "ready", "offered", "talk", "hold", "wrap_up", "not_ready", "handling", "email_chat")


@pytest.fixture(params=BACKENDS)
def crm_url(request, tmp_path):
    """A migrated CRM of each backend with the hand-computed agents' event log: team A (amy, bob,
    sue their supervisor), team B (carl, ted their supervisor, who reads Chinese), site S, center CC."""
    with filled_crm(request.param, tmp_path, fill) as url:
        yield url


def with_module(console, use):
    database = Database.open(console.database_url)
    try:
        with database.reading() as session:
            return use(session)
    finally:
        database.dispose()


def module_report(console, username: str) -> tuple[list, tuple[str, ...]]:
    """The report as crm/reports/agent_time.py makes it with the user's rights: its rows and reasons."""
    def use(session):
        actor = Actor.for_user(session.query(User).filter_by(username=username).one())
        report = AgentTimeReport(session, actor, period(datetime(2026, 3, 28), datetime(2026, 3, 30), BERLIN, "day"),
                                 Filters())
        return list(report.rows()), report.reasons
    return with_module(console, use)


def module_day(console, username: str, agent: str, day: date) -> list:
    def use(session):
        actor = Actor.for_user(session.query(User).filter_by(username=username).one())
        return agent_day(session, actor, agent, day, BERLIN)
    return with_module(console, use)


def clock(text: str) -> int:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def the_page_does_not_scroll_sideways(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= WALL["width"]


def test_a_supervisor_reads_agent_time_opens_an_agents_day_and_downloads_both(console, chromium, tmp_path):
    context = chromium.new_context(viewport=WALL, locale="en-US", accept_downloads=True)
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.click("#reports-link")
        page.wait_for_url("**/reports")
        page.click("#agent-time-link")  # the Reports page offers the queue report and agent time
        page.wait_for_url("**/reports/agents")
        page.fill("input[name=from]", "2026-03-28")
        page.fill("input[name=to]", "2026-03-29")
        page.select_option("select[name=interval]", "day")
        page.click("#show-report")
        page.wait_for_selector("#agent-chart[data-drawn='1']")

        expected, reasons = module_report(console, "sue")
        assert reasons == ("break", "login", "lunch")
        table_rows = page.locator("#agent-table tbody tr")
        assert [(table_rows.nth(i).get_attribute("data-level"), table_rows.nth(i).get_attribute("data-agent")
                 or table_rows.nth(i).get_attribute("data-unit")) for i in range(table_rows.count())] == [
            ("agent", "amy"), ("agent", "bob"), ("team", "A")] * 2  # not team B's carl, nor site or center
        for index, row in enumerate(expected):
            shown = table_rows.nth(index)
            for name in TIMES:  # as shown (h:mm:ss), and exactly in the cell's value
                value = row.times.email_chat if name == "email_chat" else row.seconds(name)
                cell = shown.locator(f"td.{name}")
                assert clock(cell.inner_text()) == round(value), (index, name)
                assert float(cell.get_attribute("data-value")) == value, (index, name)
            for reason in reasons:
                cell = shown.locator(f"td.not_ready_{reason}")
                assert float(cell.get_attribute("data-value")) == row.times.reasons.get(reason, 0.0)
            for name in ("occupancy", "utilization"):
                cell, value = shown.locator(f"td.{name}"), getattr(row, name)
                assert cell.get_attribute("data-value") == ("" if value is None else repr(value))
                assert cell.inner_text() == ("" if value is None else f"{value * 100:.1f} %")
        amy = table_rows.first
        assert clock(amy.locator("td.logged_in").inner_text()) == DAY_1["amy"]["logged_in"] == 17400
        assert amy.locator("td.occupancy").inner_text() == "3.2 %"  # 350 / 11,040
        assert page.locator("th[data-figure=occupancy] abbr").get_attribute("title") == (
            "Occupancy = handling time / (handling time + ready and idle time).")
        assert page.locator("th[data-figure=logged_in] abbr").get_attribute("title") == (
            "Logged in = ready + offered + busy (talk + hold) + wrap-up + not ready.")
        assert page.locator("th[data-figure=not_ready_lunch] abbr").get_attribute("title") == (
            "Not ready with the reason code lunch.")
        team = page.locator("#agent-table tr.rollup").first
        assert team.locator("td.who").inner_text() == "Team A"
        background = "el => getComputedStyle(el).backgroundColor"
        assert team.locator("td.ready").evaluate(background) != amy.locator("td.ready").evaluate(background)
        chart = json.loads(page.locator("#agent-chart").get_attribute("data-chart"))
        assert chart["labels"] == ["amy", "bob"]  # each agent's hours per state over the range, stacked
        for state in chart["states"]:
            assert state["data"] == [round(sum(row.seconds(state["state"]) for row in expected if row.agent == name)
                                           / 3600, 3) for name in ("amy", "bob")], state["state"]
        the_page_does_not_scroll_sideways(page)
        page.screenshot(path=browser_harness.screenshot_path("console_agent_time.png"))

        with page.expect_download() as excel:
            page.click("#export-xlsx")
        assert excel.value.suggested_filename == "agent-time_2026-03-28_2026-03-29.xlsx"
        book = load_workbook(io.BytesIO(read_download(excel.value, tmp_path)), read_only=True)
        sheet = [list(values) for values in book.active.iter_rows(values_only=True)]
        assert tuple(sheet[0]) == agent_columns(reasons)
        assert sheet[1:] == [[agent_record(row, reasons)[name] for name in sheet[0]] for row in expected]

        amy.locator("td.who a").click()  # the timeline of her day
        page.wait_for_url("**/reports/agent-day?agent=amy&day=2026-03-28")
        page.wait_for_selector("#timeline[data-placed='1']")
        segments = module_day(console, "sue", "amy", date(2026, 3, 28))
        rows = page.locator("#segments tr.segment")
        assert rows.count() == len(segments) == 13
        for index, segment in enumerate(segments):
            shown = rows.nth(index)
            assert shown.get_attribute("data-state") == segment.state
            assert shown.locator("td.start").inner_text() == datetime.fromtimestamp(segment.start, BERLIN).strftime(
                "%H:%M:%S")
            assert shown.locator("td.end").inner_text() == datetime.fromtimestamp(segment.end, BERLIN).strftime(
                "%H:%M:%S")
            assert shown.locator("td.contact").inner_text() == (segment.contact or "")
        assert [rows.nth(i).locator("td.contact").inner_text() for i in range(2, 7)] == ["c1"] * 5  # each call segment
        assert rows.nth(4).locator("td.state").inner_text() == "Hold"
        blocks = page.locator("#timeline .track .block")
        assert blocks.count() == len(segments)
        hold = page.locator("#timeline .track .block[data-state=hold]")
        assert hold.get_attribute("title") == "09:12:00–09:13:00 · Hold · c1"
        box, track = hold.bounding_box(), page.locator("#timeline .track").first.bounding_box()
        assert box["x"] == pytest.approx(track["x"] + track["width"] * (9 * 3600 + 12 * 60) / 86400, abs=1.5)
        the_page_does_not_scroll_sideways(page)
        page.screenshot(path=browser_harness.screenshot_path("console_agent_day.png"))

        with page.expect_download() as day:
            page.click("#export-csv")
        assert day.value.suggested_filename == "agent-day_amy_2026-03-28.csv"
        downloaded = list(csv.DictReader(io.StringIO(read_download(day.value, tmp_path).decode("utf-8-sig"))))
        assert [(row["state"], row["contact"]) for row in downloaded] == [
            (one.state, one.contact or "") for one in segments]

        page.click("#back-to-report")  # her day by the hour: the chart per interval, the page still 1366 px wide
        page.wait_for_selector("#agent-chart[data-drawn='1']")
        assert page.url.endswith("/reports/agents?from=2026-03-28&to=2026-03-28&interval=60min&agent=amy")
        chart = json.loads(page.locator("#agent-chart").get_attribute("data-chart"))
        assert chart["labels"][:2] == ["03-28 00:00", "03-28 01:00"] and len(chart["labels"]) == 24
        ready = next(state["data"] for state in chart["states"] if state["state"] == "ready")
        # ready 09:01-09:10, 09:16-12:00 and 12:45-12:50
        assert ready[9:13] == [round((9 + 44) * 60 / 3600, 3), 1.0, 1.0, round(5 * 60 / 3600, 3)]
        assert page.locator("#agent-table tr.rollup").count() == 24  # her team's row each hour
        the_page_does_not_scroll_sideways(page)
    finally:
        context.close()
    assert "Traceback" not in console.log()


def refusal(page) -> str:
    return page.inner_text("#report-error")


def test_another_teams_supervisor_reads_his_agents_in_chinese_and_is_refused_the_other_team(console, chromium):
    context = chromium.new_context(viewport=WALL, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "ted")  # team B's supervisor, in Chinese
        page.goto(console.url + f"reports/agents?{MARCH}")
        page.wait_for_selector("#agent-chart[data-drawn='1']")
        rows = page.locator("#agent-table tbody tr")
        assert [rows.nth(i).get_attribute("data-agent") or rows.nth(i).get_attribute("data-unit")
                for i in range(rows.count())] == ["carl", "B"] * 2
        expected, _ = module_report(console, "ted")
        assert clock(rows.first.locator("td.not_ready").inner_text()) == expected[0].seconds("not_ready") == 3600
        assert page.locator("#agent-time-link").inner_text() == "座席时间"
        assert page.locator("th[data-figure=utilization] abbr").get_attribute("title") == "利用率 = 处理时间 / 登录时间。"
        assert rows.nth(1).locator("td.who").inner_text() == "团队 B"
        the_page_does_not_scroll_sideways(page)
        page.screenshot(path=browser_harness.screenshot_path("console_agent_time_zh.png"))

        page.goto(console.url + "reports/agent-day?agent=carl&day=2026-03-29")
        page.wait_for_selector("#timeline[data-placed='1']")
        assert page.locator("#segments td.state").all_inner_texts() == ["就绪", "振铃中", "通话"]
        assert page.locator("#segments td.contact").all_inner_texts() == ["", "c2", "c2"]
        page.screenshot(path=browser_harness.screenshot_path("console_agent_day_zh.png"))

        for address, status, said in (
                (f"reports/agents?{MARCH}&team=A", 403, "团队 A 不是您所辖的团队。"),
                (f"reports/agents?{MARCH}&agent=amy", 403, "座席 amy 不在您所辖的组织单元内。"),
                (f"reports/agents?{MARCH}&agent=nobody", 400, "没有座席 nobody。"),
                (f"reports/agents?{MARCH}&queue=support", 400, "座席时间报表不按队列统计：请选择团队或座席。"),
                ("reports/agent-day?agent=amy&day=2026-03-28", 403, "座席 amy 不在您所辖的组织单元内。"),
                ("reports/agent-day?agent=&day=2026-03-28", 400, "请填写要查看哪位座席的一天。"),
                ("reports/agent-day?agent=carl&day=2026-13-01", 400, "不是有效日期：2026-13-01。请写作 2026-03-29。"),
                (f"reports/agents.xlsx?{MARCH}&team=A", 403, "团队 A 不是您所辖的团队。"),
                ("reports/agent-day.csv?agent=amy&day=2026-03-28", 403, "座席 amy 不在您所辖的组织单元内。")):
            reply = page.goto(console.url + address)
            assert (reply.status, refusal(page)) == (status, said), address
            assert page.locator("#agent-table, #segments").count() == 0  # nothing of another team's
        page.goto(console.url + f"reports/agents?{MARCH}&team=A")  # the refusal above the filters
        page.screenshot(path=browser_harness.screenshot_path("console_agent_time_refused_zh.png"))
    finally:
        context.close()

    context = chromium.new_context(viewport=WALL, locale="en-US")
    try:
        page = context.new_page()  # an agent never gets a sign-in, so no report
        page.goto(console.url + "signin")
        page.fill("input[name=username]", "amy")
        page.fill("input[name=password]", factories.PASSWORD)
        page.click("form#sign-in button[type=submit]")
        assert "The console is for supervisors" in page.inner_text("#refused")
        for address in (f"reports/agents?{MARCH}", "reports/agent-day?agent=amy&day=2026-03-28"):
            page.goto(console.url + address)
            assert page.url.endswith("/signin")
        for address in (f"reports/agents.csv?{MARCH}", "reports/agent-day.xlsx?agent=amy&day=2026-03-28"):
            assert page.request.get(console.url + address, max_redirects=0).status == 303
    finally:
        context.close()
