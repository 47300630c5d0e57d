"""Account identification by phone (any format), email and customer number."""

import pytest

import factories
from crm.errors import ValidationError
from crm.models import UserRole
from crm.permissions import Actor
from crm.services.identify import identify_by_email, identify_by_number, identify_by_phone
from crm.services.partners import add_relationship

SYSTEM = Actor.system()


@pytest.fixture
def directory(db):
    with db.unit_of_work() as s:
        zhang = factories.person(s, first="伟", last="张", phones=["13800138000"], emails=["zhang.wei@example.cn"])
        office = factories.organization(s, name="北京华为科技有限公司", phones=["(010) 6552-9988"])
        li = factories.person(s, first="娜", last="李", phones=["+86 139 1234 5678"])
        add_relationship(s, SYSTEM, li.id, office.id, "contact_person_of", function="采购经理")
        smith = factories.person(s, first="John", last="Smith", phones=["415.555.0100"], country="US")
        brown = factories.person(s, first="Emma", last="Brown", phones=["+44 (0)20 7946 0958"], country="GB")
        odd = factories.person(s, first="Odd", last="Number", phones=["ext. 4711"])
    return dict(zhang=zhang, office=office, li=li, smith=smith, brown=brown, odd=odd)


@pytest.mark.parametrize("typed, who", [
    ("+86 138 0013 8000", "zhang"),
    ("13800138000", "zhang"),
    ("8613800138000", "zhang"),
    ("sip:+8613800138000@10.1.1.1;user=phone", "zhang"),
    ("010-6552 9988", "office"),
    ("+86 10 6552 9988", "office"),
    ("+1 (415) 555-0100", "smith"),
    ("0014155550100", "smith"),
    ("0044 20 7946 0958", "brown"),
    ("+442079460958", "brown"),
])
def test_phone_in_any_format_finds_the_partner(db, directory, typed, who):
    with db.reading() as s:
        found = identify_by_phone(s, SYSTEM, typed, "CN")
    assert [f.partner.partner_id for f in found] == [directory[who].id]
    assert found[0].matched_by == "phone"


def test_organization_comes_with_its_contact_persons_and_person_with_its_company(db, directory):
    with db.reading() as s:
        [office] = identify_by_phone(s, SYSTEM, "01065529988")
        [li] = identify_by_phone(s, SYSTEM, "13912345678")
    assert [(c.name, c.function) for c in office.contact_persons] == [("李娜", "采购经理")]
    assert [o.name for o in li.organizations] == ["北京华为科技有限公司"]


def test_unnormalizable_number_is_found_by_its_digits(db, directory):
    with db.reading() as s:
        found = identify_by_phone(s, SYSTEM, "4711")
    assert [f.partner.partner_id for f in found] == [directory["odd"].id]
    assert found[0].matched_by == "phone digits"


def test_unknown_number_finds_nobody_and_garbage_is_refused(db, directory):
    with db.reading() as s:
        assert identify_by_phone(s, SYSTEM, "+86 138 9999 9999") == []
        with pytest.raises(ValidationError, match="no digits"):
            identify_by_phone(s, SYSTEM, "anonymous")


def test_several_partners_sharing_a_number_are_all_returned(db, directory):
    with db.unit_of_work() as s:
        factories.person(s, first="秀英", last="张", phones=["138-0013-8000"])
    with db.reading() as s:
        found = identify_by_phone(s, SYSTEM, "13800138000")
    assert sorted(f.partner.name for f in found) == ["张伟", "张秀英"]


def test_email_is_case_insensitive_and_number_lookup_works(db, directory):
    with db.reading() as s:
        by_mail = identify_by_email(s, SYSTEM, " Zhang.Wei@EXAMPLE.cn ")
        by_no = identify_by_number(s, SYSTEM, directory["smith"].partner_no.lower())
        with pytest.raises(ValidationError):
            identify_by_email(s, SYSTEM, "nobody")
    assert [f.partner.name for f in by_mail] == ["张伟"]
    assert [f.partner.name for f in by_no] == ["John Smith"]


def test_sales_rep_identifies_only_customers_visible_to_them(db):
    with db.unit_of_work() as s:
        rep = factories.user(s, "rep", UserRole.SALES_REP)
        other = factories.user(s, "other", UserRole.SALES_REP)
        factories.person(s, other, first="Wei", last="Zhang", phones=["13800138000"])
        factories.person(s, rep, first="Na", last="Li", phones=["13800138000"])
        factories.person(s, first="Fang", last="Wang", phones=["13800138000"], to_pool=True)
        agent = factories.user(s, "agent", UserRole.AGENT)
    with db.reading() as s:
        seen_by_rep = {f.partner.name for f in identify_by_phone(s, rep, "13800138000")}
        seen_by_agent = {f.partner.name for f in identify_by_phone(s, agent, "13800138000")}
    assert seen_by_rep == {"Na Li", "Fang Wang"}
    assert seen_by_agent == {"Na Li", "Fang Wang", "Wei Zhang"}
