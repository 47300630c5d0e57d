"""Creating a customer from the desktop (a caller the CRM does not know yet)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app_service import business_data as work
from app_service.app import Token, reply, signed_in
from app_service.business_results import NewPartner
from app_service.partner_results import PartnerMatch

router = APIRouter(prefix="/v1", tags=["customers"])


class NewCustomerRequest(BaseModel):
    kind: str = Field("person", max_length=20, description="person, organization or group")
    last_name: str = Field("", max_length=100)
    first_name: str = Field("", max_length=100)
    org_name: str = Field("", max_length=200)
    phone: str = Field("", max_length=64)
    email: str = Field("", max_length=254)
    city: str = Field("", max_length=100)
    country: str = Field("CN", pattern="^[A-Z]{2}$")
    region: str = Field("CN", pattern="^[A-Z]{2}$", description="whose numbering plan reads a local number")
    confirm_duplicates: bool = Field(False, description="create it even though similar customers exist")


@router.post("/customers", response_model=PartnerMatch, status_code=201,
             summary="Create a customer; 409 possible_duplicates (with the candidates) unless confirmed")
def create_customer(body: NewCustomerRequest, request: Request, token: str = Token):
    new = NewPartner(**body.model_dump(exclude={"region", "confirm_duplicates"}))
    with signed_in(request, token, writing=True) as (session, who):
        made = work.create_customer(session, who.actor, new, region=body.region,
                                    confirm_duplicates=body.confirm_duplicates)
    return reply(made, status_code=201)
