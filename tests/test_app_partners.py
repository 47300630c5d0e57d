"""Identification, search, new customers and the business data display through the
application service over real HTTPS, with the desktop's own functions: one request
for the caller's identity and one for the 360° view, nothing without a session,
nobody else's customers, bad input refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

import factories
from agent_desktop import crm_access
from crm.errors import NotFound, PermissionDenied, PossibleDuplicates, ValidationError
from crm.models import UserRole
from crm.permissions import Actor
from crm.services import interactions, transactions
from crm.services.partners import add_relationship
from crm.services.sessions import SessionEnded
from desktop_harness import app_of, signed_in_client, url_of  # noqa: F401 - fixture


@pytest.fixture
def world(db):
    with db.unit_of_work() as s:
        ann = factories.user(s, "ann")
        rep = factories.user(s, "rep", UserRole.SALES_REP)
        factories.user(s, "other_rep", UserRole.SALES_REP)
        company = factories.organization(s, name="长城科技", phones=["010-88886666"], city="北京")
        wang = factories.person(s, rep, first="芳", last="王", phones=["13911112222"], emails=["wang.fang@example.cn"],
                                city="上海")
        add_relationship(s, Actor.system(), wang.id, company.id, "contact_person_of", function="采购",
                         valid_from=date(2024, 3, 1))
        deal = transactions.create_lead(s, ann, partner_id=wang.id, subject="Fibre for the office",
                                        kind="opportunity", amount="1200.50", expected_close=date.today()
                                        + timedelta(days=30))
        record = interactions.create_interaction(s, ann, channel="phone", direction="inbound", partner_id=wang.id,
                                                 ani="13911112222")
        return {"wang": wang.id, "wang_no": wang.partner_no, "company": company.id, "deal": deal.number,
                "record": record.id}


@pytest.fixture
def desk(db, world, app_of):
    """Ann's desktop client (an agent reads every customer)."""
    with signed_in_client(app_of(url_of(db)), "ann", factories.PASSWORD) as client:
        yield client


def counted(client) -> list[str]:
    """The requests this client sends from now on."""
    sent: list[str] = []
    client._http.event_hooks["request"] = [lambda request: sent.append(f"{request.method} {request.url.path}")]
    return sent


def test_the_screen_pop_is_one_request_for_the_caller_and_one_for_the_business_data(desk, world):
    sent = counted(desk)
    match, = crm_access.identify_caller(desk, "+86 139 1111 2222")
    assert (match.partner.partner_id, match.partner.name, match.matched_by) == (world["wang"], "王芳", "phone")
    assert [o.name for o in match.organizations] == ["长城科技"]
    view = crm_access.business_data(desk, match.partner.partner_id)
    assert sent == ["GET /v1/partners/identification", f"GET /v1/partners/{world['wang']}/business-data"]

    assert (view.partner.partner_no, view.phone, view.email, view.city) == (
        world["wang_no"], "13911112222", "wang.fang@example.cn", "上海")
    deal, = view.sections["opportunity"]
    fields = dict(deal.detail)
    assert fields["number"] == world["deal"] and fields["amount"] == Decimal("1200.50")  # typed across JSON
    assert isinstance(fields["created_at"], datetime) and isinstance(fields["due_at"], datetime)
    relation, = view.sections["relationships"]
    assert relation.partner_id == world["company"] and dict(relation.detail)["valid_from"] == date(2024, 3, 1)
    latest, = view.sections["interactions"]
    assert latest.interaction_id == world["record"] and dict(latest.detail)["ani"] == "13911112222"

    assert crm_access.identify_caller(desk, "anonymous") == []  # withheld: no request at all
    assert len(sent) == 2


def test_search_identification_by_number_and_picking_a_partner(desk, world):
    rows, more, notes = crm_access.search(desk, "王芳")
    assert [r.partner.partner_id for r in rows] == [world["wang"]] and not more and notes == []
    assert rows[0].city == "上海" and rows[0].phone == "13911112222"
    by_number, = crm_access.identify_by_number(desk, world["wang_no"])
    assert by_number.partner.partner_id == world["wang"]
    assert crm_access.partner_by_number(desk, world["wang_no"]).name == "王芳"
    picked = crm_access.partner_match(desk, world["company"])
    assert picked.matched_by == "agent" and [c.name for c in picked.contact_persons] == ["王芳"]
    with pytest.raises(NotFound):
        crm_access.partner_by_number(desk, "C-NOBODY")


def test_a_new_customer_is_created_once_the_agent_confirms_its_possible_duplicates(desk, world):
    new = crm_access.NewPartner(last_name="王", first_name="芳", phone="13911112222", city="杭州")
    with pytest.raises(PossibleDuplicates) as refused:
        crm_access.create_customer(desk, new)
    assert [c.partner_id for c in refused.value.candidates] == [world["wang"]]
    made = crm_access.create_customer(desk, new, confirm_duplicates=True)
    assert made.matched_by == "new" and made.partner.name == "王芳" and made.partner.partner_id != world["wang"]
    assert crm_access.business_data(desk, made.partner.partner_id).city == "杭州"
    with pytest.raises(ValidationError):
        crm_access.create_customer(desk, crm_access.NewPartner(last_name="", first_name=""))  # nameless


def test_a_sales_rep_reads_only_his_own_customers(db, world, app_of):
    app = app_of(url_of(db))
    with signed_in_client(app, "other_rep", factories.PASSWORD) as other:
        assert crm_access.identify_caller(other, "13911112222") == []
        assert crm_access.search(other, "王芳")[0] == []
        with pytest.raises((PermissionDenied, NotFound)):
            crm_access.business_data(other, world["wang"])
        with pytest.raises((PermissionDenied, NotFound)):
            crm_access.partner_match(other, world["wang"])
    with signed_in_client(app, "rep", factories.PASSWORD) as owner:
        assert crm_access.business_data(owner, world["wang"]).partner.name == "王芳"


@pytest.mark.parametrize("path", ["/v1/partners/identification?phone=13911112222", "/v1/partners?q=wang",
                                  "/v1/partners/1/business-data", "/v1/partners/1/match",
                                  "/v1/partners/by-number/C1"])
def test_nothing_is_readable_without_a_session(db, world, app_of, path):
    app = app_of(url_of(db))
    with app.client() as nobody:
        with pytest.raises(SessionEnded):
            nobody.call("GET", path, dict)
        with pytest.raises(SessionEnded):
            nobody.call("POST", "/v1/customers", dict, json={"last_name": "李"})


def test_bad_input_is_refused_with_422(desk):
    for path, params in (("/v1/partners/identification", {}),  # neither phone nor number
                         ("/v1/partners/identification", {"phone": "1", "number": "C1"}),
                         ("/v1/partners", {"q": "x" * 201}), ("/v1/partners", {"q": "x", "page": 0}),
                         ("/v1/partners", {"q": "x", "region": "china"})):
        with pytest.raises(ValidationError):
            desk.call("GET", path, dict, params=params)
    with pytest.raises(ValidationError):
        desk.call("POST", "/v1/customers", dict, json={"last_name": "李" * 101})
    response = httpx.get(f"{desk.base_url}/v1/partners/abc/business-data", verify=False,
                         headers={"Authorization": f"Bearer {desk.token}"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid"
