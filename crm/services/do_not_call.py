"""Do-not-call lists: one for the whole contact center (no campaign) and one
per campaign. A number on either is never dialed: the call list import
refuses it, and the dialer asks `blocked` again at the moment of dialing.
Every addition and removal goes to the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from crm import texts
from crm.errors import NotFound, ValidationError
from crm.models import Campaign, DoNotCall, User
from crm.permissions import Actor, Permission
from crm.phones import normalize_phone
from crm.services import audit
from crm.services.campaigns import get_campaign

MAX_REASON = 200
CSV_COLUMNS = ("number", "campaign", "reason", "added_at", "added_by")


@dataclass(frozen=True)
class DoNotCallEntry:
    number: str
    campaign: str | None  # None: contact-center-wide
    reason: str
    added_at: datetime
    added_by: str | None


def blocked(session: Session, e164: str, campaign_id: int | None) -> DoNotCall | None:
    """The entry that forbids calling `e164` for this campaign (its own list or the
    contact center's), or None. The dialer calls this just before each call."""
    return session.scalars(select(DoNotCall).where(DoNotCall.e164 == e164, _scope(campaign_id)).limit(1)).first()


def blocked_numbers(session: Session, numbers: Iterable[str], campaign_id: int | None,
                    chunk: int = 1000) -> set[str]:
    """Which of `numbers` (E.164) are on the contact center's or this campaign's list."""
    wanted, found = list(dict.fromkeys(numbers)), set[str]()
    for start in range(0, len(wanted), chunk):
        found.update(session.scalars(
            select(DoNotCall.e164).where(DoNotCall.e164.in_(wanted[start:start + chunk]), _scope(campaign_id))))
    return found


def _scope(campaign_id: int | None) -> ColumnElement[bool]:
    """The lists that bind a campaign: the contact center's and its own."""
    center = DoNotCall.campaign_id.is_(None)
    return center if campaign_id is None else or_(center, DoNotCall.campaign_id == campaign_id)


def add(session: Session, actor: Actor, number: str, reason: str, *, campaign: str | None = None,
        region: str = "CN") -> DoNotCall:
    """Put a number on the contact center's list, or on a campaign's. Adding it again does nothing."""
    actor.require(Permission.DO_NOT_CALL_ADD, "put numbers on a do-not-call list")
    e164 = _e164(number, region)
    reason = _reason(reason)
    campaign_id = get_campaign(session, campaign).id if campaign else None
    existing = session.scalars(select(DoNotCall).where(
        DoNotCall.e164 == e164, _same_list(campaign_id))).first()
    if existing is not None:
        return existing
    entry = DoNotCall(e164=e164, campaign_id=campaign_id, reason=reason, added_by_id=actor.user_id)
    session.add(entry)
    session.flush()
    audit.record(session, actor, entity="do_not_call", entity_id=entry.id, action="add",
                 changes={"number": e164, "campaign": campaign, "reason": reason})
    return entry


def remove(session: Session, actor: Actor, number: str, *, campaign: str | None = None,
           region: str = "CN") -> None:
    actor.require(Permission.CAMPAIGN_MANAGE, "take numbers off a do-not-call list")
    e164 = _e164(number, region)
    campaign_id = get_campaign(session, campaign).id if campaign else None
    entry = session.scalars(select(DoNotCall).where(DoNotCall.e164 == e164, _same_list(campaign_id))).first()
    if entry is None:
        where = f"the do-not-call list of {campaign}" if campaign else "the contact center's do-not-call list"
        raise NotFound(f"{e164} is not on {where}")
    audit.record(session, actor, entity="do_not_call", entity_id=entry.id, action="remove",
                 changes={"number": e164, "campaign": campaign, "reason": entry.reason})
    session.delete(entry)


def entries(session: Session, actor: Actor, *, campaign: str | None = None) -> list[DoNotCallEntry]:
    """The contact center's list, or one campaign's."""
    actor.require(Permission.CAMPAIGN_MANAGE, "read the do-not-call lists")
    campaign_id = get_campaign(session, campaign).id if campaign else None
    rows = session.execute(
        select(DoNotCall, Campaign.name, User.username)
        .outerjoin(Campaign, Campaign.id == DoNotCall.campaign_id)
        .outerjoin(User, User.id == DoNotCall.added_by_id)
        .where(_same_list(campaign_id)).order_by(DoNotCall.e164)).all()
    return [DoNotCallEntry(d.e164, name, d.reason, d.added_at, user) for d, name, user in rows]


def export_csv(session: Session, actor: Actor, *, campaign: str | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries(session, actor, campaign=campaign):
        writer.writerow([e.number, e.campaign or "", e.reason, e.added_at.isoformat(sep=" "), e.added_by or ""])
    return out.getvalue()


def import_csv(session: Session, actor: Actor, text: str, *, campaign: str | None = None,
               default_reason: str = "imported", region: str = "CN") -> int:
    """Add the numbers of a CSV (a `number` column, an optional `reason`) to a list; all of them
    or, at the first bad row (named by its line), none. Returns how many were new."""
    actor.require(Permission.CAMPAIGN_MANAGE, "import do-not-call lists")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "number" not in reader.fieldnames:
        raise ValidationError("The do-not-call file needs a header with a 'number' column "
                              "(and, if you like, 'reason')")
    campaign_id = get_campaign(session, campaign).id if campaign else None
    wanted: dict[str, str] = {}  # every row read and checked before one is written
    for row in reader:
        try:
            e164 = _e164(row.get("number") or "", region)
            wanted.setdefault(e164, _reason(row.get("reason") or default_reason))
        except ValidationError as exc:
            raise ValidationError(f"line {reader.line_num}: {exc}") from None
    known = set(session.scalars(select(DoNotCall.e164).where(_same_list(campaign_id))))
    new = {e164: reason for e164, reason in wanted.items() if e164 not in known}
    entries = [DoNotCall(e164=e164, campaign_id=campaign_id, reason=reason, added_by_id=actor.user_id)
               for e164, reason in new.items()]
    session.add_all(entries)
    session.flush()
    for entry in entries:  # each number's own trail, as when added one by one
        audit.record(session, actor, entity="do_not_call", entity_id=entry.id, action="add",
                     changes={"number": entry.e164, "campaign": campaign, "reason": entry.reason, "imported": True})
    return len(entries)


def _same_list(campaign_id: int | None):
    return DoNotCall.campaign_id.is_(None) if campaign_id is None else DoNotCall.campaign_id == campaign_id


def _e164(number: str, region: str) -> str:
    phone = normalize_phone(texts.check(number, "the phone number"), region)
    if phone.e164 is None:
        raise ValidationError(f"{number!r} is not a phone number that can be dialed")
    return phone.e164


def _reason(reason: str) -> str:
    reason = " ".join(texts.check(reason or "", "the reason").split())
    if not reason:
        raise ValidationError("Say why the number must not be called (a reason)")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"The reason is longer than {MAX_REASON} characters")
    return reason
