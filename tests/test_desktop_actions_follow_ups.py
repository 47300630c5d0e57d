"""My follow-ups in the real desktop: a colleague's task and the agent's own
callback listed by due time, the customer opened read-only, Call puts the
number in the dial box, Done completes it in the CRM and takes it out of the
customer's business data on screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.clock import utcnow
from crm.db import Database
from crm.models import BusinessTransaction, User
from crm.permissions import Actor
from crm.services import transactions
from desktop_harness import add_person, desks  # noqa: F401 - fixtures
from gateway_harness import ANN_TONE, make_gateway, media, phone  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def follow_ups_for_ann(db_url: str, partner_id: int) -> tuple[str, str]:
    database = Database.open(db_url)
    with database.unit_of_work() as session:
        ann, bob = (Actor.for_user(session.scalar(select(User).where(User.username == name)))
                    for name in ("ann", "bob"))
        now = utcnow()
        task = transactions.create_task(session, bob, partner_id=partner_id, subject="Send the contract",
                                        assignee="ann", due=now + timedelta(days=2))
        callback = transactions.create_callback(session, ann, partner_id=partner_id, phone="13800138000",
                                                window_start=now + timedelta(hours=1),
                                                window_end=now + timedelta(hours=3))
        numbers = callback.number, task.number
    database.dispose()
    return numbers


def test_my_follow_ups_open_the_customer_call_back_and_are_marked_done(make_gateway, desks, media, phone, qtbot):
    gateway = make_gateway()
    partner_id = add_person(gateway.db_url, "张", "伟", phones=["13800138000"])
    callback_no, task_no = follow_ups_for_ann(gateway.db_url, partner_id)
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    window, page = desk.window, desk.window.action_box
    window.show_page("actions")
    qtbot.waitUntil(lambda: page.follow.count() == 2, timeout=10000)
    lines = [page.follow.item(i).text() for i in range(2)]
    assert callback_no in lines[0] and "13800138000" in lines[0] and "张伟" in lines[0]  # the sooner first
    assert task_no in lines[1] and "Send the contract" in lines[1]

    page.follow.setCurrentRow(1)
    assert not page.follow_call.isEnabled()  # a task has no number to call
    page.follow.setCurrentRow(0)
    asked = []
    page.call_requested.connect(asked.append)
    page.follow_call.click()
    assert asked == ["13800138000"] and window.dial_number.currentText() == "13800138000"

    dialog = page.open_follow_up_partner()
    qtbot.waitUntil(lambda: dialog.page.view is not None, timeout=10000)
    assert dialog.page.view.partner.partner_id == partner_id
    assert [i.text(0) for i in dialog.page.items_in("callback")] == [f"{callback_no} Callback 13800138000"]
    dialog.close()

    # Call dialled the customer, identified from the number: his business data lists the
    # callback until it is done
    business = window.business
    qtbot.waitUntil(lambda: len(business.items_in("callback")) == 1, timeout=10000)

    page.follow.setCurrentRow(0)
    page.follow_done.click()
    qtbot.waitUntil(lambda: page.follow.count() == 1, timeout=10000)
    assert task_no in page.follow.item(0).text() and callback_no in page.follow_status.text()
    qtbot.waitUntil(lambda: not business.items_in("callback"), timeout=10000)
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        assert session.scalar(select(BusinessTransaction.status).where(
            BusinessTransaction.number == callback_no)) == "completed"
    database.dispose()
