"""Call scripts for the desktop: `GET /v1/scripts/active`, one stored version,
the run a colleague handed over with a call, and the facts a script's texts
use. Scripts travel as their stored documents; every route reads only, with
the session's actor, so the crm services check what he may see."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Path, Query, Request

from app_service.app import Token, reply, signed_in
from app_service.scripts_results import HandedOverRun, ListOption, ScriptDocument, ScriptFacts, ScriptsOnOffer
from crm.services import scripts as script_service

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["call scripts"])

NAME = Path(max_length=80, pattern=r"^[^/\s]+$", description="The script's name")


@router.get("/scripts/active", response_model=ScriptsOnOffer,
            summary="The active version of every call script and the CRM lists their questions offer")
def active_scripts(request: Request, token: str = Token):
    from scripting.context import list_options
    from scripting.document import QuestionNode, ScriptFormatError, from_builtins

    with signed_in(request, token) as (session, who):
        active, wanted = [], set()
        for stored in script_service.active_versions(session, who.actor):
            try:
                script = from_builtins(stored.document, origin=stored.name)
            except ScriptFormatError as exc:  # left out, as the desktop would have left it out
                log.error("active script %s version %s cannot be used: %s", stored.name, stored.version, exc)
                continue
            active.append(ScriptDocument(stored.name, stored.version, stored.document))
            wanted |= {node.crm_list for node in script.nodes if isinstance(node, QuestionNode) and node.crm_list}
        lists = {name: [ListOption(o.value, o.label) for o in options]
                 for name, options in list_options(session, wanted).items()}
        return reply(ScriptsOnOffer(active, lists))


@router.get("/scripts/{name}/versions/{version}", response_model=ScriptDocument,
            summary="One stored version of a call script (a run kept in a draft goes on with it)")
def script_version(request: Request, name: str = NAME, version: int = Path(ge=1, le=1_000_000),
                   token: str = Token):
    with signed_in(request, token) as (session, who):
        stored = script_service.get_version(session, who.actor, name, version)
        return reply(ScriptDocument(stored.name, stored.version, stored.document))


@router.get("/script-runs/handed-over", response_model=HandedOverRun | None,
            summary="The script run a colleague made during this call before transferring it, or null")
def handed_over_run(request: Request, contact_id: str = Query(min_length=1, max_length=200), token: str = Token):
    with signed_in(request, token) as (session, who):
        runs = script_service.runs_of_contact(session, who.actor, contact_id)
        if not runs:
            return reply(None)
        last = runs[-1]
        stored = script_service.get_version(session, who.actor, last.script, last.version)
        return reply(HandedOverRun(ScriptDocument(stored.name, stored.version, stored.document), last.state))


@router.get("/script-facts", response_model=ScriptFacts,
            summary="The partner and contact person as a call script may name them")
def script_facts(request: Request, partner_id: int | None = Query(None, ge=1),
                 contact_person_id: int | None = Query(None, ge=1), token: str = Token):
    from scripting.context import contact_person_values, partner_values

    with signed_in(request, token) as (session, who):
        partner = partner_values(session, who.actor, partner_id) if partner_id else None
        person = (contact_person_values(session, who.actor, contact_person_id, organization_id=partner_id)
                  if contact_person_id else None)
        return reply(ScriptFacts(partner, person))
