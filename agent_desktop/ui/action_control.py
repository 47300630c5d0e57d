"""The Action Box in the desktop: the agent's layout, the verified context
of the current contact (read by the application service whenever the
partner, contact person or script answers change), running an action there,
and what it leads to: the business data reloaded, an email queued for the
mail queue to send (its status followed here), a link opened in the browser."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QLocale, QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from action_box.layout import effective, tabs
from action_box.registry import all_actions
from agent_desktop import action_facts, crm_access
from agent_desktop.action_context import ActionContext
from agent_desktop.ui import i18n
from agent_desktop.ui.formatting import error_text

log = logging.getLogger(__name__)

EMAIL_STATUS_MS = 15_000  # the status of emails still in the outbox is read again this often
FOLLOW_UPS_MS = 60_000  # colleagues give the agent work: read his follow-ups again this often


class ActionControl(QObject):
    context_changed = Signal()  # a new context: which actions are available may have changed
    emails_changed = Signal()  # the status of an email sent from this desktop changed
    follow_ups_changed = Signal()  # the agent's open callbacks and tasks were read again

    def __init__(self, controller):
        super().__init__(controller)
        self.controller = controller
        self.bench = controller.bench
        self.tasks = controller.tasks
        self.crm = controller.crm  # the application service, signed in
        self.layout = effective(controller.profile.action_box)
        self.actions = all_actions(self.layout)
        self.context_loads = ActionContext()
        self.email_status: dict[int, object] = {}  # outbox id -> crm.services.outbox.EmailStatus
        self._reload = QTimer(self, singleShot=True, interval=150)  # edits in a row: one load
        self._reload.timeout.connect(self._load_context)
        self.bench.subscribe(self._on_model_change)
        self._status_timer = QTimer(self, interval=EMAIL_STATUS_MS)
        self._status_timer.timeout.connect(self._refresh_pending)
        self._status_timer.start()
        self.follow_ups: list = []  # crm.services.transactions.FollowUp
        self._follow_ups_timer = QTimer(self, interval=FOLLOW_UPS_MS)
        self._follow_ups_timer.timeout.connect(self.load_follow_ups)
        self._follow_ups_timer.start()
        self._load_context()
        self.load_follow_ups()

    def close(self) -> None:
        self._reload.stop()
        self._status_timer.stop()
        self._follow_ups_timer.stop()

    def tabs(self):
        # The locale is set with the language before widgets retranslate (i18n.install).
        return tabs(self.layout, QLocale().name(), self.actions)

    def why_not(self, action) -> str | None:
        """Why an action is disabled now ("confirm the caller first"), or None."""
        return action_facts.why_not(self.bench, self.context, action)

    # --- the context ------------------------------------------------------------------------

    @property
    def context(self):
        """The verified context (action_box.model.Context) of the contact, None while it loads."""
        return self.context_loads.context

    def _on_model_change(self, what: str) -> None:
        if what in ("contact", "identification") and self.context_loads.stale(self.identity()):
            self.context_changed.emit()  # another customer (or contact): nothing runs on the old one's data
        if what in ("contact", "identification", "script", "agent"):
            self._reload.start()

    def identity(self) -> action_facts.Identity | None:
        """Whom the actions are for now: the contact, its confirmed partner and contact person."""
        return action_facts.identity(self.bench)

    def _load_context(self) -> None:
        facts = action_facts.facts(self.bench, i18n.current_language().split("_")[0])
        if facts is None:
            self.context_loads.clear()
            self.context_changed.emit()
            return
        wanted = self.context_loads.ask(self.bench.contact.key, facts)
        if wanted is None:
            return
        identity = self.identity()

        def loaded(context) -> None:
            if self.context_loads.loaded(wanted, context, identity):
                self.context_changed.emit()

        def failed(exc) -> None:
            log.warning("the Action Box's context could not be loaded: %s", exc)
            self.context_loads.failed(wanted)

        self.tasks.run(crm_access.action_context, self.crm, **facts,
                       on_done=loaded, on_error=failed)

    # --- running actions ------------------------------------------------------------------------

    def run(self, action, values: dict, *, on_done, on_error, context=None, opened_for=None) -> None:
        """Run `action` with the form's values; `on_done(done)` or `on_error(text)`
        on the GUI thread. The contact's record links what it created. A form
        passes the context it was filled from and the identity() it was opened
        for: when the customer or contact has changed since, nothing is done."""
        contact = self.bench.contact
        if opened_for is not None and opened_for != self.identity():
            on_error(self.tr("The customer or contact changed after this form was opened, so nothing was "
                             "saved. Copy what you need, close the form and open the action again."))
            return
        context = context if context is not None else self.context
        if contact is None or context is None:
            on_error(self.why_not(action) or "no contact")
            return
        key = contact.key

        def done(result) -> None:
            outcome = result.outcome
            self.bench.action_done(key, {
                "action": result.action_id, "summary": outcome.summary, "template": outcome.template,
                "params": outcome.params, "transaction_id": outcome.transaction_id,
                "number": outcome.number, "email_id": outcome.email_id, "url": outcome.url, "at": time.time()})
            if outcome.url:
                QDesktopServices.openUrl(QUrl(outcome.url))
            if outcome.email_id:
                self.send([outcome.email_id])
            partner = self.bench.confirmed_partner
            if outcome.transaction_id and partner is not None:
                self.controller.load_partner(partner.partner_id)  # the new object in the 360° view
            if outcome.transaction_id:
                self.load_follow_ups()  # a callback or task for this agent shows in his list
            on_done(result)

        self.tasks.run(crm_access.run_action, self.crm, action, context, values,
                       on_done=done, on_error=lambda exc: on_error(error_text(exc)))

    # --- follow-ups ----------------------------------------------------------------------------------

    def load_follow_ups(self) -> None:
        def loaded(rows) -> None:
            self.follow_ups = list(rows)
            self.follow_ups_changed.emit()

        self.tasks.run(crm_access.follow_ups, self.crm, on_done=loaded,
                       on_error=lambda exc: log.warning("the follow-ups could not be read: %s", exc))

    def complete_follow_up(self, transaction_id: int, *, on_done, on_error) -> None:
        """Mark a callback or task done; the list is read again either way, and the
        business data too when it shows that follow-up's customer."""
        partner_of = {f.transaction_id: f.partner_id for f in self.follow_ups}

        def done(number) -> None:
            self.load_follow_ups()
            shown = self.bench.confirmed_partner
            if shown is not None and shown.partner_id == partner_of.get(transaction_id):
                self.controller.load_partner(shown.partner_id)
            on_done(number)

        def failed(exc) -> None:
            self.load_follow_ups()
            on_error(error_text(exc))

        self.tasks.run(crm_access.complete_follow_up, self.crm, transaction_id,
                       on_done=done, on_error=failed)

    def load_partner_view(self, partner_id: int, *, on_done, on_error) -> None:
        """A customer's business data, to look at read-only (a follow-up's customer)."""
        self.tasks.run(crm_access.business_data, self.crm, partner_id,
                       on_done=on_done, on_error=lambda exc: on_error(error_text(exc)))

    # --- emails -------------------------------------------------------------------------------------

    def send(self, ids: list[int]) -> None:
        """Emails an action queued: the mail queue sends the outbox (it holds the relay's login);
        asked to do it at once when the desktop is linked to it. Their status is followed here."""
        for email_id in ids:
            self.email_status.setdefault(email_id, None)
        self._refresh_status(ids)
        if self.controller.mail is not None:
            self.controller.mail.send_now()

    def delivery_done(self, email_id: int) -> None:
        """The mail queue sent an email, or gave up on it: its status on screen follows."""
        if email_id in self.email_status:
            self._refresh_status([email_id])

    def _refresh_pending(self) -> None:
        """The emails of this desktop still in the outbox, read again (the mail queue tells a
        linked desktop when it sends one; this covers a desktop without the link)."""
        self._refresh_status(action_facts.pending_emails(self.email_status))

    def _refresh_status(self, ids: list[int]) -> None:
        if not ids:
            return

        def loaded(statuses) -> None:
            for status in statuses:
                self.email_status[status.id] = status
            self.emails_changed.emit()

        self.tasks.run(crm_access.email_status, self.crm, ids, on_done=loaded,
                       on_error=lambda exc: log.warning("the emails' status could not be read: %s", exc))
