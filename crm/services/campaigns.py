"""Outbound campaigns: created and changed from their YAML document, listed,
exported, and moved through their states. Supervisors manage them
(Permission.CAMPAIGN_MANAGE); every change goes to the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import Conflict, NotFound, ValidationError
from crm.models import CallList, CallListContact, Campaign, CampaignState, ContactState, OrgUnit, User
from crm.outbound import settings as campaign_settings
from crm.outbound.settings import CampaignSettings
from crm.permissions import Actor, Permission
from crm.services import audit

# Which state may follow which: start, pause, resume, stop. A stopped campaign stays stopped.
_MOVES = {
    CampaignState.DRAFT: {CampaignState.RUNNING, CampaignState.STOPPED},
    CampaignState.RUNNING: {CampaignState.PAUSED, CampaignState.STOPPED},
    CampaignState.PAUSED: {CampaignState.RUNNING, CampaignState.STOPPED},
    CampaignState.STOPPED: set(),
}


@dataclass(frozen=True)
class CampaignSummary:
    name: str
    state: str
    dialing_mode: str
    lists: int
    contacts: int
    open_contacts: int
    updated_at: datetime


def save_campaign(session: Session, actor: Actor, document: str | bytes, *,
                  origin: str = "the campaign") -> tuple[Campaign, bool]:
    """Create the campaign a YAML document names, or replace the settings of the one of that
    name (its state and lists stay). Returns (campaign, created)."""
    actor.require(Permission.CAMPAIGN_MANAGE, "manage outbound campaigns")
    settings = campaign_settings.load_yaml(document, origin=origin)
    texts.check(settings.to_builtins(), origin)
    _check_references(session, settings, origin)
    campaign = _by_name(session, settings.name)
    data = settings.to_builtins()
    if campaign is None:
        campaign = Campaign(name=settings.name, dialing_mode=settings.dialing_mode, settings=data)
        session.add(campaign)
        session.flush()
        audit.record(session, actor, entity="campaign", entity_id=campaign.id, action="create",
                     changes={"name": campaign.name})
        return campaign, True
    changes = audit.diff(campaign.settings, data)
    campaign.settings, campaign.dialing_mode, campaign.updated_at = data, settings.dialing_mode, utcnow()
    if changes:
        audit.record(session, actor, entity="campaign", entity_id=campaign.id, action="update", changes=changes)
    return campaign, False


def export_campaign(session: Session, actor: Actor, name: str) -> str:
    actor.require(Permission.CAMPAIGN_MANAGE, "manage outbound campaigns")
    return campaign_settings.dump_yaml(settings_of(get_campaign(session, name)))


def settings_of(campaign: Campaign) -> CampaignSettings:
    return campaign_settings.from_builtins(campaign.settings, origin=f"the campaign {campaign.name}")


def get_campaign(session: Session, name: str) -> Campaign:
    campaign = _by_name(session, name)
    if campaign is None:
        known = session.scalars(select(Campaign.name).order_by(Campaign.name).limit(20)).all()
        hint = f" (campaigns: {', '.join(known)})" if known else " (there are none yet; import one first)"
        raise NotFound(f"There is no campaign {name!r}{hint}")
    return campaign


def list_campaigns(session: Session, actor: Actor) -> list[CampaignSummary]:
    actor.require(Permission.CAMPAIGN_MANAGE, "manage outbound campaigns")
    lists = (select(CallList.campaign_id, func.count(CallList.id.distinct()).label("lists"),
                    func.count(CallListContact.id).label("contacts"),
                    func.count(CallListContact.id).filter(
                        CallListContact.state.in_([ContactState.OPEN.value, ContactState.SCHEDULED.value]))
                    .label("open_contacts"))
             .outerjoin(CallListContact, CallListContact.call_list_id == CallList.id)
             .where(CallList.is_active.is_(True)).group_by(CallList.campaign_id).subquery())
    rows = session.execute(
        select(Campaign, lists.c.lists, lists.c.contacts, lists.c.open_contacts)
        .outerjoin(lists, lists.c.campaign_id == Campaign.id).order_by(Campaign.name)).all()
    return [CampaignSummary(c.name, c.state, c.dialing_mode, n or 0, contacts or 0, open_ or 0, c.updated_at)
            for c, n, contacts, open_ in rows]


def set_state(session: Session, actor: Actor, name: str, state: str) -> Campaign:
    """Start (running), pause, resume (running) or stop a campaign."""
    actor.require(Permission.CAMPAIGN_MANAGE, "manage outbound campaigns")
    if state not in CampaignState.values():
        raise ValidationError(f"{state!r} is not a campaign state ({', '.join(CampaignState.values())})")
    campaign = get_campaign(session, name)
    if state not in _MOVES[CampaignState(campaign.state)]:
        raise Conflict(f"The campaign {name} is {campaign.state}; it cannot become {state}")
    audit.record(session, actor, entity="campaign", entity_id=campaign.id, action="state",
                 changes={"state": [campaign.state, state]})
    campaign.state, campaign.updated_at = state, utcnow()
    return campaign


def _by_name(session: Session, name: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.name == name))


def _check_references(session: Session, settings: CampaignSettings, origin: str) -> None:
    """The teams and agents a campaign names must exist."""
    problems = []
    if settings.teams:
        known = set(session.scalars(select(OrgUnit.code).where(OrgUnit.code.in_(settings.teams))))
        problems += [f"teams: there is no org unit {t!r}" for t in settings.teams if t not in known]
    if settings.agents:
        known = set(session.scalars(select(User.username).where(User.username.in_(settings.agents))))
        problems += [f"agents: there is no user {a!r}" for a in settings.agents if a not in known]
    if problems:
        raise ValidationError(f"{origin}: " + "; ".join(problems))
