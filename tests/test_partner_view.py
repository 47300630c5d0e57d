"""The 360° view and the interaction history of a partner."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import factories
from crm.errors import ValidationError
from crm.models import (
    BusinessTransaction,
    InstalledBaseItem,
    Interaction,
    Product,
)
from crm.permissions import Actor
from crm.services.history import HistoryFilter, interaction_history
from crm.services.partner_view import partner_view
from crm.services.partners import add_relationship

SYSTEM = Actor.system()
T0 = datetime(2026, 1, 1, 9, 0)


@pytest.fixture
def company(db):
    with db.unit_of_work() as s:
        org = factories.organization(s, name="Acme Trading")
        li = factories.person(s, first="Na", last="Li")
        add_relationship(s, SYSTEM, li.id, org.id, "contact_person_of", function="Buyer")
        old = factories.person(s, first="Old", last="Contact")
        add_relationship(s, SYSTEM, old.id, org.id, "contact_person_of",
                         valid_from=date(2020, 1, 1), valid_to=date(2021, 1, 1))
        printer = Product(product_no="P1", name="Printer X", unit_price=Decimal("999.00"))
        s.add(printer)
        s.flush()
        s.add(InstalledBaseItem(partner_id=org.id, product_id=printer.id, serial_no="SN-1",
                                installed_on=date(2025, 5, 1), warranty_end=date(2027, 5, 1)))
        for n, (kind, status) in enumerate([("service_order", "open"), ("complaint", "in_process"),
                                            ("sales_order", "completed")]):
            s.add(BusinessTransaction(number=f"T{n}", kind=kind, status=status, partner_id=org.id,
                                      subject=f"{kind} {n}"))
        for i in range(30):
            s.add(Interaction(partner_id=org.id, channel=["phone", "email", "chat"][i % 3],
                              direction="inbound", status="closed" if i else "open",
                              started_at=T0 + timedelta(days=i), outcome_code="solved" if i % 2 else "callback",
                              subject=f"contact {i}"))
        return org.id


def test_360_view(db, company):
    with db.reading() as s:
        view = partner_view(s, SYSTEM, company)
        assert view.partner.name == "Acme Trading"
        assert [c.name for c in view.contact_persons] == ["Na Li"]  # the expired one is not current
        assert len(view.relationships) == 2
        assert sorted(t.kind for t in view.open_transactions) == ["complaint", "service_order"]
        assert [i.serial_no for i in view.installed_base] == ["SN-1"]
        assert view.installed_base[0].product.name == "Printer X"
        assert [i.subject for i in view.latest_interactions][:2] == ["contact 29", "contact 28"]
        assert len(view.latest_interactions) == 10


def test_a_view_of_some_sections_reads_only_those(db, company):
    with db.reading() as s:
        view = partner_view(s, SYSTEM, company, sections=frozenset({"open_transactions", "installed_base"}))
        assert sorted(t.kind for t in view.open_transactions) == ["complaint", "service_order"]
        assert [i.serial_no for i in view.installed_base] == ["SN-1"]
        assert (view.contact_persons, view.relationships, view.latest_interactions) == ([], [], [])
        with pytest.raises(ValueError, match="no section history"):
            partner_view(s, SYSTEM, company, sections=frozenset({"history"}))


def test_history_newest_first_paged_and_filtered(db, company):
    with db.reading() as s:
        first = interaction_history(s, SYSTEM, company, page_size=10)
        assert [r.subject for r in first.items][:3] == ["contact 29", "contact 28", "contact 27"]
        assert first.has_more
        last = first.items[-1]
        after = interaction_history(s, SYSTEM, company, page_size=10, before=(last.started_at, last.interaction_id))
        assert after.items[0].subject == "contact 19"
        phone = interaction_history(s, SYSTEM, company, filters=HistoryFilter(channels=("phone",)))
        assert {r.channel for r in phone.items} == {"phone"} and len(phone.items) == 10
        january = interaction_history(s, SYSTEM, company, filters=HistoryFilter(
            since=date(2026, 1, 10), until=date(2026, 1, 12)))
        assert [r.subject for r in january.items] == ["contact 11", "contact 10", "contact 9"]
        # The agent's days, not UTC's: at UTC-10 each contact (09:00 UTC) was made
        # at 23:00 the day before, so 10-12 January there holds contacts 10 to 12.
        local = interaction_history(s, SYSTEM, company, filters=HistoryFilter(
            since=date(2026, 1, 10), until=date(2026, 1, 12), zone=timezone(timedelta(hours=-10))))
        assert [r.subject for r in local.items] == ["contact 12", "contact 11", "contact 10"]
        open_ = interaction_history(s, SYSTEM, company, filters=HistoryFilter(statuses=("open",)))
        assert [r.subject for r in open_.items] == ["contact 0"]
        callbacks = interaction_history(s, SYSTEM, company, filters=HistoryFilter(outcome="callback"))
        assert len(callbacks.items) == 15


def test_history_filters_are_checked(db, company):
    with db.reading() as s:
        with pytest.raises(ValidationError, match="fax"):
            interaction_history(s, SYSTEM, company, filters=HistoryFilter(channels=("fax",)))
        with pytest.raises(ValidationError, match="ends before"):
            interaction_history(s, SYSTEM, company, filters=HistoryFilter(
                since=date(2026, 2, 1), until=date(2026, 1, 1)))
