"""The Action Box through the application service, over real HTTPS on
PostgreSQL: the desktop sends whom the actions are for and the form's
values; the context is read and the action run on the service, linked to
the agent's call, with the layout of his profile and the service's sender.
Follow-ups, and the status of the emails one queued: a real mail queue
sends them to a real SMTP listener. Another's data refused, nothing without a session, bad input
refused as invalid."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

import factories
from action_box.layout import effective
from action_box.model import CallFacts
from action_box.registry import all_actions
from agent_desktop import crm_access
from app_harness import InProcessApp
from app_world import ServiceWorld
from mail_harness import relay  # noqa: F401 - fixture
from mailq_harness import make_mailq  # noqa: F401 - fixture
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import (
    BusinessPartner,
    BusinessTransaction,
    InstalledBaseItem,
    InteractionLink,
    OutboundEmail,
    Product,
    User,
)
from crm.services import calls
from crm.services.profiles import set_profile_setting
from crm.services.sessions import SessionEnded
from crm.services.users import create_org_unit
from crm.permissions import Actor

pytestmark = pytest.mark.postgres
SYSTEM = Actor.system()
ACTIONS = all_actions(effective(None))


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    world = ServiceWorld(tmp_path_factory.mktemp("actions"))
    with world.db.unit_of_work() as s:
        cc = create_org_unit(s, SYSTEM, kind="contact_center", code="CC", name="Contact center")
        site = create_org_unit(s, SYSTEM, kind="site", code="BJ", name="Beijing", parent=cc)
        team = create_org_unit(s, SYSTEM, kind="team", code="BJ-1", name="Billing team", parent=site)
        s.get(User, world.people["ann"].user_id).org_unit_id = team.id
        customer = factories.person(s, first="伟", last="张", phones=["13800138000"],
                                    emails=["zhang.wei@example.cn"], city="北京")
        router = Product(product_no="P000017", name="Wi-Fi 6 router", unit_price=Decimal("399.00"))
        s.add_all([router, Product(product_no="P000002", name="Fibre 300", unit_price=Decimal("199.00"))])
        s.flush()
        item = InstalledBaseItem(partner_id=customer.id, product_id=router.id, serial_no="SN-778")
        s.add(item)
        bobs = factories.person(s, first="Li", last="Na", emails=["li.na@example.cn"])
        s.flush()
        s.get(BusinessPartner, bobs.id).owner_id = world.people["bob"].user_id  # sam may not read it
        world.customer, world.item, world.bobs = customer.id, item.id, bobs.id
    yield world
    world.close()


def open_segment(service, call_id: str, agent: str = "ann") -> int:
    with service.db.unit_of_work() as s:
        return calls.open_call_segment(s, SYSTEM, contact_id=call_id, segment_no=1, agent=agent, ani="138",
                                       dnis="4001", queue="billing", direction="inbound",
                                       started_at=datetime.utcnow()).id


def facts(service, call_id: str | None = None, **more) -> dict:
    call = CallFacts(call_id, "13800138000", "4001", "billing", True) if call_id else None
    return dict(dict(partner_id=service.customer, call=call, answers={}, language="en",
                     sender="ceo@bank.example", email_templates=()), **more)


def defaults(action, context) -> dict:
    return {f.name: f.default for f in action.fields(context)}


def test_the_context_is_read_on_the_service_with_the_agents_profile_and_keeps_its_types(service):
    ann = service.signed_in("ann")
    context = crm_access.action_context(ann, **facts(service, answers={"product": "P000017"}))
    assert (context.partner.name, context.partner.emails, context.agent.username) == (
        "张伟", ("zhang.wei@example.cn",), "ann")
    assert context.partner.item_products == {service.item: "P000017"}  # keys are ids, not texts
    assert context.prices["P000017"] == (Decimal("399.00"), "CNY")
    assert context.answers == {"product": "P000017"}
    assert context.sender == "service@cicada.example"  # the service's, not what the desktop says
    assert {t["id"] for t in context.email_templates} >= {"thanks_en", "thanks_zh"}
    with service.db.unit_of_work() as s:
        set_profile_setting(s, SYSTEM, "action_box", {"email_templates": [
            {"id": "only_ours", "language": "en", "label": "Ours", "subject": "Hello", "body": "Hi"}],
            "hidden": ["thanks_en", "thanks_zh", "complaint_en", "complaint_zh"]},
            username="bob")
    bobs_context = crm_access.action_context(service.signed_in("bob"), **facts(service))
    assert [t["id"] for t in bobs_context.email_templates] == ["only_ours"]


def test_an_action_runs_on_the_service_and_is_linked_to_the_agents_call(service):
    ann = service.signed_in("ann")
    segment = open_segment(service, "call-a1")
    context = crm_access.action_context(ann, **facts(service, "call-a1", answers={"description": "reboots"}))
    form = defaults(ACTIONS["service_order"], context)
    assert form["item"] == str(service.item) and form["description"] == "reboots"
    done = crm_access.run_action(ann, ACTIONS["service_order"], context, form)  # a date among the values
    assert done.action_id == "service_order" and done.outcome.number.startswith("SV")
    assert done.interaction_id == segment
    with service.db.reading() as s:
        order = s.get(BusinessTransaction, done.outcome.transaction_id)
        assert (order.kind, order.installed_base_item_id, order.created_by_id) == (
            "service_order", service.item, service.people["ann"].user_id)
        assert s.scalars(select(InteractionLink.transaction_id).where(
            InteractionLink.interaction_id == segment)).all() == [order.id]


def test_a_callback_with_a_day_and_times_and_its_follow_up_completed(service):
    ann = service.signed_in("ann")
    context = crm_access.action_context(ann, **facts(service))
    form = dict(defaults(ACTIONS["callback"], context), day=date.today() + timedelta(days=2),
                from_time=time(9), to_time=time(11), assign="team:BJ-1")
    done = crm_access.run_action(ann, ACTIONS["callback"], context, form)
    mine = {f.transaction_id: f for f in crm_access.follow_ups(ann)}
    assert mine[done.outcome.transaction_id].for_team == "Billing team"
    assert done.outcome.transaction_id not in {f.transaction_id for f in crm_access.follow_ups(
        service.signed_in("bob"))}
    with pytest.raises(PermissionDenied):
        crm_access.complete_follow_up(service.signed_in("bob"), done.outcome.transaction_id)
    assert crm_access.complete_follow_up(ann, done.outcome.transaction_id) == done.outcome.number
    assert done.outcome.transaction_id not in {f.transaction_id for f in crm_access.follow_ups(ann)}
    with pytest.raises(ValidationError, match="completed already"):
        crm_access.complete_follow_up(ann, done.outcome.transaction_id)
    with pytest.raises(NotFound):
        crm_access.complete_follow_up(ann, 10_000_000)


def test_a_follow_up_email_is_queued_with_the_services_sender_and_only_its_writer_reads_its_status(service):
    ann = service.signed_in("ann")
    context = crm_access.action_context(ann, **facts(service))
    done = crm_access.run_action(ann, ACTIONS["email"], context, defaults(ACTIONS["email"], context))
    email_id = done.outcome.email_id
    with service.db.reading() as s:
        queued = s.get(OutboundEmail, email_id)
        assert (queued.sender, queued.to_address, queued.status) == (
            "service@cicada.example", "zhang.wei@example.cn", "queued")
    status, = crm_access.email_status(ann, [email_id])
    assert (status.id, status.status, status.to_address) == (email_id, "queued", "zhang.wei@example.cn")
    with pytest.raises(PermissionDenied):
        crm_access.email_status(service.signed_in("bob"), [email_id])
    assert [s.id for s in crm_access.email_status(service.signed_in("sue"), [email_id])] == [email_id]
    assert crm_access.email_status(ann, []) == []


def test_what_the_agent_may_not_read_or_do_is_refused_and_nothing_is_written(service):
    sam = service.signed_in("sam")
    with pytest.raises(PermissionDenied):
        crm_access.action_context(sam, **facts(service, partner_id=service.bobs))
    ann = service.signed_in("ann")
    context = crm_access.action_context(ann, **facts(service))
    with service.db.reading() as s:
        before = s.query(BusinessTransaction).count()
    with pytest.raises(ValidationError) as caught:
        crm_access.run_action(ann, ACTIONS["complaint"], context, {"description": "  ", "category": None})
    assert "Category: required" in str(caught.value) and "Description: required" in str(caught.value)
    with pytest.raises(ValidationError, match="in the past"):
        crm_access.run_action(ann, ACTIONS["callback"], context,
                              dict(defaults(ACTIONS["callback"], context), day=date(2020, 1, 1)))
    with pytest.raises(ValidationError, match="a date is needed"):
        ann.call("POST", "/v1/actions/callback/runs", dict, json={
            "facts": {"partner_id": service.customer}, "values": {**_json(defaults(ACTIONS["callback"], context)),
                                                                  "day": "next tuesday"}})
    with pytest.raises(NotFound, match="No action 'launch_rocket'"):
        ann.call("POST", "/v1/actions/launch_rocket/runs", dict, json={"facts": {"partner_id": service.customer}})
    with service.db.reading() as s:
        assert s.query(BusinessTransaction).count() == before


def test_nothing_without_a_session(service):
    signed_out = service.signed_in("ann")
    context = crm_access.action_context(signed_out, **facts(service))
    signed_out.sign_out()
    calls_ = (lambda c: crm_access.action_context(c, **facts(service)),
              lambda c: crm_access.run_action(c, ACTIONS["lead"], context, {"subject": "x"}),
              lambda c: crm_access.follow_ups(c), lambda c: crm_access.complete_follow_up(c, 1),
              lambda c: crm_access.email_status(c, [1]))
    for call in calls_:
        for client in (service.client(), signed_out):
            with pytest.raises(SessionEnded):
                call(client)


@pytest.mark.parametrize("body", [{"partner_id": 0}, {"partner_id": "abc"}, {"language": "x" * 40},
                                  {"answers": {str(n): n for n in range(501)}}, {"call": {"ani": "1" * 300}}])
def test_bad_facts_are_refused_as_invalid(service, body):
    with pytest.raises(ValidationError, match="^body"):
        service.signed_in("ann").call("POST", "/v1/action-context", dict, json=body)


def test_too_many_email_ids_are_refused_as_invalid(service):
    with pytest.raises(ValidationError):
        crm_access.email_status(service.signed_in("ann"), list(range(1, 300)))


def _json(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (date, time)) else v) for k, v in values.items()}


def test_the_mail_queue_sends_an_email_an_action_queued_and_the_agent_reads_that_it_was_sent(
        make_mailq, relay, tmp_path):
    from gateway_harness import PASSWORD
    from crm.db import Database

    inbox, smtp = relay
    mailq = make_mailq(relay_port=smtp.port)  # the only one holding the relay's address
    database = Database.open(mailq.db_url)
    with database.unit_of_work() as s:
        customer = factories.person(s, first="伟", last="张", emails=["zhang.wei@example.cn"]).id
    database.dispose()
    with InProcessApp(mailq.db_url, tmp_path / "app") as app, app.client() as ann:
        ann.sign_in("ann", PASSWORD)
        context = crm_access.action_context(ann, partner_id=customer, language="en")
        done = crm_access.run_action(ann, ACTIONS["email"], context, defaults(ACTIONS["email"], context))
        mailq.wait_until(lambda: inbox.messages, what="the email at the relay")
        message, = inbox.messages
        assert (message["To"], message["From"]) == ("zhang.wei@example.cn", "service@cicada.example")
        status = mailq.wait_until(lambda: next((e for e in crm_access.email_status(ann, [done.outcome.email_id])
                                                if e.status == "sent"), None), what="the email marked sent")
        assert status.id == done.outcome.email_id


def test_a_plugin_that_fails_half_way_leaves_nothing_and_the_agent_reads_why(service, monkeypatch):
    from dataclasses import dataclass

    from action_box import registry
    from action_box.model import ActionFailed, Field

    @dataclass(frozen=True)
    class Broken:
        id: str = "broken"
        label: str = "Broken"
        tab: str = "service"
        icon: str = ""
        needs: frozenset = frozenset({"partner"})

        def fields(self, context):
            return [Field("note", "Note")]

        def perform(self, session, actor, context, values):
            from crm.services import transactions

            transactions.create_task(session, actor, partner_id=context.partner.partner_id, subject="half",
                                     assignee="bob")
            raise RuntimeError("the ERP is down")

    monkeypatch.setattr(registry, "_plugin_entries", lambda: [("broken_plugin", Broken())])  # on the service
    ann = service.signed_in("ann")
    context = crm_access.action_context(ann, **facts(service))
    with service.db.reading() as s:
        before = s.query(BusinessTransaction).count()
    with pytest.raises(ActionFailed, match="^the action Broken failed: RuntimeError: the ERP is down. Nothing"):
        crm_access.run_action(ann, Broken(), context, {"note": "x"})
    with service.db.reading() as s:
        assert s.query(BusinessTransaction).count() == before
