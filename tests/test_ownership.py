"""The customer pool: claim, return, assign, share, and who held a customer when."""

import pytest
from sqlalchemy import select

import factories
from crm.errors import NotFound, OwnershipConflict, PermissionDenied, ValidationError
from crm.models import BusinessPartner, PartnerShare, UserRole
from crm.services import ownership
from crm.services.partners import get_partner, update_partner


@pytest.fixture
def team(db):
    with db.unit_of_work() as s:
        actors = dict(
            amy=factories.user(s, "amy", UserRole.SALES_REP),
            bob=factories.user(s, "bob", UserRole.SALES_REP),
            sue=factories.user(s, "sue", UserRole.SUPERVISOR),
        )
        actors["pool_customer"] = factories.person(s, first="Pool", last="Chen", to_pool=True).id
        actors["amys_customer"] = factories.person(s, actors["amy"], first="Amy's", last="Chen").id
    return actors


def owner_of(db, partner_id):
    with db.reading() as s:
        return s.get(BusinessPartner, partner_id).owner_id


def test_claim_from_pool_then_return(db, team):
    amy, pid = team["amy"], team["pool_customer"]
    with db.unit_of_work() as s:
        ownership.claim(s, amy, pid)
    assert owner_of(db, pid) == amy.user_id
    with db.unit_of_work() as s:
        ownership.return_to_pool(s, amy, pid)
    assert owner_of(db, pid) is None
    with db.reading() as s:
        records = [(r.owner_id, r.action, r.ended_at is None) for r in ownership.history(s, pid)]
    assert records == [(amy.user_id, "claim", False), (None, "return", True)]


def test_claiming_an_owned_customer_is_refused_and_says_by_whom(db, team):
    with db.unit_of_work() as s, pytest.raises(OwnershipConflict, match="owned by Amy"):
        ownership.claim(s, team["bob"], team["amys_customer"])
    assert owner_of(db, team["amys_customer"]) == team["amy"].user_id


def test_assign_moves_ownership_with_history(db, team):
    amy, bob, pid = team["amy"], team["bob"], team["amys_customer"]
    with db.unit_of_work() as s:
        ownership.assign(s, amy, pid, bob.user_id)
    assert owner_of(db, pid) == bob.user_id
    with db.reading() as s:
        records = [(r.owner_id, r.action, r.by_user_id) for r in ownership.history(s, pid)]
    assert records == [(amy.user_id, "create", amy.user_id), (bob.user_id, "assign", amy.user_id)]


def test_assign_to_a_user_who_does_not_exist_changes_nothing(db, team):
    with db.unit_of_work() as s, pytest.raises(NotFound, match="no user with id 9999"):
        ownership.assign(s, team["amy"], team["amys_customer"], 9999)
    assert owner_of(db, team["amys_customer"]) == team["amy"].user_id
    with db.reading() as s:
        assert len(ownership.history(s, team["amys_customer"])) == 1


def test_only_owner_or_supervisor_assigns(db, team):
    with db.unit_of_work() as s, pytest.raises(PermissionDenied, match="owner or a supervisor"):
        ownership.assign(s, team["bob"], team["amys_customer"], team["bob"].user_id)
    with db.unit_of_work() as s:
        ownership.assign(s, team["sue"], team["amys_customer"], team["bob"].user_id)
    assert owner_of(db, team["amys_customer"]) == team["bob"].user_id


def test_shared_customer_is_readable_but_not_editable(db, team):
    amy, bob, pid = team["amy"], team["bob"], team["amys_customer"]
    with db.reading() as s, pytest.raises(PermissionDenied, match="not shared"):
        get_partner(s, bob, pid)
    with db.unit_of_work() as s:
        ownership.share(s, amy, pid, bob.user_id)
    with db.reading() as s:
        assert get_partner(s, bob, pid).id == pid
        shared = ownership.shared_with_me(s, bob)
    assert [r.partner_id for r in shared.items] == [pid]
    with db.unit_of_work() as s, pytest.raises(PermissionDenied, match="read-only"):
        update_partner(s, bob, pid, segment="x")
    with db.unit_of_work() as s:
        ownership.unshare(s, amy, pid, bob.user_id)
    with db.reading() as s:
        assert s.scalars(select(PartnerShare)).all() == []


def test_sharing_rules(db, team):
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        ownership.share(s, team["bob"], team["amys_customer"], team["bob"].user_id)
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="pool"):
        ownership.share(s, team["sue"], team["pool_customer"], team["bob"].user_id)


def test_lists_my_customers_shared_and_pool(db, team):
    with db.reading() as s:
        mine = ownership.my_customers(s, team["amy"])
        pool = ownership.pool(s, team["amy"])
    assert [r.partner_id for r in mine.items] == [team["amys_customer"]]
    assert mine.total == 1
    assert [r.partner_id for r in pool.items] == [team["pool_customer"]]
    assert pool.items[0].owner is None


def test_return_when_already_in_pool(db, team):
    with db.unit_of_work() as s, pytest.raises(OwnershipConflict, match="already in the pool"):
        ownership.return_to_pool(s, team["sue"], team["pool_customer"])
