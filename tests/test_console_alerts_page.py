"""The Alerts page, in process against a real SQLite CRM: signed in only, the scope's alerts kept
in the CRM, in the supervisor's language."""

from __future__ import annotations

from datetime import datetime

from admin_console.alerts.monitor import NOT_READY, WAITING
from admin_console.alerts.store import scope_key
from crm.services import console_alerts
from test_console_signin import console, sign_in  # noqa: F401 - the console fixture


def test_the_alerts_page_needs_a_sign_in_and_lists_the_scopes_alerts_kept(console):  # noqa: F811
    assert console.get("/alerts", follow_redirects=False).headers["location"] == "/signin"
    sign_in(console, "zhou")  # a Chinese-speaking supervisor of ann's team
    assert "还没有告警。" in console.get("/alerts").text
    [signed] = console.app.state.sign_ins.open.values()
    with console.database.unit_of_work() as session:
        console_alerts.started(session, scope="all", kind=NOT_READY, queue=None, agent="ann", reason="break",
                               threshold=900, worst=960, at=datetime(2026, 12, 7, 9, 0))  # an administrator's
        console_alerts.started(session, scope=scope_key(signed.scope), kind=WAITING, queue="billing", agent=None,
                               reason=None, threshold=5, worst=7, at=datetime(2026, 12, 7, 9, 5))
    page = console.get("/alerts").text
    assert "billing：排队来电超过 5 个" in page and "仍在持续" in page and "break" not in page
