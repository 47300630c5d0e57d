"""Glue between the gateway link, the CRM worker and the workbench model:
the agent's clicks become gateway commands and CRM tasks, and their results
and the gateway's events go into the model, which the views draw."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from agent_desktop import crm_access
from agent_desktop.contact_start import Start, after_draft, how_to_start
from agent_desktop.crm_session import CrmSession
from agent_desktop.drafts import DraftStore
from agent_desktop.gateway_session import GatewaySession
from agent_desktop.identification import lookup_for, person_named
from agent_desktop.partner_shown import PartnerShown, call_attachment
from agent_desktop.record_saves import RecordSaves, failure_text
from agent_desktop.ui.action_control import ActionControl
from agent_desktop.ui.cti_link import CtiLink
from agent_desktop.ui.formatting import error_text
from agent_desktop.ui.script_control import ScriptControl
from agent_desktop.ui.tasks import TaskRunner
from agent_desktop.work_modes import WorkModes
from agent_desktop.workbench import (
    QT_TRANSLATE_NOOP,
    DATA_CAMPAIGN,
    DATA_PARTNER,
    Contact,
    Workbench,
)
from bus import cti

log = logging.getLogger(__name__)

SAVE_RETRY_MS = 1000
RELOGIN_RETRY_MS = 2000


@dataclass
class GatewayLogin:
    token: str  # the agent's CRM session, which the gateway accepts instead of a password
    device: str | None
    queues: list[str] | None


class DesktopController(QObject):
    partner_loaded = Signal(object)  # Partner360 of the confirmed partner, or None
    search_done = Signal(object)  # (rows, has_more, notes) or an error text
    record_saved = Signal(str, int)  # contact key, interaction id
    draft_failed = Signal(object)  # OSError from the draft writer's thread
    takeover_asked = Signal(str)  # the agent is logged in on another desktop: the gateway's words
    crm_session_ended = Signal(str)  # the application service's reason (SessionEnded.reason), from any thread
    sign_in_wanted = Signal(str)  # the session ended (its reason): the agent is asked for his password
    signed_in_again = Signal(object)  # None once signed in again, else the exception that says why not

    def __init__(self, session: crm_access.LoggedIn, link: CtiLink, login: GatewayLogin, *,
                 drafts: DraftStore | None, region: str = "CN",
                 tasks: TaskRunner | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.crm = session.crm  # the application service, signed in: every CRM function takes it
        self.crm_session_ended.connect(self._on_crm_session_ended)  # queued: emitted on worker threads
        self.crm.on_session_ended = lambda exc: self.crm_session_ended.emit(exc.reason)
        self.link, self.login_data = link, login
        self.region = region
        self.actor = session.actor
        self.profile = session.profile
        self.tasks = tasks or TaskRunner(self)
        self.bench = Workbench(session.profile.username, identification_mode=session.profile.identification,
                               drafts=drafts)
        self.bench.outcome_codes = tuple(session.profile.outcome_codes)
        self.modes = WorkModes(self._send_mode, profile_reasons=session.profile.not_ready_reasons,
                               after_wrap_up=session.profile.after_wrap_up,
                               after_wrap_up_reason=session.profile.after_wrap_up_reason)
        self.gateway = GatewaySession(self.bench, _GatewayPort(self))
        self.crm_session = CrmSession(self.bench, self.sign_in_wanted.emit)
        self.record_saves = RecordSaves()
        self.partner_shown = PartnerShown()
        link.event.connect(self._on_event)
        link.heartbeat.connect(self._on_heartbeat)
        link.silent.connect(self._on_silent)
        link.subscribed.connect(self._on_subscribed)
        self._looked_up: Contact | None = None  # the contact whose caller is being or was identified
        self.bench.subscribe(self._on_model_change)  # before any view: see _look_up_early
        self.draft_failed.connect(self._on_draft_failed)  # queued: emitted on another thread
        self._rejoin = QTimer(self, interval=RELOGIN_RETRY_MS)  # while the gateway is silent
        self._rejoin.timeout.connect(self.gateway.rejoin_tick)
        self._retry = QTimer(self, interval=5000)
        self._retry.timeout.connect(self._save_unsaved)
        self._retry.start()
        self.tasks.run(crm_access.warm_up, self.crm, region)
        self.mail = None  # mail_control.MailControl when the desktop works emails and chats
        self.scripts = ScriptControl(self)
        self.actions = ActionControl(self)

    @property
    def not_ready_reasons(self) -> list[str]:
        return self.modes.not_ready_reasons

    # --- gateway session ---------------------------------------------------------------

    def connect_gateway(self, *, takeover: bool = False) -> None:
        self.gateway.connect(takeover=takeover)

    def _send_login(self, takeover: bool) -> None:
        data = self.login_data
        self.link.send(lambda _s: cti.AgentLogin(token=data.token, device=data.device,
                                                 queues=data.queues, takeover=takeover,
                                                 client="Cicada desktop"),
                       cti.LoginResult, on_done=self._logged_in,
                       on_error=lambda error: self.gateway.login_failed(error.code, error.message))

    def _logged_in(self, result: cti.LoginResult) -> None:
        self.gateway.logged_in(result.run)
        self.link.session = result.session
        self.link.receive_events(result.events_key)
        self.bench.logged_in(result.session)
        previous = self.bench.agent
        self._apply_snapshot(result.state, result.run, result.seq)
        self.modes.logged_in(previous, gateway_reasons=result.not_ready_reasons or [],
                             contact_open=self.bench.contact is not None)

    def take_over(self) -> None:
        """The agent wants the session here, from whichever desktop has it."""
        self.connect_gateway(takeover=True)

    def _on_heartbeat(self, beat: cti.GatewayHeartbeat) -> None:
        self.gateway.heartbeat(beat.run, beat.records_healthy)

    def _on_subscribed(self) -> None:
        self.gateway.subscribed()

    def _on_silent(self, why: str) -> None:
        self.gateway.silent(why)

    def resync(self) -> None:
        self.link.send(lambda s: cti.AgentSnapshot(session=s or ""), cti.SnapshotResult,
                       on_done=self._resynced,
                       on_error=self._command_failed)

    def _apply_snapshot(self, state: cti.AgentView, run: str, seq: int) -> None:
        before = self.bench.contact
        self.bench.apply_snapshot(state, run, seq)
        self._opened_if_new(before)

    def _resynced(self, result: cti.SnapshotResult) -> None:
        self._apply_snapshot(result.state, result.run, result.seq)
        self.modes.resynced()

    # --- events ------------------------------------------------------------------------------

    def _on_event(self, envelope, event) -> None:
        if not self.gateway.from_this_run(envelope.run):
            return
        before = self.bench.contact
        self.bench.apply_event(envelope, event)
        self._opened_if_new(before)
        if isinstance(event, cti.AgentNotice):
            self.gateway.notice_heard(event.code)

    def _opened_if_new(self, before: Contact | None) -> None:
        """A call offered, or one picked up in progress: identify the caller and
        open the script; a picked-up call first gets back its draft, if any."""
        contact, drafts = self.bench.contact, self.bench.drafts
        start = how_to_start(contact, before, drafts_kept=drafts is not None)
        if start is Start.NOTHING:
            return
        if start is Start.NOW:
            if contact is not self._looked_up:
                self._identify(contact)
            self.scripts.contact_started(contact)
            return
        key = contact.key
        self.tasks.run(drafts.load, key,
                       on_done=lambda data: self._picked_up_draft(key, data),
                       on_error=lambda exc: self._picked_up_draft(key, None))

    def _picked_up_draft(self, key: str, data: dict | None) -> None:
        contact = self.bench.contact
        if contact is None or contact.key != key:
            return
        self.bench.resume_picked_up(key, data)
        left = after_draft(contact)
        if left.identify:
            self._identify(contact)
        if left.resume_script:
            self.scripts.resume_draft(contact)
        else:
            self.scripts.contact_started(contact)

    def _identify(self, contact: Contact) -> None:
        self._looked_up = contact
        lookup, key = lookup_for(contact), contact.key
        if lookup.partner_no:
            self.tasks.run(crm_access.identify_by_number, self.crm, lookup.partner_no,
                           on_done=lambda found: self._transfer_identified(key, found, lookup.contact_person_no),
                           on_error=lambda exc: self._identify_failed(key, exc))
        else:
            self.tasks.run(crm_access.identify_caller, self.crm, lookup.number, self.region,
                           on_done=lambda found: self.bench.identified(key, found, source="ani"),
                           on_error=lambda exc: self._identify_failed(key, exc))

    def _transfer_identified(self, key: str, found, person_no: str | None) -> None:
        self.bench.identified(key, found, source="transfer")
        contact, person = self.bench.contact, person_named(found, person_no)
        if person is not None and contact is not None and contact.key == key:
            self.bench.set_contact_person(person)

    def _identify_failed(self, key: str, exc: BaseException) -> None:
        log.warning("identification failed: %s", exc)
        self.bench.identified(key, [], error=error_text(exc))
        self.bench.notice("error", QT_TRANSLATE_NOOP("Workbench", "The caller could not be looked up: {error}"),
                          error=error_text(exc))

    # --- model changes ------------------------------------------------------------------------

    def _look_up_early(self) -> None:
        """A call just offered: its caller's lookup goes out first, while the views redraw for
        the offer (this listener comes before theirs), not after them."""
        contact = self.bench.contact
        if contact is None:
            self._looked_up = None  # a contact that comes back is looked up again, as when it began
            return
        if contact is self._looked_up:
            return
        if how_to_start(contact, None, drafts_kept=self.bench.drafts is not None) is Start.NOW:
            self._identify(contact)

    def _on_model_change(self, what: str) -> None:
        if what == "contact":
            self._look_up_early()
        if what in ("identification", "contact") and self.partner_shown.follow(self.bench):
            self.load_partner(self.partner_shown.partner_id)
            if self.partner_shown.partner_id is not None:
                self._attach_partner()

    def load_partner(self, partner_id: int | None) -> None:
        if partner_id is None:
            self.partner_loaded.emit(None)
            return

        def loaded(view):
            if self.partner_shown.shows(partner_id):
                self.partner_loaded.emit(view)

        self.tasks.run(crm_access.business_data, self.crm, partner_id,
                       on_done=loaded, on_error=lambda exc: self.bench.notice(
                           "error", QT_TRANSLATE_NOOP("Workbench", "The customer's data could not be loaded: {error}"),
                           error=error_text(exc)))

    def _attach_partner(self) -> None:
        """Attach the confirmed partner to the call: the gateway links it to the
        call record and a transfer carries it to the next agent."""
        attachment = call_attachment(self.bench)
        if attachment is None:
            return
        call_id, data = attachment
        self.link.send(lambda s: cti.CallSetData(session=s or "", call_id=call_id, data=data),
                       on_error=self._command_failed)

    def confirm_partner(self, match_or_ref) -> None:
        partner = getattr(match_or_ref, "partner", match_or_ref)
        self.bench.confirm(partner)
        contact = self.bench.contact
        key = contact.key if contact else None

        def loaded(match):  # the picked partner's contact persons, for the picker
            if key is not None:
                self.bench.match_loaded(key, match)

        self.tasks.run(crm_access.partner_match, self.crm, partner.partner_id,
                       on_done=loaded)

    def set_contact_person(self, person) -> None:
        self.bench.set_contact_person(person)
        self._attach_partner()

    # --- search and create ---------------------------------------------------------------------

    def search(self, text: str) -> None:
        self.tasks.run(crm_access.search, self.crm, text, region=self.region,
                       on_done=self.search_done.emit,
                       on_error=lambda exc: self.search_done.emit(error_text(exc)))

    def create_customer(self, new: crm_access.NewPartner, *, confirm_duplicates: bool,
                        on_duplicates, on_error, on_created=None) -> None:
        from crm.errors import PossibleDuplicates

        def failed(exc):
            if isinstance(exc, PossibleDuplicates):
                on_duplicates(exc)  # .candidates the agent may read, and how many others are .hidden
            else:
                on_error(error_text(exc))

        key = self.bench.contact.key if self.bench.contact else None

        def created(match):
            current = self.bench.contact
            if current is not None and current.key == key:  # not a later caller's
                self.confirm_partner(match)
            if on_created is not None:
                on_created(match)

        self.tasks.run(crm_access.create_customer, self.crm, new, region=self.region,
                       confirm_duplicates=confirm_duplicates, on_done=created, on_error=failed)

    # --- work mode and call control ------------------------------------------------------------

    def set_mode(self, mode: str, reason: str | None = None) -> None:
        self.modes.set(mode, reason)

    def _send_mode(self, mode: str, reason: str | None) -> None:
        self.link.send(lambda s: cti.AgentSetMode(session=s or "", mode=mode, reason=reason),
                       cti.AgentView, on_done=lambda _view: self.modes.confirmed(), on_error=self._command_failed)

    def call_command(self, kind, **fields) -> None:
        call = self.bench.current_call()
        if call is None:
            self.bench.notice("warning", QT_TRANSLATE_NOOP("Workbench", "There is no call to act on."))
            return
        call_id = call.call_id
        self.link.send(lambda s: kind(session=s or "", call_id=call_id, **fields),
                       on_error=self._command_failed)

    def transfer(self, target: cti.Target, *, consult: bool) -> None:
        """Blind transfer or consult; the partner and notes go with the call."""
        call = self.bench.current_call()
        if call is None or self.bench.contact is None:
            return
        call_id, data = call.call_id, self.bench.handover_data()
        self.link.send(lambda s: cti.CallSetData(session=s or "", call_id=call_id, data=data),
                       on_error=self._command_failed)
        kind = cti.CallConsult if consult else cti.CallTransfer
        self.link.send(lambda s: kind(session=s or "", call_id=call_id, target=target),
                       on_error=self._command_failed)

    def complete_transfer(self) -> None:
        call = self.bench.current_call()
        if call is None:
            return
        call_id, data = call.call_id, self.bench.handover_data()
        self.link.send(lambda s: cti.CallSetData(session=s or "", call_id=call_id, data=data),
                       on_error=self._command_failed)
        self.link.send(lambda s: cti.CallCompleteTransfer(session=s or "", call_id=call_id),
                       on_error=self._command_failed)

    def dial(self, number: str, campaign: str | None = None) -> None:
        """Call a customer; `campaign` goes with the call so the contact's
        script can be chosen by it."""
        partner = self.bench.confirmed_partner
        data: dict = {DATA_PARTNER: partner.partner_no} if partner else {}
        if campaign:
            data[DATA_CAMPAIGN] = campaign
        self.link.send(lambda s: cti.CallDial(session=s or "", number=number, data=data),
                       cti.DialResult, on_error=self._command_failed)

    def _command_failed(self, error) -> None:
        self.gateway.command_failed(error.code, error.message)

    # --- ending the contact ------------------------------------------------------------------

    def end_contact(self) -> None:
        """Save everything, close the contact, clear the workspace and set the
        next work mode per profile."""
        try:
            contact = self.bench.end_contact()
        except ValueError:
            self.bench.notice("warning", QT_TRANSLATE_NOOP("Workbench", "Hang up before ending the contact."))
            return
        self._save(contact, attempt=1)
        self.modes.contact_ended(contact.channel, self.bench.agent, connected=self.bench.connected)

    def _save(self, contact: Contact, attempt: int) -> None:
        if not self.record_saves.start(contact.key):
            return

        def saved(interaction_id: int) -> None:
            self.record_saves.saved(contact.key)
            self.bench.record_saved(contact.key)
            self.bench.notice("info", QT_TRANSLATE_NOOP("Workbench", "Interaction record {id} saved."),
                              id=interaction_id)
            self.record_saved.emit(contact.key, interaction_id)
            if contact.conversation_id is not None and self.mail is not None:
                self.mail.done(contact.conversation_id)  # the email or chat is finished too

        def failed(exc: BaseException) -> None:
            if self.record_saves.failed(contact.key, exc, attempt):
                QTimer.singleShot(SAVE_RETRY_MS, lambda: self._save(contact, attempt + 1))
                return
            self.bench.notice("error", QT_TRANSLATE_NOOP(
                "Workbench", "The interaction record could not be saved yet ({error}); it is kept as a "
                             "draft and tried again."), error=failure_text(exc))

        self.tasks.run(crm_access.save_contact, self.crm, contact,
                       on_done=saved, on_error=failed)

    def _save_unsaved(self) -> None:
        for contact in list(self.bench.unsaved):
            self._save(contact, attempt=1)

    @Slot(str)
    def _on_crm_session_ended(self, reason: str) -> None:
        self.crm_session.ended(reason)

    def sign_in_again(self, password: str) -> None:
        """A new CRM session on the same client, which every part of the desktop holds; the
        gateway and the mail queue are then logged in with it. Contacts and drafts stay."""
        self.tasks.run(self.crm.sign_in, self.profile.username, password,
                       on_done=self._signed_in_again,
                       on_error=self.signed_in_again.emit)

    def _signed_in_again(self, signed) -> None:
        self.login_data.token = signed.token
        self.crm_session.signed_in_again()
        self.signed_in_again.emit(None)
        self.gateway.signed_in_again()
        if self.mail is not None:
            self.mail.signed_in_again(signed.token)
        self._save_unsaved()

    @Slot(object)
    def _on_draft_failed(self, error: OSError) -> None:
        self.bench.notice("error", QT_TRANSLATE_NOOP("Workbench", "The draft could not be written to disk: {error}"),
                          error=str(error))

    def restore_draft(self, data: dict) -> None:
        if self.bench.contact is not None:  # never push a live contact aside
            self.bench.notice("warning", QT_TRANSLATE_NOOP(
                "Workbench", "End the current contact before restoring an earlier record."))
            return
        self.scripts.resume_draft(self.bench.restore_draft(data))

    def close(self) -> None:
        self._retry.stop()
        self._rejoin.stop()
        self.actions.close()
        if self.mail is not None:
            self.mail.close()


class _GatewayPort:
    """The gateway session's port (agent_desktop.gateway_session.GatewayPort): the CTI link,
    the controller's timers and its signals to the window."""

    def __init__(self, controller: DesktopController):
        self._controller = controller

    @property
    def session(self) -> str | None:
        return self._controller.link.session

    @session.setter
    def session(self, value: str | None) -> None:
        self._controller.link.session = value

    @property
    def alive(self) -> bool:
        return self._controller.link.alive

    def log_in(self, takeover: bool) -> None:
        self._controller._send_login(takeover)

    def resync(self) -> None:
        self._controller.resync()

    def retry_later(self) -> None:
        QTimer.singleShot(RELOGIN_RETRY_MS, self._controller.gateway.relogin_if_needed)

    def rejoining(self, on: bool) -> None:
        if on:
            self._controller._rejoin.start()
        else:
            self._controller._rejoin.stop()

    def sign_in_wanted(self, reason: str) -> None:
        self._controller.sign_in_wanted.emit(reason)

    def takeover_asked(self, message: str) -> None:
        self._controller.takeover_asked.emit(message)
