"""The facts a script runs with, read from the CRM: the confirmed partner
and contact person, and the lists a question may offer (products).

Runs off the GUI thread in the desktop, in a session of its own; returns
plain dicts for `scripting.templates.make_context`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Product, TransactionKind
from crm.permissions import Actor
from crm.services.partner_view import PartnerView, partner_view
from crm.search_keys import is_cjk
from crm.services.partners import get_partner
from scripting.document import Option

# What a script's partner values are made of (see partner_values).
SCRIPT_SECTIONS = frozenset({"open_transactions", "installed_base"})


def partner_values(session: Session, actor: Actor, partner_id: int, *, view: PartnerView | None = None) -> dict:
    """What a script may say about a partner (the fields of CONTEXT['partner']); `view`: the
    partner's view if the caller has read it already in this session (with SCRIPT_SECTIONS)."""
    if view is None or view.partner.id != partner_id:
        view = partner_view(session, actor, partner_id, sections=SCRIPT_SECTIONS)
    p = view.partner
    main = next((a for a in p.addresses if a.is_main), p.addresses[0] if p.addresses else None)
    phone = next((ph.raw for ph in p.phones if ph.is_main), p.phones[0].raw if p.phones else None)
    email = next((e.address for e in p.emails if e.is_main), p.emails[0].address if p.emails else None)
    open_by_kind = {kind: sum(1 for t in view.open_transactions if t.kind == kind)
                    for kind in (TransactionKind.COMPLAINT, TransactionKind.SERVICE_ORDER,
                                 TransactionKind.SALES_ORDER)}
    return {
        "name": p.name, "addressed_as": addressed_as(p.kind, p.name, p.first_name, p.last_name),
        "partner_no": p.partner_no, "kind": p.kind, "first_name": p.first_name,
        "last_name": p.last_name, "org_name": p.org_name, "segment": p.segment,
        "value_class": p.value_class, "city": main.city if main else None, "phone": phone,
        "email": email, "owner": view.owner, "language": p.language,
        "customer_since": p.created_at.date().isoformat() if p.created_at else None,
        "open_complaints": open_by_kind[TransactionKind.COMPLAINT],
        "open_service_orders": open_by_kind[TransactionKind.SERVICE_ORDER],
        "open_sales_orders": open_by_kind[TransactionKind.SALES_ORDER],
        "installed_base": [ib.product.name for ib in view.installed_base],
        "attributes": {a.key: a.value for a in p.attributes},
    }


def addressed_as(kind: str, name: str, first_name: str | None, last_name: str | None) -> str:
    """How an agent speaking to the customer names him: the given name of a Western
    name ("Anna"), the whole name of a Chinese one (张伟, never 伟 alone), an
    organisation's name."""
    if kind != "person" or not first_name:
        return name
    if is_cjk(first_name) or (last_name and is_cjk(last_name)):
        return name
    return first_name


def contact_person_values(session: Session, actor: Actor, partner_id: int, *,
                          organization_id: int | None = None) -> dict:
    person = get_partner(session, actor, partner_id)
    function = None
    if organization_id is not None:
        view = partner_view(session, actor, organization_id, sections=frozenset({"related"}))
        function = next((c.function for c in view.contact_persons if c.partner_id == partner_id), None)
    return {
        "name": person.name, "addressed_as": addressed_as(person.kind, person.name, person.first_name,
                                                           person.last_name),
        "partner_no": person.partner_no, "first_name": person.first_name,
        "last_name": person.last_name, "function": function,
        "phone": next((ph.raw for ph in person.phones if ph.is_main), None),
        "email": next((e.address for e in person.emails if e.is_main), None),
    }


def list_options(session: Session, names) -> dict[str, list[Option]]:
    """The CRM lists crm_list questions offer, by name."""
    options: dict[str, list[Option]] = {}
    if "products" in names:
        rows = session.execute(select(Product.product_no, Product.name).where(Product.is_active)
                               .order_by(Product.name)).all()
        options["products"] = [Option(value=no, label=f"{name} ({no})") for no, name in rows]
    return options
