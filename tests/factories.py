"""Small builders of users and partners for the CRM tests."""

from __future__ import annotations

from crm.models import UserRole
from crm.permissions import Actor
from crm.services.partners import AddressDraft, PartnerDraft, create_partner
from crm.services.users import create_user

PASSWORD = "correct horse"


def user(session, username: str, role: str = UserRole.AGENT) -> Actor:
    created = create_user(session, Actor.system(), username=username, password=PASSWORD, role=role,
                          display_name=username.title())
    return Actor.for_user(created)


def person(session, actor: Actor | None = None, *, first: str, last: str, phones=(), emails=(),
           city: str | None = None, country: str = "CN", to_pool: bool = False, **extra):
    draft = PartnerDraft(kind="person", first_name=first, last_name=last, phones=list(phones),
                         emails=list(emails), to_pool=to_pool,
                         addresses=[AddressDraft(country=country, city=city)], **extra)
    return create_partner(session, actor or Actor.system(), draft, confirm_duplicates=True)


def organization(session, actor: Actor | None = None, *, name: str, phones=(), emails=(),
                 city: str | None = None, country: str = "CN", to_pool: bool = False, **extra):
    draft = PartnerDraft(kind="organization", org_name=name, phones=list(phones), emails=list(emails),
                         to_pool=to_pool,
                         addresses=[AddressDraft(country=country, city=city)], **extra)
    return create_partner(session, actor or Actor.system(), draft, confirm_duplicates=True)
