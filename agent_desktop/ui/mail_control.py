"""The desktop's emails and chats: the mail queue session (log in, stay
alive, come back after a restart), the agent's availability, offers,
the inbox lists and conversations read from the CRM off the GUI thread,
replies, notes and chat lines, and Done. The model is agent_desktop.mail_desk;
the page is inbox_page."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from agent_desktop import crm_access
from agent_desktop.identification import ConversationLinks, confirmed_for
from agent_desktop.mail_desk import MailDesk
from agent_desktop.mail_news import MailNews
from agent_desktop.mail_session import MailSession
from agent_desktop.ui import i18n
from agent_desktop.workbench import QT_TRANSLATE_NOOP
from bus import mailq

log = logging.getLogger(__name__)

RELOGIN_MS = 3000


class MailControl(QObject):
    inbox_loaded = Signal(str, object, int)  # "mine" or "group", list of InboxRow (or an error text), request
    conversation_loaded = Signal(object)  # ConversationView, or an error text
    failed = Signal(str)  # a command or save the agent should hear about
    lists_stale = Signal()  # the agent took or finished work: the inbox lists should be read again

    def __init__(self, controller, link, token: str):
        super().__init__(controller)
        self.controller, self.link, self.token = controller, link, token  # the CRM session's token
        self.crm = controller.crm  # the application service, signed in
        self.tasks = controller.tasks
        self.bench = controller.bench
        self.agent = controller.profile.username
        self.desk = MailDesk()
        self.news = MailNews()
        self.connection = MailSession(self.desk, self.bench, _MailPort(self))
        self.current: object | None = None  # the ConversationView shown
        self.links = ConversationLinks()
        self.bench.subscribe(self._on_bench)
        link.event.connect(self._on_event)
        link.heartbeat.connect(self._on_heartbeat)
        link.silent.connect(self._silent)
        self._ping = QTimer(self, interval=int(mailq.PING_SECONDS * 1000))
        self._ping.timeout.connect(self._send_ping)
        self._ping.start()

    # --- the session ----------------------------------------------------------------------------

    @property
    def run(self) -> str | None:
        return self.connection.run

    @property
    def session_over(self) -> bool:
        return self.connection.over

    def connect(self) -> None:
        self.connection.connect()

    def _send_login(self) -> None:
        token = self.token
        self.link.send(lambda _s: mailq.MailLogin(token=token, client="Cicada desktop"), mailq.LoginResult,
                       on_done=self._logged_in,
                       on_error=lambda error: self.connection.login_failed(error.code, error.message))

    def _logged_in(self, result: mailq.LoginResult) -> None:
        self.link.session = result.session
        self.link.receive_events(result.events)  # heartbeats included: they come once it is confirmed
        self.connection.logged_in(result.run, result.seat)
        for work in self.desk.assigned("chat"):
            self._load_transcript(work.conversation_id)
        self.link.send(lambda s: mailq.Status(session=s or ""), mailq.StatusResult,  # the group inbox's counts until news comes
                       on_done=lambda status: self.desk.apply_queues(status.queues), on_error=lambda e: None)

    def signed_in_again(self, token: str) -> None:
        """The agent signed in again after his session ended: the mail queue with the new one."""
        self.token = token
        self.connection.signed_in_again()

    def _silent(self, why: str) -> None:
        self.connection.silent(why)

    def _on_heartbeat(self, beat: mailq.MailqHeartbeat) -> None:
        self.connection.heartbeat(beat.run, beat.database_available)

    def _send_ping(self) -> None:
        if self.connection.may_ping():
            self.link.send(lambda s: mailq.Ping(session=s or ""),
                           on_error=lambda error: self.connection.session_error(error.code, error.message))

    def close(self) -> None:
        """The desktop closes: log off at once, so the agent's emails and chats go back to
        the queue now rather than when the mail queue notices the silence. The link sends
        it before it closes."""
        self._ping.stop()
        if self.connection.may_ping():
            self.link.send(lambda s: mailq.MailLogout(session=s or ""), on_error=lambda e: None)
            self.desk.connection_lost("logged off")

    def _on_bench(self, what: str) -> None:
        """The agent confirmed who the customer of an email or chat is: the conversation
        and its interaction record are linked to him, so later mail finds the customer."""
        due = self.links.due(self.bench) if what == "identification" else None
        if due is None:
            return
        conversation_id, partner_id = due

        def failed(exc) -> None:
            self.links.failed(conversation_id)
            self.failed.emit(str(exc))

        self.tasks.run(crm_access.link_partner, self.crm, conversation_id, partner_id,
                       on_done=lambda _none: self._refresh_if_current(conversation_id), on_error=failed)

    # --- events ---------------------------------------------------------------------------------

    def _on_event(self, envelope, event) -> None:
        if isinstance(event, mailq.MailSessionEnded):
            self.connection.session_ended(event.reason)
            return
        if isinstance(event, mailq.SetAway):
            self.connection.set_away(event.channels, event.by)
            return
        news = self.news.heard(event, self.desk.work.get(_conversation_of(event)))  # what the desk knew before
        self.desk.apply_event(envelope, event)
        if isinstance(event, mailq.WorkAssigned) and event.work.channel == "chat":
            self._load_transcript(event.work.conversation_id)
        changed = (event.conversation_id if isinstance(event, mailq.NewMessage) else
                   event.work.conversation_id if isinstance(event, mailq.WorkAssigned) else None)
        if changed is not None and self.current is not None and self.current.id == changed:
            self.open(changed)  # the conversation on screen got a new message
        if isinstance(event, mailq.DeliveryDone):
            self._delivery_done(event)
        if news is not None:
            self.bench.notice(news.level, news.template, **news.params)

    def _delivery_done(self, event: mailq.DeliveryDone) -> None:
        """The status in the conversation on screen follows; a failure is a notice the agent cannot miss."""
        self.controller.actions.delivery_done(event.email_id)
        if event.conversation_id is not None:
            self._refresh_if_current(event.conversation_id)
        if event.status == "failed":
            template = (QT_TRANSLATE_NOOP("Workbench", "Your email to {to} ({subject}) could not be sent: {error}. "
                                                       "Find it under Failed deliveries in the Inbox to send it again.")
                        if event.conversation_id is not None else
                        QT_TRANSLATE_NOOP("Workbench", "Your email to {to} ({subject}) could not be sent: {error}."))
            self.bench.notice("error", template, to=event.to_address, subject=event.subject, error=event.error or "")
        self.lists_stale.emit()

    # --- what the agent does ------------------------------------------------------------------------

    def set_available(self, channel: str, available: bool) -> None:
        self.connection.set_available(channel, available)

    def _send_available(self, channel: str, available: bool) -> None:
        self.link.send(lambda s: mailq.SetAvailable(session=s or "", channel=channel, available=available),
                       mailq.SeatView, on_done=self.desk.apply_seat, on_error=self._command_failed)

    def accept(self, conversation_id: int) -> None:
        self.link.send(lambda s: mailq.AcceptWork(session=s or "", conversation_id=conversation_id),
                       mailq.WorkView, on_done=lambda _w: self.open(conversation_id), on_error=self._command_failed)

    def reject(self, conversation_id: int) -> None:
        self.link.send(lambda s: mailq.RejectWork(session=s or "", conversation_id=conversation_id),
                       on_error=self._command_failed)

    def pull(self, conversation_id: int) -> None:
        def taken(work) -> None:
            self.desk.apply_event(None, mailq.WorkAssigned(agent=self.agent, work=work))
            if work.channel == "chat":
                self._load_transcript(conversation_id)
            self.open(conversation_id)
            self.lists_stale.emit()

        self.link.send(lambda s: mailq.PullWork(session=s or "", conversation_id=conversation_id),
                       mailq.WorkView, on_done=taken, on_error=self._command_failed)

    def load_inbox(self, which: str, *, channel: str | None = None, text: str | None = None,
                   include_closed: bool = False, limit: int = 100, request: int = 0,
                   queue: str | None = None, only: str | None = None) -> None:
        queues = [queue] if queue else (self.desk.queues or None)
        self.tasks.run(crm_access.inbox, self.crm, mine=which == "mine",
                       queues=None if which == "mine" else queues, channel=channel or None, text=text or None,
                       include_closed=include_closed, only=only, limit=limit,
                       on_done=lambda rows: self.inbox_loaded.emit(which, rows, request),
                       on_error=lambda exc: self.inbox_loaded.emit(which, str(exc), request))

    def open(self, conversation_id: int) -> None:
        def loaded(view) -> None:
            self.current = view
            self.desk.mail_read(conversation_id)
            self.conversation_loaded.emit(view)

        self.tasks.run(crm_access.conversation, self.crm, conversation_id,
                       on_done=loaded, on_error=lambda exc: self.conversation_loaded.emit(str(exc)))

    def work_on(self, view) -> None:
        """The conversation becomes the workspace's contact: identification,
        business data, scripts and the Action Box work for it as for a call."""
        if view.partner_id is not None:
            def identified(match) -> None:
                contact = self.bench.contact
                if contact is not None and contact.conversation_id == view.id:
                    self.bench.confirm(match.partner)
            self.tasks.run(crm_access.partner_match, self.crm, view.partner_id,
                           on_done=identified, on_error=lambda exc: log.warning("partner: %s", exc))
        self.bench.open_conversation_contact(
            conversation_id=view.id, channel=view.channel, interaction_id=view.interaction_id,
            address=view.customer_address or view.customer_phone or "", mailbox=view.mailbox, queue=view.queue,
            partner=None, customer_name=view.customer_name, customer_phone=view.customer_phone or "")
        self.controller.scripts.contact_started(self.bench.contact)

    def send_now(self) -> None:
        """Ask the mail queue to send the outbox at once rather than on its next round."""
        self.link.send(lambda s: mailq.SendNow(session=s or ""), on_error=lambda e: None)

    def reply(self, conversation_id: int, *, body: str, to: str | None = None, cc: list[str] | None = None,
              subject: str | None = None, attachments=(), forward_to: str | None = None, on_done=None,
              on_error=None) -> None:
        def stored(_message_id) -> None:
            self.link.send(lambda s: mailq.SendNow(session=s or ""), on_error=lambda e: None)
            self.open(conversation_id)  # "waiting to be sent"; DeliveryDone brings sent or failed
            if on_done:
                on_done()

        self.tasks.run(crm_access.send_reply, self.crm, conversation_id, body=body, to=to, cc=cc,
                       subject=subject, attachments=list(attachments), forward_to=forward_to,
                       on_done=stored, on_error=lambda exc: (on_error or self.failed.emit)(str(exc)))

    def retry(self, conversation_id: int) -> None:
        """Send the conversation's failed emails again, now."""
        def queued(_ids) -> None:
            for email_id in _ids:
                self.desk.failed_deliveries.pop(email_id, None)
            self.link.send(lambda s: mailq.SendNow(session=s or ""), on_error=lambda e: None)
            self._refresh_if_current(conversation_id)
            self.lists_stale.emit()

        self.tasks.run(crm_access.retry_failed, self.crm, conversation_id, on_done=queued,
                       on_error=lambda exc: self.failed.emit(str(exc)))

    def _refresh_if_current(self, conversation_id: int) -> None:
        if self.current is not None and self.current.id == conversation_id:
            self.open(conversation_id)  # the delivery status, sent or failed

    def note(self, conversation_id: int, text: str, *, on_done=None) -> None:
        self.tasks.run(crm_access.add_note, self.crm, conversation_id, text,
                       on_done=lambda _id: (self.open(conversation_id), on_done and on_done()),
                       on_error=lambda exc: self.failed.emit(str(exc)))

    def render(self, body: str, view, on_done) -> None:
        partner_id, person_id = confirmed_for(self.bench, view.id)  # None: the conversation's own customer
        self.tasks.run(crm_access.render_reply, self.crm, body, view=view, partner_id=partner_id,
                       contact_person_id=person_id, on_done=on_done,
                       on_error=lambda exc: self.failed.emit(str(exc)))

    def render_for(self, conversation_id: int, body: str, on_done) -> None:
        """A canned answer filled in with its own conversation (the service reads it afresh),
        whatever the reading pane shows: with several chats open, each gets its own customer."""
        partner_id, person_id = confirmed_for(self.bench, conversation_id)
        self.tasks.run(crm_access.render_reply_for, self.crm, conversation_id, body, partner_id=partner_id,
                       contact_person_id=person_id, on_done=on_done,
                       on_error=lambda exc: self.failed.emit(str(exc)))

    def templates(self, channel: str) -> list[dict]:
        from action_box.layout import effective

        language = i18n.current_language().split("_")[0]
        every = [t for t in effective(self.controller.profile.action_box).get("reply_templates", [])
                 if t.get("channel") in (None, channel)]
        return [t for t in every if t.get("language") in (None, language)] or every

    def chat_send(self, conversation_id: int, text: str) -> None:
        self.link.send(lambda s: mailq.ChatSend(session=s or "", conversation_id=conversation_id, text=text),
                       mailq.ChatLineView, on_done=lambda line: self.desk.chat_sent(conversation_id, line),
                       on_error=self._command_failed)

    def chat_typing(self, conversation_id: int) -> None:
        if not self.connection.typing_worth_telling(conversation_id):
            return
        self.link.send(lambda s: mailq.ChatTyping(session=s or "", conversation_id=conversation_id),
                       on_error=lambda e: None)

    def done(self, conversation_id: int, *, outcome: str | None = None, notes: str | None = None) -> None:
        """Close the email or chat; its record is saved by the workspace's End when it is the contact."""
        def closed(_none) -> None:
            self.desk.forget_chat(conversation_id)
            if self.current is not None and self.current.id == conversation_id:
                self.current = None
                self.conversation_loaded.emit(None)
            self.lists_stale.emit()

        self.link.send(lambda s: mailq.CloseWork(session=s or "", conversation_id=conversation_id,
                                                 outcome=outcome, notes=notes),
                       on_done=closed, on_error=self._command_failed)

    def transfer_targets(self, on_done, on_error) -> None:
        """The queues and colleagues a transfer can go to, asked on the link's thread."""
        self.link.send(lambda s: mailq.TransferTargets(session=s or ""), mailq.TransferTargetsResult,
                       on_done=on_done, on_error=on_error)

    def transfer(self, conversation_id: int, *, queue: str | None = None, agent: str | None = None,
                 note: str | None = None) -> None:
        """Hand the conversation on; once the mail queue has done it, it leaves this desktop."""
        def transferred(_none) -> None:
            self.desk.forget_work(conversation_id)
            if self.current is not None and self.current.id == conversation_id:
                self.current = None
                self.conversation_loaded.emit(None)
            self.lists_stale.emit()

        self.link.send(lambda s: mailq.TransferWork(session=s or "", conversation_id=conversation_id, queue=queue,
                                                    agent=agent, note=note),
                       on_done=transferred, on_error=self._command_failed)

    def _load_transcript(self, conversation_id: int) -> None:
        def loaded(view) -> None:
            lines = [mailq.ChatLineView(id=m.id, sender={"inbound": "customer", "outbound": "agent"}.get(
                m.kind, "system"), author=m.author, text=m.text, at=_epoch(m.at))
                for m in view.messages if m.kind != "note"]
            self.desk.chat_loaded(conversation_id, lines)

        self.tasks.run(crm_access.conversation, self.crm, conversation_id, on_done=loaded,
                       on_error=lambda exc: log.warning("chat %s: %s", conversation_id, exc))

    def _command_failed(self, error) -> None:
        self.connection.command_failed(error.code, error.message)


def _epoch(value) -> float:
    from datetime import UTC

    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


class _MailPort:
    """The mail session's port (agent_desktop.mail_session.MailPort): the link to the mail
    queue, a timer and the control's signals."""

    def __init__(self, control: MailControl):
        self._control = control

    @property
    def session(self) -> str | None:
        return self._control.link.session

    @session.setter
    def session(self, value: str | None) -> None:
        self._control.link.session = value

    def log_in(self) -> None:
        self._control._send_login()

    def set_available(self, channel: str, available: bool) -> None:
        self._control._send_available(channel, available)

    def retry_later(self) -> None:
        QTimer.singleShot(RELOGIN_MS, self._control.connection.relogin_if_needed)

    def sign_in_wanted(self, reason: str) -> None:
        self._control.controller.sign_in_wanted.emit(reason)

    def failed(self, message: str) -> None:
        self._control.failed.emit(message)

    def translate(self, template: str) -> str:
        return QCoreApplication.translate("Workbench", template)


def _conversation_of(event) -> int | None:
    work = getattr(event, "work", None)
    return work.conversation_id if work is not None else getattr(event, "conversation_id", None)
