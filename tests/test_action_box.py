"""The action box without a screen, on SQLite and PostgreSQL: every built-in
action with its pre-filled form and the linked object it creates, the guard
rails (missing context, bad input, a failing handler: nothing half-written),
the layout inherited down the org hierarchy, and the plugin interface."""

from __future__ import annotations

import sys
import textwrap
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import factories
from action_box import execute
from action_box.builtin import BUILTIN
from action_box.context import load_context
from action_box.layout import DEFAULT_LAYOUT, check_layout, effective, tabs
from action_box.model import CallFacts, Outcome, unavailable
from action_box.registry import all_actions
from crm.errors import NotFound, ValidationError
from crm.models import (
    BusinessTransaction,
    InstalledBaseItem,
    InteractionLink,
    OutboundEmail,
    Product,
    UserRole,
)
from crm.permissions import Actor
from crm.services import calls
from crm.services.profiles import agent_profile, set_profile_setting
from crm.services.users import create_org_unit

SYSTEM = Actor.system()
NOW = datetime(2026, 12, 1, 10, 0)
ACTIONS = {a.id: a for a in BUILTIN}


@pytest.fixture
def world(db):
    """ann (agent in team BJ-1), bob, a customer with an installed router, the catalogue."""
    with db.unit_of_work() as s:
        cc = create_org_unit(s, SYSTEM, kind="contact_center", code="CC", name="Contact center")
        bj = create_org_unit(s, SYSTEM, kind="site", code="BJ", name="Beijing", parent=cc)
        team = create_org_unit(s, SYSTEM, kind="team", code="BJ-1", name="Billing team", parent=bj)
        ann = factories.user(s, "ann")
        bob = factories.user(s, "bob")
        from crm.models import User
        s.get(User, ann.user_id).org_unit_id = team.id
        s.get(User, ann.user_id).email = "ann@cicada.example"
        customer = factories.person(s, first="伟", last="张", phones=["13800138000", "010-65529988"],
                                    emails=["zhang.wei@example.cn"], city="北京")
        router = Product(product_no="P000017", name="Wi-Fi 6 router", unit_price=Decimal("399.00"))
        fibre = Product(product_no="P000002", name="Fibre 300", unit_price=Decimal("199.00"))
        s.add_all([router, fibre, Product(product_no="P000099", name="Old modem", unit_price=Decimal("1"),
                                          is_active=False)])
        s.flush()
        item = InstalledBaseItem(partner_id=customer.id, product_id=router.id, serial_no="SN-778")
        s.add(item)
        s.flush()
        return {"ann": ann, "bob": bob, "customer": customer.id, "item": item.id}


def context(db, world, *, partner=True, call_id="call-1", answers=None, active=True):
    with db.reading() as s:
        return load_context(
            s, world["ann"], partner_id=world["customer"] if partner else None,
            call=CallFacts(call_id, "13800138000", "4001", "billing", active) if call_id else None,
            answers=answers, email_templates=tuple(DEFAULT_LAYOUT["email_templates"]), now=NOW)


def defaults(action, ctx) -> dict:
    return {f.name: f.default for f in action.fields(ctx)}


def count(db, model) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(model))


def open_segment(db, call_id="call-1", agent="ann") -> int:
    with db.unit_of_work() as s:
        return calls.open_call_segment(s, SYSTEM, contact_id=call_id, segment_no=1, agent=agent, ani="138",
                                       dnis="4001", queue="billing", direction="inbound", started_at=NOW).id


def linked(db, interaction_id: int) -> list[str]:
    with db.reading() as s:
        return list(s.scalars(select(BusinessTransaction.number).join(
            InteractionLink, InteractionLink.transaction_id == BusinessTransaction.id)
            .where(InteractionLink.interaction_id == interaction_id)))


def test_without_a_confirmed_caller_every_action_says_why_it_is_disabled(db, world):
    ctx = context(db, world, partner=False)
    assert {a.id: unavailable(a, ctx) for a in BUILTIN} == {a.id: "confirm the caller first" for a in BUILTIN}
    with pytest.raises(ValidationError, match="confirm the caller first"):
        execute.run(db, world["ann"], ACTIONS["complaint"], ctx, {})


def test_a_service_order_for_the_installed_router_is_prefilled_created_and_linked(db, world):
    segment = open_segment(db)
    ctx = context(db, world, answers={"description": "router reboots every hour"})
    form = defaults(ACTIONS["service_order"], ctx)
    assert form["item"] == str(world["item"]) and form["description"] == "router reboots every hour"
    assert form["requested_date"] == date(2026, 12, 2)
    done = execute.run(db, world["ann"], ACTIONS["service_order"], ctx, form)
    assert done.outcome.number.startswith("SV") and done.interaction_id == segment
    assert linked(db, segment) == [done.outcome.number]
    with db.reading() as s:
        order = s.get(BusinessTransaction, done.outcome.transaction_id)
        assert (order.kind, order.installed_base_item_id, order.subject) == (
            "service_order", world["item"], "Wi-Fi 6 router SN-778")


def test_the_scripts_product_picks_the_installed_item_of_that_product_and_its_severity_the_priority(db, world):
    with db.unit_of_work() as s:  # a second item: the router's label no longer decides
        fibre = s.scalar(select(Product).where(Product.product_no == "P000002"))
        s.add(InstalledBaseItem(partner_id=world["customer"], product_id=fibre.id, serial_no="FX-1"))
    ctx = context(db, world, answers={"product": "P000017", "severity": "high"})
    form = defaults(ACTIONS["service_order"], ctx)
    assert form["item"] == str(world["item"]) and form["priority"] == "high"
    assert defaults(ACTIONS["complaint"], ctx)["priority"] == "high"
    ctx = context(db, world, answers={"product": "P000002", "severity": "medium"})
    form = defaults(ACTIONS["service_order"], ctx)
    assert form["item"] != str(world["item"]) and form["item"] is not None and form["priority"] == "normal"
    assert defaults(ACTIONS["service_order"], context(db, world, answers={"product": "P000099"}))["item"] is None


def test_a_complaint_takes_its_category_and_product_from_the_script(db, world):
    ctx = context(db, world, answers={"category": "outage", "product": "P000017", "description": "down"})
    form = defaults(ACTIONS["complaint"], ctx)
    assert (form["category"], form["product"], form["description"]) == ("service_outage", "P000017", "down")
    done = execute.run(db, world["ann"], ACTIONS["complaint"], ctx, form)
    assert done.interaction_id is None  # the gateway has not recorded the call: linked at End
    with db.reading() as s:
        complaint = s.get(BusinessTransaction, done.outcome.transaction_id)
        assert (complaint.category, complaint.product_id is not None) == ("service_outage", True)


def test_a_sales_order_prices_from_the_catalogue_and_delivers_to_the_partners_address(db, world):
    ctx = context(db, world, answers={"product": "P000002"})
    form = defaults(ACTIONS["sales_order"], ctx)
    assert form["lines"] == [("P000002", 1)] and "北京" in form["delivery_address"]
    form["lines"] = [("P000002", 2), ("P000017", "1")]
    done = execute.run(db, world["ann"], ACTIONS["sales_order"], ctx, form)
    with db.reading() as s:
        order = s.get(BusinessTransaction, done.outcome.transaction_id)
        assert order.amount == Decimal("797.00") and len(order.items) == 2
        assert "北京" in order.delivery_address


@pytest.mark.parametrize("lines, complaint", [
    ([("P404", 1)], "no product P404"),
    ([("P000002", 0)], "quantity must be more than 0"),
    ([("P000099", 1)], "no longer sold"),
    ([("P000002", "many")], "not a number"),
])
def test_a_bad_sales_order_is_refused_and_nothing_is_written(db, world, lines, complaint):
    ctx = context(db, world)
    before = count(db, BusinessTransaction)
    with pytest.raises((ValidationError, NotFound), match=complaint):
        execute.run(db, world["ann"], ACTIONS["sales_order"], ctx,
                    {"lines": lines, "delivery_address": "somewhere"})
    assert count(db, BusinessTransaction) == before


def test_missing_required_fields_are_all_named_before_anything_is_written(db, world):
    ctx = context(db, world)
    with pytest.raises(ValidationError) as caught:
        execute.run(db, world["ann"], ACTIONS["complaint"], ctx, {"description": "  ", "category": None})
    assert "Category: required" in str(caught.value) and "Description: required" in str(caught.value)
    assert count(db, BusinessTransaction) == 0


def test_a_callback_goes_to_the_agent_or_a_team_and_not_into_the_past(db, world):
    ctx = context(db, world, answers={"callback_date": "2026-12-03"})
    form = defaults(ACTIONS["callback"], ctx)
    assert (form["phone"], form["day"], form["assign"]) == ("13800138000", date(2026, 12, 3), "me")
    assert ("team:BJ-1", "Billing team (team)") in next(
        f.choices for f in ACTIONS["callback"].fields(ctx) if f.name == "assign")
    done = execute.run(db, world["ann"], ACTIONS["callback"], ctx, dict(form, assign="team:BJ-1"))
    with db.reading() as s:
        callback = s.get(BusinessTransaction, done.outcome.transaction_id)
        assert callback.owner_id is None and callback.team_id is not None
        assert callback.callback_phone == "13800138000" and callback.window_end > callback.window_start
    with pytest.raises(ValidationError, match="in the past"):
        execute.run(db, world["ann"], ACTIONS["callback"], ctx, dict(form, day=date(2026, 11, 1)))
    with pytest.raises(ValidationError, match="ends before it starts"):
        execute.run(db, world["ann"], ACTIONS["callback"], ctx, dict(form, from_time=time(15), to_time=time(9)))


def test_a_lead_a_task_and_a_follow_up_email(db, world):
    ctx = context(db, world, answers={"product": "P000002"})
    lead_form = defaults(ACTIONS["lead"], ctx)
    assert lead_form["subject"] == "Fibre 300"
    lead = execute.run(db, world["ann"], ACTIONS["lead"], ctx,
                       dict(lead_form, kind="opportunity", amount="2388", expected_close=date(2027, 1, 15)))
    task_fields = {f.name: f for f in ACTIONS["task"].fields(ctx)}
    assert ("user:bob", "Bob") in task_fields["assignee"].choices
    task = execute.run(db, world["ann"], ACTIONS["task"], ctx,
                       {"assignee": "user:bob", "subject": "Send the contract", "due_day": date(2026, 12, 4)})
    email_form = defaults(ACTIONS["email"], ctx)
    assert email_form["to"] == "zhang.wei@example.cn" and "张伟" in email_form["body"]
    chinese = ACTIONS["email"].refill(ctx, {"template": "thanks_zh"}, "template")
    assert chinese["body"].startswith("尊敬的张伟")
    mail = execute.run(db, world["ann"], ACTIONS["email"], ctx, email_form)
    with db.reading() as s:
        assert s.get(BusinessTransaction, lead.outcome.transaction_id).amount == Decimal("2388.00")
        assert s.get(BusinessTransaction, task.outcome.transaction_id).owner.username == "bob"
        queued = s.get(OutboundEmail, mail.outcome.email_id)
        assert (queued.status, queued.to_address, queued.contact_id) == ("queued", "zhang.wei@example.cn", "call-1")
    with pytest.raises(ValidationError, match="not an email address"):
        execute.run(db, world["ann"], ACTIONS["email"], ctx,
                    dict(email_form, to="x@y.cn\nBcc: everyone@example.com"))


def test_a_link_is_built_from_its_template_and_only_as_a_web_address(db, world):
    ctx = context(db, world)
    actions = all_actions(effective(None))
    done = execute.run(db, world["ann"], actions["map"], ctx, {})
    assert done.outcome.url == "https://www.openstreetmap.org/search?query=%E5%8C%97%E4%BA%AC"
    layout = effective({"links": [{"id": "bad", "label": "x", "url": "https://{{ call.dnis }}x"}]})
    bad = all_actions(layout)["bad"]
    no_call = context(db, world, call_id=None)
    with pytest.raises(ValidationError, match="the link cannot be made"):
        execute.run(db, world["ann"], bad, no_call, {})


def test_a_handler_that_raises_leaves_nothing_behind(db, world):
    from dataclasses import dataclass

    from crm.services import transactions

    @dataclass(frozen=True)
    class Broken:
        id: str = "broken"
        label: str = "Broken"
        tab: str = "service"
        icon: str = ""
        needs: frozenset = frozenset({"partner"})

        def fields(self, context):
            return []

        def perform(self, session, actor, context, values):
            transactions.create_task(session, actor, partner_id=context.partner.partner_id, subject="half",
                                     assignee="bob")
            raise RuntimeError("the ERP is down")

    with pytest.raises(execute.ActionFailed, match="Broken failed: RuntimeError: the ERP is down"):
        execute.run(db, world["ann"], Broken(), context(db, world), {})
    assert count(db, BusinessTransaction) == 0


def test_the_layout_is_inherited_down_the_org_hierarchy_and_a_lower_level_overrides(db, world):
    company = {"tabs": [{"id": "all", "label": "All", "actions": ["complaint", "callback", "email"]}],
               "hidden": ["service", "sales", "follow_up"]}
    team = {"tabs": [{"id": "billing", "label": {"en": "Billing", "zh": "账务"},
                      "actions": ["callback", "complaint"]}], "hidden": ["all"]}
    with db.unit_of_work() as s:
        set_profile_setting(s, SYSTEM, "action_box", check_layout(company), org_unit="CC")
    with db.reading() as s:
        layout = effective(agent_profile(s, world["ann"]).action_box)
        bob_layout = effective(agent_profile(s, world["bob"]).action_box)  # in no org unit
    assert [[a.id for a in t.actions] for t in tabs(layout)] == [["complaint", "callback", "email"]]
    assert [t.id for t in tabs(bob_layout)] == ["service", "sales", "follow_up"]  # the built-in layout
    with db.unit_of_work() as s:
        set_profile_setting(s, SYSTEM, "action_box", check_layout(team), org_unit="BJ-1")
    with db.reading() as s:
        shown = tabs(effective(agent_profile(s, world["ann"]).action_box), "zh")
    assert [(t.label, [a.id for a in t.actions]) for t in shown] == [("账务", ["callback", "complaint"])]


def test_a_layout_naming_an_unknown_action_or_a_bad_template_is_refused(db, world):
    with pytest.raises(ValidationError, match="no installed action has the id.*teleport"):
        check_layout({"tabs": [{"id": "x", "label": "X", "actions": ["complaint", "teleport"]}]})
    with pytest.raises(ValidationError, match="url starting with https"):
        check_layout({"links": [{"id": "x", "label": "X", "url": "javascript:alert(1)"}]})
    with pytest.raises(ValidationError, match="email template 'x' body"):
        check_layout({"email_templates": [{"id": "x", "label": "X", "subject": "s", "body": "{{ ''.__class__ }}"}]})
    shown = tabs({"tabs": [{"id": "x", "label": "X", "actions": ["complaint", "gone"]}]})
    assert [a.id for a in shown[0].actions] == ["complaint"]  # an uninstalled plugin's action is skipped


PLUGIN = '''
from dataclasses import dataclass

from action_box.model import Field, Outcome
from crm.services import transactions


@dataclass(frozen=True)
class WarrantyCheck:
    id: str = "warranty_check"
    label: str = "Warranty check"
    tab: str = "service"
    icon: str = "shield"
    needs: frozenset = frozenset({"partner", "installed_base"})

    def fields(self, context):
        return [Field("serial", "Serial number", required=True,
                      default=context.partner.installed_base[0][1].split()[-1])]

    def perform(self, session, actor, context, values):
        task = transactions.create_task(session, actor, partner_id=context.partner.partner_id,
                                        subject=f"Check warranty of {values['serial']}", assignee="bob")
        return Outcome(f"Warranty check {task.number}", task.id, task.number)


@dataclass(frozen=True)
class Survey(WarrantyCheck):
    id: str = "survey"
    label: str = "Satisfaction survey"
    tab: str = "quality"
    tab_label: object = None


@dataclass(frozen=True)
class FakeComplaint(WarrantyCheck):
    id: str = "complaint"


def actions():
    return [WarrantyCheck(), Survey(tab_label={"en": "Quality", "zh": "质量"})]


def clash():
    return FakeComplaint()


def broken():
    raise ImportError("a dependency is missing")
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A package installed with entry points in the group cicada.actions: one good, one broken."""
    (tmp_path / "warranty_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "warranty_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: warranty-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[cicada.actions]\nwarranty = warranty_plugin:actions\nbroken = warranty_plugin:broken\n"
        "clash = warranty_plugin:clash\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("warranty_plugin", None)


def test_a_plugin_adds_an_action_through_the_entry_point_group(db, world, plugin, caplog):
    actions = all_actions(effective(None))
    assert "warranty_check" in actions and "the action plugin broken" in caplog.text
    layout = check_layout({"tabs": [{"id": "svc", "label": "Service", "actions": ["warranty_check"]}]})
    action, = tabs(layout)[0].actions
    ctx = context(db, world)
    assert defaults(action, ctx) == {"serial": "SN-778"}
    done = execute.run(db, world["ann"], action, ctx, {"serial": "SN-778"})
    assert isinstance(done.outcome, Outcome) and done.outcome.number.startswith("TK")


def test_a_plugins_action_no_layout_names_shows_in_its_default_tab_unless_hidden(db, world, plugin):
    shown = {t.id: (t.label, [a.id for a in t.actions]) for t in tabs(effective(None), "zh")}
    assert shown["service"][1] == ["service_order", "complaint", "callback", "warranty_check"]
    assert shown["quality"] == ("质量", ["survey"])  # a tab of its own, labelled by the plugin
    hiding = effective(check_layout({"hidden": ["warranty_check", "quality"]}))
    shown = {t.id: [a.id for a in t.actions] for t in tabs(hiding)}
    assert "quality" not in shown and "warranty_check" not in shown["service"]
    named = effective(check_layout({"tabs": [{"id": "sales", "label": "Sales", "actions": ["survey", "lead"]}]}))
    assert {t.id: [a.id for a in t.actions] for t in tabs(named)}["sales"] == ["survey", "lead"]
    assert "quality" not in [t.id for t in tabs(named)]  # named once: not again in its default tab


def test_a_plugin_reusing_a_built_in_id_is_refused_with_a_clear_error(db, world, plugin, caplog):
    actions = all_actions(effective(None))
    assert actions["complaint"] is ACTIONS["complaint"]  # the built-in one stays
    assert ("the action plugin clash offers the action id 'complaint', which a built-in action has already; "
            "it is left out: give it an id of its own") in caplog.text
