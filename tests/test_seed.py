"""The demo data seeder: counts, logins, identification and search on seeded data,
refusal to seed twice, determinism."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from crm.db import Database, make_engine, upgrade
from crm.demo.seed import demo_logins, seed
from crm.errors import ValidationError
from crm.models import (
    BusinessPartner,
    BusinessTransaction,
    EmailAddress,
    Interaction,
    NumberRange,
    OrgUnit,
    PartnerRelationship,
    PartnerRoleAssignment,
    PhoneNumber,
    Product,
    SearchTermVariant,
    SearchToken,
    User,
)
from crm.permissions import Actor
from crm.phones import normalize_phone
from crm.search_keys import deletions, fuzzy_terms
from crm.services import numbers
from crm.services.identify import identify_by_email, identify_by_phone
from crm.services.indexing import tokens_of
from crm.services.search import search_partners
from crm.services.users import authenticate

CUSTOMERS = 200
NOW = datetime(2026, 6, 1, 0, 0, 0)
ALL_TABLES = ("org_unit", "skill", "app_user", "user_skill", "product", "business_partner",
              "partner_role", "partner_relationship", "address", "phone_number", "email_address",
              "partner_attribute", "ownership_record", "partner_share", "installed_base_item",
              "business_transaction", "transaction_item", "interaction", "interaction_link",
              "search_token", "search_term_variant", "number_range")


def _new_database(path) -> Database:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return Database(engine)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    database = _new_database(tmp_path_factory.mktemp("seed") / "crm.db")
    stages = []
    summary = seed(database, CUSTOMERS, rng_seed=11, now=NOW,
                   progress=lambda stage, done, total: stages.append((stage, done, total)))
    yield database, summary, stages
    database.dispose()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_counts_are_as_asked(seeded):
    database, summary, stages = seeded
    with database.reading() as s:
        customers = s.scalar(select(func.count()).select_from(PartnerRoleAssignment).where(
            PartnerRoleAssignment.role.in_(("customer", "prospect", "competitor"))))
        assert customers == CUSTOMERS
        persons = s.scalar(select(func.count()).select_from(BusinessPartner).join(PartnerRoleAssignment)
                           .where(PartnerRoleAssignment.role != "contact_person",
                                  BusinessPartner.kind == "person"))
        assert 0.45 * CUSTOMERS < persons < 0.75 * CUSTOMERS
        contacts = s.scalar(select(func.count()).select_from(PartnerRoleAssignment).where(
            PartnerRoleAssignment.role == "contact_person"))
        assert _count(s, PartnerRelationship) == contacts > 0
        assert _count(s, BusinessPartner) == CUSTOMERS + contacts
        assert 1.5 * CUSTOMERS < _count(s, Interaction) < 4.5 * CUSTOMERS
        assert 0.5 * CUSTOMERS < _count(s, BusinessTransaction) < 1.5 * CUSTOMERS
        assert _count(s, Product) == 50
        assert _count(s, OrgUnit) >= 7
        pool = s.scalar(select(func.count()).select_from(BusinessPartner)
                        .where(BusinessPartner.owner_id.is_(None)))
        assert 0.15 < pool / _count(s, BusinessPartner) < 0.5
        unreadable = s.scalars(select(PhoneNumber.raw).where(PhoneNumber.is_valid.is_(False))).all()
        assert unreadable and all(normalize_phone(raw).e164 is None for raw in unreadable)
        for table in ALL_TABLES:
            rows = s.scalar(text(f"SELECT count(*) FROM {table}"))
            assert rows > 0, table
            if table != "number_range":
                assert summary.counts[table] == rows, table
        assert s.execute(text("PRAGMA foreign_key_check")).all() == []
    assert {login.username for login in summary.logins} >= {
        "admin", "supervisor", "agent1", "agent6", "sales1", "sales2"}
    assert stages[-1][0] == "indexes" and ("customers", CUSTOMERS, CUSTOMERS) in stages


def test_demo_users_can_log_in(seeded):
    database, summary, _ = seeded
    assert summary.logins == demo_logins()
    with database.unit_of_work() as s:
        for login in summary.logins:
            actor = authenticate(s, login.username, login.password)
            assert actor.role == login.role
        agent = s.scalar(select(User).where(User.username == "agent1"))
        assert agent.extension == "sip:agent1@127.0.0.1:5161"
        assert agent.skills


def test_phones_and_search_index_are_what_the_services_would_write(seeded):
    database, _, _ = seeded
    with database.reading() as s:
        partners = s.scalars(select(BusinessPartner).options(
            selectinload(BusinessPartner.addresses), selectinload(BusinessPartner.emails),
            selectinload(BusinessPartner.phones))).all()
        stored: dict[int, set] = {}
        rows = s.execute(select(SearchToken.partner_id, SearchToken.token, SearchToken.field))
        for pid, token, field in rows:
            stored.setdefault(pid, set()).add((token, field))
        terms = set()
        for partner in partners:
            expected = tokens_of(partner)
            assert stored[partner.id] == expected, partner.name
            terms |= fuzzy_terms({t for t, f in expected if f in ("name", "city")})
            for phone in partner.phones:
                n = normalize_phone(phone.raw, "CN")
                assert (phone.e164, phone.digits, phone.is_valid) == (n.e164, n.digits, n.is_valid)
            for email in partner.emails:
                assert email.address_lower == email.address.lower()
        variants = set(s.execute(select(SearchTermVariant.variant, SearchTermVariant.term)).all())
        assert variants == {(v, t) for t in terms for v in deletions(t)}


def test_number_ranges_continue_after_the_seeded_numbers(seeded):
    database, _, _ = seeded
    with database.unit_of_work() as s:
        number = numbers.next_number(s, numbers.CUSTOMER)
        assert s.scalar(select(BusinessPartner.id).where(BusinessPartner.partner_no == number)) is None
        assert number > s.scalar(select(func.max(BusinessPartner.partner_no)))
        for kind in ("service_order", "sales_order", "callback"):
            taken = set(s.scalars(select(BusinessTransaction.number)))
            assert numbers.next_number(s, kind) not in taken
        assert s.scalar(select(NumberRange.next_value).where(NumberRange.name == "product")) == 51
        s.rollback()


def test_seeded_customers_are_identified_by_a_number_typed_differently(seeded):
    database, _, _ = seeded
    actor = Actor.system()
    with database.reading() as s:
        # the showcase customers
        hits = identify_by_phone(s, actor, "+86 138 0013 8000")
        assert [h.partner.name for h in hits] == ["张伟"]
        hits = identify_by_phone(s, actor, "00442079460958")
        assert [h.partner.name for h in hits] == ["John Smith"]
        li_na = identify_by_phone(s, actor, "13910882266")
        assert li_na[0].organizations[0].name == "北京华通科技有限公司"
        assert li_na[0].organizations[0].function == "采购经理"
        # generated customers, Chinese and English
        for country, prefix in (("CN", "+86"), ("US", "+1"), ("GB", "+44")):
            phone = s.execute(select(PhoneNumber.e164, PhoneNumber.partner_id).where(
                PhoneNumber.e164.like(f"{prefix}%"), PhoneNumber.partner_id > 10).limit(1)).one()
            typed = ("00" + phone.e164[1:]) if country != "CN" else phone.e164[3:]
            assert phone.partner_id in {h.partner.partner_id for h in identify_by_phone(s, actor, typed)}
        email = s.execute(select(EmailAddress.address, EmailAddress.partner_id)
                          .where(EmailAddress.partner_id > 10).limit(1)).one()
        hits = identify_by_email(s, actor, email.address.upper())
        assert email.partner_id in {h.partner.partner_id for h in hits}


def test_seeded_customers_are_found_by_name(seeded):
    database, _, _ = seeded
    actor = Actor.system()
    with database.reading() as s:
        zh = s.execute(select(BusinessPartner).where(
            BusinessPartner.kind == "person", BusinessPartner.language == "zh",
            BusinessPartner.id > 10).limit(1)).scalar_one()
        en = s.execute(select(BusinessPartner).where(
            BusinessPartner.kind == "person", BusinessPartner.language == "en",
            BusinessPartner.id > 10).limit(1)).scalar_one()
        org = s.execute(select(BusinessPartner).where(
            BusinessPartner.kind == "organization", BusinessPartner.id > 10).limit(1)).scalar_one()
        for query, partner in ((zh.name, zh), (en.name, en), (en.last_name, en), (org.name, org)):
            page = search_partners(s, actor, query, page_size=100)
            assert partner.id in {h.partner_id for h in page.items}, query
        assert "张伟" in [h.name for h in search_partners(s, actor, "zhang wei", page_size=100).items]


def test_seeding_twice_is_refused(seeded):
    database, _, _ = seeded
    with pytest.raises(ValidationError, match="already holds business partners"):
        seed(database, 10)
    with database.reading() as s:
        assert _count(s, BusinessPartner) > CUSTOMERS  # nothing added


def test_seeding_is_deterministic(tmp_path):
    def snapshot(database):
        with database.reading() as s:
            return {
                "partners": s.execute(text(
                    "SELECT id, partner_no, kind, first_name, last_name, org_name, owner_id, created_at "
                    "FROM business_partner ORDER BY id")).all(),
                "phones": s.execute(text(
                    "SELECT id, partner_id, raw, e164 FROM phone_number ORDER BY id")).all(),
                "emails": s.execute(text("SELECT id, address FROM email_address ORDER BY id")).all(),
                "interactions": s.execute(text(
                    "SELECT id, partner_id, channel, started_at, talk_seconds FROM interaction "
                    "ORDER BY id")).all(),
                "tokens": s.execute(text("SELECT token, partner_id, field FROM search_token "
                                         "ORDER BY token, partner_id, field")).all(),
            }

    first, second, other = (_new_database(tmp_path / f"{name}.db") for name in ("a", "b", "c"))
    seed(first, 40, rng_seed=3, now=NOW)
    seed(second, 40, rng_seed=3, now=NOW)
    seed(other, 40, rng_seed=4, now=NOW)
    assert snapshot(first) == snapshot(second)
    assert snapshot(first)["partners"] != snapshot(other)["partners"]


def test_numbers_are_typed_for_the_configured_region(tmp_path):
    database = _new_database(tmp_path / "gb.db")
    seed(database, 30, region="GB", rng_seed=5, now=NOW)
    actor = Actor.system()
    with database.reading() as s:
        hits = identify_by_phone(s, actor, "020 7946 0958", "GB")
        assert [h.partner.name for h in hits] == ["John Smith"]
        hits = identify_by_phone(s, actor, "+86 138 0013 8000", "GB")
        assert [h.partner.name for h in hits] == ["张伟"]
        for raw, e164 in s.execute(select(PhoneNumber.raw, PhoneNumber.e164)):
            assert normalize_phone(raw, "GB").e164 == e164, raw
    database.dispose()
