"""The work behind the customer routes: identification, search, the 360° view and
an interaction's detail, assembled here on the server in one database session
each, so that the desktop's screen pop costs it one request for the caller's
identity and one for the business data."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import BusinessTransaction, InstalledBaseItem, Interaction, OrgUnit, OutboundEmail, TransactionKind
from crm.permissions import Actor
from crm.services.conversations import reading
from crm.services import identify as identify_service
from crm.services import interactions as interaction_service
from crm.services import scripts as script_service
from crm.services import search as search_service
from crm.services.partner_view import partner_view
from crm.services.partners import AddressDraft, PartnerDraft, create_partner
from app_service.business_results import (
    InteractionDetail,
    Item,
    LinkedLine,
    NewPartner,
    Partner360,
    SearchResult,
    SearchRow,
    details,
)
from app_service.partner_results import PartnerMatch, PartnerRef

SEARCH_PAGE_SIZE = 50


# --- identification and search ----------------------------------------------------------------


def _ref(ref) -> PartnerRef:
    return PartnerRef(ref.partner_id, ref.partner_no, ref.name, ref.kind, ref.function)


def _matches(found) -> list[PartnerMatch]:
    return [PartnerMatch(_ref(i.partner), i.matched_by,
                         tuple(_ref(c) for c in i.contact_persons),
                         tuple(_ref(o) for o in i.organizations)) for i in found]


def identify_caller(session: Session, actor: Actor, phone: str, region: str) -> list[PartnerMatch]:
    if not any(ch.isdigit() for ch in phone or ""):
        return []  # anonymous or withheld
    return _matches(identify_service.identify_by_phone(session, actor, phone, region))


def identify_by_number(session: Session, actor: Actor, partner_no: str) -> list[PartnerMatch]:
    return _matches(identify_service.identify_by_number(session, actor, partner_no))


def partner_match(session: Session, actor: Actor, partner_id: int) -> PartnerMatch:
    """A partner the agent picked (from a search, a new record) with its contact persons."""
    view = partner_view(session, actor, partner_id, sections=frozenset({"related"}))
    p = view.partner
    return PartnerMatch(PartnerRef(p.id, p.partner_no, p.name, p.kind), "agent",
                        tuple(_ref(c) for c in view.contact_persons),
                        tuple(_ref(o) for o in view.organizations))


def search(session: Session, actor: Actor, text: str, *, page: int, region: str) -> SearchResult:
    result = search_service.search_partners(session, actor, text, page=page, page_size=SEARCH_PAGE_SIZE,
                                            region=region)
    rows = [SearchRow(PartnerRef(h.partner_id, h.partner_no, h.name, h.kind), h.city, h.phone, h.email, h.owner)
            for h in result.items]
    return SearchResult(rows, result.has_more, list(result.notes))


def create_customer(session: Session, actor: Actor, new: NewPartner, *, region: str,
                    confirm_duplicates: bool) -> PartnerMatch:
    """crm's PossibleDuplicates (with `.candidates`) unless confirmed."""
    draft = PartnerDraft(kind=new.kind, first_name=new.first_name or None,
                         last_name=new.last_name or None, org_name=new.org_name or None,
                         phones=[new.phone] if new.phone.strip() else [],
                         emails=[new.email.strip()] if new.email.strip() else [])
    if new.city.strip():
        draft.addresses = [AddressDraft(country=new.country or region, city=new.city.strip())]
    partner = create_partner(session, actor, draft, region=region, confirm_duplicates=confirm_duplicates)
    return PartnerMatch(PartnerRef(partner.id, partner.partner_no, partner.name, partner.kind), "new")


# --- business data display ----------------------------------------------------------------


def business_data(session: Session, actor: Actor, partner_id: int) -> Partner360:
    view = partner_view(session, actor, partner_id)
    p = view.partner
    main_phone = next((ph.raw for ph in p.phones if ph.is_main), p.phones[0].raw if p.phones else None)
    main_email = next((e.address for e in p.emails if e.is_main), p.emails[0].address if p.emails else None)
    city = next((a.city for a in p.addresses if a.is_main), None)
    sections: dict[str, list[Item]] = defaultdict(list)
    for c in view.contact_persons:
        sections["contact_persons"].append(Item("contact_person", c.name, c.function or "",
                                                details((("customer_no", c.partner_no),)), c.partner_id))
    for r in view.relationships:
        sections["relationships"].append(Item(
            "relationship", r.other.name, f"{r.kind} ({r.direction})",
            details((("kind", r.kind), ("function", r.function or ""), ("valid_from", r.valid_from),
                     ("valid_to", r.valid_to))), r.other.partner_id))
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


def _text(value, zone: tzinfo = timezone.utc) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # the CRM keeps naive UTC; the agent reads his own time
        return value.replace(tzinfo=timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _team_names(session: Session, ids: set[int]) -> dict[int, str]:
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
    return Item(t.kind, f"{t.number} {t.subject}", t.status, details(detail))


def _assignee(t: BusinessTransaction, teams: dict[int, str]) -> str:
    """Who is to act on a callback or task: a person, else a team."""
    if t.owner is not None:
        return t.owner.display_name
    return teams.get(t.team_id, "") if t.team_id else ""


def _installed_item(ib: InstalledBaseItem) -> Item:
    return Item("installed_base", ib.product.name, ib.serial_no or "",
                details((("product", f"{ib.product.product_no} {ib.product.name}"),
                         ("serial_no", ib.serial_no or ""), ("installed_on", ib.installed_on),
                         ("warranty_end", ib.warranty_end))))


def _interaction_item(i: Interaction) -> Item:
    return Item("interaction", f"{_text(i.started_at)} {i.channel} {i.direction}",
                f"{i.reason_code or ''} {i.outcome_code or ''}".strip(), details(_interaction_fields(i)),
                interaction_id=i.id)


def _interaction_fields(i: Interaction) -> tuple[tuple[str, object], ...]:
    return (("started_at", i.started_at), ("channel", i.channel), ("direction", i.direction),
            ("status", i.status), ("queue", i.queue or ""),
            ("agent", i.agent.display_name if i.agent else ""), ("ani", i.ani or ""),
            ("dnis", i.dnis or ""), ("subject", i.subject or ""),
            ("wait_seconds", str(i.wait_seconds)), ("talk_seconds", str(i.talk_seconds)),
            ("hold_seconds", str(i.hold_seconds)), ("wrapup_seconds", str(i.wrapup_seconds)),
            ("reason_code", i.reason_code or ""), ("outcome_code", i.outcome_code or ""),
            ("notes", i.notes or ""))


# --- an interaction's detail -----------------------------------------------------------------


def interaction_detail(session: Session, actor: Actor, interaction_id: int,
                       zone: tzinfo = timezone.utc) -> InteractionDetail:
    """`zone`: the reader's, for the times written into the messages' text."""
    record = interaction_service.interaction_detail(session, actor, interaction_id)  # checks the actor may read it
    return InteractionDetail(details(_interaction_fields(record)), _script_answers(session, actor, interaction_id),
                             _conversation_text(session, actor, interaction_id, zone), _linked_lines(session, record))


def _linked_lines(session: Session, record: Interaction) -> tuple[LinkedLine, ...]:
    """What was created or looked at in this interaction (its Action Box follow-ups
    among them) and the emails sent from it."""
    lines = [LinkedLine(link.transaction.kind, link.transaction.number, link.transaction.subject,
                        link.transaction.status, link.link)
             for link in sorted(record.links, key=lambda k: (k.at or datetime.min, k.transaction_id))]
    emails = session.scalars(select(OutboundEmail).where(OutboundEmail.interaction_id == record.id)
                             .order_by(OutboundEmail.id).limit(100))
    lines += [LinkedLine("email", e.to_address, e.subject, e.status) for e in emails]
    return tuple(lines)


def _conversation_text(session: Session, actor: Actor, interaction_id: int, zone: tzinfo) -> str:
    """An email thread's or chat's messages of this record, oldest first (a thread the
    customer reopened has a record per reopening)."""
    messages = reading.messages_of_interaction(session, actor, interaction_id)
    return "\n\n".join(f"{_text(m.created_at, zone)} {m.author_name or m.sender or ''} ({m.kind}):\n"
                         f"{m.body_text.strip()[:2000]}" for m in messages)


def _script_answers(session: Session, actor: Actor, interaction_id: int) -> str:
    """The call script runs of a record, as lines: the script and its outcome, then each
    question with its answer."""
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
