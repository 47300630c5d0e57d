"""The console's agent performance and email and chat pages through the whole product: `cicada
console` as a real server, configured with the mail queues of test_report_performance_mail_cli.py
([[mailq.queues]]: due times and org units), over a CRM holding the hand-computed log, records and
callbacks of test_report_performance_mail.py, on SQLite and PostgreSQL, and Chromium
(Playwright). A supervisor reads both reports from the Reports page's tabs (each figure equal to
the modules', formulas on hover, the roll-ups set apart) and downloads them as Excel (read back
with openpyxl); another team's supervisor reads his own in Chinese and is refused what is not his."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

import browser_harness
from report_harness import BACKENDS, filled_crm
import ports
from bus.keys import ensure_keys
from console_harness import RunningConsole
from crm.db import Database
from crm.models import User
from crm.permissions import Actor
from crm.reports.agent_performance import performance_columns
from crm.reports.mail_report import MAIL_COLUMNS
from crm.reports.queue_report import Filters
from test_console_reports import read_download, refusal, sign_in
from test_console_wallboard import WALL
from test_report_performance_mail import AMY_28, fill, mail, performance
from test_report_performance_mail_cli import CONFIG

pytestmark = pytest.mark.slow

DAYS = "from=2026-03-28&to=2026-03-29&interval=day"
# the mail queue's configuration (its queues and rules) and τ of the chat queue, as `cicada report mail` reads them
MAILQ_CONFIG = CONFIG


@pytest.fixture(params=BACKENDS)
def crm_url(request, tmp_path):
    """A migrated CRM of each backend with the hand-computed log: team A (amy, bob, sue their
    supervisor), team B (carl, ted their supervisor, who reads Chinese), site S, center CC."""
    with filled_crm(request.param, tmp_path, fill) as url:
        yield url


@pytest.fixture
def console(crm_url, tmp_path, monkeypatch):
    """The console over that CRM in UTC (the fixtures' zone), with the mail queues configured and
    watching no gateway nor mail queue (the report pages need neither)."""
    nowhere = f"tcp://127.0.0.1:{ports.free_port()}"
    key = ensure_keys(tmp_path / "keys", ["gateway"])["gateway"].public
    gateway = SimpleNamespace(commands=nowhere, events=nowhere, public_key=key, db_url=crm_url)
    monkeypatch.setenv("TZ", "UTC")
    running = RunningConsole(tmp_path / "console", gateway, more_config=MAILQ_CONFIG).start()
    running.database_url = crm_url
    yield running
    running.stop()


def as_module(console, username: str, report, filters):
    """The module's records with the user's rights: report(database, actor, filters)."""
    database = Database.open(console.database_url)
    try:
        with database.reading() as session:
            actor = Actor.for_user(session.query(User).filter_by(username=username).one())
        return report(database, actor, filters=filters)
    finally:
        database.dispose()


def table(page, selector: str) -> list[dict[str, str]]:
    """Each row of a report table: its data attributes and each figure's exact value."""
    return page.eval_on_selector_all(f"{selector} tbody tr", """rows => rows.map(row => Object.assign(
        {}, row.dataset, Object.fromEntries([...row.querySelectorAll("td[data-figure]")].map(
            cell => [cell.dataset.figure, cell.dataset.value]))))""")


def exact(value) -> str:
    return "" if value is None else repr(value)


def excel(page, tmp_path) -> list[list]:
    with page.expect_download() as download:
        page.click("#export-xlsx")
    book = load_workbook(io.BytesIO(read_download(download.value, tmp_path)), read_only=True)
    return [list(values) for values in book.active.iter_rows(values_only=True)]


def the_page_does_not_scroll_sideways(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= WALL["width"]


def test_a_supervisor_reads_performance_and_email_and_chat_and_downloads_both(console, chromium, tmp_path):
    context = chromium.new_context(viewport=WALL, locale="en-US", accept_downloads=True)
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.click("#reports-link")
        page.wait_for_url("**/reports")
        page.click("#performance-link")
        page.wait_for_url("**/reports/performance")
        page.fill("input[name=from]", "2026-03-28")
        page.fill("input[name=to]", "2026-03-29")
        page.select_option("select[name=interval]", "day")
        page.click("#show-report")
        page.wait_for_selector("#performance-chart[data-drawn='1']")

        records, codes = as_module(console, "sue", performance, Filters())
        assert codes == (("billing", "delivery"), ("escalated", "solved"))
        shown = table(page, "#performance-table")
        assert [(row["level"], row["agent"] or row["unit"]) for row in shown] == [
            ("agent", "amy"), ("agent", "bob"), ("team", "A")] * 2  # not team B's carl, nor site or center
        for row, record in zip(shown, records, strict=True):
            for name in performance_columns(*codes)[5:]:
                assert row[name] == exact(record[name]), (row, name)
        amy = page.locator("#performance-table tbody tr").first
        assert amy.locator("td.phone_aht").inner_text() == "350.0" == f"{AMY_28['phone_aht']:.1f}"
        assert amy.locator("td.reason_billing").inner_text() == "2"
        assert page.locator("th[data-figure=phone_aht] abbr").get_attribute("title") == (
            "AHT (average handle time) = (talk + hold + wrap-up) / handled, in seconds.")
        assert page.locator("th[data-figure=outcome_solved] abbr").get_attribute("title") == (
            "Interaction records with the outcome code solved.")
        team = page.locator("#performance-table tr.rollup").first
        background = "el => getComputedStyle(el).backgroundColor"
        assert team.locator("td.holds").evaluate(background) != amy.locator("td.holds").evaluate(background)
        chart = json.loads(page.locator("#performance-chart").get_attribute("data-chart"))
        assert chart["labels"] == ["amy", "bob"]
        assert [one["data"] for one in chart["states"]] == [[3, 0], [1, 1], [2, 0]]  # calls, emails, chats
        the_page_does_not_scroll_sideways(page)
        page.screenshot(path=browser_harness.screenshot_path("console_performance.png"))
        sheet = excel(page, tmp_path)
        assert tuple(sheet[0]) == performance_columns(*codes)
        assert sheet[1:] == [[record[name] for name in sheet[0]] for record in records]

        page.click("#mail-report-link")
        page.wait_for_url("**/reports/mail")
        page.fill("input[name=from]", "2026-03-28")
        page.fill("input[name=to]", "2026-03-29")
        page.select_option("select[name=interval]", "day")
        page.click("#show-report")
        page.wait_for_selector("#mail-table")
        expected = as_module(console, "sue", mail, Filters(channel=""))
        shown = table(page, "#mail-table")
        assert [(row["queue"], row["channel"], row["agent"]) for row in shown] == [
            (r["queue"], r["channel"], r["agent"] or "") for r in expected]
        assert {row["queue"] for row in shown} == {"service", "web-chat"}  # not team B's vip
        for row, record in zip(shown, expected, strict=True):
            for name in MAIL_COLUMNS[8:]:
                assert row[name] == exact(record[name]), (row, name)
        service = page.locator("#mail-table tr[data-queue=service][data-level=queue]").first
        assert service.locator("td.due").inner_text() == "3600.0"
        assert service.locator("td.share_within_due").inner_text() == "20.0 %"  # 1 / 5
        assert service.locator("td.first_response_time").inner_text() == "6300.0"
        assert page.locator("#mail-table th[data-figure=resolution_time] abbr").get_attribute("title") == (
            "Average resolution time = total (first resolution of the visit − opening) / resolved, in seconds.")
        the_page_does_not_scroll_sideways(page)
        page.screenshot(path=browser_harness.screenshot_path("console_mail_report.png"))
        sheet = excel(page, tmp_path)
        assert tuple(sheet[0]) == MAIL_COLUMNS
        assert sheet[1:] == [[record[name] for name in MAIL_COLUMNS] for record in expected]

        page.select_option("select[name=channel]", "chat")  # the chats only
        page.click("#show-report")
        page.wait_for_url("**channel=chat**")
        shown = table(page, "#mail-table")
        chats = [r for r in expected if r["channel"] == "chat"]
        assert [(row["queue"], row["agent"], row["answered"]) for row in shown] == [
            (r["queue"], r["agent"] or "", repr(r["answered"])) for r in chats]
    finally:
        context.close()
    assert "Traceback" not in console.log()


def test_another_teams_supervisor_reads_his_in_chinese_and_is_refused_the_other_team(console, chromium):
    context = chromium.new_context(viewport=WALL, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "ted")  # team B's supervisor, in Chinese
        page.goto(console.url + f"reports/performance?{DAYS}")
        page.wait_for_selector("#performance-chart[data-drawn='1']")
        shown = table(page, "#performance-table")
        assert [row["agent"] or row["unit"] for row in shown] == ["carl", "B"] * 2
        records, _ = as_module(console, "ted", performance, Filters())
        assert shown[2]["chat_aht"] == repr(records[2]["chat_aht"]) == "300.0"
        assert page.locator("#performance-link").inner_text() == "座席绩效"
        assert page.locator("th[data-figure=phone_handled] abbr").inner_text() == "已处理电话"
        the_page_does_not_scroll_sideways(page)
        page.screenshot(path=browser_harness.screenshot_path("console_performance_zh.png"))

        page.goto(console.url + f"reports/mail?{DAYS}")
        page.wait_for_selector("#mail-table")
        shown = table(page, "#mail-table")
        assert {(row["queue"], row["channel"]) for row in shown} == {
            ("vip", "email"), ("vip", "chat"), ("web-chat", "chat")}  # his unit's vip; carl worked in web-chat
        assert "amy" not in {row["agent"] for row in shown}
        assert page.locator("#mail-report-link").inner_text() == "邮件和聊天报表"
        the_page_does_not_scroll_sideways(page)
        page.screenshot(path=browser_harness.screenshot_path("console_mail_report_zh.png"))

        not_his_queue = "队列 service 不是您的队列：它不属于您所辖的任何组织单元，此时间范围内您的座席也未在其中工作。"
        for address, status, said in (
                (f"reports/performance?{DAYS}&team=A", 403, "团队 A 不是您所辖的团队。"),
                (f"reports/performance?{DAYS}&agent=amy", 403, "座席 amy 不在您所辖的组织单元内。"),
                (f"reports/performance?{DAYS}&queue=support", 400, "座席绩效报表不按队列统计：请选择团队或座席。"),
                (f"reports/performance.xlsx?{DAYS}&team=A", 403, "团队 A 不是您所辖的团队。"),
                (f"reports/mail?{DAYS}&queue=service", 403, not_his_queue),
                (f"reports/mail?{DAYS}&team=A", 403, "团队 A 不是您所辖的团队。"),
                (f"reports/mail?{DAYS}&queue=nothing", 400, "配置和事件日志中都没有邮件或聊天队列 nothing。"),
                (f"reports/mail?{DAYS}&channel=phone", 400, "邮件和聊天报表没有电话渠道：电话请看队列报表。"),
                (f"reports/mail?{DAYS}&channel=fax", 400, "未知渠道 fax：请选择邮件、聊天或两者。"),
                (f"reports/mail.csv?{DAYS}&queue=service", 403, not_his_queue)):
            reply = page.goto(console.url + address)
            assert (reply.status, refusal(page)) == (status, said), address
            assert page.locator("#performance-table, #mail-table").count() == 0  # nothing of another team's
        page.goto(console.url + f"reports/mail?{DAYS}&queue=service")
        page.screenshot(path=browser_harness.screenshot_path("console_mail_report_refused_zh.png"))
    finally:
        context.close()
