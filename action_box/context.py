"""The verified context of the Action Box, read from the CRM: the confirmed
partner with his address, numbers, installed base and sales orders; the
contact person; the agent's colleagues and teams; the product catalogue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import BusinessTransaction, OrgUnit, Product, TransactionKind, User
from crm.permissions import Actor
from crm.services.partner_view import partner_view
from crm.services.partners import get_partner
from action_box.model import AgentFacts, CallFacts, Context, PartnerFacts, PersonFacts

MAX_PRODUCTS = 2000
MAX_ORDERS = 50


def load_context(session: Session, actor: Actor, *, partner_id: int | None,
                 contact_person_id: int | None = None, call: CallFacts | None = None,
                 answers: dict | None = None, sender: str = "service@cicada.example", language: str = "en",
                 email_templates: tuple[dict, ...] = (), now: datetime | None = None) -> Context:
    from scripting.context import SCRIPT_SECTIONS, contact_person_values, partner_values

    partner = person = None
    if partner_id is not None:
        view = partner_view(session, actor, partner_id, sections=SCRIPT_SECTIONS)
        p = view.partner
        main = next((a for a in p.addresses if a.is_main), p.addresses[0] if p.addresses else None)
        phones = sorted(p.phones, key=lambda ph: not ph.is_main)
        emails = sorted(p.emails, key=lambda e: not e.is_main)
        orders = session.execute(
            select(BusinessTransaction.number, BusinessTransaction.subject)
            .where(BusinessTransaction.partner_id == p.id,
                   BusinessTransaction.kind == TransactionKind.SALES_ORDER.value)
            .order_by(BusinessTransaction.created_at.desc()).limit(MAX_ORDERS)).all()
        partner = PartnerFacts(
            partner_id=p.id, partner_no=p.partner_no, name=p.name,
            address=main.one_line() if main else None,
            phones=tuple(ph.raw for ph in phones), emails=tuple(e.address for e in emails),
            installed_base=tuple((ib.id, f"{ib.product.name} {ib.serial_no or ''}".strip())
                                 for ib in view.installed_base),
            sales_orders=tuple((number, f"{number} {subject}") for number, subject in orders),
            item_products={ib.id: ib.product.product_no for ib in view.installed_base},
            values=partner_values(session, actor, p.id, view=view))
    if contact_person_id is not None:
        c = get_partner(session, actor, contact_person_id)
        person = PersonFacts(
            partner_id=c.id, partner_no=c.partner_no, name=c.name,
            email=next((e.address for e in sorted(c.emails, key=lambda e: not e.is_main)), None),
            phone=next((ph.raw for ph in sorted(c.phones, key=lambda ph: not ph.is_main)), None),
            values=contact_person_values(session, actor, c.id, organization_id=partner_id))
    products = session.execute(
        select(Product.product_no, Product.name, Product.unit_price, Product.currency)
        .where(Product.is_active).order_by(Product.name).limit(MAX_PRODUCTS)).all()
    return Context(
        agent=_agent(session, actor), partner=partner, contact_person=person, call=call,
        answers=dict(answers or {}),
        products=tuple((no, f"{name} ({price} {currency})" if price is not None else name)
                       for no, name, price, currency in products),
        prices={no: (price, currency) for no, _name, price, currency in products if price is not None},
        sender=sender, language=language, email_templates=tuple(email_templates), now=now)


def _agent(session: Session, actor: Actor) -> AgentFacts:
    user = session.get(User, actor.user_id) if actor.user_id else None
    teams = session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.kind == "team")
                            .order_by(OrgUnit.name)).all()
    colleagues = session.execute(
        select(User.username, User.display_name)
        .where(User.is_active, User.id != (actor.user_id or 0))
        .order_by(User.display_name).limit(500)).all()
    return AgentFacts(
        user_id=actor.user_id, username=actor.username, name=user.display_name if user else actor.username,
        email=user.email if user else None, teams=tuple((c, n) for c, n in teams),
        colleagues=tuple((u, n) for u, n in colleagues))
