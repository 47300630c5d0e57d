"""Business partners: identifying a caller or a customer number, searching, a
partner the agent picked, and the business data display (the 360° view).

The screen pop's two requests are here: identification (`GET
/v1/partners/identification`) and the business data (`GET
/v1/partners/{id}/business-data`), each one request whatever the partner holds.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request

from app_service import business_data as work
from app_service.app import Token, reply, signed_in
from app_service.business_results import Partner360, SearchResult
from app_service.partner_results import PartnerMatch, PartnerRef
from crm.errors import ValidationError

router = APIRouter(prefix="/v1", tags=["partners"])

Region = Query("CN", pattern="^[A-Z]{2}$", description="ISO country whose numbering plan reads local numbers")


@router.get("/partners/identification", response_model=list[PartnerMatch],
            summary="Who is calling or writing: the partners a phone number or customer number identifies")
def identification(request: Request, token: str = Token,
                   phone: str | None = Query(None, max_length=64, description="caller's number (ANI)"),
                   number: str | None = Query(None, max_length=40, description="a customer number"),
                   region: str = Region):
    with signed_in(request, token) as (session, who):
        if (phone is None) == (number is None):
            raise ValidationError("give either phone or number")
        if phone is not None:
            return reply(work.identify_caller(session, who.actor, phone, region))
        return reply(work.identify_by_number(session, who.actor, number))


@router.get("/partners", response_model=SearchResult,
            summary="Search partners by name, number, phone, email or city (50 a page)")
def search(request: Request, token: str = Token, q: str = Query(..., max_length=200),
           page: int = Query(1, ge=1, le=1000), region: str = Region):
    with signed_in(request, token) as (session, who):
        return reply(work.search(session, who.actor, q, page=page, region=region))


@router.get("/partners/by-number/{partner_no}", response_model=PartnerRef, summary="A partner by its number")
def by_number(request: Request, token: str = Token, partner_no: str = Path(..., max_length=40)):
    from crm.services.partners import get_partner_by_number

    with signed_in(request, token) as (session, who):
        p = get_partner_by_number(session, who.actor, partner_no)
        return reply(PartnerRef(p.id, p.partner_no, p.name, p.kind))


@router.get("/partners/{partner_id}/match", response_model=PartnerMatch,
            summary="A partner the agent picked, with its contact persons and organizations")
def match(request: Request, partner_id: int, token: str = Token):
    with signed_in(request, token) as (session, who):
        return reply(work.partner_match(session, who.actor, partner_id))


@router.get("/partners/{partner_id}/business-data", response_model=Partner360,
            summary="The business data display (360° view): contacts, relationships, open transactions, "
                    "installed base, latest interactions")
def business_data(request: Request, partner_id: int, token: str = Token):
    with signed_in(request, token) as (session, who):
        return reply(work.business_data(session, who.actor, partner_id))
