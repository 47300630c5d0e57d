"""A partner's interaction history, page by page, and one interaction's detail."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from fastapi import APIRouter, Query, Request

from app_service import business_data as work
from app_service.app import Token, reply, signed_in
from app_service.business_results import HistoryPage, InteractionDetail
from crm.errors import ValidationError
from crm.services import history as history_service

router = APIRouter(prefix="/v1", tags=["history"])

UtcOffset = Query(0, ge=-24 * 60, le=24 * 60,
                  description="the reader's offset from UTC in minutes: his days and times are his own")


@router.get("/partners/{partner_id}/history", response_model=HistoryPage,
            summary="A partner's interactions, newest first; for the next page pass the last row's "
                    "started_at and interaction_id as before_at and before_id")
def history(request: Request, partner_id: int, token: str = Token,
            channel: list[str] = Query([], max_length=10), status: list[str] = Query([], max_length=10),
            since: date | None = None, until: date | None = None, outcome: str | None = Query(None, max_length=40),
            utc_offset: int = UtcOffset, before_at: datetime | None = None, before_id: int | None = None,
            page_size: int = Query(200, ge=1, le=500)):
    with signed_in(request, token) as (session, who):
        if (before_at is None) != (before_id is None):
            raise ValidationError("give both before_at and before_id, or neither")
        filters = history_service.HistoryFilter(
            channels=tuple(channel), since=since, until=until, zone=_zone(utc_offset), statuses=tuple(status),
            outcome=outcome)
        before = (_naive_utc(before_at), before_id) if before_at is not None else None
        page = history_service.interaction_history(session, who.actor, partner_id, filters=filters,
                                                   page_size=page_size, before=before)
        return reply(HistoryPage(page.items, page.page, page.page_size, page.total, page.has_more, page.notes))


@router.get("/interactions/{interaction_id}", response_model=InteractionDetail,
            summary="An interaction record: its fields, script answers, messages and what was created in it")
def interaction_detail(request: Request, interaction_id: int, token: str = Token, utc_offset: int = UtcOffset):
    with signed_in(request, token) as (session, who):
        return reply(work.interaction_detail(session, who.actor, interaction_id, _zone(utc_offset)))


def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def _naive_utc(value: datetime) -> datetime:
    """The CRM keeps naive UTC; a client may send either."""
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
