"""The CRM schema: business partners, ownership, users and organization,
products and installed base, business transactions, interaction records, the
event log of contacts and agents and the audit trail.

Enumerations are stored as short strings (portable between SQLite and
PostgreSQL, and readable in reports); the Python enums below are the list of
valid values. All times are naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement

from crm.clock import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Search tokens are compared by prefix ranges, which needs byte order, not a
# locale's collation.
TokenString = String(80).with_variant(String(80, collation="C"), "postgresql")


class DatabaseUtcNow(FunctionElement):
    """The database's clock, in naive UTC with microseconds, as a column's server default."""

    type = DateTime()
    inherit_cache = True


@compiles(DatabaseUtcNow, "postgresql")
def _postgresql_utc_now(_element, _compiler, **_kw) -> str:
    return "(now() AT TIME ZONE 'utc')"


@compiles(DatabaseUtcNow, "sqlite")
def _sqlite_utc_now(_element, _compiler, **_kw) -> str:
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class StrEnumBase(StrEnum):
    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]


class PartnerKind(StrEnumBase):
    PERSON = "person"
    ORGANIZATION = "organization"
    GROUP = "group"


class PartnerRole(StrEnumBase):
    CUSTOMER = "customer"
    PROSPECT = "prospect"
    CONTACT_PERSON = "contact_person"
    COMPETITOR = "competitor"


class RelationshipKind(StrEnumBase):
    CONTACT_PERSON_OF = "contact_person_of"
    SHAREHOLDER_OF = "shareholder_of"
    MEMBER_OF = "member_of"


class UserRole(StrEnumBase):
    AGENT = "agent"
    SALES_REP = "sales_rep"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"


class OrgUnitKind(StrEnumBase):
    CONTACT_CENTER = "contact_center"
    SITE = "site"
    TEAM = "team"


class TransactionKind(StrEnumBase):
    SERVICE_ORDER = "service_order"
    COMPLAINT = "complaint"
    SALES_ORDER = "sales_order"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    CALLBACK = "callback"
    TASK = "task"


class TransactionStatus(StrEnumBase):
    OPEN = "open"
    IN_PROCESS = "in_process"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @classmethod
    def open_values(cls) -> list[str]:
        return [cls.OPEN.value, cls.IN_PROCESS.value]


class Channel(StrEnumBase):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"


class Direction(StrEnumBase):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionStatus(StrEnumBase):
    OPEN = "open"
    WRAP_UP = "wrap_up"
    CLOSED = "closed"


class EndCause(StrEnumBase):
    """Why a call segment ended."""

    CALLER_HANGUP = "caller_hangup"
    AGENT_HANGUP = "agent_hangup"
    ABANDONED = "abandoned"  # the caller hung up while waiting in queue
    OVERFLOW = "overflow"  # moved on to another queue
    TRANSFERRED = "transferred"
    FAILURE = "failure"
    REJECTED = "rejected"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    GATEWAY_STOPPED = "gateway_stopped"  # the gateway was stopped during the call
    GATEWAY_RESTARTED = "gateway_restarted"  # the gateway died during the call; closed at its next start


class EventKind(StrEnumBase):
    """What happened to a contact in the queues, or to an agent's working time: the kinds of
    the event log (docs/reports.md lists each one's detail)."""

    # contacts
    ENTERED = "entered"  # entered a queue
    OFFERED = "offered"  # offered to an agent
    RING_NO_ANSWER = "ring_no_answer"  # that agent did not answer in time
    REJECTED = "rejected"  # that agent refused the offer
    ANSWERED = "answered"  # detail: wait
    ABANDONED = "abandoned"  # the customer hung up while waiting; detail: wait
    OVERFLOWED = "overflowed"  # left the queue for another queue or number; detail: target
    TRANSFERRED = "transferred"  # detail: target ("queue:sales", "agent:amy", "number:..."), attended
    HELD = "held"
    RETRIEVED = "retrieved"
    # ended: detail cause and by (customer, agent, system); one not answered left the queue
    # otherwise, its cause says why (no_answer: timeout, rejected: no agents or closed, failure)
    ENDED = "ended"
    WRAPPED_UP = "wrapped_up"  # the answering agent's wrap-up ended; detail: talk, wrap_up, handle
    # email and chat conversations (an "answered" one is one an agent took)
    FIRST_REPLY = "first_reply"  # the agent's first email or chat line to the customer in this visit
    REPLIED = "replied"  # each later one
    RESOLVED = "resolved"  # the agent closed it; detail: outcome
    REOPENED = "reopened"  # the customer wrote again on a closed conversation (an "entered" follows)
    # agents
    LOGGED_IN = "logged_in"  # detail: queues, channels, device
    LOGGED_OUT = "logged_out"  # detail: reason
    WORK_MODE = "work_mode"  # detail: mode, reason (a not-ready reason code)


class LinkKind(StrEnumBase):
    CREATED = "created"
    VIEWED = "viewed"


class SearchField(StrEnumBase):
    NAME = "name"
    CITY = "city"
    EMAIL = "email"
    PHONE = "phone"
    NUMBER = "number"


# --- users and organization -------------------------------------------------


class OrgUnit(Base):
    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    extension: Mapped[str | None] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(10), default="en")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    org_unit: Mapped[OrgUnit | None] = relationship()
    skills: Mapped[list[UserSkill]] = relationship(back_populates="user")


class UserSession(Base):
    """A signed-in user's session, shared by every service he uses: the
    application service issues it, the gateway and the mail queue accept it.
    Only a hash of the token is kept, so a copy of the table opens nothing."""

    __tablename__ = "user_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    client: Mapped[str] = mapped_column(String(80))  # "desktop", "console", or what an integration says
    source: Mapped[str] = mapped_column(String(64))  # the address it signed in from
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    end_reason: Mapped[str | None] = mapped_column(String(40))


class ProfileSetting(Base):
    """One IC profile setting, on an org unit or on a user: lower levels
    inherit it unless they set the key themselves (crm.services.profiles)."""

    __tablename__ = "profile_setting"
    __table_args__ = (
        # Exactly one level. The unique indexes below cannot say it: their
        # NULL column makes rows of the other level distinct.
        CheckConstraint("(org_unit_id IS NULL) <> (user_id IS NULL)", name="one_level"),
        Index("uq_profile_setting_org_unit_key", "org_unit_id", "key", unique=True),
        Index("uq_profile_setting_user_key", "user_id", "key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[object] = mapped_column(JSON)


class Skill(Base):
    __tablename__ = "skill"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(200))


class UserSkill(Base):
    __tablename__ = "user_skill"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)

    user: Mapped[User] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


# --- business partners ------------------------------------------------------


class BusinessPartner(Base):
    __tablename__ = "business_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_no: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Persons use first/last name, organizations and groups org_name; `name`
    # is the display form ("张伟", "John Smith", "Acme Corp").
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    org_name: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(250), index=True)
    language: Mapped[str | None] = mapped_column(String(10))
    segment: Mapped[str | None] = mapped_column(String(40))
    value_class: Mapped[str | None] = mapped_column(String(10))
    # NULL owner: the customer is in the customer pool.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    roles: Mapped[list[PartnerRoleAssignment]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )
    addresses: Mapped[list[Address]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )
    phones: Mapped[list[PhoneNumber]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )
    emails: Mapped[list[EmailAddress]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )
    attributes: Mapped[list[PartnerAttribute]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)

    @property
    def main_phone(self) -> PhoneNumber | None:
        return _main(self.phones)

    @property
    def main_email(self) -> EmailAddress | None:
        return _main(self.emails)

    @property
    def main_address(self) -> Address | None:
        return _main(self.addresses)


def _main(items):
    for item in items:
        if item.is_main:
            return item
    return items[0] if items else None


class PartnerRoleAssignment(Base):
    __tablename__ = "partner_role"

    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    partner: Mapped[BusinessPartner] = relationship(back_populates="roles")


class PartnerRelationship(Base):
    """`partner` <kind> `related_partner`, e.g. Li Na is contact person of Acme."""

    __tablename__ = "partner_relationship"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), index=True)
    related_partner_id: Mapped[int] = mapped_column(
        ForeignKey("business_partner.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    function: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    partner: Mapped[BusinessPartner] = relationship(foreign_keys=[partner_id])
    related_partner: Mapped[BusinessPartner] = relationship(foreign_keys=[related_partner_id])


class Address(Base):
    __tablename__ = "address"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="main")
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)

    partner: Mapped[BusinessPartner] = relationship(back_populates="addresses")

    def one_line(self) -> str:
        if self.country == "CN":  # Chinese order: largest unit first
            parts = [self.region, self.city, self.district, self.street, self.postal_code]
            return " ".join(p for p in parts if p)
        parts = [self.street, self.district, self.city, self.region, self.postal_code, self.country]
        return ", ".join(p for p in parts if p)


class PhoneNumber(Base):
    """A number as typed, and its E.164 form when phonenumbers can read it."""

    __tablename__ = "phone_number"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="mobile")
    raw: Mapped[str] = mapped_column(String(60))
    e164: Mapped[str | None] = mapped_column(String(20), index=True)
    # Digits of `raw`, to find numbers that could not be normalized.
    digits: Mapped[str] = mapped_column(String(40), index=True)
    is_valid: Mapped[bool] = mapped_column(Boolean, default=True)
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)

    partner: Mapped[BusinessPartner] = relationship(back_populates="phones")


class EmailAddress(Base):
    __tablename__ = "email_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    address_lower: Mapped[str] = mapped_column(String(254), index=True)
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)

    partner: Mapped[BusinessPartner] = relationship(back_populates="emails")


class PartnerAttribute(Base):
    """Free marketing attributes (interest, channel preference, ...)."""

    __tablename__ = "partner_attribute"

    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))

    partner: Mapped[BusinessPartner] = relationship(back_populates="attributes")


class SearchToken(Base):
    """One searchable word of a partner; found by prefix range on `token`."""

    __tablename__ = "search_token"
    __table_args__ = (
        Index("ix_search_token_partner_id", "partner_id"),
        {"sqlite_with_rowid": False},
    )

    token: Mapped[str] = mapped_column(TokenString, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("business_partner.id"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(10), primary_key=True)


class SearchTermVariant(Base):
    """A name word and its one-letter deletions, to find it again despite a typo."""

    __tablename__ = "search_term_variant"
    __table_args__ = ({"sqlite_with_rowid": False},)

    variant: Mapped[str] = mapped_column(TokenString, primary_key=True)
    term: Mapped[str] = mapped_column(TokenString, primary_key=True)


class OwnershipRecord(Base):
    """Who held a customer from when to when (NULL owner: the pool)."""

    __tablename__ = "ownership_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(20))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    by_user: Mapped[User | None] = relationship(foreign_keys=[by_user_id])


class PartnerShare(Base):
    """Read-only access to a customer granted to a colleague."""

    __tablename__ = "partner_share"

    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True, index=True)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NumberRange(Base):
    """Next free number of a kind (customer numbers, transaction numbers)."""

    __tablename__ = "number_range"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer)


# --- products and installed base --------------------------------------------


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(80))
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class InstalledBaseItem(Base):
    __tablename__ = "installed_base_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("business_partner.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    serial_no: Mapped[str | None] = mapped_column(String(80), index=True)
    installed_on: Mapped[date | None] = mapped_column(Date)
    warranty_end: Mapped[date | None] = mapped_column(Date)

    product: Mapped[Product] = relationship()


# --- business transactions --------------------------------------------------


class BusinessTransaction(Base):
    """Service orders, complaints, sales orders, leads, opportunities,
    callbacks and follow-up tasks share one table; `kind` tells them apart and
    the kind-specific columns are NULL for the others."""

    __tablename__ = "business_transaction"
    __table_args__ = (Index("ix_business_transaction_partner_status", "partner_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=TransactionStatus.OPEN.value)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"))
    contact_person_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # service order: the item serviced; complaint: product or referenced order
    installed_base_item_id: Mapped[int | None] = mapped_column(ForeignKey("installed_base_item.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    reference_id: Mapped[int | None] = mapped_column(ForeignKey("business_transaction.id"))
    # sales order, opportunity: value
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    # callback: number and time window
    callback_phone: Mapped[str | None] = mapped_column(String(60))
    window_start: Mapped[datetime | None] = mapped_column(DateTime)
    window_end: Mapped[datetime | None] = mapped_column(DateTime)
    # callback, task: a team's work rather than one person's (owner_id None)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # sales order: where to deliver
    delivery_address: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[TransactionItem]] = relationship(
        back_populates="transaction", cascade="all, delete-orphan", order_by="TransactionItem.line_no"
    )
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])


class TransactionItem(Base):
    __tablename__ = "transaction_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("business_transaction.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    transaction: Mapped[BusinessTransaction] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


# --- interaction records ----------------------------------------------------


class Interaction(Base):
    """One contact with a customer on any channel."""

    __tablename__ = "interaction"
    __table_args__ = (
        Index("ix_interaction_partner_started", "partner_id", "started_at"),
        Index("ix_interaction_agent_started", "agent_id", "started_at"),
        # One record per agent segment of a call; also the index on contact_id.
        # A unique index rather than a constraint: SQLite adds it without
        # rebuilding the table.
        Index("uq_interaction_contact_segment", "contact_id", "segment_no", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=InteractionStatus.OPEN.value)
    queue: Mapped[str | None] = mapped_column(String(80))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"))
    contact_person_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"))
    # ANI/DNIS for calls, sender/recipient address for email and chat
    ani: Mapped[str | None] = mapped_column(String(254))
    dnis: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(250))
    external_id: Mapped[str | None] = mapped_column(String(250), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    wait_seconds: Mapped[int] = mapped_column(Integer, default=0)
    talk_seconds: Mapped[int] = mapped_column(Integer, default=0)
    hold_seconds: Mapped[int] = mapped_column(Integer, default=0)
    wrapup_seconds: Mapped[int] = mapped_column(Integer, default=0)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    outcome_code: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    # Calls: the call id shared by every segment, and which agent segment
    # this is (1 for the first agent, 2 after a transfer, ...).
    contact_id: Mapped[str | None] = mapped_column(String(64))
    segment_no: Mapped[int | None] = mapped_column(Integer)
    offered_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_cause: Mapped[str | None] = mapped_column(String(20))

    agent: Mapped[User | None] = relationship()
    links: Mapped[list[InteractionLink]] = relationship(
        back_populates="interaction", cascade="all, delete-orphan"
    )


class InteractionLink(Base):
    """A business transaction created or viewed during an interaction."""

    __tablename__ = "interaction_link"

    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id"), primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("business_transaction.id"), primary_key=True, index=True
    )
    link: Mapped[str] = mapped_column(String(10), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    interaction: Mapped[Interaction] = relationship(back_populates="links")
    transaction: Mapped[BusinessTransaction] = relationship()


class LoggedEvent(Base):
    """One event of a contact (a call, later an email or a chat) or of an agent's working
    time: the one log every queue and agent report, and the wallboard's "today", are
    computed from (docs/reports.md, "The event log").

    `at` is when it happened, by the clock of the process that saw it (the gateway spools its
    records and may write them long after, during a database outage, so the time of writing
    is not the time of the event); `recorded_at` is when the database took it, by the
    database's clock. `event_key` is unique: the writer makes it once per event (its run and a
    number), so writing the same event again (a retried commit) adds nothing."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_queue_at", "queue", "at"),
        Index("ix_event_log_agent_at", "agent_id", "at"),
        Index("ix_event_log_contact_at", "contact_id", "at"),
        Index("ix_event_log_at", "at"),
        Index("uq_event_log_event_key", "event_key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_key: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)  # with microseconds: order within a second
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=DatabaseUtcNow())
    kind: Mapped[str] = mapped_column(String(20))
    # The contact: its channel and id (a call's id, a conversation's number); None for an
    # agent's own events.
    channel: Mapped[str | None] = mapped_column(String(10))
    contact_id: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(80))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # {"wait": 12.5}, {"mode": "not_ready", "reason": "lunch"}, {"target": "queue:sales"}
    detail: Mapped[dict | None] = mapped_column(JSON)


class RecordSpoolProgress(Base):
    """How far the records of a gateway's local spool are written: the spool's
    last sequence number committed, in the same transaction as its records,
    so that a spool replayed after a crash writes each record exactly once."""

    __tablename__ = "record_spool_progress"

    spool_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


# --- audit trail ------------------------------------------------------------


class AuditEntry(Base):
    """Who changed which customer data, when, and what changed."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict | None] = mapped_column(JSON)



# --- supervisors' console -----------------------------------------------------


class ConsoleAlert(Base):
    """An alert the supervisors' console raised (a queue's or an agent's threshold crossed),
    with its start and end, kept for later review; one per supervisor scope that saw it."""

    __tablename__ = "console_alert"
    __table_args__ = (Index("ix_console_alert_scope_started", "scope", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(200))  # whose wallboard: "all", or "units:3,5"
    kind: Mapped[str] = mapped_column(String(20))  # longest_wait, waiting, service_level, not_ready
    queue: Mapped[str | None] = mapped_column(String(80))
    agent: Mapped[str | None] = mapped_column(String(80))  # the agent's user name
    reason: Mapped[str | None] = mapped_column(String(40))  # his not-ready reason
    threshold: Mapped[float] = mapped_column(Float)  # seconds, callers or %, as the kind says
    worst: Mapped[float] = mapped_column(Float)  # the worst value while it lasted
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


# --- call scripts -------------------------------------------------------------


class CallScript(Base):
    """A prompt or interactive call script: its name stays across versions."""

    __tablename__ = "call_script"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # interactive, prompt
    active_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    versions: Mapped[list[CallScriptVersion]] = relationship(
        back_populates="script", order_by="CallScriptVersion.version")


class CallScriptVersion(Base):
    """One imported version of a script: the document as it was validated,
    and the text it came from. Never changed once written."""

    __tablename__ = "call_script_version"
    __table_args__ = (UniqueConstraint("script_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("call_script.id"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(10), default="en")
    document: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    script: Mapped[CallScript] = relationship(back_populates="versions")


class ScriptRun(Base):
    """One agent's walk through a script during one contact, kept as it goes:
    the answers that count now, where it stands or ended."""

    __tablename__ = "script_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_key: Mapped[str] = mapped_column(String(40), unique=True)
    script_version_id: Mapped[int] = mapped_column(ForeignKey("call_script_version.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interaction.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_node: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[dict] = mapped_column(JSON)  # the runner's state, to resume after a transfer

    version: Mapped[CallScriptVersion] = relationship()
    answers: Mapped[list[ScriptAnswer]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ScriptAnswer.seq")


class ScriptRunSegment(Base):
    """An agent's record a run went through before it was handed over with
    a transfer: the run stays linked to it as well as to its current one."""

    __tablename__ = "script_run_segment"
    __table_args__ = (UniqueConstraint("run_id", "interaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("script_run.id"), index=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id"), index=True)


class ScriptAnswer(Base):
    """An answer that counts in a script run: its question node, value and time."""

    __tablename__ = "script_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("script_run.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    node_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[object | None] = mapped_column(JSON, nullable=True)  # None: skipped
    answered_at: Mapped[datetime] = mapped_column(DateTime)

    run: Mapped[ScriptRun] = relationship(back_populates="answers")


# --- email out ------------------------------------------------------------------


class OutboundEmail(Base):
    """An email to a customer, stored before it is sent and kept after: the
    outbox. Status: queued, sent, failed (given up, with the reason)."""

    __tablename__ = "outbound_email"
    __table_args__ = (Index("ix_outbound_email_status", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interaction.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    sender: Mapped[str] = mapped_column(String(254))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(250))
    body_text: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(250))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Reply-all copies and the whole References chain of a reply.
    cc: Mapped[str | None] = mapped_column(Text)
    reference_ids: Mapped[str | None] = mapped_column(Text)


class ConversationStatus(StrEnumBase):
    QUEUED = "queued"  # waiting for an agent (in a push queue, or in the group inbox)
    OFFERED = "offered"  # pushed to an agent who has not accepted yet
    ASSIGNED = "assigned"  # an agent's work
    CLOSED = "closed"


class MessageKind(StrEnumBase):
    INBOUND = "inbound"  # from the customer
    OUTBOUND = "outbound"  # from an agent to the customer
    NOTE = "note"  # internal, never sent
    SYSTEM = "system"  # what the service says in a chat (e.g. "an agent joined")


class RawEmail(Base):
    """An email exactly as it arrived, stored before it was acknowledged."""

    __tablename__ = "raw_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    via: Mapped[str] = mapped_column(String(10))  # smtp, imap
    mailbox: Mapped[str] = mapped_column(String(254))  # the service address it came for
    envelope_from: Mapped[str | None] = mapped_column(String(254))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[bytes] = mapped_column(LargeBinary)


class Conversation(Base):
    """An email thread or a chat: routed to a queue, worked by an agent, and
    recorded as one interaction of the customer."""

    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_queue_status", "queue", "status", "priority", "created_at"),
        Index("ix_conversation_thread", "thread_key", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # email, chat
    mailbox: Mapped[str] = mapped_column(String(254))
    queue: Mapped[str] = mapped_column(String(80))
    priority: Mapped[int] = mapped_column(Integer, default=5)  # 1 first
    status: Mapped[str] = mapped_column(String(10), default=ConversationStatus.QUEUED.value)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interaction.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_address: Mapped[str | None] = mapped_column(String(254), index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(250), default="")
    thread_key: Mapped[str | None] = mapped_column(String(300))  # sender + subject without Re:
    language: Mapped[str | None] = mapped_column(String(10))
    chat_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)  # the first response is due
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    customer_ended_at: Mapped[datetime | None] = mapped_column(DateTime)  # a chat the customer ended

    messages: Mapped[list[ConversationMessage]] = relationship(
        back_populates="conversation", order_by="ConversationMessage.id")
    assigned_to: Mapped[User | None] = relationship()


class ConversationMessage(Base):
    """An email or chat line of a conversation, in or out, or an agent's note."""

    __tablename__ = "conversation_message"
    __table_args__ = (
        Index("uq_conversation_message_client", "conversation_id", "client_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    # Email: its Message-ID (one message stored once); chat: the widget's id
    # for the line (a line sent again after a reconnect is stored once).
    message_id: Mapped[str | None] = mapped_column(String(250), unique=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    in_reply_to: Mapped[str | None] = mapped_column(String(250))
    reference_ids: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(254))
    recipients: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(250))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)  # sanitised
    has_remote_images: Mapped[bool] = mapped_column(Boolean, default=False)
    defects: Mapped[str | None] = mapped_column(Text)
    raw_email_id: Mapped[int | None] = mapped_column(ForeignKey("raw_email.id"))
    outbound_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_email.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id", cascade="all, delete-orphan")


class MessageAttachment(Base):
    __tablename__ = "message_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("conversation_message.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    content_id: Mapped[str | None] = mapped_column(String(250))
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[ConversationMessage] = relationship(back_populates="attachments")


# --- outbound campaigns -------------------------------------------------------


class DialingMode(StrEnumBase):
    PREVIEW = "preview"  # the agent sees the contact first and dials (or it dials after N seconds)
    PROGRESSIVE = "progressive"  # one call per free agent, placed for him
    PREDICTIVE = "predictive"  # paced under the campaign's abandon cap


class CampaignState(StrEnumBase):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class ContactState(StrEnumBase):
    """Where a contact of a call list stands; the dialer moves it on."""

    OPEN = "open"  # to be called
    SCHEDULED = "scheduled"  # a retry or a callback is due at next_attempt_at
    DONE = "done"  # a final disposition, or no attempts left
    DO_NOT_CALL = "do_not_call"  # one of its numbers went onto a do-not-call list
    SKIPPED = "skipped"  # an agent skipped it in preview, with a reason


class Campaign(Base):
    """An outbound campaign. Its settings (agents, script, windows, retries,
    dispositions, ...) are one document validated by crm.outbound.settings and
    kept as JSON; the columns are what the dialer selects campaigns by."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    dialing_mode: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(10), default=CampaignState.DRAFT.value)
    settings: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CallList(Base):
    """One imported file of contacts for a campaign."""

    __tablename__ = "call_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[dict] = mapped_column(JSON)  # file name, encoding, mapping, counts
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class CallListContact(Base):
    """A row of a call list: who to call, on which numbers, and where it stands."""

    __tablename__ = "call_list_contact"
    __table_args__ = (Index("ix_call_list_contact_list_state", "call_list_id", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_list_id: Mapped[int] = mapped_column(ForeignKey("call_list.id"))
    line_no: Mapped[int] = mapped_column(Integer)  # the row's line in the file
    name: Mapped[str] = mapped_column(String(250))
    customer_no: Mapped[str | None] = mapped_column(String(40))  # as the file gave it
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("business_partner.id"), index=True)
    fields: Mapped[dict] = mapped_column(JSON)  # the row's other columns, for scripts
    state: Mapped[str] = mapped_column(String(12), default=ContactState.OPEN.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)


class CallListNumber(Base):
    """A contact's numbers in E.164, in the order of preference the file's columns gave."""

    __tablename__ = "call_list_number"
    __table_args__ = (Index("ix_call_list_number_e164", "e164"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("call_list_contact.id"), primary_key=True)
    preference: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1 first
    call_list_id: Mapped[int] = mapped_column(ForeignKey("call_list.id"), index=True)
    e164: Mapped[str] = mapped_column(String(20))


class DoNotCall(Base):
    """A number never to be dialed: contact-center-wide (no campaign) or for one campaign."""

    __tablename__ = "do_not_call"
    __table_args__ = (Index("ix_do_not_call_e164", "e164", "campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))
    reason: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
