"""Several desktops creating customers at once never share a customer number."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from crm.models import BusinessPartner
from crm.permissions import Actor
from crm.services.partners import PartnerDraft, create_partner


def test_parallel_creation_gets_distinct_numbers(db):
    def create(i: int) -> str:
        with db.unit_of_work() as s:
            return create_partner(s, Actor.system(), PartnerDraft(first_name=f"P{i}", last_name="Parallel"),
                                  confirm_duplicates=True).partner_no

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(create, range(20)))
    assert len(set(numbers)) == 20
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(BusinessPartner)) == 20
