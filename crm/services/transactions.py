"""Follow-up transactions: service orders, complaints, sales orders, leads
and opportunities, callbacks and tasks, created for a customer during or
after a contact and linked to its interaction record.

Every function checks its whole input before it writes anything and raises
ValidationError (or NotFound for a product, order or item that does not
exist) with a message for the agent; the caller's unit of work then rolls
back, so nothing is half-written. Who may create follow-ups: whoever may
read the customer (crm.permissions.require_read).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal, overload

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import (
    BusinessPartner,
    BusinessTransaction,
    InstalledBaseItem,
    Interaction,
    InteractionLink,
    LinkKind,
    OrgUnit,
    Product,
    TransactionItem,
    TransactionKind,
    TransactionStatus,
    User,
)
from crm.permissions import Actor, Permission, can_read, require_read, visible_partners_clause
from crm.services import audit, numbers
from crm.work_types import COMPLAINT_CATEGORIES, PRIORITIES, FollowUp, OrderLine  # noqa: F401 - named here too

SUBJECT_LENGTH = 200
TEXT_LENGTH = 10_000
MAX_ITEMS = 100


def create_service_order(session: Session, actor: Actor, *, partner_id: int, item_id: int,
                         description: str, priority: str = "normal", requested_date: date | None = None,
                         contact_person_id: int | None = None, today: date | None = None) -> BusinessTransaction:
    """A service order for one item of the customer's installed base."""
    partner = _partner(session, actor, partner_id)
    item = session.get(InstalledBaseItem, item_id)
    if item is None or item.partner_id != partner.id:
        raise NotFound(f"{partner.partner_no} has no installed-base item {item_id}")
    description = _text(description, "the problem description", required=True)
    priority = _choice(priority, PRIORITIES, "priority")
    today = today or utcnow().date()
    if requested_date is not None and requested_date < today:
        raise ValidationError(f"the requested date {requested_date.isoformat()} is in the past")
    return _add(session, actor, TransactionKind.SERVICE_ORDER, partner, contact_person_id,
                subject=f"{item.product.name}" + (f" {item.serial_no}" if item.serial_no else ""),
                description=description, priority=priority, installed_base_item_id=item.id,
                product_id=item.product_id,
                due_at=datetime.combine(requested_date, time(9)) if requested_date else None)


def create_complaint(session: Session, actor: Actor, *, partner_id: int, category: str, description: str,
                     sales_order_no: str | None = None, product_no: str | None = None,
                     priority: str = "normal", contact_person_id: int | None = None) -> BusinessTransaction:
    """A complaint, referring to one of the customer's sales orders or to a product."""
    partner = _partner(session, actor, partner_id)
    category = _choice(category, COMPLAINT_CATEGORIES, "category")
    description = _text(description, "the description", required=True)
    priority = _choice(priority, PRIORITIES, "priority")
    reference = None
    texts.check(sales_order_no, "the sales order number")
    if sales_order_no:
        reference = session.scalar(select(BusinessTransaction).where(
            BusinessTransaction.number == sales_order_no.strip().upper(),
            BusinessTransaction.kind == TransactionKind.SALES_ORDER.value))
        if reference is None or reference.partner_id != partner.id:
            raise NotFound(f"{partner.partner_no} has no sales order {sales_order_no}")
    product = _product(session, product_no) if product_no else None
    subject = description.splitlines()[0][:SUBJECT_LENGTH]
    return _add(session, actor, TransactionKind.COMPLAINT, partner, contact_person_id, subject=subject,
                description=description, category=category, priority=priority,
                reference_id=reference.id if reference else None, product_id=product.id if product else None)


def create_sales_order(session: Session, actor: Actor, *, partner_id: int, lines: list[OrderLine],
                       delivery_address: str, contact_person_id: int | None = None) -> BusinessTransaction:
    """A sales order of catalogue products; prices from the catalogue unless given."""
    partner = _partner(session, actor, partner_id)
    if not lines:
        raise ValidationError("a sales order needs at least one product")
    if len(lines) > MAX_ITEMS:
        raise ValidationError(f"a sales order has at most {MAX_ITEMS} lines")
    delivery = _text(delivery_address, "the delivery address", required=True, length=1000)
    items, total, currency = [], Decimal(0), None
    product_names = []
    for n, line in enumerate(lines, 1):
        product = _product(session, line.product_no)
        if not product.is_active:
            raise ValidationError(f"line {n}: {product.product_no} {product.name} is no longer sold")
        quantity = _decimal(line.quantity, f"line {n}: the quantity")
        if quantity <= 0:
            raise ValidationError(f"line {n}: the quantity must be more than 0")
        price = product.unit_price if line.unit_price in (None, "") else _decimal(line.unit_price, f"line {n}: the price")
        if price is None or price < 0:
            raise ValidationError(f"line {n}: {product.product_no} has no price; give one")
        if currency not in (None, product.currency):
            raise ValidationError(f"line {n}: {product.currency} differs from {currency}; one order, one currency")
        currency = product.currency
        items.append(TransactionItem(line_no=n, product_id=product.id, quantity=quantity, unit_price=price))
        product_names.append(product.name)
        total += quantity * price
    names = ", ".join(product_names[:3])
    order = _add(session, actor, TransactionKind.SALES_ORDER, partner, contact_person_id,
                 subject=(names + (" …" if len(items) > 3 else ""))[:SUBJECT_LENGTH],
                 amount=total.quantize(Decimal("0.01")), currency=currency, delivery_address=delivery)
    order.items = items
    session.flush()
    return order


def create_lead(session: Session, actor: Actor, *, partner_id: int, subject: str, kind: str = "lead",
                description: str | None = None, amount: Decimal | float | str | None = None,
                expected_close: date | None = None, owner: str | None = None,
                contact_person_id: int | None = None, today: date | None = None) -> BusinessTransaction:
    """A lead, or an opportunity with an expected value and closing date."""
    partner = _partner(session, actor, partner_id)
    kind = _choice(kind, (TransactionKind.LEAD.value, TransactionKind.OPPORTUNITY.value), "kind")
    subject = _text(subject, "the subject", required=True, length=SUBJECT_LENGTH)
    value = _decimal(amount, "the expected value") if amount not in (None, "") else None
    if value is not None and value < 0:
        raise ValidationError("the expected value cannot be negative")
    if expected_close is not None and expected_close < (today or utcnow().date()):
        raise ValidationError(f"the expected closing date {expected_close.isoformat()} is in the past")
    owner_id = _user(session, owner).id if owner else actor.user_id
    return _add(session, actor, TransactionKind(kind), partner, contact_person_id, subject=subject,
                description=_text(description, "the description"), amount=value,
                currency="CNY" if value is not None else None, owner_id=owner_id,
                due_at=datetime.combine(expected_close, time(18)) if expected_close else None)


def create_callback(session: Session, actor: Actor, *, partner_id: int, phone: str, window_start: datetime,
                    window_end: datetime, note: str | None = None, to_team: str | None = None,
                    contact_person_id: int | None = None, now: datetime | None = None) -> BusinessTransaction:
    """A callback in a time window, for the actor or for a team (by org unit code)."""
    partner = _partner(session, actor, partner_id)
    phone = _text(phone, "the number to call", required=True, length=60)
    start, end = _utc(window_start, "the window's start"), _utc(window_end, "the window's end")
    now = _utc(now, "now") if now is not None else utcnow()
    if end <= start:
        raise ValidationError("the time window ends before it starts")
    if end <= now:
        raise ValidationError("the time window is in the past")
    if end - start > timedelta(days=7):
        raise ValidationError("a callback window is at most 7 days long")
    team = _team(session, to_team) if to_team else None
    return _add(session, actor, TransactionKind.CALLBACK, partner, contact_person_id,
                subject=f"Callback {phone}", description=_text(note, "the note"), callback_phone=phone,
                window_start=start, window_end=end, due_at=end,
                owner_id=None if team else actor.user_id, team_id=team.id if team else None)


def create_task(session: Session, actor: Actor, *, partner_id: int, subject: str, assignee: str | None = None,
                team: str | None = None, description: str | None = None, due: datetime | None = None,
                contact_person_id: int | None = None, now: datetime | None = None) -> BusinessTransaction:
    """A follow-up task for a colleague (by user name) or a team (by org unit code)."""
    partner = _partner(session, actor, partner_id)
    if bool(assignee) == bool(team):
        raise ValidationError("a task goes to one colleague or to one team")
    subject = _text(subject, "the subject", required=True, length=SUBJECT_LENGTH)
    due_at = _utc(due, "the due date") if due is not None else None
    if due_at is not None and due_at <= (_utc(now, "now") if now is not None else utcnow()):
        raise ValidationError("the due date is in the past")
    user = _user(session, assignee) if assignee else None
    if user is not None and not can_read(session, Actor.for_user(user), partner):
        raise ValidationError(
            f"{user.display_name} may not read the customer {partner.partner_no} and could not act on "
            "the task; ask the customer's owner to share it with them first, or give the task to "
            "someone who can read it")
    unit = _team(session, team) if team else None
    return _add(session, actor, TransactionKind.TASK, partner, contact_person_id, subject=subject,
                description=_text(description, "the description"), due_at=due_at,
                owner_id=user.id if user else None, team_id=unit.id if unit else None)


# --- follow-ups: callbacks and tasks for whoever must act on them ------------------------------

FOLLOW_UP_KINDS = (TransactionKind.CALLBACK.value, TransactionKind.TASK.value)
MAX_FOLLOW_UPS = 200


def follow_ups_for(session: Session, actor: Actor, *, limit: int = MAX_FOLLOW_UPS) -> list[FollowUp]:
    """Open callbacks and tasks assigned to the actor or to his team, the most
    urgent first (those without a due time last), of customers he may read."""
    user = _me(session, actor)
    mine = BusinessTransaction.owner_id == user.id
    assigned = or_(mine, BusinessTransaction.team_id == user.org_unit_id) if user.org_unit_id else mine
    rows = session.execute(
        select(BusinessTransaction, BusinessPartner, OrgUnit.name)
        .join(BusinessPartner, BusinessPartner.id == BusinessTransaction.partner_id)
        .outerjoin(OrgUnit, OrgUnit.id == BusinessTransaction.team_id)
        .where(BusinessTransaction.kind.in_(FOLLOW_UP_KINDS),
               BusinessTransaction.status.in_(TransactionStatus.open_values()),
               assigned, visible_partners_clause(actor))
        .order_by(BusinessTransaction.due_at.is_(None), BusinessTransaction.due_at, BusinessTransaction.id)
        .limit(limit)).all()
    return [FollowUp(t.id, t.number, t.kind, t.subject, t.description, t.due_at, t.window_start,
                     t.callback_phone, p.id, p.partner_no, p.name,
                     team if t.owner_id is None else None) for t, p, team in rows]


def complete_follow_up(session: Session, actor: Actor, transaction_id: int,
                       now: datetime | None = None) -> BusinessTransaction:
    """Mark one's own (or one's team's) callback or task as done, in the audit trail."""
    user = _me(session, actor)
    transaction = session.get(BusinessTransaction, transaction_id, with_for_update=True)
    if transaction is None or transaction.kind not in FOLLOW_UP_KINDS:
        raise NotFound(f"No callback or task with id {transaction_id}.")
    ours = transaction.owner_id == user.id or (transaction.owner_id is None and transaction.team_id is not None
                                               and transaction.team_id == user.org_unit_id)
    if not ours and not actor.can(Permission.INTERACTION_READ_ANY):
        raise PermissionDenied(f"{transaction.number} is not assigned to {actor.username} or their team")
    if transaction.status not in TransactionStatus.open_values():
        raise ValidationError(f"{transaction.number} is {transaction.status} already")
    _partner(session, actor, transaction.partner_id)  # type: ignore[arg-type]  # none: refused as not found
    when = _utc(now, "now") if now is not None else utcnow()
    old_status = transaction.status
    transaction.status, transaction.closed_at, transaction.updated_at = (
        TransactionStatus.COMPLETED.value, when, when)
    session.flush()
    audit.record(session, actor, entity="transaction", entity_id=transaction.id, action="complete",
                 partner_id=transaction.partner_id,
                 changes={"number": transaction.number, "status": [old_status, "completed"]})
    return transaction


def _me(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise ValidationError(f"{actor.username} is not a user of the CRM and has no follow-ups")
    return user


# --- linking to the interaction ----------------------------------------------------------------


def link_to_interaction(session: Session, actor: Actor, interaction_id: int, transaction_id: int,
                        link: str = LinkKind.CREATED.value) -> bool:
    """Link a transaction to an interaction record; False if it was linked already."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFound(f"No interaction with id {interaction_id}.")
    if interaction.agent_id != actor.user_id and not actor.can(Permission.INTERACTION_READ_ANY):
        raise ValidationError(f"interaction {interaction_id} is another agent's")
    if session.get(BusinessTransaction, transaction_id) is None:
        raise NotFound(f"No transaction with id {transaction_id}.")
    if session.get(InteractionLink, (interaction_id, transaction_id, link)) is not None:
        return False
    session.add(InteractionLink(interaction_id=interaction_id, transaction_id=transaction_id, link=link))
    session.flush()
    return True


# --- helpers ----------------------------------------------------------------------------------------


def _add(session: Session, actor: Actor, kind: TransactionKind, partner: BusinessPartner,
         contact_person_id: int | None, **values) -> BusinessTransaction:
    if contact_person_id is not None:
        _partner(session, actor, contact_person_id, what="contact person")
    values.setdefault("owner_id", actor.user_id)
    transaction = BusinessTransaction(number=numbers.next_number(session, kind.value), kind=kind.value,
                                      partner_id=partner.id, contact_person_id=contact_person_id,
                                      created_by_id=actor.user_id, **values)
    session.add(transaction)
    session.flush()
    audit.record(session, actor, entity="transaction", entity_id=transaction.id, action="create",
                 partner_id=partner.id, changes={"number": transaction.number, "kind": kind.value})
    return transaction


def _partner(session: Session, actor: Actor, partner_id: int, what: str = "customer") -> BusinessPartner:
    partner = session.get(BusinessPartner, partner_id)
    if partner is None:
        raise NotFound(f"No {what} with id {partner_id}.")
    require_read(session, actor, partner)
    return partner


def _product(session: Session, product_no: str) -> Product:
    texts.check(product_no, "the product number")
    product = session.scalar(select(Product).where(Product.product_no == str(product_no).strip().upper()))
    if product is None:
        raise NotFound(f"There is no product {product_no} in the catalogue.")
    return product


def _user(session: Session, username: str) -> User:
    texts.check(username, "the colleague's user name")
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_active:
        raise NotFound(f"There is no active user {username!r}.")
    return user


def _team(session: Session, code: str) -> OrgUnit:
    texts.check(code, "the team")
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code.strip()))
    if unit is None:
        raise NotFound(f"There is no team {code!r}.")
    return unit


@overload
def _text(value, what: str, *, required: Literal[True], length: int = TEXT_LENGTH) -> str: ...


@overload
def _text(value, what: str, *, required: bool = False, length: int = TEXT_LENGTH) -> str | None: ...


def _text(value, what: str, *, required: bool = False, length: int = TEXT_LENGTH) -> str | None:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationError(f"{what} must be text")
    texts.check(text, what)
    if required and not text:
        raise ValidationError(f"{what} is required")
    if len(text) > length:
        raise ValidationError(f"{what} has at most {length} characters")
    return text or None


def _choice(value, allowed, what: str) -> str:
    if value not in allowed:
        raise ValidationError(f"{what} is one of {', '.join(allowed)}, not {value!r}")
    return value


def _decimal(value, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise ValidationError(f"{what} is not a number: {value!r}")
    return number


def _utc(value, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"{what} is a date and time, not {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
