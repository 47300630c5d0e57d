"""What the desktop asks of the CRM, as plain values.

Every function here runs off the GUI thread (the controller hands it to a
worker) in its own session, and returns dataclasses rather than ORM objects,
so nothing the views hold is tied to a session or a thread. Permissions are
checked by the `crm` services these call.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from crm.db import Database
from crm.errors import NotFound
from crm.models import BusinessTransaction, InstalledBaseItem, Interaction, TransactionKind, User
from crm.paging import Page
from crm.permissions import Actor
from crm.services import conversations
from crm.services import history as history_service
from crm.services import identify as identify_service
from crm.services import interactions as interaction_service
from crm.services import profiles
from crm.services import scripts as script_service
from crm.services import search as search_service
from crm.services.partners import PartnerDraft, create_partner, get_partner_by_number
from crm.services.partner_view import partner_view
from crm.services.sessions import sign_in
from crm.services.users import require_active
from agent_desktop.workbench import Contact, PartnerMatch, PartnerRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Session:
    actor: Actor
    profile: profiles.AgentProfile
    token: str = ""  # the CRM session the gateway and the mail queue accept


def log_in(database: Database, username: str, password: str) -> Session:
    with database.unit_of_work() as session:  # a login may upgrade the password hash
        signed_in = sign_in(session, username, password, client="desktop", source="desktop")
        return Session(signed_in.actor, profiles.agent_profile(session, signed_in.actor), signed_in.token)


# Every call below first checks that the agent's account is still enabled: an
# agent disabled while logged in can do nothing more from his next step on.


@contextmanager
def _reading(database: Database, actor: Actor) -> Iterator:
    with database.reading() as session:
        require_active(session, actor)
        yield session


@contextmanager
def _writing(database: Database, actor: Actor) -> Iterator:
    with database.unit_of_work() as session:
        require_active(session, actor)
        yield session


# --- identification --------------------------------------------------------------------


def _ref(ref) -> PartnerRef:
    return PartnerRef(ref.partner_id, ref.partner_no, ref.name, ref.kind, ref.function)


def _matches(found) -> list[PartnerMatch]:
    return [PartnerMatch(_ref(i.partner), i.matched_by,
                         tuple(_ref(c) for c in i.contact_persons),
                         tuple(_ref(o) for o in i.organizations)) for i in found]


def identify_caller(database: Database, actor: Actor, ani: str, region: str = "CN") -> list[PartnerMatch]:
    if not any(ch.isdigit() for ch in ani or ""):
        return []  # anonymous or withheld
    with _reading(database, actor) as session:
        return _matches(identify_service.identify_by_phone(session, actor, ani, region))


def identify_by_number(database: Database, actor: Actor, partner_no: str) -> list[PartnerMatch]:
    with _reading(database, actor) as session:
        return _matches(identify_service.identify_by_number(session, actor, partner_no))


def partner_match(database: Database, actor: Actor, partner_id: int) -> PartnerMatch:
    """A partner the agent picked (from a search, a new record) with its contact persons."""
    with _reading(database, actor) as session:
        view = partner_view(session, actor, partner_id)
        p = view.partner
        return PartnerMatch(PartnerRef(p.id, p.partner_no, p.name, p.kind), "agent",
                            tuple(_ref(c) for c in view.contact_persons),
                            tuple(_ref(o) for o in view.organizations))


@dataclass(frozen=True)
class SearchRow:
    partner: PartnerRef
    city: str | None
    phone: str | None
    email: str | None
    owner: str | None


def search(database: Database, actor: Actor, text: str, *, page: int = 1, region: str = "CN"
           ) -> tuple[list[SearchRow], bool, list[str]]:
    with _reading(database, actor) as session:
        result = search_service.search_partners(session, actor, text, page=page, page_size=50,
                                                region=region)
    rows = [SearchRow(PartnerRef(h.partner_id, h.partner_no, h.name, h.kind), h.city, h.phone,
                      h.email, h.owner) for h in result.items]
    return rows, result.has_more, list(result.notes)


@dataclass(frozen=True)
class NewPartner:
    kind: str = "person"
    last_name: str = ""
    first_name: str = ""
    org_name: str = ""
    phone: str = ""
    email: str = ""
    city: str = ""
    country: str = "CN"


def create_customer(database: Database, actor: Actor, new: NewPartner, *, region: str = "CN",
                    confirm_duplicates: bool = False) -> PartnerMatch:
    """Create a customer; crm's PossibleDuplicates (with `.candidates`) unless confirmed."""
    draft = PartnerDraft(kind=new.kind, first_name=new.first_name or None,
                         last_name=new.last_name or None, org_name=new.org_name or None,
                         phones=[new.phone] if new.phone.strip() else [],
                         emails=[new.email.strip()] if new.email.strip() else [])
    if new.city.strip():
        from crm.services.partners import AddressDraft
        draft.addresses = [AddressDraft(country=new.country or region, city=new.city.strip())]
    with _writing(database, actor) as session:
        partner = create_partner(session, actor, draft, region=region,
                                 confirm_duplicates=confirm_duplicates)
        return PartnerMatch(PartnerRef(partner.id, partner.partner_no, partner.name, partner.kind), "new")


# --- business data display ------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of the 360° view; `detail` is what opens read-only in the workspace.
    Its values are raw (datetime in UTC without tzinfo, date, Decimal, str): the
    view formats them in the agent's locale and time zone."""

    kind: str  # contact_person, relationship, service_order, complaint, ..., installed_base, interaction
    title: str
    subtitle: str
    detail: tuple[tuple[str, object], ...]
    partner_id: int | None = None
    interaction_id: int | None = None


@dataclass(frozen=True)
class Partner360:
    partner: PartnerRef
    segment: str | None
    value_class: str | None
    owner: str | None
    phone: str | None
    email: str | None
    city: str | None
    sections: dict[str, list[Item]] = field(default_factory=dict)
    phones: tuple[str, ...] = ()  # every number of the partner, the main one first


SECTIONS = ("contact_persons", "relationships", TransactionKind.SERVICE_ORDER.value,
            TransactionKind.COMPLAINT.value, TransactionKind.SALES_ORDER.value, TransactionKind.LEAD.value,
            TransactionKind.OPPORTUNITY.value, TransactionKind.CALLBACK.value, TransactionKind.TASK.value,
            "installed_base", "interactions")


def business_data(database: Database, actor: Actor, partner_id: int) -> Partner360:
    with _reading(database, actor) as session:
        view = partner_view(session, actor, partner_id)
        p = view.partner
        main_phone = next((ph.raw for ph in p.phones if ph.is_main), p.phones[0].raw if p.phones else None)
        main_email = next((e.address for e in p.emails if e.is_main),
                          p.emails[0].address if p.emails else None)
        city = next((a.city for a in p.addresses if a.is_main), None)
        sections: dict[str, list[Item]] = defaultdict(list)
        for c in view.contact_persons:
            sections["contact_persons"].append(Item("contact_person", c.name, c.function or "",
                                                    (("customer_no", c.partner_no),), c.partner_id))
        for r in view.relationships:
            sections["relationships"].append(Item(
                "relationship", r.other.name, f"{r.kind} ({r.direction})",
                (("kind", r.kind), ("function", r.function or ""), ("valid_from", r.valid_from),
                 ("valid_to", r.valid_to)), r.other.partner_id))
        teams = _team_names(session, {t.team_id for t in view.open_transactions if t.team_id})
        for t in view.open_transactions:
            sections[t.kind].append(_transaction_item(t, teams))
        for ib in view.installed_base:
            sections["installed_base"].append(_installed_item(ib))
        for i in view.latest_interactions:
            sections["interactions"].append(_interaction_item(i))
        phones = tuple(dict.fromkeys([main_phone, *(ph.raw for ph in p.phones)]) if main_phone else ())
        return Partner360(PartnerRef(p.id, p.partner_no, p.name, p.kind), p.segment, p.value_class,
                          view.owner, main_phone, main_email, city, dict(sections), phones)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # the CRM keeps naive UTC; the agent reads local time
        return value.replace(tzinfo=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _team_names(session, ids: set[int]) -> dict[int, str]:
    from sqlalchemy import select

    from crm.models import OrgUnit

    if not ids:
        return {}
    return dict(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids))).all())


def _transaction_item(t: BusinessTransaction, teams: dict[int, str]) -> Item:
    detail = [("number", t.number), ("kind", t.kind), ("status", t.status), ("subject", t.subject),
              ("priority", t.priority or ""), ("category", t.category or ""),
              ("created_at", t.created_at)]
    if t.kind == TransactionKind.CALLBACK.value:
        detail += [("window_start", t.window_start), ("window_end", t.window_end),
                   ("callback_phone", t.callback_phone or ""), ("assignee", _assignee(t, teams))]
    elif t.kind == TransactionKind.TASK.value:
        detail += [("assignee", _assignee(t, teams)), ("due_at", t.due_at)]
    else:
        detail.append(("due_at", t.due_at))
    detail.append(("description", t.description or ""))
    if t.amount is not None:
        detail += [("amount", t.amount), ("currency", t.currency or "")]
    return Item(t.kind, f"{t.number} {t.subject}", t.status, tuple(detail))


def _assignee(t: BusinessTransaction, teams: dict[int, str]) -> str:
    """Who is to act on a callback or task: a person, else a team."""
    if t.owner is not None:
        return t.owner.display_name
    return teams.get(t.team_id, "") if t.team_id else ""


def _installed_item(ib: InstalledBaseItem) -> Item:
    return Item("installed_base", ib.product.name, ib.serial_no or "",
                (("product", f"{ib.product.product_no} {ib.product.name}"),
                 ("serial_no", ib.serial_no or ""), ("installed_on", ib.installed_on),
                 ("warranty_end", ib.warranty_end)))


def _interaction_item(i: Interaction) -> Item:
    return Item("interaction", f"{_text(i.started_at)} {i.channel} {i.direction}",
                f"{i.reason_code or ''} {i.outcome_code or ''}".strip(), _interaction_detail(i),
                interaction_id=i.id)


def _interaction_detail(i: Interaction) -> tuple[tuple[str, str], ...]:
    return (("started_at", i.started_at), ("channel", i.channel), ("direction", i.direction),
            ("status", i.status), ("queue", i.queue or ""),
            ("agent", i.agent.display_name if i.agent else ""), ("ani", i.ani or ""),
            ("dnis", i.dnis or ""), ("subject", i.subject or ""),
            ("wait_seconds", str(i.wait_seconds)), ("talk_seconds", str(i.talk_seconds)),
            ("hold_seconds", str(i.hold_seconds)), ("wrapup_seconds", str(i.wrapup_seconds)),
            ("reason_code", i.reason_code or ""), ("outcome_code", i.outcome_code or ""),
            ("notes", i.notes or ""))


# --- interaction history -----------------------------------------------------------------


def history_page(database: Database, actor: Actor, partner_id: int, *,
                 filters: history_service.HistoryFilter, before: tuple[datetime, int] | None,
                 page_size: int = 200) -> Page[history_service.HistoryRow]:
    with _reading(database, actor) as session:
        return history_service.interaction_history(session, actor, partner_id, filters=filters,
                                                   page_size=page_size, before=before)


def interaction_detail(database: Database, actor: Actor, interaction_id: int):
    with _reading(database, actor) as session:
        record = interaction_service.interaction_detail(session, actor, interaction_id)
        detail = _interaction_detail(record)
        answers = _script_answers(session, actor, interaction_id)
        messages = _conversation_text(session, actor, interaction_id)
        linked = _linked_lines(session, record)
    return (detail + ((("script", answers),) if answers else ()) + ((("messages", messages),) if messages else ())
            + ((("linked", linked),) if linked else ()))


@dataclass(frozen=True)
class LinkedLine:
    """One thing created or looked at in an interaction, or an email sent from it;
    the view words it in the agent's language."""
    kind: str  # a transaction kind, or "email"
    reference: str  # the transaction's number, or the address the email went to
    subject: str
    status: str
    link: str = "created"  # crm.models.LinkKind for transactions


def _linked_lines(session, record: Interaction) -> tuple[LinkedLine, ...]:
    """What was created or looked at in this interaction (its Action Box follow-ups
    among them) and the emails sent from it."""
    from sqlalchemy import select

    from crm.models import OutboundEmail

    # interaction_detail has checked that the actor may read this record.
    lines = [LinkedLine(link.transaction.kind, link.transaction.number, link.transaction.subject,
                        link.transaction.status, link.link)
             for link in sorted(record.links, key=lambda k: (k.at or datetime.min, k.transaction_id))]
    emails = session.scalars(select(OutboundEmail).where(OutboundEmail.interaction_id == record.id)
                             .order_by(OutboundEmail.id).limit(100))
    lines += [LinkedLine("email", e.to_address, e.subject, e.status) for e in emails]
    return tuple(lines)


def _conversation_text(session, actor: Actor, interaction_id: int) -> str:
    """An email thread's or chat's messages of this record, oldest first, for the
    history's detail (a thread the customer reopened has a record per reopening)."""
    messages = conversations.messages_of_interaction(session, actor, interaction_id)
    return "\n\n".join(f"{_text(m.created_at)} {m.author_name or m.sender or ''} ({m.kind}):\n"
                         f"{m.body_text.strip()[:2000]}" for m in messages)


def _script_answers(session, actor: Actor, interaction_id: int) -> str:
    """The call script runs of a record, as lines: the script and its outcome,
    then each question with its answer."""
    from scripting.document import QuestionNode, ScriptFormatError, from_builtins

    lines = []
    for run in script_service.runs_of_interaction(session, actor, interaction_id):
        stored = script_service.get_version(session, actor, run.script, run.version)
        try:
            nodes = from_builtins(stored.document).node_map()
        except ScriptFormatError:
            nodes = {}
        lines.append(f"{stored.title or run.script} (v{run.version})" + (f": {run.outcome}" if run.outcome else ""))
        for answer in run.answers:
            node = nodes.get(answer.node)
            question = " ".join((node.text if isinstance(node, QuestionNode) else answer.node).split())
            labels = {o.value: o.shown for o in node.options} if isinstance(node, QuestionNode) else {}
            values = answer.value if isinstance(answer.value, list) else [answer.value]
            shown = ", ".join("—" if v is None else labels.get(str(v), str(v)) for v in values)
            lines.append(f"  {question[:120]} → {shown}")
    return "\n".join(lines)


# --- the interaction record ----------------------------------------------------------------


def save_contact(database: Database, actor: Actor, contact: Contact) -> int:
    """Write the agent's part of the record: partner, contact person, reason,
    outcome and notes. The gateway's segment for calls, a record of its own
    otherwise. crm's NotFound while the gateway has not written the segment."""
    ident = contact.identification
    notes = contact.draft.notes.strip()
    if contact.handed_over_notes:
        by = f" ({contact.handed_over_by})" if contact.handed_over_by else ""
        notes = f"[handed over{by}]\n{contact.handed_over_notes.strip()}\n---\n{notes}".strip()
    draft = interaction_service.InteractionDraft(
        partner_id=ident.partner.partner_id if ident.status == "confirmed" and ident.partner else None,
        contact_person_id=(ident.contact_person.partner_id
                           if ident.status == "confirmed" and ident.contact_person else None),
        reason_code=contact.draft.reason_code or None, outcome_code=contact.draft.outcome_code or None,
        notes=notes or None)
    script = contact.draft_json("").get("script")
    with _writing(database, actor) as session:
        record_id = None
        if contact.interaction_id:  # an email or chat: the mail queue made its record
            record_id = interaction_service.save_interaction(session, actor, contact.interaction_id, draft,
                                                             close=True).id
        elif contact.call_id:
            try:
                record_id = interaction_service.save_call_interaction(session, actor, contact.call_id, draft).id
            except NotFound:
                if not contact.lost:
                    raise
                # The gateway lost the call before writing it: keep the agent's work anyway.
        if record_id is None:
            record = interaction_service.create_interaction(
                session, actor, channel="phone", direction="outbound" if contact.kind == "outbound" else "inbound",
                partner_id=draft.partner_id, ani=contact.ani or None, dnis=contact.dnis or None,
                queue=contact.queue, started_at=datetime.utcfromtimestamp(contact.offered_at)
                if contact.offered_at else None)
            record_id = interaction_service.save_interaction(session, actor, record.id, draft, close=True).id
        if script:
            try:
                _save_run(session, actor, contact, script, interaction_id=record_id)
            except script_service.RunHandedOver as exc:
                # The colleague's newer answers stay; the record is linked to the run all the same.
                log.info("the script run is not saved with the record: %s", exc)
        _link_actions(session, actor, contact, record_id)
        return record_id


def _link_actions(session, actor: Actor, contact: Contact, record_id: int) -> None:
    """What the Action Box created during the contact, linked to its record
    (again: linking twice is harmless)."""
    from crm.models import OutboundEmail
    from crm.services.transactions import link_to_interaction

    for done in contact.actions_done:
        if done.get("transaction_id"):
            try:
                link_to_interaction(session, actor, record_id, int(done["transaction_id"]))
            except NotFound:
                log.warning("the transaction %s of this contact is gone", done["transaction_id"])
        if done.get("email_id"):
            email = session.get(OutboundEmail, int(done["email_id"]))
            if email is not None and email.interaction_id is None:
                email.interaction_id = record_id


# --- call scripts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptSupply:
    """What the desktop runs scripts with: the active versions and the CRM lists."""

    active: list  # scripting.library.Loaded
    lists: dict  # list name -> options


def load_scripts(database: Database, actor: Actor) -> ScriptSupply:
    from scripting.context import list_options
    from scripting.document import QuestionNode
    from scripting.library import load_active

    active = load_active(database, actor)
    wanted = {n.crm_list for each in active for n in each.script.nodes if isinstance(n, QuestionNode)}
    with _reading(database, actor) as session:
        return ScriptSupply(active, list_options(session, wanted))


def script_version(database: Database, actor: Actor, name: str, version: int):
    """One stored version, as scripting.library.Loaded (a run kept in a draft goes on with it)."""
    from scripting.document import from_builtins
    from scripting.library import Loaded

    with _reading(database, actor) as session:
        stored = script_service.get_version(session, actor, name, version)
    return Loaded(from_builtins(stored.document, origin=name), stored.version)


def handed_over_run(database: Database, actor: Actor, contact_id: str):
    """The script run a colleague made during this call before handing it over:
    (Loaded version, runner state), or None."""
    with _reading(database, actor) as session:
        runs = script_service.runs_of_contact(session, actor, contact_id)
    if not runs:
        return None
    last = runs[-1]
    return script_version(database, actor, last.script, last.version), last.state


def script_facts(database: Database, actor: Actor, partner_id: int | None,
                 contact_person_id: int | None) -> tuple[dict | None, dict | None]:
    """The partner and contact person as a script may name them."""
    from scripting.context import contact_person_values, partner_values

    with _reading(database, actor) as session:
        partner = partner_values(session, actor, partner_id) if partner_id else None
        person = (contact_person_values(session, actor, contact_person_id, organization_id=partner_id)
                  if contact_person_id else None)
    return partner, person


def save_script_run(database: Database, actor: Actor, contact: Contact, state: dict) -> int:
    """Write a script run as it stands (a snapshot taken on the GUI thread);
    crm's NotFound while the gateway has not recorded the call for this agent."""
    with _writing(database, actor) as session:
        return _save_run(session, actor, contact, state)


def _save_run(session, actor: Actor, contact: Contact, state: dict, *, interaction_id: int | None = None) -> int:
    from scripting.document import from_builtins
    from scripting.records import run_record
    from scripting.runner import ScriptRun
    from scripting.templates import make_context

    stored = script_service.get_version(session, actor, state["name"], state["version"])
    run = ScriptRun.from_state(from_builtins(stored.document), state["state"], make_context())
    ident = contact.identification
    partner_id = ident.partner.partner_id if ident.status == "confirmed" and ident.partner else None
    return script_service.save_run(session, actor, run_record(run, partner_id=partner_id),
                                   contact_id=contact.call_id, interaction_id=interaction_id)


def warm_up(database: Database, actor: Actor, region: str = "CN") -> None:
    """Run a screen pop's queries once, on some customer the agent may read, so
    that the first call of the day pops as fast as the later ones: the ORM's
    mappers, the statement caches and the database connection are made here
    rather than while a caller waits. Failures are harmless and logged only."""
    from sqlalchemy import select

    from crm.errors import CrmError
    from crm.models import BusinessPartner

    try:
        identify_caller(database, actor, "+8613800000000", region)
        with _reading(database, actor) as session:
            ids = session.scalars(select(BusinessPartner.id).order_by(BusinessPartner.id).limit(20)).all()
        for partner_id in ids:
            try:
                business_data(database, actor, partner_id)
            except CrmError:
                continue  # not this agent's to read: try the next
            history_page(database, actor, partner_id, filters=history_service.HistoryFilter(), before=None,
                         page_size=20)
            break
    except Exception as exc:  # the real calls will report a real problem
        log.info("warming up the CRM queries failed: %s", exc)


def partner_by_number(database: Database, actor: Actor, partner_no: str) -> PartnerRef:
    with _reading(database, actor) as session:
        p = get_partner_by_number(session, actor, partner_no)
        return PartnerRef(p.id, p.partner_no, p.name, p.kind)


# --- the action box -----------------------------------------------------------------------------


def action_context(database: Database, actor: Actor, **facts):
    """action_box.model.Context for the current contact (facts: see action_box.context.load_context)."""
    from action_box.context import load_context

    with _reading(database, actor) as session:
        return load_context(session, actor, **facts)


def run_action(database: Database, actor: Actor, action, context, values: dict):
    from action_box import execute

    return execute.run(database, actor, action, context, values)


def follow_ups(database: Database, actor: Actor):
    """The open callbacks and tasks of the agent and his team (crm.services.transactions.FollowUp)."""
    from crm.services import transactions

    with _reading(database, actor) as session:
        return transactions.follow_ups_for(session, actor)


def complete_follow_up(database: Database, actor: Actor, transaction_id: int) -> str:
    """Mark a callback or task done; its number."""
    from crm.services import transactions

    with _writing(database, actor) as session:
        return transactions.complete_follow_up(session, actor, transaction_id).number


def send_emails(database: Database, relay, *, ids: list[int] | None = None, created_by: int | None = None):
    """Send outbox emails through the relay (email_queue.outbox.Relay); the deliveries."""
    from email_queue.outbox import send_due

    return send_due(database, relay, ids=ids, created_by=created_by)


def email_status(database: Database, ids: list[int]):
    from crm.services import outbox

    with database.reading() as session:
        return outbox.status_of(session, ids)


# --- emails and chats (the Inbox) -------------------------------------------------------------


def inbox(database: Database, actor: Actor, **filters):
    from crm.services import conversations

    with _reading(database, actor) as session:
        return conversations.inbox(session, actor, **filters)


def conversation(database: Database, actor: Actor, conversation_id: int):
    from crm.services import conversations

    with _reading(database, actor) as session:
        return conversations.conversation_view(session, actor, conversation_id)


def attachment(database: Database, actor: Actor, attachment_id: int) -> tuple[str, str, bytes]:
    from crm.services import conversations

    with _reading(database, actor) as session:
        return conversations.attachment_content(session, actor, attachment_id)


def send_reply(database: Database, actor: Actor, conversation_id: int, **reply) -> int:
    """Store the reply (and its email in the outbox); the mail queue sends it."""
    from crm.services import conversations

    with _writing(database, actor) as session:
        return conversations.reply(session, actor, conversation_id, **reply).id


def add_note(database: Database, actor: Actor, conversation_id: int, text: str) -> int:
    from crm.services import conversations

    with _writing(database, actor) as session:
        return conversations.add_note(session, actor, conversation_id, text).id


def render_reply(database: Database, actor: Actor, body: str, *, view, partner_id: int | None,
                 contact_person_id: int | None = None):
    """A reply template rendered in the sandbox with the customer's data and the conversation."""
    from scripting.context import contact_person_values, partner_values
    from scripting.templates import make_context, render

    with _reading(database, actor) as session:
        partner = partner_values(session, actor, partner_id) if partner_id else None
        person = (contact_person_values(session, actor, contact_person_id, organization_id=partner_id)
                  if contact_person_id else None)
        user = session.get(User, actor.user_id) if actor.user_id else None
        agent_name = user.display_name if user else actor.username
    first = next((m for m in view.messages if m.kind == "inbound"), None)
    values = make_context(
        partner=partner, contact_person=person,
        agent={"name": agent_name, "username": actor.username},
        conversation={"subject": view.subject, "customer": view.customer_name or view.customer_address or "",
                      "address": view.customer_address or view.customer_phone or "", "channel": view.channel,
                      "received": first.at.strftime("%Y-%m-%d") if first else "", "mailbox": view.mailbox})
    return render(body, values)
