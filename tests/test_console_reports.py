"""The console's report pages through the whole product: `cicada console` as a real server over
a CRM whose event log holds the hand-computed contacts of test_report_queue_report.py, and
Chromium (Playwright). A supervisor reads the queue report (each figure equal to
crm/reports/queue_report.py's, each formula on hover, the chart drawn), opens the contacts behind
a count and one contact's record, downloads the report as Excel (read back with openpyxl) and
the contact detail as CSV; another team's supervisor asking for that queue or team, bad ranges
and an agent are refused with a clear message, in English and Chinese."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

import browser_harness
from report_harness import BACKENDS, filled_crm
import factories
import ports
from bus.keys import ensure_keys
from conftest import migrate_test_database
from console_harness import RunningConsole
from crm.db import Database, make_engine
from crm.models import User
from crm.permissions import Actor
from crm.reports.definitions import QueueThresholds
from crm.reports.queue_report import Filters, QueueReport, period, queue_record
from test_console_wallboard import WALL
from test_report_queue_report import fill

pytestmark = pytest.mark.slow

BERLIN = ZoneInfo("Europe/Berlin")
MARCH = "from=2026-03-28&to=2026-03-29"
COUNTED = ["entered", "answered", "abandoned", "short_abandons", "left_otherwise", "overflowed", "answered_within",
           "handled", "transfers"]
RATIOS = {"service_level", "service_level_answered_only", "abandonment_rate"}
SHOWN = [*COUNTED, "asa", "longest_wait", "service_level", "service_level_answered_only", "abandonment_rate", "aht"]


@pytest.fixture(params=BACKENDS)
def crm_url(request, tmp_path):
    """A migrated CRM of each backend, with the hand-computed event log: team A (amy, bob, sue
    their supervisor), team B (carl, ted their supervisor, who reads Chinese), an administrator."""
    with filled_crm(request.param, tmp_path, fill) as url:
        yield url


@pytest.fixture
def console(crm_url, tmp_path, monkeypatch):
    """The console over that CRM, in Berlin's time (the console's zone), watching no gateway (the
    report pages need none: the wallboard says it is away)."""
    nowhere = f"tcp://127.0.0.1:{ports.free_port()}"
    key = ensure_keys(tmp_path / "keys", ["gateway"])["gateway"].public
    gateway = SimpleNamespace(commands=nowhere, events=nowhere, public_key=key, db_url=crm_url)
    monkeypatch.setenv("TZ", "Europe/Berlin")
    running = RunningConsole(tmp_path / "console", gateway).start()
    running.database_url = crm_url
    yield running
    running.stop()


def sign_in(context, console, username: str):
    page = context.new_page()
    page.goto(console.url + "signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form#sign-in button[type=submit]")
    page.wait_for_url("**/wallboard**")
    return page


def module_rows(console, username: str, interval: str = "day") -> list:
    """The report as crm/reports/queue_report.py makes it, with the user's rights and the
    console's default thresholds (T = 20 s, τ = 5 s, abandons count against)."""
    database = Database.open(console.database_url)
    try:
        with database.reading() as session:
            actor = Actor.for_user(session.query(User).filter_by(username=username).one())
            p = period(datetime(2026, 3, 28), datetime(2026, 3, 30), BERLIN, interval)
            return list(QueueReport(session, actor, p, Filters(), lambda queue: QueueThresholds()).queue_rows())
    finally:
        database.dispose()


def shown_value(text: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    return float(text.rstrip(" %")) / 100 if text.endswith("%") else float(text)


def test_a_supervisor_reads_the_report_follows_a_count_and_downloads_it(console, chromium, tmp_path):
    context = chromium.new_context(viewport=WALL, locale="en-US", accept_downloads=True)
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.click("#reports-link")
        page.wait_for_url("**/reports")
        page.fill("input[name=from]", "2026-03-28")
        page.fill("input[name=to]", "2026-03-29")
        page.select_option("select[name=interval]", "day")
        page.click("#show-report")
        page.wait_for_selector("#report-chart[data-drawn='1']")
        assert "Europe/Berlin" in page.inner_text("#zone-note")

        expected = module_rows(console, "sue")
        assert [row.queue for row in expected] == ["support", "support"]  # not team B's sales queue
        table_rows = page.locator("#report-table tbody tr")
        assert table_rows.count() == 2
        for index, row in enumerate(expected):
            shown = table_rows.nth(index)
            assert shown.locator("td.interval").inner_text() == row.start.strftime("%Y-%m-%d")
            for name in SHOWN:  # as shown (0.1 s, 0.1 %), and exactly in the cell's value
                cell, exact = shown.locator(f"td.{name}"), getattr(row, name)
                precision = 0.000501 if name in RATIOS else 0.0501  # half the last digit shown
                assert shown_value(cell.inner_text()) == pytest.approx(exact, abs=precision), (index, name)
                assert shown_value(cell.get_attribute("data-value")) == exact, (index, name)
        service_level = page.locator("#report-table th[data-figure=service_level] abbr").get_attribute("title")
        assert service_level == ("Service level, abandons count against = answered within T / "
                                 "(left the queue − short abandons).")
        assert page.locator("#report-table th[data-figure=asa] abbr").get_attribute("title").startswith(
            "ASA (average speed of answer) = total wait of answered contacts / answered")
        page.screenshot(path=browser_harness.screenshot_path("console_report.png"))

        page.locator("#report-table tbody tr").first.locator("td.answered a").click()
        page.wait_for_url("**/reports/contacts?**")
        assert page.inner_text("#contacts-title") == "Answered · support · 2026-03-28"
        contacts = page.locator("#contacts tr.contact")
        assert sorted(contacts.nth(i).get_attribute("data-contact") for i in range(contacts.count())) == [
            "c1", "c4", "c5", "c9"]
        assert "Answered: the contacts an agent answered." in page.inner_text("#contacts-formula")
        first = page.locator("#contacts tr.contact[data-contact=c1]")
        assert first.locator("td.agent").inner_text() == "amy" and first.locator("td.wait").inner_text() == "10.0"
        record = page.locator("#contacts tr.contact-record").first
        assert not record.is_visible()
        first.locator("td.contact_id a").click()  # the contact's record: every time and code
        record.wait_for(state="visible")
        assert record.locator("dd[data-field=talk]").inner_text() == "120.0"
        assert record.locator("dd[data-field=ended_by]").inner_text() == "The customer"
        assert record.locator("dd[data-field=offered_at]").inner_text() == "2026-03-28 09:00:05"
        page.screenshot(path=browser_harness.screenshot_path("console_report_contacts.png"))

        with page.expect_download() as drilled:
            page.click("#export-csv")
        drilled_rows = list(csv.DictReader(io.StringIO(read_download(drilled.value, tmp_path).decode("utf-8-sig"))))
        assert sorted(row["contact_id"] for row in drilled_rows) == ["c1", "c4", "c5", "c9"]
        assert drilled.value.suggested_filename == "contacts_support_answered_2026-03-28T0000.csv"

        page.click("#back-to-report")
        page.wait_for_selector("#report-chart[data-drawn='1']")
        with page.expect_download() as excel:
            page.click("#export-xlsx")
        assert excel.value.suggested_filename == "queue-report_2026-03-28_2026-03-29.xlsx"
        book = load_workbook(io.BytesIO(read_download(excel.value, tmp_path)), read_only=True)
        sheet = [list(values) for values in book.active.iter_rows(values_only=True)]
        header, data = sheet[0], sheet[1:]
        assert data == [[queue_record(row)[name] for name in header] for row in expected]

        with page.expect_download() as detail:
            page.click("#export-contacts-csv")
        assert detail.value.suggested_filename == "contacts_2026-03-28_2026-03-29.csv"
        rows = list(csv.DictReader(io.StringIO(read_download(detail.value, tmp_path).decode("utf-8-sig"))))
        assert sorted(row["contact_id"] for row in rows) == sorted(f"c{n}" for n in range(1, 14))
        assert {row["queue"] for row in rows} == {"support"}
    finally:
        context.close()
    assert "Traceback" not in console.log()


def read_download(download, tmp_path) -> bytes:
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    return target.read_bytes()


NOT_HIS_QUEUE = "队列 support 不是您的队列：它不属于您所辖的任何组织单元，此时间范围内您的座席也未在其中工作。"


def refusal(page) -> str:
    return page.inner_text("#report-error")


def test_what_is_not_his_bad_ranges_and_agents_are_refused_in_his_language(console, chromium):
    context = chromium.new_context(viewport=WALL, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "ted")  # team B's supervisor, in Chinese
        page.goto(console.url + f"reports?{MARCH}&interval=day")
        page.wait_for_selector("#report-chart[data-drawn='1']")
        rows = page.locator("#report-table tbody tr")
        assert [rows.nth(i).get_attribute("data-queue") for i in range(rows.count())] == ["sales", "sales"]
        expected = module_rows(console, "ted")
        assert rows.first.locator("td.answered").inner_text() == str(expected[0].answered) == "1"
        assert page.locator("#reports-link").inner_text() == "报表"
        assert page.locator("#report-table th[data-figure=abandonment_rate] abbr").get_attribute("title") == (
            "放弃率 = （放弃 − 短时放弃）/ （进入 − 短时放弃）。")
        page.screenshot(path=browser_harness.screenshot_path("console_report_zh.png"))
        rows.first.locator("td.answered a").click()
        page.wait_for_url("**/reports/contacts?**")
        assert page.inner_text("#contacts-title") == "接听 · sales · 2026-03-28"
        assert page.locator("#contacts tr.contact td.outcome").all_inner_texts() == ["接听"]
        page.locator("#contacts td.contact_id a").first.click()
        page.locator("#contacts tr.contact-record").first.wait_for(state="visible")
        page.screenshot(path=browser_harness.screenshot_path("console_report_contacts_zh.png"))

        for asked, status, said in (
                ("queue=support", 403, NOT_HIS_QUEUE),
                ("team=A", 403, "团队 A 不是您所辖的团队。"),
                ("agent=amy", 403, "座席 amy 不在您所辖的组织单元内。"),
                ("queue=nowhere", 400, "配置和事件日志中都没有队列 nowhere。")):
            reply = page.goto(console.url + f"reports?{MARCH}&{asked}")
            assert (reply.status, refusal(page)) == (status, said), asked
            assert page.locator("#report-table").count() == 0  # no figure of another team's
        reply = page.goto(console.url + f"reports/contacts.csv?{MARCH}&queue=support")
        assert (reply.status, refusal(page)) == (403, NOT_HIS_QUEUE)
        drilled = page.goto(console.url + f"reports/contacts?{MARCH}&count=answered&in=support"
                                          "&start=2026-03-28T00:00:00%2B01:00&end=2026-03-29T00:00:00%2B01:00")
        assert drilled.status == 403 and page.locator("#contacts").count() == 0

        page.goto(console.url + "reports")  # the form: a last day before the first
        page.fill("input[name=from]", "2026-03-29")
        page.fill("input[name=to]", "2026-03-28")
        page.click("#show-report")
        assert refusal(page) == "时间范围的结束早于开始：请选择不早于开始日期的结束日期。"
        page.screenshot(path=browser_harness.screenshot_path("console_report_refused_zh.png"))
        reply = page.goto(console.url + "reports?from=2026-01-01&to=2026-06-30&interval=15min")
        assert (reply.status, refusal(page)) == (
            400, "按15 分钟的报表最多涵盖 92 天；此范围有 181 天：请选择更长的间隔或更短的范围。")
        reply = page.goto(console.url + "reports?from=2026-02-30")
        assert (reply.status, refusal(page)) == (400, "不是有效日期：2026-02-30。请写作 2026-03-29。")
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
        page.goto(console.url + f"reports?{MARCH}")
        assert page.url.endswith("/signin")
        assert page.request.get(console.url + f"reports/queue.csv?{MARCH}", max_redirects=0).status == 303
    finally:
        context.close()


def test_a_supervisor_reads_the_queues_of_his_org_unit_as_configured_even_with_no_contact_in_them(tmp_path):
    import re
    import warnings

    from admin_console.app import ConsoleSettings, create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from starlette.testclient import TestClient

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate_test_database(make_engine(url))
    database = Database.open(url)
    fill(database)  # its users' password is factories.PASSWORD
    database.dispose()
    nowhere = f"tcp://127.0.0.1:{ports.free_port()}"
    key = ensure_keys(tmp_path / "keys", ["gateway"])["gateway"].public.decode()
    app = create_app(ConsoleSettings(url, gateway_commands=nowhere, gateway_events=nowhere, gateway_key=key,
                                     gateway_timeout=0.5, queue_org_units={"quiet": ("A",)}))

    def report_queues(username: str, query: str = ""):
        with TestClient(app, base_url="http://127.0.0.1") as client:
            form = client.get("/signin")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            client.post("/signin", data={"csrf": csrf, "username": username, "password": factories.PASSWORD})
            page = client.get("/reports?" + MARCH + query)
            return page.status_code, set(re.findall(r'<option value="([^"]+)"', page.text))

    status, options = report_queues("sue")
    assert status == 200 and "quiet" in options  # team A's queue, though no call entered it
    assert report_queues("sue", "&queue=quiet")[0] == 200
    status, options = report_queues("ted")
    assert "quiet" not in options  # team B's supervisor: not his
    assert report_queues("ted", "&queue=quiet")[0] == 403
