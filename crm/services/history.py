"""Interaction history of a partner across channels, newest first, paged."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Interaction, User
from crm.history_types import HistoryFilter, HistoryRow
from crm.paging import Page, check_paging
from crm.permissions import Actor
from crm.services.partners import get_partner


def _utc_midnight(day: date, zone: tzinfo) -> datetime:
    """The start of `day` in `zone`, as the CRM's naive UTC."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)


def interaction_history(session: Session, actor: Actor, partner_id: int, *,
                        filters: HistoryFilter = HistoryFilter(), page: int = 1,
                        page_size: int = 50, before: tuple[datetime, int] | None = None
                        ) -> Page[HistoryRow]:
    """Newest first. For deep scrolling pass `before` = (started_at, id) of the
    last row shown (keyset paging, constant time at any depth) instead of a page."""
    offset = check_paging(page, page_size)
    filters.validate()
    get_partner(session, actor, partner_id)  # permission check
    stmt = (
        select(Interaction.id, Interaction.started_at, Interaction.channel, Interaction.direction,
               Interaction.status, Interaction.queue, User.display_name, Interaction.subject,
               Interaction.reason_code, Interaction.outcome_code, Interaction.talk_seconds)
        .outerjoin(User, User.id == Interaction.agent_id)
        .where(Interaction.partner_id == partner_id)
    )
    if filters.channels:
        stmt = stmt.where(Interaction.channel.in_(filters.channels))
    if filters.statuses:
        stmt = stmt.where(Interaction.status.in_(filters.statuses))
    if filters.outcome:
        stmt = stmt.where(Interaction.outcome_code == filters.outcome)
    if filters.since:
        stmt = stmt.where(Interaction.started_at >= _utc_midnight(filters.since, filters.zone))
    if filters.until:
        stmt = stmt.where(Interaction.started_at < _utc_midnight(filters.until + timedelta(days=1), filters.zone))
    if before is not None:
        started, last_id = before
        stmt = stmt.where((Interaction.started_at < started)
                          | ((Interaction.started_at == started) & (Interaction.id < last_id)))
        offset = 0
    stmt = stmt.order_by(Interaction.started_at.desc(), Interaction.id.desc())
    rows = session.execute(stmt.offset(offset).limit(page_size + 1)).all()
    items = [HistoryRow(*r) for r in rows[:page_size]]
    return Page(items=items, page=page, page_size=page_size, has_more=len(rows) > page_size)
