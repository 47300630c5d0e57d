"""Creating and changing business partners: duplicate check, numbers, audit, guard rails."""

import pytest
from sqlalchemy import func, select

import factories
from crm.errors import (
    DuplicateCustomerNumber,
    PermissionDenied,
    PossibleDuplicates,
    ValidationError,
)
from crm.models import AuditEntry, BusinessPartner, PhoneNumber, UserRole
from crm.permissions import Actor
from crm.services.partners import (
    AddressDraft,
    PartnerDraft,
    add_relationship,
    create_partner,
    find_duplicates,
    update_partner,
)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_create_person_gets_next_customer_number_owner_and_audit(db):
    with db.unit_of_work() as s:
        agent = factories.user(s, "lina")
        p = create_partner(s, agent, PartnerDraft(first_name="伟", last_name="张",
                                                  phones=["138 0013 8000"], emails=["ZW@Example.cn"],
                                                  addresses=[AddressDraft(country="cn", city="北京")]))
        q = create_partner(s, agent, PartnerDraft(first_name="John", last_name="Smith"))
    with db.reading() as s:
        p = s.get(BusinessPartner, p.id)
        assert p.name == "张伟"
        assert (p.partner_no, q.partner_no) == ("C00000001", "C00000002")
        assert p.owner_id == agent.user_id
        assert p.main_phone.e164 == "+8613800138000"
        assert p.main_email.address_lower == "zw@example.cn"
        assert p.main_address.country == "CN"
        assert p.role_names == ["customer"]
        entry = s.scalars(select(AuditEntry).where(AuditEntry.partner_id == p.id)).one()
        assert (entry.user_id, entry.action) == (agent.user_id, "create")


def test_possible_duplicates_are_shown_and_nothing_is_written(db):
    with db.unit_of_work() as s:
        existing = factories.person(s, first="伟", last="张", phones=["13800138000"], emails=["a@b.cn"])
    draft = PartnerDraft(first_name="伟", last_name="张")
    with db.unit_of_work() as s, pytest.raises(PossibleDuplicates) as err:
        create_partner(s, Actor.system(), draft)
    assert [c.partner_no for c in err.value.candidates] == [existing.partner_no]
    assert "same name" in err.value.candidates[0].reasons
    with db.reading() as s:
        assert count(s, BusinessPartner) == 1


def test_duplicates_by_phone_in_another_format_and_by_email_rank_first(db):
    with db.unit_of_work() as s:
        same_name = factories.person(s, first="Wei", last="Zhang")
        same_phone = factories.person(s, first="Li", last="Na", phones=["+86 138 0013 8000"])
        same_mail = factories.person(s, first="Wang", last="Fang", emails=["Wei.Zhang@Example.com"])
    with db.reading() as s:
        found = find_duplicates(s, PartnerDraft(first_name="Wei", last_name="Zhang",
                                                phones=["13800138000"], emails=["wei.zhang@example.com"]),
                                "CN")
    assert {c.partner_id for c in found} == {same_name.id, same_phone.id, same_mail.id}
    assert found[-1].partner_id == same_name.id  # a shared name alone is the weakest hint


def test_confirmed_duplicate_is_created(db):
    with db.unit_of_work() as s:
        factories.person(s, first="Wei", last="Zhang")
        create_partner(s, Actor.system(), PartnerDraft(first_name="Wei", last_name="Zhang"),
                       confirm_duplicates=True)
    with db.reading() as s:
        assert count(s, BusinessPartner) == 2


def test_duplicate_customer_number_is_refused_cleanly(db):
    with db.unit_of_work() as s:
        factories.organization(s, name="Acme", partner_no="ACME-1")
    with db.unit_of_work() as s, pytest.raises(DuplicateCustomerNumber, match="ACME-1"):
        create_partner(s, Actor.system(), PartnerDraft(kind="organization", org_name="Other",
                                                       partner_no="acme-1"))
    with db.reading() as s:
        assert count(s, BusinessPartner) == 1


@pytest.mark.parametrize("draft, message", [
    (PartnerDraft(kind="person"), "first or last name"),
    (PartnerDraft(kind="organization"), "needs a name"),
    (PartnerDraft(kind="robot", org_name="R2"), "kind must be"),
    (PartnerDraft(last_name="Li", roles=["vip"]), "unknown role"),
    (PartnerDraft(last_name="Li", emails=["not-an-address"]), "not an email address"),
    (PartnerDraft(last_name="Li", partner_no="has space"), "customer number"),
    (PartnerDraft(last_name="Li", addresses=[AddressDraft(country="China")]), "2-letter"),
])
def test_invalid_drafts_are_refused_with_a_reason_and_nothing_written(db, draft, message):
    with db.unit_of_work() as s, pytest.raises(ValidationError, match=message):
        create_partner(s, Actor.system(), draft)
    with db.reading() as s:
        assert count(s, BusinessPartner) == 0


def test_unparseable_number_is_kept_as_typed_and_flagged(db):
    with db.unit_of_work() as s:
        p = factories.person(s, first="Tom", last="Jones", phones=["ext. 12", "+44 20 7946 0958"])
    with db.reading() as s:
        phones = {ph.raw: (ph.e164, ph.digits, ph.is_valid)
                  for ph in s.scalars(select(PhoneNumber).where(PhoneNumber.partner_id == p.id))}
    assert phones["ext. 12"] == (None, "12", False)
    assert phones["+44 20 7946 0958"] == ("+442079460958", "442079460958", True)


def test_update_writes_each_change_to_the_audit_trail(db):
    with db.unit_of_work() as s:
        agent = factories.user(s, "lina")
        p = factories.person(s, agent, first="Wei", last="Zhang")
    with db.unit_of_work() as s:
        update_partner(s, agent, p.id, value_class="A", first_name="Weiwei",
                       add_phones=["010-6552 9988"], attributes={"interest": "solar"})
    with db.reading() as s:
        p = s.get(BusinessPartner, p.id)
        assert p.name == "Weiwei Zhang" and p.value_class == "A"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
        assert entry.user_id == agent.user_id
        assert entry.changes["value_class"] == [None, "A"]
        assert entry.changes["first_name"] == ["Wei", "Weiwei"]
        assert entry.changes["attribute:interest"] == [None, "solar"]
        assert entry.changes["phones"] == [None, ["010-6552 9988"]]


def test_update_of_someone_elses_customer_is_refused_with_the_reason(db):
    with db.unit_of_work() as s:
        owner = factories.user(s, "owner", UserRole.SALES_REP)
        other = factories.user(s, "other", UserRole.AGENT)
        p = factories.person(s, owner, first="Wei", last="Zhang")
    with db.unit_of_work() as s, pytest.raises(PermissionDenied, match="belongs to another user"):
        update_partner(s, other, p.id, value_class="A")
    with db.reading() as s:
        assert s.get(BusinessPartner, p.id).value_class is None
        assert count(s, AuditEntry) == 1  # only the creation


def test_pool_customer_editable_by_agents_but_sales_reps_must_claim(db):
    with db.unit_of_work() as s:
        agent = factories.user(s, "agent", UserRole.AGENT)
        rep = factories.user(s, "rep", UserRole.SALES_REP)
        p = factories.person(s, first="Wei", last="Zhang", to_pool=True)
    with db.unit_of_work() as s:
        update_partner(s, agent, p.id, segment="retail")
    with db.unit_of_work() as s, pytest.raises(PermissionDenied, match="claim it"):
        update_partner(s, rep, p.id, segment="smb")


def test_relationship_marks_contact_person_and_validates(db):
    with db.unit_of_work() as s:
        org = factories.organization(s, name="北京华为科技有限公司")
        li = factories.person(s, first="娜", last="李")
        add_relationship(s, Actor.system(), li.id, org.id, "contact_person_of", function="采购经理")
        with pytest.raises(ValidationError, match="itself"):
            add_relationship(s, Actor.system(), li.id, li.id, "member_of")
        with pytest.raises(ValidationError, match="unknown relationship"):
            add_relationship(s, Actor.system(), li.id, org.id, "friend_of")
    with db.reading() as s:
        assert "contact_person" in s.get(BusinessPartner, li.id).role_names


def test_a_sales_rep_is_shown_only_the_duplicates_he_may_read_and_told_how_many_others_exist(db):
    from crm.services.ownership import share

    with db.unit_of_work() as s:
        owner, rep = factories.user(s, "owner", UserRole.SALES_REP), factories.user(s, "rep", UserRole.SALES_REP)
        secret = factories.person(s, owner, first="伟", last="张", emails=["zw@example.cn"])
        also_secret = factories.person(s, owner, first="Wei", last="Zhang", phones=["13800138000"])
        in_pool = factories.person(s, first="伟", last="张", to_pool=True)
        shared = factories.person(s, owner, first="伟", last="张", phones=["+86 138 0013 8000"])
        share(s, Actor.system(), shared.id, rep.user_id)
    draft = PartnerDraft(first_name="伟", last_name="张", phones=["13800138000"], emails=["zw@example.cn"])
    with db.unit_of_work() as s, pytest.raises(PossibleDuplicates) as err:
        create_partner(s, rep, draft)
    assert {c.partner_id for c in err.value.candidates} == {in_pool.id, shared.id}
    assert err.value.hidden == 2
    said = str(err.value)
    assert "2 more existing partner(s) that you may not see look like it" in said
    assert secret.partner_no not in said and also_secret.partner_no not in said
    with db.unit_of_work() as s, pytest.raises(PossibleDuplicates) as err:  # a supervisor reads them all
        create_partner(s, factories.user(s, "sue", UserRole.SUPERVISOR), draft)
    assert len(err.value.candidates) == 4 and err.value.hidden == 0


def test_duplicates_he_may_not_read_alone_still_stop_the_save_until_confirmed(db):
    with db.unit_of_work() as s:
        owner, rep = factories.user(s, "owner", UserRole.SALES_REP), factories.user(s, "rep", UserRole.SALES_REP)
        secret = factories.organization(s, owner, name="Acme Trading")
    with db.unit_of_work() as s, pytest.raises(PossibleDuplicates) as err:
        create_partner(s, rep, PartnerDraft(kind="organization", org_name="ACME trading"))
    assert err.value.candidates == [] and err.value.hidden == 1
    assert str(err.value).startswith("1 existing partner(s) that you may not see look like it")
    assert secret.partner_no not in str(err.value)
    with db.unit_of_work() as s:
        create_partner(s, rep, PartnerDraft(kind="organization", org_name="ACME trading"), confirm_duplicates=True)
