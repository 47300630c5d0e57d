"""The agent's workbench as plain Python: the work mode, the contact in the
workspace, who the caller is, and the interaction record being written.

The Qt views draw this model and send the agent's clicks to the controller;
the model never touches Qt, the network or the database, so every rule here
is tested without a screen. It is fed by the gateway's events and by the
results of CRM lookups the controller runs off the GUI thread.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from app_service.partner_results import PartnerMatch, PartnerRef  # noqa: F401 - named here by the desktop
from bus import cti
from agent_desktop.controls import Control, enabled_controls, main_call
from agent_desktop.drafts import DraftStore

log = logging.getLogger(__name__)

# Keys of the call's attached data that carry the interaction to the next agent.
DATA_PARTNER = "partner_no"
DATA_CONTACT_PERSON = "contact_person_no"
DATA_NOTES = "notes"
DATA_NOTES_BY = "notes_by"
DATA_CAMPAIGN = "campaign"  # set on outbound calls of a campaign
MAX_HANDOVER_NOTES = 4000  # characters; the gateway limits attached data to 16 KiB


class Phase(StrEnum):
    OFFERED = "offered"
    ACTIVE = "active"
    WRAP_UP = "wrap_up"


class IdStatus(StrEnum):
    PENDING = "pending"  # looking the number up
    CONFIRMED = "confirmed"
    PROPOSED = "proposed"  # one match, waiting for the agent's confirmation
    CHOOSE = "choose"  # several matches
    UNKNOWN = "unknown"  # no match: search or create


@dataclass
class Identification:
    status: IdStatus = IdStatus.PENDING
    matches: list[PartnerMatch] = field(default_factory=list)
    partner: PartnerRef | None = None
    contact_person: PartnerRef | None = None
    source: str = ""  # "ani", "transfer", "agent"
    error: str | None = None


@dataclass
class RecordDraft:
    reason_code: str | None = None
    outcome_code: str | None = None
    notes: str = ""


@dataclass
class CallResult:
    cause: str
    talk_seconds: float
    hold_seconds: float
    waited: float


@dataclass
class Contact:
    key: str  # the gateway's call id, or a local id for a contact without a call
    call_id: str | None
    kind: str  # inbound, transfer, consult, outbound
    ani: str
    dnis: str
    queue: str | None
    waited: float
    offered_at: float  # epoch
    phase: Phase = Phase.OFFERED
    call: cti.CallView | None = None
    identification: Identification = field(default_factory=Identification)
    draft: RecordDraft = field(default_factory=RecordDraft)
    handed_over_notes: str | None = None
    handed_over_by: str | None = None
    result: CallResult | None = None
    lost: str | None = None  # why the call was lost to the desktop (gateway restart, ...)
    ended_at: float | None = None
    offer_data: dict = field(default_factory=dict)  # attached data when the call was offered
    script: Any = None  # scripting.runner.ScriptRun walked during this contact
    script_to_resume: dict | None = None  # a run kept in a draft: {"name", "version", "state"}
    prompts_shown: bool = False
    actions_done: list = field(default_factory=list)  # what the Action Box did: dicts, see action_done
    channel: str = "phone"  # phone, email, chat
    conversation_id: int | None = None  # an email thread or chat of the mail queue
    interaction_id: int | None = None  # its record, made by the mail queue when the customer wrote
    customer_name: str = ""  # the name an email or chat customer gave, for a new customer's form
    customer_phone: str = ""  # a chat customer's phone when he gave an email address too
    picked_up: bool = False  # opened from the gateway's state (a reconnect or restart mid-call), not an offer
    draft_unread: bool = False  # picked up: the draft kept before is being read, so not written yet

    @property
    def campaign(self) -> str | None:
        value = self.offer_data.get(DATA_CAMPAIGN)
        return str(value) if value else None

    def draft_json(self, agent: str) -> dict:
        ident = self.identification
        return {
            "key": self.key, "agent": agent, "call_id": self.call_id, "kind": self.kind,
            "ani": self.ani, "dnis": self.dnis, "queue": self.queue, "waited": self.waited,
            "offered_at": self.offered_at, "saved_at": time.time(),
            "partner": asdict(ident.partner) if ident.partner else None,
            "contact_person": asdict(ident.contact_person) if ident.contact_person else None,
            "draft": asdict(self.draft),
            "handed_over_notes": self.handed_over_notes, "handed_over_by": self.handed_over_by,
            "script": _script_json(self.script) or self.script_to_resume,
            "actions_done": list(self.actions_done),
            "channel": self.channel, "conversation_id": self.conversation_id,
            "interaction_id": self.interaction_id,
            "customer_name": self.customer_name, "customer_phone": self.customer_phone,
        }

    @classmethod
    def from_draft_json(cls, data: dict) -> Contact:
        contact = cls(key=str(data["key"]), call_id=data.get("call_id"), kind=data.get("kind", "inbound"),
                      ani=data.get("ani") or "", dnis=data.get("dnis") or "", queue=data.get("queue"),
                      waited=float(data.get("waited") or 0), offered_at=float(data.get("offered_at") or 0),
                      phase=Phase.WRAP_UP)
        if data.get("partner"):
            contact.identification = Identification(
                status=IdStatus.CONFIRMED, partner=PartnerRef(**data["partner"]),
                contact_person=PartnerRef(**data["contact_person"]) if data.get("contact_person") else None,
                source="draft")
        else:
            contact.identification = Identification(status=IdStatus.UNKNOWN, source="draft")
        contact.draft = RecordDraft(**data.get("draft", {}))
        contact.handed_over_notes = data.get("handed_over_notes")
        contact.handed_over_by = data.get("handed_over_by")
        contact.script_to_resume = data.get("script") if isinstance(data.get("script"), dict) else None
        contact.actions_done = [d for d in data.get("actions_done") or [] if isinstance(d, dict)]
        contact.channel = str(data.get("channel") or "phone")
        contact.conversation_id = _int_or_none(data.get("conversation_id"))
        contact.interaction_id = _int_or_none(data.get("interaction_id"))
        contact.customer_name = str(data.get("customer_name") or "")
        contact.customer_phone = str(data.get("customer_phone") or "")
        contact.lost = LOST_DRAFT
        return contact


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _script_json(run) -> dict | None:
    if run is None:
        return None
    return {"name": run.script.name, "version": run.version, "state": run.to_state()}


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name Qt's lupdate looks for
    """Marks a message for translation; the view translates it in context "Workbench"."""
    return text


# Why a call was lost to the desktop: shown in the view, translated there.
LOST_RESTART = QT_TRANSLATE_NOOP("Workbench", "the gateway restarted")
LOST_GONE = QT_TRANSLATE_NOOP("Workbench", "the gateway no longer has this call")
LOST_DRAFT = QT_TRANSLATE_NOOP("Workbench", "restored from a draft")


# The gateway's notices by code (bus.cti.NOTICES, every one of them), translated in the view.
GATEWAY_NOTICES = {
    "ring_no_answer": QT_TRANSLATE_NOOP("Workbench", "You did not answer a call in time; you are now Not ready."),
    "consult_no_answer": QT_TRANSLATE_NOOP("Workbench",
                                           "You did not answer a consult call; you are now Not ready."),
    "phone_unreachable": QT_TRANSLATE_NOOP("Workbench", "Your phone {device} could not be reached ({status})."),
    "phone_failed": QT_TRANSLATE_NOOP("Workbench", "Your phone {device} did not take the call ({status}); you "
                                                   "are now Not ready."),
    "call_lost": QT_TRANSLATE_NOOP("Workbench", "The call from {ani} was lost: the telephony process handling it "
                                                "failed ({reason})."),
    "account_disabled": QT_TRANSLATE_NOOP("Workbench", "Your account was disabled; you are logged out. Ask an "
                                                       "administrator."),
    "signed_out": QT_TRANSLATE_NOOP("Workbench", "You signed out; this desktop is logged out of the CTI gateway."),
    "session_expired": QT_TRANSLATE_NOOP("Workbench", "Your session has expired; you are logged out. Sign in "
                                                      "again."),
    "password_changed": QT_TRANSLATE_NOOP("Workbench", "Your password was changed; you are logged out. Sign in "
                                                       "again with the new one."),
    "session_ended": QT_TRANSLATE_NOOP("Workbench", "Your session has ended; you are logged out. Sign in again."),
    "supervisor_not_ready": QT_TRANSLATE_NOOP("Workbench", "{supervisor} set you Not ready ({reason})."),
    "supervisor_not_ready_after_call": QT_TRANSLATE_NOOP("Workbench", "{supervisor} set you Not ready ({reason}) "
                                                                      "once your call ends."),
    "supervisor_logged_off": QT_TRANSLATE_NOOP("Workbench", "{supervisor} logged you off the CTI gateway."),
    "supervisor_log_off_after_call": QT_TRANSLATE_NOOP("Workbench", "{supervisor} logs you off the CTI gateway "
                                                                    "once your call ends."),
    "gateway_stopping": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway is stopping: your call with {ani} was "
                                                       "ended. Finish its record; this desktop logs in again when "
                                                       "the gateway is back."),
}


# What a gateway error code means (bus.envelope.ERRORS, bus.refusals.ERRORS and
# bus.cti.ERRORS, every one of them), translated in the view; the gateway's own
# words follow as the detail (error replies carry only a code and English text).
GATEWAY_ERRORS = {
    # any service's
    "malformed": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway did not understand this desktop's message"),
    "unknown_type": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway does not know this command; is it older "
                                                   "than this desktop?"),
    "invalid": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway refused the command's form; is it older than "
                                              "this desktop?"),
    "unsupported_version": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway speaks another version of the "
                                                          "protocol"),
    "too_large": QT_TRANSLATE_NOOP("Workbench", "The call's attached data is too large"),
    "too_deep": QT_TRANSLATE_NOOP("Workbench", "The message is nested too deeply for the CTI gateway"),
    "busy": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway is busy; try again in a moment"),
    "internal": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway failed to carry out the command"),
    "unreachable": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway does not answer"),
    # a session refused
    "session_ended": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway did not accept your session; sign in again"),
    "forbidden": QT_TRANSLATE_NOOP("Workbench", "You are not allowed to do this"),
    "crm_unavailable": QT_TRANSLATE_NOOP("Workbench", "The CRM database cannot be reached; try again in a moment"),
    "locked": QT_TRANSLATE_NOOP("Workbench", "Logins are locked for a while after too many failures"),
    "rate_limited": QT_TRANSLATE_NOOP("Workbench", "Too many logins; try again later"),
    # the gateway's
    "not_logged_in": QT_TRANSLATE_NOOP("Workbench", "This desktop is not logged in to the CTI gateway"),
    "already_logged_in": QT_TRANSLATE_NOOP("Workbench", "You are logged in to the CTI gateway from another "
                                                        "desktop"),
    "invalid_state": QT_TRANSLATE_NOOP("Workbench", "Not possible in the present state of the call or your work mode"),
    "invalid_argument": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway refused a value"),
    "no_line": QT_TRANSLATE_NOOP("Workbench", "All lines are busy; try again in a moment"),
    "no_device": QT_TRANSLATE_NOOP("Workbench", "No phone is set for you"),
    "device_in_use": QT_TRANSLATE_NOOP("Workbench", "Your phone is in use by another agent"),
    "unknown_queue": QT_TRANSLATE_NOOP("Workbench", "There is no such queue"),
    "missing_skills": QT_TRANSLATE_NOOP("Workbench", "You lack the skills the queue needs"),
    "unknown_call": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway no longer has this call"),
    "unknown_agent": QT_TRANSLATE_NOOP("Workbench", "There is no such agent logged in"),
    "agent_not_ready": QT_TRANSLATE_NOOP("Workbench", "The colleague cannot take a call now"),
    "events_refused": QT_TRANSLATE_NOOP("Workbench", "The CTI gateway did not confirm this desktop's events"),
}
GATEWAY_ERROR = QT_TRANSLATE_NOOP("Workbench", "{meaning} (the gateway said: {detail})")
GATEWAY_ERROR_UNKNOWN = QT_TRANSLATE_NOOP("Workbench", "The CTI gateway refused: {detail}")


@dataclass(frozen=True)
class Notice:
    """A message for the agent: an English template (the key of its
    translation) and the values to fill in."""

    level: str  # info, warning, error, prompt (a prompt script), broadcast (a supervisor's)
    template: str
    at: float
    params: dict = field(default_factory=dict)
    translatable: bool = True  # False: text from elsewhere (the gateway), shown as is

    @property
    def text(self) -> str:
        return self.template.format(**self.params) if self.params else self.template


Listener = Callable[[str], None]


class Workbench:
    """What one agent's desktop knows. Listeners are told which part changed:
    "agent", "contact", "identification", "record", "script", "actions", "connection", "notices"."""

    def __init__(self, agent: str, *, identification_mode: str = "confirm",
                 drafts: DraftStore | None = None, clock: Callable[[], float] = time.time):
        self.agent_name = agent
        self.identification_mode = identification_mode
        self.outcome_codes: tuple[str, ...] = ()  # a script's outcome among these fills the record's
        self.drafts = drafts
        self.clock = clock
        self.agent: cti.AgentView | None = None
        self.connected = False
        self.connection_error: str | None = None
        self.run: str | None = None
        self.seq = 0
        self.session: str | None = None  # the gateway session this desktop holds
        # Why this desktop is not the agent's desktop now (another one took the
        # session, or holds it): it does not log in again by itself.
        self.session_elsewhere: str | None = None
        self.contact: Contact | None = None
        self.unsaved: list[Contact] = []  # ended contacts whose record is not in the CRM yet
        self.notices: list[Notice] = []
        self.gateway_records_healthy = True  # as the gateway's heartbeat says
        self._listeners: list[Listener] = []

    # --- observers -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    # --- the gateway's state ----------------------------------------------------------------

    def apply_snapshot(self, state: cti.AgentView, run: str, seq: int) -> None:
        """A login or a snapshot: the truth as of `seq`; a contact whose call the
        gateway no longer has was lost (a restart, a takeover)."""
        restarted = self.run is not None and run != self.run
        self.run, self.seq = run, seq
        self.connected, self.connection_error = True, None
        self.agent = state
        contact = self.contact
        if contact is not None and contact.call_id and contact.phase is not Phase.WRAP_UP:
            call = self._call(contact.call_id)
            if call is None:
                self._lose_call(contact, LOST_RESTART if restarted else LOST_GONE)
            else:
                self._follow_call(contact, call)
        self._pick_up_calls(_PICK_UP_FROM_SNAPSHOT)
        self._changed("connection")
        self._changed("agent")

    def apply_event(self, envelope, event) -> None:
        if self.run is None:
            return  # not logged in: the login's snapshot will hold what this says
        if envelope is not None:
            if envelope.run == self.run and envelope.seq <= self.seq:
                return  # already in the snapshot
            if envelope.run == self.run:
                self.seq = envelope.seq
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _on_state(self, event: cti.AgentStateChanged) -> None:
        if event.state.agent != self.agent_name:
            return
        self.agent = event.state
        contact = self.contact
        if contact is not None and contact.call_id:
            call = self._call(contact.call_id)
            if call is not None:
                self._follow_call(contact, call)
                self._changed("contact")
            elif contact.phase is Phase.ACTIVE:  # gone without its end event (yet)
                contact.phase, contact.ended_at = Phase.WRAP_UP, self.clock()
                self._save_draft()
                self._changed("contact")
        # Offered and dialled calls open with their call.offered event, which follows.
        self._pick_up_calls(_PICK_UP_FROM_STATE)
        self._changed("agent")

    def _pick_up_calls(self, states: frozenset[str]) -> None:
        """A call of the agent's that no contact follows (the desktop was
        restarted or reconnected mid-call) becomes the workspace's contact, so
        it is identified, recorded and wrapped up like any other."""
        contact = self.contact
        if self.agent is None or (contact is not None and contact.phase is not Phase.WRAP_UP):
            return
        known = {c.call_id for c in (contact, *self.unsaved) if c is not None}
        call = next((c for c in self.agent.calls if c.state in states and c.call_id not in known), None)
        if call is None:
            return
        self._park_contact()
        kind = "consult" if call.role == "consulted" else call.direction
        picked = Contact(key=call.call_id, call_id=call.call_id, kind=kind, ani=call.ani, dnis=call.dnis,
                         queue=call.queue, waited=call.waited, offered_at=call.offered_at or self.clock(),
                         call=call, picked_up=True)
        picked.phase = Phase.OFFERED if call.state in ("offered", "queued", "dialing") else Phase.ACTIVE
        self._take_offer_data(picked, call.data)
        self.contact = picked
        log.info("picked up call %s (%s), which was in progress when this desktop connected",
                 call.call_id, call.state)
        # Its draft, if this desktop kept one before, is not overwritten before it is read.
        picked.draft_unread = self.drafts is not None
        self._changed("contact")

    def resume_picked_up(self, contact_key: str, data: dict | None) -> None:
        """The draft kept of a call picked up again (None: there is none): what
        the agent had typed and confirmed before the restart goes on."""
        contact = self.contact
        if contact is None or contact.key != contact_key:
            return
        contact.draft_unread = False
        if data is not None:
            kept = Contact.from_draft_json(data)
            if kept.identification.partner is not None and contact.identification.status is not IdStatus.CONFIRMED:
                contact.identification = kept.identification
            if contact.draft == RecordDraft():
                contact.draft = kept.draft
            contact.handed_over_notes = contact.handed_over_notes or kept.handed_over_notes
            contact.handed_over_by = contact.handed_over_by or kept.handed_over_by
            contact.script_to_resume = kept.script_to_resume
            contact.actions_done = kept.actions_done + contact.actions_done
        self._save_draft()
        self._changed("identification")
        self._changed("record")

    def _on_offered(self, event: cti.CallOffered) -> None:
        if event.agent != self.agent_name:
            return
        if self.contact is not None and self.contact.call_id == event.call_id:
            return
        self._park_contact()
        contact = Contact(key=event.call_id, call_id=event.call_id, kind=event.kind, ani=event.ani,
                          dnis=event.dnis, queue=event.queue, waited=event.waited,
                          offered_at=self.clock())
        self._take_offer_data(contact, event.data)
        self.contact = contact
        self._save_draft()
        self._changed("contact")

    @staticmethod
    def _take_offer_data(contact: Contact, data: dict | None) -> None:
        data = data or {}
        contact.offer_data = dict(data)
        notes = data.get(DATA_NOTES)
        if isinstance(notes, str) and notes.strip():
            contact.handed_over_notes = notes
            contact.handed_over_by = str(data.get(DATA_NOTES_BY) or "")

    def _on_withdrawn(self, event: cti.CallOfferWithdrawn) -> None:
        contact = self.contact
        if contact is None or contact.call_id != event.call_id or contact.phase is not Phase.OFFERED:
            self._unknown(event)
            return
        self._discard(contact)
        self.contact = None
        self.notice("warning", QT_TRANSLATE_NOOP("Workbench", "The call from {ani} was withdrawn ({reason})."),
                    ani=contact.ani, reason=event.reason)
        self._changed("contact")

    def _on_answered(self, event: cti.CallAnswered) -> None:
        contact = self.contact
        if contact is None or contact.call_id != event.call_id:
            self._unknown(event)
            return
        self._follow_call(contact, event.call)
        self._changed("contact")

    def _on_ended(self, event: cti.CallEnded) -> None:
        contact = self.contact
        if contact is None or contact.call_id != event.call_id:
            self._unknown(event)
            return
        if event.agent not in (None, self.agent_name) and contact.phase is Phase.OFFERED:
            return
        contact.result = CallResult(event.cause, event.talk_seconds, event.hold_seconds, event.waited)
        if contact.phase is Phase.WRAP_UP:
            pass  # the state change came first; now the figures are known
        elif contact.phase is Phase.OFFERED:
            # Never answered here: nothing to wrap up.
            self._discard(contact)
            self.contact = None
        else:
            contact.phase = Phase.WRAP_UP
            contact.ended_at = self.clock()
            self._save_draft()
        self._changed("contact")

    def _on_transferred(self, event: cti.CallTransferred) -> None:
        contact = self.contact
        if contact is None or contact.call_id != event.call_id:
            self._unknown(event)
            return
        if event.agent == self.agent_name:
            now = self.clock()
            contact.phase = Phase.WRAP_UP
            contact.ended_at = now
            talk, hold = _talk_and_hold(contact.call, now)
            contact.result = CallResult("transferred", talk, hold, contact.waited)
            self._save_draft()
            self._changed("contact")

    def _on_data(self, event: cti.CallDataChanged) -> None:
        contact = self.contact
        if contact is None or contact.call_id != event.call_id:
            self._unknown(event)
            return
        if contact.call is not None:
            contact.call.data = dict(event.data)

    def _on_notice(self, event: cti.AgentNotice) -> None:
        template = GATEWAY_NOTICES.get(event.code)
        try:
            if template is not None:
                template.format(**event.params)  # every value the template needs is there
        except (KeyError, IndexError, ValueError):
            template = None
        if template is None:  # a code this desktop does not know: the gateway's own words
            notice = Notice(event.level, event.text, self.clock(), translatable=False)
        else:
            notice = Notice(event.level, template, self.clock(), dict(event.params))
        self.notices.append(notice)
        del self.notices[:-200]
        self._changed("notices")

    def _on_broadcast(self, event: cti.AgentBroadcast) -> None:
        if event.agent != self.agent_name:
            return
        sender = event.sender_name or event.sender
        if event.queue:
            notice = Notice("broadcast", QT_TRANSLATE_NOOP("Workbench", "{sender} to queue {queue}: {text}"),
                            event.sent_at, {"sender": sender, "queue": event.queue, "text": event.text})
        else:
            notice = Notice("broadcast", QT_TRANSLATE_NOOP("Workbench", "{sender} to all agents: {text}"),
                            event.sent_at, {"sender": sender, "text": event.text})
        self.notices.append(notice)
        del self.notices[:-200]
        self._changed("notices")

    def _on_session_ended(self, event: cti.AgentSessionEnded) -> None:
        if event.agent != self.agent_name or event.session != self.session:
            log.info("session end of another desktop of %s ignored", event.agent)
            return
        self.session = None
        self.session_elsewhere = event.reason
        self.connected = False
        self.connection_error = event.reason
        self.notice("warning", QT_TRANSLATE_NOOP(
            "Workbench", "Your session was taken over by another desktop ({reason}). This desktop no longer "
                         "receives calls; use “Log in here” to take the session back."), reason=event.reason)
        self._changed("connection")

    def session_held_elsewhere(self, why: str) -> None:
        """The agent chose not to take the session from another desktop."""
        self.session = None
        self.session_elsewhere = why
        self.connection_lost(why)

    def _unknown(self, event) -> None:
        log.info("event %s for call %s, which this desktop does not know; ignored",
                 type(event).__name__, getattr(event, "call_id", "?"))

    def _call(self, call_id: str) -> cti.CallView | None:
        if self.agent is None:
            return None
        return next((c for c in self.agent.calls if c.call_id == call_id), None)

    def _follow_call(self, contact: Contact, call: cti.CallView) -> None:
        contact.call = call
        if call.state not in ("offered", "queued", "ended") and contact.phase is Phase.OFFERED:
            contact.phase = Phase.ACTIVE
            self._save_draft()

    def _lose_call(self, contact: Contact, why: str) -> None:
        contact.lost = why
        if contact.phase is Phase.OFFERED:
            self._discard(contact)
            self.contact = None
        else:
            contact.phase = Phase.WRAP_UP
            contact.ended_at = self.clock()
            self._save_draft()
        self.notice("warning", QT_TRANSLATE_NOOP(
            "Workbench", "The call from {ani} was lost ({why}). The interaction record stays open "
                         "for you to finish."), ani=contact.ani, why=why)
        self._changed("contact")

    # --- connection ---------------------------------------------------------------------------

    def connection_lost(self, why: str) -> None:
        if not self.connected and self.connection_error == why:
            return
        self.connected, self.connection_error = False, why
        self._changed("connection")

    def logged_in(self, session: str) -> None:
        self.session, self.session_elsewhere = session, None

    # --- identification -----------------------------------------------------------------------

    def identified(self, contact_key: str, matches: list[PartnerMatch], *, source: str = "ani",
                   error: str | None = None) -> None:
        contact = self.contact
        if contact is None or contact.key != contact_key:
            return
        ident = contact.identification
        if ident.status is IdStatus.CONFIRMED and ident.source in ("transfer", "agent", "draft"):
            return  # the agent (or the previous one) already decided
        ident.matches, ident.source, ident.error = list(matches), source, error
        if len(matches) == 1:
            only = matches[0]
            ident.partner = only.partner
            ident.status = IdStatus.CONFIRMED if (
                self.identification_mode == "confirm" or source == "transfer") else IdStatus.PROPOSED
            if len(only.contact_persons) == 1:
                ident.contact_person = only.contact_persons[0]
        elif matches:
            ident.status, ident.partner = IdStatus.CHOOSE, None
        else:
            ident.status, ident.partner = IdStatus.UNKNOWN, None
        self._save_draft()
        self._changed("identification")

    def confirm(self, partner: PartnerRef, contact_person: PartnerRef | None = None) -> None:
        contact = self._require_contact()
        ident = contact.identification
        if ident.partner is None or ident.partner.partner_id != partner.partner_id:
            ident.contact_person = None
        ident.partner, ident.status, ident.source = partner, IdStatus.CONFIRMED, "agent"
        if contact_person is not None:
            ident.contact_person = contact_person
        self._save_draft()
        self._changed("identification")

    def set_contact_person(self, person: PartnerRef | None) -> None:
        contact = self._require_contact()
        contact.identification.contact_person = person
        self._save_draft()
        self._changed("identification")

    def unconfirm(self) -> None:
        contact = self._require_contact()
        contact.identification = Identification(status=IdStatus.UNKNOWN, source="agent",
                                                matches=contact.identification.matches)
        self._save_draft()
        self._changed("identification")

    def match_loaded(self, contact_key: str, match: PartnerMatch) -> None:
        """A partner read afresh for the picker, with his contact persons: in place of the same
        partner's match, or added when he was not among them (found by a search)."""
        contact = self.contact
        if contact is None or contact.key != contact_key:
            return
        ident, partner_id = contact.identification, match.partner.partner_id
        if any(m.partner.partner_id == partner_id for m in ident.matches):
            ident.matches = [match if m.partner.partner_id == partner_id else m for m in ident.matches]
        else:
            ident.matches.append(match)
        self._changed("identification")

    @property
    def confirmed_partner(self) -> PartnerRef | None:
        contact = self.contact
        if contact is None or contact.identification.status is not IdStatus.CONFIRMED:
            return None
        return contact.identification.partner

    def handover_data(self) -> dict:
        """What to attach to the call so the next agent pops the same partner
        with these notes."""
        contact = self._require_contact()
        ident = contact.identification
        data: dict = {DATA_PARTNER: None, DATA_CONTACT_PERSON: None}
        if ident.status is IdStatus.CONFIRMED and ident.partner is not None:
            data[DATA_PARTNER] = ident.partner.partner_no
            if ident.contact_person is not None:
                data[DATA_CONTACT_PERSON] = ident.contact_person.partner_no
        notes = _handover_notes(contact)
        if notes:
            data[DATA_NOTES] = notes[-MAX_HANDOVER_NOTES:]
            data[DATA_NOTES_BY] = self.agent.name if self.agent else self.agent_name
        return data

    # --- the interaction record -------------------------------------------------------------

    def edit_record(self, **fields) -> None:
        contact = self._require_contact()
        for name, value in fields.items():
            if not hasattr(contact.draft, name):
                raise AttributeError(f"an interaction record has no field {name!r}")
            setattr(contact.draft, name, value)
        self._save_draft()
        self._changed("record")

    def end_contact(self) -> Contact:
        """Take the contact out of the workspace; the controller saves its
        record and calls `record_saved` (or keeps it in `unsaved`)."""
        contact = self._require_contact()
        if contact.call_id and self._call(contact.call_id) is not None and contact.lost is None:
            raise ValueError("hang up before ending the contact")
        self.contact = None
        self.unsaved.append(contact)
        self._changed("contact")
        return contact

    def record_saved(self, contact_key: str) -> None:
        self.unsaved = [c for c in self.unsaved if c.key != contact_key]
        if self.drafts is not None:
            self.drafts.discard(contact_key)

    def open_local_contact(self, *, ani: str = "", dnis: str = "", kind: str = "inbound") -> Contact:
        """A contact without a gateway call (restored drafts, a walk-in)."""
        self._park_contact()
        contact = Contact(key=f"local-{uuid.uuid4().hex[:12]}", call_id=None, kind=kind, ani=ani,
                          dnis=dnis, queue=None, waited=0.0, offered_at=self.clock(),
                          phase=Phase.ACTIVE)
        contact.identification.status = IdStatus.UNKNOWN
        self.contact = contact
        self._save_draft()
        self._changed("contact")
        return contact

    def open_conversation_contact(self, *, conversation_id: int, channel: str, interaction_id: int | None,
                                  address: str, mailbox: str, queue: str,
                                  partner: PartnerRef | None, customer_name: str = "",
                                  customer_phone: str = "") -> Contact:
        """An email or chat the agent works on becomes the contact in the
        workspace: identified, with business data, scripts and the Action Box
        as for a call; End saves its record."""
        key = f"conversation-{conversation_id}"
        if self.contact is not None and self.contact.key == key:
            return self.contact
        self._park_contact()
        contact = Contact(key=key, call_id=None, kind="inbound", ani=address, dnis=mailbox, queue=queue,
                          waited=0.0, offered_at=self.clock(), phase=Phase.ACTIVE, channel=channel,
                          conversation_id=conversation_id, interaction_id=interaction_id,
                          customer_name=customer_name or "",
                          customer_phone=customer_phone if customer_phone and customer_phone != address else "")
        if partner is not None:
            contact.identification = Identification(status=IdStatus.CONFIRMED, partner=partner,
                                                    source="mail queue")
        else:
            contact.identification.status = IdStatus.UNKNOWN
        self.contact = contact
        self._save_draft()
        self._changed("contact")
        self._changed("identification")
        return contact

    def restore_draft(self, data: dict) -> Contact:
        self._park_contact()
        self.contact = Contact.from_draft_json(data)
        self._changed("contact")
        self._changed("identification")
        return self.contact

    def _park_contact(self) -> None:
        """A new contact arrives while the last one is not ended: keep the old
        one's record for saving rather than lose it."""
        old = self.contact
        if old is None:
            return
        if old.phase is Phase.OFFERED:
            self._discard(old)
        else:
            self.unsaved.append(old)
            self.notice("info", QT_TRANSLATE_NOOP(
                "Workbench", "The record of the call from {ani} was put aside for saving when the next "
                             "contact arrived."), ani=old.ani or old.key)
        self.contact = None

    def _save_draft(self) -> None:
        if self.drafts is None or self.contact is None or self.contact.draft_unread:
            return
        try:
            self.drafts.save(self.contact.key, self.contact.draft_json(self.agent_name))
        except OSError as exc:
            self.notice("error", QT_TRANSLATE_NOOP("Workbench", "The draft could not be written to disk: {error}"),
                        error=str(exc))

    def _discard(self, contact: Contact) -> None:
        if self.drafts is not None:
            self.drafts.discard(contact.key)

    def _require_contact(self) -> Contact:
        if self.contact is None:
            raise ValueError("there is no contact in the workspace")
        return self.contact

    # --- the call script ------------------------------------------------------------------------

    def start_script(self, run) -> None:
        """Walk `run` (a scripting.runner.ScriptRun) during the current contact,
        instead of any script before."""
        contact = self._require_contact()
        contact.script, contact.script_to_resume = run, None
        self._script_moved(contact)

    def script_next(self, value: Any = None) -> None:
        """Go on from the script's text, or answer its question; the runner's
        RunError (a wrong answer) leaves everything as it was."""
        contact = self._require_script()
        contact.script.next(value)
        self._script_moved(contact)

    def script_back(self) -> None:
        contact = self._require_script()
        contact.script.back()
        self._script_moved(contact)

    def script_context(self, context: dict) -> None:
        """New facts for the script's texts (the partner was confirmed)."""
        contact = self._require_script()
        contact.script.set_context(context)
        self._changed("script")

    def _script_moved(self, contact: Contact) -> None:
        run = contact.script
        if run.finished and run.outcome in self.outcome_codes and not contact.draft.outcome_code:
            contact.draft.outcome_code = run.outcome
            self._changed("record")
        self._save_draft()
        self._changed("script")

    def _require_script(self) -> Contact:
        contact = self._require_contact()
        if contact.script is None:
            raise ValueError("no call script runs for this contact")
        return contact

    # --- the action box --------------------------------------------------------------------------

    def action_done(self, key: str, done: dict) -> None:
        """An action ran for the contact `key`: {"action", "summary", "transaction_id",
        "number", "email_id", "url", "at"}. The record links what it created."""
        contact = self.contact if self.contact is not None and self.contact.key == key else next(
            (c for c in self.unsaved if c.key == key), None)
        if contact is None:
            return
        contact.actions_done.append(dict(done))
        if contact is self.contact:
            self._save_draft()
        self._changed("actions")

    def show_prompt(self, text: str) -> None:
        """A prompt script's text, as it comes."""
        self.notices.append(Notice("prompt", "{text}", self.clock(), {"text": text}, translatable=False))
        del self.notices[:-200]
        self._changed("notices")

    # --- messages ------------------------------------------------------------------------------

    def gateway_error(self, code: str, detail: str) -> None:
        """A command the gateway refused: what its code means in the agent's
        language, then the gateway's words."""
        meaning = GATEWAY_ERRORS.get(code)
        if meaning is None:
            self.notice("error", GATEWAY_ERROR_UNKNOWN, detail=detail)
        else:
            self.notice("error", GATEWAY_ERROR, meaning=meaning, detail=detail)

    def gateway_records_heard(self, healthy: bool) -> None:
        """What the gateway's heartbeat says of its call records: a change is news for the agent."""
        if healthy == self.gateway_records_healthy:
            return
        self.gateway_records_healthy = healthy
        if healthy:
            self.notice("info", QT_TRANSLATE_NOOP("Workbench", "The CTI gateway reaches the CRM database again."))
        else:
            self.notice("warning", QT_TRANSLATE_NOOP(
                "Workbench", "The CTI gateway cannot reach the CRM database: calls go on, and their records "
                             "are kept and written once it is back. Logging in waits for it."))

    def notice(self, level: str, template: str, **params) -> None:
        self.notices.append(Notice(level, template, self.clock(), params))
        del self.notices[:-200]
        self._changed("notices")

    # --- what the views show ---------------------------------------------------------------------

    def controls(self) -> frozenset[Control]:
        return enabled_controls(self.agent, connected=self.connected,
                                contact_open=self.contact is not None)

    def current_call(self) -> cti.CallView | None:
        return main_call(self.agent)

    def timers(self, now: float | None = None) -> dict[str, float | None]:
        """Seconds waited in queue, talked, on hold, and left in wrap-up."""
        now = self.clock() if now is None else now
        contact, call = self.contact, None
        if contact is not None and contact.call_id:
            call = self._call(contact.call_id) or contact.call
        talk = hold = None
        if contact is not None and contact.result is not None:
            talk, hold = contact.result.talk_seconds, contact.result.hold_seconds
        elif call is not None and call.answered_at:
            talk = max(0.0, now - call.answered_at)
            hold = call.hold_seconds + (max(0.0, now - call.held_since) if call.held_since else 0.0)
        wrap_left = None
        if self.agent is not None and self.agent.mode == "wrap_up" and self.agent.wrap_up_until:
            wrap_left = max(0.0, self.agent.wrap_up_until - now)
        return {"waited": contact.waited if contact else None, "talk": talk, "hold": hold,
                "wrap_up_left": wrap_left}

    def call_state(self) -> str | None:
        """offered, talking, on_hold, consulting, conference, dialing, wrap_up, lost;
        email or chat for a contact of the mail queue."""
        contact = self.contact
        if contact is None:
            return None
        if contact.channel != "phone":
            return contact.channel
        if contact.phase is Phase.WRAP_UP:
            return "lost" if contact.lost else "wrap_up"
        call = self._call(contact.call_id) if contact.call_id else None
        state = call.state if call else contact.call.state if contact.call else "offered"
        return {"connected": "talking", "held": "on_hold"}.get(state, state)


# The call states in which a call the desktop has no contact for is picked up.
_PICK_UP_FROM_SNAPSHOT = frozenset({"offered", "dialing", "connected", "held", "consulting", "conference"})
_PICK_UP_FROM_STATE = frozenset({"connected", "held", "consulting", "conference"})


def _talk_and_hold(call: cti.CallView | None, now: float) -> tuple[float, float]:
    """Talk and hold seconds of a call the agent leaves (a transfer), from its last view."""
    if call is None or not call.answered_at:
        return 0.0, 0.0
    hold = call.hold_seconds + (max(0.0, now - call.held_since) if call.held_since else 0.0)
    return max(0.0, now - call.answered_at), hold


def _handover_notes(contact: Contact) -> str:
    parts = []
    if contact.handed_over_notes:
        parts.append(contact.handed_over_notes.strip())
    if contact.draft.notes.strip():
        parts.append(contact.draft.notes.strip())
    return "\n---\n".join(parts)


_HANDLERS = {
    cti.AgentStateChanged: Workbench._on_state,
    cti.CallOffered: Workbench._on_offered,
    cti.CallOfferWithdrawn: Workbench._on_withdrawn,
    cti.CallAnswered: Workbench._on_answered,
    cti.CallEnded: Workbench._on_ended,
    cti.CallTransferred: Workbench._on_transferred,
    cti.CallDataChanged: Workbench._on_data,
    cti.AgentNotice: Workbench._on_notice,
    cti.AgentSessionEnded: Workbench._on_session_ended,
    cti.AgentBroadcast: Workbench._on_broadcast,
}
