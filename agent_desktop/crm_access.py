"""What the desktop asks of the CRM, as plain values.

Every function here runs off the GUI thread (the controller hands it to a
worker) and does its work through the application service with the agent's
signed-in client (`crm`, an app_service.client.AppClient): one HTTPS request
each, whose results are the same plain dataclasses the views have always had.
Permissions are checked by the `crm` services behind the service's routes;
the service's errors come back as the `crm` errors the views handle.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import quote

import platformdirs

from crm import texts
from crm.actors import Actor
from crm.conversation_types import ConversationView, InboxRow, NewAttachment  # noqa: F401 - the Inbox's types
from crm.errors import NotFound
from crm.history_types import HistoryFilter, HistoryRow
from crm.paging import Page
from crm.profile_types import AgentProfile
from app_service.actions_results import CompletedFollowUp
from app_service.business_results import (  # noqa: F401 - the desktop names them as crm_access's
    SECTIONS,
    Detail,
    HistoryPage,
    InteractionDetail,
    Item,
    LinkedLine,
    NewPartner,
    Partner360,
    SearchResult,
    SearchRow,
)
from app_service.client import (  # noqa: F401 - CertificateChanged: the login dialog names it
    AppClient,
    CertificateChanged,
    CertificateUnknown,
    KnownCertificates,
    trust,
)
from app_service.mail_results import RenderedText, Requeued, Stored
from app_service.partner_results import PartnerMatch, PartnerRef
from app_service.record_results import ActionDone, ContactRecord, RecordSaved, ScriptRunSaved, ScriptState
from app_service.scripts_results import HandedOverRun, ScriptDocument, ScriptFacts, ScriptsOnOffer
from agent_desktop.workbench import Contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    """The application service the desktop works through, and how to trust its certificate:
    a fingerprint from the configuration, or the certificates the agent accepted once
    (kept in `known_certificates`, as SSH keeps known hosts)."""

    url: str
    fingerprint: str | None = None
    known_certificates: Path | None = None  # None: the user's configuration directory

    def known(self) -> KnownCertificates:
        return KnownCertificates(self.known_certificates or default_known_certificates())


def default_known_certificates() -> Path:
    return Path(platformdirs.user_config_dir("cicada")) / "known_certificates"


@dataclass(frozen=True)
class LoggedIn:
    """The agent signed in: his client of the application service (holding the session's
    token), who he is and his desktop's settings."""

    crm: AppClient
    actor: Actor
    profile: AgentProfile
    token: str


def log_in(service: Service, username: str, password: str) -> LoggedIn:
    """Sign in once. CertificateUnknown when the service's certificate must first be
    accepted (trust_certificate), CertificateChanged when it is not the one trusted;
    the CRM's errors (AuthenticationFailed, AccountDisabled, LoginRefused) as they come."""
    verify = trust(service.url, service.known(), service.fingerprint)
    client = AppClient(service.url, verify=verify)
    try:
        signed = client.sign_in(username, password, client="desktop")
    except BaseException:
        client.close()
        raise
    return LoggedIn(client, signed.user, signed.profile, signed.token)


def trust_certificate(service: Service, unknown: CertificateUnknown) -> None:
    """The agent checked the fingerprint and trusts this certificate from now on."""
    host, _, port = unknown.address.rpartition(":")
    service.known().remember(host, int(port), unknown.pem)


def log_out(crm: AppClient, *, close: bool = True) -> None:
    """End the session for every service; a service that cannot be reached lets it expire."""
    from crm.errors import CrmError

    try:
        crm.sign_out()
    except CrmError as exc:
        log.info("signing out failed (the session expires by itself): %s", exc)
    finally:
        if close:
            crm.close()


# --- identification --------------------------------------------------------------------
# The screen pop's two requests: the caller's identification, then the business data.


def identify_caller(crm: AppClient, ani: str, region: str = "CN") -> list[PartnerMatch]:
    if not any(ch.isdigit() for ch in ani or ""):
        return []  # anonymous or withheld: no request
    texts.check(ani, "the phone number")  # a URL cannot carry what the CRM could not store
    return crm.call("GET", "/v1/partners/identification", list[PartnerMatch],
                    params={"phone": ani, "region": region})


def identify_by_number(crm: AppClient, partner_no: str) -> list[PartnerMatch]:
    texts.check(partner_no, "the customer number")
    return crm.call("GET", "/v1/partners/identification", list[PartnerMatch], params={"number": partner_no})


def partner_match(crm: AppClient, partner_id: int) -> PartnerMatch:
    """A partner the agent picked (from a search, a new record) with its contact persons."""
    return crm.call("GET", f"/v1/partners/{int(partner_id)}/match", PartnerMatch)


def search(crm: AppClient, text: str, *, page: int = 1, region: str = "CN"
           ) -> tuple[list[SearchRow], bool, list[str]]:
    texts.check(text, "the search text")
    result = crm.call("GET", "/v1/partners", SearchResult, params={"q": text, "page": page, "region": region})
    return result.rows, result.has_more, result.notes


def create_customer(crm: AppClient, new: NewPartner, *, region: str = "CN",
                    confirm_duplicates: bool = False) -> PartnerMatch:
    """Create a customer; crm's PossibleDuplicates (with `.candidates`) unless confirmed."""
    return crm.call("POST", "/v1/customers", PartnerMatch,
                    json={**asdict(new), "region": region, "confirm_duplicates": confirm_duplicates})


def partner_by_number(crm: AppClient, partner_no: str) -> PartnerRef:
    texts.check(partner_no, "the customer number")
    return crm.call("GET", f"/v1/partners/by-number/{quote(partner_no, safe='')}", PartnerRef)


# --- business data display ------------------------------------------------------------


def business_data(crm: AppClient, partner_id: int) -> Partner360:
    return crm.call("GET", f"/v1/partners/{int(partner_id)}/business-data", Partner360)


# --- interaction history -----------------------------------------------------------------


def history_page(crm: AppClient, partner_id: int, *, filters: HistoryFilter, before: tuple[datetime, int] | None,
                 page_size: int = 200) -> Page[HistoryRow]:
    params: dict = {"channel": list(filters.channels), "status": list(filters.statuses),
                    "utc_offset": _offset_minutes(filters.zone), "page_size": page_size}
    for name, value in (("since", filters.since), ("until", filters.until), ("outcome", filters.outcome)):
        if value is not None:
            params[name] = value.isoformat() if isinstance(value, date) else value
    if before is not None:
        params["before_at"], params["before_id"] = before[0].isoformat(), before[1]
    got = crm.call("GET", f"/v1/partners/{int(partner_id)}/history", HistoryPage, params=params)
    return Page(got.items, got.page, got.page_size, got.total, got.has_more, got.notes)


def interaction_detail(crm: AppClient, interaction_id: int) -> tuple[tuple[str, object], ...]:
    """The record's fields, then its script answers, messages and linked lines when it has them."""
    got = crm.call("GET", f"/v1/interactions/{int(interaction_id)}", InteractionDetail,
                   params={"utc_offset": _offset_minutes(datetime.now().astimezone().tzinfo)})
    detail = tuple((f.name, f.value) for f in got.fields)
    return (detail + ((("script", got.script),) if got.script else ())
            + ((("messages", got.messages),) if got.messages else ()) + ((("linked", got.linked),) if got.linked else ()))


def _offset_minutes(zone) -> int:
    offset = (zone or timezone.utc).utcoffset(datetime.now())
    return int(offset.total_seconds() // 60) if offset is not None else 0


# --- the interaction record ----------------------------------------------------------------


def save_contact(crm: AppClient, contact: Contact) -> int:
    """Write the agent's part of the record: partner, contact person, reason,
    outcome and notes, with the contact's script run and what the Action Box made.
    The gateway's segment for calls, a record of its own otherwise. crm's NotFound
    while the gateway has not written the segment."""
    ident = contact.identification
    confirmed = ident.status == "confirmed"
    notes = contact.draft.notes.strip()
    if contact.handed_over_notes:
        by = f" ({contact.handed_over_by})" if contact.handed_over_by else ""
        notes = f"[handed over{by}]\n{contact.handed_over_notes.strip()}\n---\n{notes}".strip()
    script = contact.draft_json("").get("script")
    record = ContactRecord(
        kind=contact.kind, interaction_id=contact.interaction_id, call_id=contact.call_id, lost=bool(contact.lost),
        ani=contact.ani or None, dnis=contact.dnis or None, queue=contact.queue, offered_at=contact.offered_at or None,
        partner_id=ident.partner.partner_id if confirmed and ident.partner else None,
        contact_person_id=ident.contact_person.partner_id if confirmed and ident.contact_person else None,
        reason_code=contact.draft.reason_code or None, outcome_code=contact.draft.outcome_code or None,
        notes=notes or None, script=_script_state(script) if script else None,
        actions_done=[ActionDone(_id(d.get("transaction_id")), _id(d.get("email_id"))) for d in contact.actions_done
                      if d.get("transaction_id") or d.get("email_id")])
    return crm.call("POST", "/v1/contact-records", RecordSaved, json=record).interaction_id


def save_script_run(crm: AppClient, contact: Contact, state: dict) -> int:
    """Write a script run as it stands (a snapshot taken on the GUI thread);
    crm's NotFound while the gateway has not recorded the call for this agent."""
    ident = contact.identification
    partner_id = ident.partner.partner_id if ident.status == "confirmed" and ident.partner else None
    return crm.call("POST", "/v1/script-runs", ScriptRunSaved,
                    json={"call_id": contact.call_id, "partner_id": partner_id,
                          "script": _script_state(state)}).run_id


def _script_state(kept: dict) -> ScriptState:
    return ScriptState(str(kept["name"]), int(kept["version"]), kept["state"])


def _id(value) -> int | None:
    return int(value) if value else None


def warm_up(crm: AppClient, region: str = "CN") -> None:
    """Make the connection to the application service (TCP, TLS), run an identification
    once and load the script engine, so that the first call of the day pops as fast as the
    later ones. Failures are harmless and logged only: the real calls will report a real problem."""
    try:
        identify_caller(crm, "+8613800000000", region)
    except Exception as exc:
        log.info("warming up the application service failed: %s", exc)
    # The script engine (jinja2's sandbox, ~0.2 s to import) is first used by the first
    # pop's prompts, on the GUI thread: load it here, on a worker, before the first call.
    from scripting.choosing import prompts_for  # noqa: F401
    from scripting.templates import render

    render("{{ agent.name }}", {"agent": {"name": ""}})


# --- call scripts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptSupply:
    """What the desktop runs scripts with: the active versions and the CRM lists."""

    active: list  # scripting.choosing.Loaded
    lists: dict  # list name -> options


def _loaded(stored: ScriptDocument):
    """A stored version as scripting.choosing.Loaded, rebuilt from its document."""
    from scripting.document import from_builtins
    from scripting.choosing import Loaded

    return Loaded(from_builtins(stored.document, origin=stored.name), stored.version)


def load_scripts(crm: AppClient) -> ScriptSupply:
    from scripting.document import Option, ScriptFormatError

    offer = crm.call("GET", "/v1/scripts/active", ScriptsOnOffer)
    active = []
    for stored in offer.active:
        try:
            active.append(_loaded(stored))
        except ScriptFormatError as exc:  # the service checked it: a newer script format than this desktop's
            log.error("active script %s version %s cannot be used: %s", stored.name, stored.version, exc)
    lists = {name: [Option(value=o.value, label=o.label) for o in options] for name, options in offer.lists.items()}
    return ScriptSupply(active, lists)


def script_version(crm: AppClient, name: str, version: int):
    """One stored version, as scripting.choosing.Loaded (a run kept in a draft goes on with it)."""
    if not name or not version:
        raise NotFound(f"No version {version!r} of the script {name!r}.")
    return _loaded(crm.call("GET", f"/v1/scripts/{quote(name, safe='')}/versions/{int(version)}", ScriptDocument))


def handed_over_run(crm: AppClient, contact_id: str):
    """The script run a colleague made during this call before handing it over:
    (Loaded version, runner state), or None."""
    found = crm.call("GET", "/v1/script-runs/handed-over", HandedOverRun | None, params={"contact_id": contact_id})
    if found is None:
        return None
    return _loaded(found.script), found.state


def script_facts(crm: AppClient, partner_id: int | None,
                 contact_person_id: int | None) -> tuple[dict | None, dict | None]:
    """The partner and contact person as a script may name them."""
    if not partner_id and not contact_person_id:
        return None, None
    params = {"partner_id": partner_id, "contact_person_id": contact_person_id}
    facts = crm.call("GET", "/v1/script-facts", ScriptFacts,
                     params={key: value for key, value in params.items() if value})
    return facts.partner, facts.contact_person


# --- the action box -----------------------------------------------------------------------------


def action_context(crm: AppClient, **facts):
    """action_box.model.Context for the current contact, read by the service (facts: partner_id,
    contact_person_id, call, answers, language; the sender and email templates are the service's
    and the agent's profile's)."""
    from action_box.model import Context

    return crm.call("POST", "/v1/action-context", Context, json=_action_facts(**facts))


def _action_facts(*, partner_id: int | None = None, contact_person_id: int | None = None, call=None,
                  answers: dict | None = None, language: str = "en", **_decided_by_the_service) -> dict:
    return {"partner_id": partner_id, "contact_person_id": contact_person_id, "call": call,
            "answers": dict(answers or {}), "language": language}


def run_action(crm: AppClient, action, context, values: dict):
    """Run `action` on the service for the contact `context` was loaded for; action_box.model.Done."""
    from action_box.model import Done

    facts = _action_facts(
        partner_id=context.partner.partner_id if context.partner else None,
        contact_person_id=context.contact_person.partner_id if context.contact_person else None,
        call=context.call, answers=context.answers, language=context.language)
    return crm.call("POST", f"/v1/actions/{quote(action.id, safe='')}/runs", Done,
                    json={"facts": facts, "values": values})


def follow_ups(crm: AppClient):
    """The open callbacks and tasks of the agent and his team (crm.work_types.FollowUp)."""
    from crm.work_types import FollowUp

    return crm.call("GET", "/v1/follow-ups", list[FollowUp])


def complete_follow_up(crm: AppClient, transaction_id: int) -> str:
    """Mark a callback or task done; its number."""
    return crm.call("POST", f"/v1/follow-ups/{int(transaction_id)}/complete", CompletedFollowUp).number


def email_status(crm: AppClient, ids: list[int]):
    """How the emails the agent queued are doing (crm.work_types.EmailStatus); the mail
    queue sends them."""
    from crm.work_types import EmailStatus

    if not ids:
        return []
    return crm.call("GET", "/v1/outbox", list[EmailStatus], params={"ids": list(ids)})


# --- emails and chats (the Inbox) -------------------------------------------------------------

ATTACHMENT_DOWNLOAD_BYTES = 100_000_000  # more than any mail the mail queue takes in


def inbox(crm: AppClient, **filters) -> list[InboxRow]:
    """The agent's own conversations (mine=True) or the group inbox of `queues`; the filters
    of crm.services.conversations.reading.inbox."""
    queues = filters.pop("queues", None)
    mine = filters.pop("mine", True)
    if not mine and queues is not None and not list(queues):
        return []  # the group inbox of no queue
    params = {"mine": mine, **{k: v for k, v in filters.items() if v is not None}}
    if queues is not None and not mine:
        params["queue"] = list(queues)
    return crm.call("GET", "/v1/conversations", list[InboxRow], params=params)


def conversation(crm: AppClient, conversation_id: int) -> ConversationView:
    return crm.call("GET", f"/v1/conversations/{int(conversation_id)}", ConversationView)


def attachment(crm: AppClient, attachment_id: int) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of an attachment the agent may see."""
    file = crm.download(f"/v1/attachments/{int(attachment_id)}", ATTACHMENT_DOWNLOAD_BYTES)
    return file.filename, file.content_type, file.content


def send_reply(crm: AppClient, conversation_id: int, **reply) -> int:
    """Store the reply (and its email in the outbox); the mail queue sends it. `attachments`:
    NewAttachment (file name, content type, bytes)."""
    reply["attachments"] = [{"filename": a.filename, "content_type": a.content_type, "content": a.content}
                            for a in reply.get("attachments") or ()]
    return crm.call("POST", f"/v1/conversations/{int(conversation_id)}/replies", Stored, json=reply).id


def add_note(crm: AppClient, conversation_id: int, text: str) -> int:
    return crm.call("POST", f"/v1/conversations/{int(conversation_id)}/notes", Stored, json={"text": text}).id


def link_partner(crm: AppClient, conversation_id: int, partner_id: int | None) -> None:
    """The agent confirmed (or cleared) who wrote; the conversation and its record follow."""
    crm.call("PUT", f"/v1/conversations/{int(conversation_id)}/partner", json={"partner_id": partner_id})


def retry_failed(crm: AppClient, conversation_id: int) -> list[int]:
    """The conversation's emails that failed for good, due again at once (their ids)."""
    return crm.call("POST", f"/v1/conversations/{int(conversation_id)}/retries", Requeued).email_ids


def render_reply(crm: AppClient, body: str, *, view, partner_id: int | None,
                 contact_person_id: int | None = None) -> RenderedText:
    """A reply template rendered in the sandbox with the customer's data and the conversation
    `view` shows (the service reads it afresh)."""
    return render_reply_for(crm, view.id, body, partner_id=partner_id, contact_person_id=contact_person_id)


def render_reply_for(crm: AppClient, conversation_id: int, body: str, *, partner_id: int | None,
                     contact_person_id: int | None = None) -> RenderedText:
    """`partner_id`: the customer the agent confirmed; None: the conversation's own."""
    return crm.call("POST", f"/v1/conversations/{int(conversation_id)}/rendered-replies", RenderedText,
                    json={"body": body, "partner_id": partner_id, "contact_person_id": contact_person_id})
