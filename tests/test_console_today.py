"""Today's figures on the wallboard and today's report from the CRM agree: real calls through a
real gateway (SIPp callers, one abandoned early, one late, one answered and wrapped up), the
console watching them live, then a console started afterwards that reads today from the CRM, and
`calls.queue_summary` over today; all three through crm/reports/definitions.py."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from admin_console.alerts.figures import local_midnight
from bus import cti
from console_harness import PASSWORD, RunningConsole, people
from crm.db import Database
from crm.permissions import Actor
from crm.services import calls
from test_console_wallboard import WALL, sign_in
from gateway_harness import ANN_TONE, CUSTOMER_TONE, customer, event, make_gateway, media, offered, phone  # noqa: F401

pytestmark = pytest.mark.slow

COMPARED = ("offered", "answered", "abandoned", "short_abandons", "service_level", "service_level_answered_only",
            "abandonment_rate", "asa", "aht")


def signed_in(console: RunningConsole, username: str = "sue") -> httpx.Client:
    client = httpx.Client(base_url=console.url, timeout=10)
    form = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = client.post("/signin", data={"csrf": csrf, "username": username, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return client


def today_on_the_wallboard(client: httpx.Client, queue: str, until=lambda today: True, timeout: float = 10.0) -> dict:
    """The queue's "today" in the pictures the wallboard's stream sends, once `until` holds."""
    deadline = time.monotonic() + timeout
    seen = None
    with client.stream("GET", "/wallboard/events", timeout=timeout) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                view = json.loads(line[6:])["view"]
                rows = [q for q in (view or {}).get("queues", []) if q["queue"] == queue]
                if rows:
                    seen = rows[0]["figures"]["today"]
                    if until(seen):
                        return seen
            if time.monotonic() > deadline:
                break
    raise AssertionError(f"today's figures of {queue} not reached; last seen {seen}")


def today_from_the_crm(db_url: str, queue: str) -> dict:
    start = datetime.fromtimestamp(local_midnight(time.time()), UTC).replace(tzinfo=None)
    database = Database.open(db_url)
    try:
        with database.reading() as session:
            summary = calls.queue_summary(session, Actor.system(), queue=queue, start=start,
                                          end=datetime.now(UTC).replace(tzinfo=None), service_level_seconds=20)
    finally:
        database.dispose()
    f = summary.figures
    return {"offered": f.entered, "answered": f.answered, "abandoned": f.abandoned,
            "short_abandons": f.short_abandons, "service_level": f.service_level,
            "service_level_answered_only": f.service_level_answered_only,
            "abandonment_rate": f.abandonment_rate, "asa": f.asa, "aht": f.aht}


def today_in_the_queue_report(db_url: str, queue: str) -> dict:
    """Today's row of the queue report (what `cicada report queue` and the console's report page
    show), in the machine's zone, whose midnight the wallboard's today starts at."""
    from zoneinfo import ZoneInfo

    from crm.reports.definitions import QueueThresholds
    from crm.reports.queue_report import Filters, QueueReport, default_zone_name, period

    zone = ZoneInfo(default_zone_name())
    midnight = datetime.fromtimestamp(local_midnight(time.time()), zone)
    database = Database.open(db_url)
    try:
        with database.reading() as session:
            today = period(midnight, midnight + timedelta(days=1), zone, "day")  # the next local midnight
            [row] = QueueReport(session, Actor.system(), today, Filters(queues=(queue,)),
                                lambda name: QueueThresholds()).queue_rows()
    finally:
        database.dispose()
    return {"offered": row.entered, "answered": row.answered, "abandoned": row.abandoned,
            "short_abandons": row.short_abandons, "service_level": row.service_level,
            "service_level_answered_only": row.service_level_answered_only,
            "abandonment_rate": row.abandonment_rate, "asa": row.asa, "aht": row.aht}


def rounded(figures: dict) -> dict:
    return {key: round(figures[key], 3) if isinstance(figures[key], float) else figures[key] for key in COMPARED}


def test_today_on_the_wallboard_live_and_read_back_agrees_with_the_report(make_gateway, media, phone, chromium,
                                                                          tmp_path):
    gateway = make_gateway(concurrent_calls=2)  # two callers wait at once
    people(gateway.db_url)
    watching = RunningConsole(tmp_path / "console", gateway).start()
    ann = gateway.desktop("ann", phone("ann", media(ANN_TONE), answer_ms=200).uri, ready=False)
    sue = signed_in(watching)
    try:
        assert today_on_the_wallboard(sue, "billing")["offered"] == 0
        early = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=1500, name="early", ani="13900000001")
        late = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=6500, name="late", ani="13900000002")
        assert early.wait(15).ok and late.wait(20).ok  # both hung up waiting: abandoned, the first short
        ann.set_mode("ready")
        answered = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=1500, name="answered",
                            ani="13900000003")
        call = offered(ann, 10)
        ann.command(cti.CallAccept, call_id=call.call_id)
        event(ann, cti.CallEnded, 15, call_id=call.call_id)
        assert answered.wait(15).ok
        gateway.wait_until(lambda: "wrapped_up" in gateway.queue_events(call.call_id), 10, "the wrap-up's end")

        live = today_on_the_wallboard(sue, "billing", until=lambda today: today["aht"] is not None)
        report = today_from_the_crm(gateway.db_url, "billing")
        assert (report["offered"], report["answered"], report["abandoned"], report["short_abandons"]) == (3, 1, 2, 1)
        assert rounded(live) == rounded(report)
        assert rounded(today_in_the_queue_report(gateway.db_url, "billing")) == rounded(report)
    finally:
        sue.close()
        watching.stop()

    read_back = RunningConsole(tmp_path / "console-later", gateway).start()  # today from the CRM alone
    zhou = signed_in(read_back, "zhou")
    try:
        later = today_on_the_wallboard(zhou, "billing", until=lambda today: today["offered"] == 3)
        assert rounded(later) == rounded(report)
        context = chromium.new_context(viewport=WALL, locale="en-US")  # and as the page shows it
        page = sign_in(context, read_back, "sue")
        today = page.locator(".figures-card[data-queue='billing'] tr.today")
        today.locator("td.abandoned").filter(has_text="2 (1 short)").wait_for(timeout=10_000)
        assert today.locator("td.abandonment-rate").inner_text() == "50 %"  # (2 - 1) / (3 - 1)
        assert today.locator("td.service-level").inner_text() == "50 %"  # 1 in 20 s / (3 - 1)
        context.close()
    finally:
        zhou.close()
        read_back.stop()
