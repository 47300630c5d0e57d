"""Call scripts in the desktop: which script opens for a contact, the facts
its texts use, prompts in the message area, and the run saved into the
interaction record as it goes.

The run itself lives in the workbench model (`Contact.script`); this glue
loads what it needs from the CRM off the GUI thread and writes the run
back after every step. A run is a snapshot on the GUI thread before it is
handed to a worker, so the worker never reads what the agent is changing.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from agent_desktop import crm_access
from agent_desktop.contact_start import ScriptSource, script_source
from agent_desktop.script_prompts import PromptsShown
from agent_desktop.script_saves import RunSaves
from agent_desktop.ui import i18n
from agent_desktop.ui.formatting import error_text
from agent_desktop.workbench import QT_TRANSLATE_NOOP, Contact, IdStatus, Phase, _script_json
from crm.errors import NotFound, RunHandedOver

log = logging.getLogger(__name__)

SAVE_RETRY_MS = 2000


class ScriptControl(QObject):
    supply_changed = Signal()  # the active scripts were (re)loaded
    handed_over_changed = Signal()  # a colleague took over the run after a transfer

    def __init__(self, controller):
        super().__init__(controller)
        self.controller = controller
        self.bench = controller.bench
        self.tasks = controller.tasks
        self.crm = controller.crm  # the application service, signed in
        self.supply = crm_access.ScriptSupply([], {})
        self._facts: tuple[str, dict | None, dict | None] | None = None  # contact key, partner, person
        self._facts_for: tuple | None = None
        self.saves = RunSaves()
        self.prompts = PromptsShown()
        self.bench.subscribe(self._on_model_change)
        self.refresh()

    # --- which scripts ---------------------------------------------------------------------

    def refresh(self, then=None) -> None:
        def loaded(supply) -> None:
            self.supply = supply
            self.supply_changed.emit()
            if then is not None:
                then()

        def failed(exc) -> None:
            log.warning("the call scripts could not be loaded: %s", exc)
            self.bench.notice("error", QT_TRANSLATE_NOOP("Workbench", "The call scripts could not be loaded: {error}"),
                              error=error_text(exc))

        self.tasks.run(crm_access.load_scripts, self.crm, on_done=loaded, on_error=failed)

    def interactive_scripts(self) -> list:
        return [a for a in self.supply.active if a.script.kind == "interactive"]

    def contact_started(self, contact: Contact) -> None:
        """A new contact: go on with a colleague's run after a transfer, else open
        the script that fits its queue, number or campaign."""
        key, source = contact.key, script_source(contact)
        if source is ScriptSource.NONE:
            return
        if source is ScriptSource.COLLEAGUE:
            self.tasks.run(crm_access.handed_over_run, self.crm, contact.call_id,
                           on_done=lambda found: self._handed_over(key, found),
                           on_error=lambda exc: self._open_fitting(key))
        else:
            self.refresh(then=lambda: self._open_fitting(key))

    def _open_fitting(self, key: str) -> None:
        from scripting.choosing import choose_interactive

        contact = self._current(key)
        if contact is None or contact.script is not None:
            return
        chosen = choose_interactive(self.supply.active, queue=contact.queue, dnis=contact.dnis,
                                    campaign=contact.campaign, language=i18n.current_language())
        if chosen is not None:
            self.start(chosen)

    def _handed_over(self, key: str, found) -> None:
        from scripting.runner import RunError, ScriptRun

        if found is None:
            self.refresh(then=lambda: self._open_fitting(key))
            return
        loaded, state = found
        contact = self._current(key)
        if contact is None:
            return
        try:
            run = ScriptRun.from_state(loaded.script, state, self.context(), list_options=self.supply.lists)
        except RunError as exc:
            log.warning("the handed-over script run cannot go on: %s", exc)
            self._open_fitting(key)
            return
        self.bench.start_script(run)

    def start(self, loaded) -> None:
        """Open `loaded` (scripting.choosing.Loaded) for the current contact, from its start."""
        from scripting.runner import RunError, ScriptRun

        try:
            run = ScriptRun(loaded.script, loaded.version, self.context(), list_options=self.supply.lists)
        except RunError as exc:  # e.g. a stored version that goes round in circles
            log.warning("the call script %s cannot start: %s", loaded.script.name, exc)
            self.bench.notice("error", QT_TRANSLATE_NOOP(
                "Workbench", "The call script {script} cannot start: {error}"),
                script=loaded.script.title or loaded.script.name, error=error_text(exc))
            return
        self.bench.start_script(run)

    def resume_draft(self, contact: Contact) -> None:
        """A contact restored from a draft goes on with the run it had."""
        kept = contact.script_to_resume
        if not kept:
            return
        key = contact.key

        def resume(loaded) -> None:
            from scripting.runner import RunError, ScriptRun

            current = self._current(key)
            if current is None:
                return
            try:
                run = ScriptRun.from_state(loaded.script, kept["state"], self.context(),
                                           list_options=self.supply.lists)
            except (RunError, KeyError, TypeError) as exc:
                self.bench.notice("warning", QT_TRANSLATE_NOOP(
                    "Workbench", "The script of the restored record cannot go on: {error}"), error=error_text(exc))
                return
            self.bench.start_script(run)

        self.tasks.run(crm_access.script_version, self.crm, kept.get("name"),
                       kept.get("version"), on_done=resume,
                       on_error=lambda exc: log.warning("the draft's script cannot be loaded: %s", exc))

    # --- the facts the texts use -----------------------------------------------------------------

    def context(self) -> dict:
        from scripting.templates import make_context

        contact = self.bench.contact
        profile = self.controller.profile
        partner = person = None
        if contact is not None and self._facts is not None and self._facts[0] == contact.key:
            _, partner, person = self._facts
        call = None
        if contact is not None:
            call = {"call_id": contact.call_id, "ani": contact.ani, "dnis": contact.dnis, "queue": contact.queue,
                    "waited_seconds": round(contact.waited), "channel": "phone",
                    "direction": "outbound" if contact.kind == "outbound" else "inbound"}
        return make_context(partner=partner, contact_person=person, call=call,
                            agent={"name": profile.display_name, "username": profile.username},
                            campaign={"name": contact.campaign} if contact and contact.campaign else None)

    def _load_facts(self) -> None:
        contact = self.bench.contact
        if contact is None:
            self._facts = self._facts_for = None
            return
        ident = contact.identification
        partner = ident.partner if ident.status is IdStatus.CONFIRMED else None
        wanted = (contact.key, partner.partner_id if partner else None,
                  ident.contact_person.partner_id if partner and ident.contact_person else None)
        if wanted == self._facts_for:
            return
        self._facts_for = wanted
        key = contact.key

        def loaded(facts) -> None:
            if self._facts_for != wanted:
                return  # the agent changed the partner meanwhile
            self._facts = (key, *facts)
            if self.bench.contact is not None and self.bench.contact.script is not None:
                self.bench.script_context(self.context())
            self._show_prompts(key)

        if wanted[1] is None:
            loaded((None, None))
            return
        self.tasks.run(crm_access.script_facts, self.crm, wanted[1], wanted[2],
                       on_done=loaded, on_error=lambda exc: log.warning("script facts: %s", exc))

    def _show_prompts(self, key: str) -> None:
        """The prompt scripts for this contact, each once: when it is clear who is
        calling (or that nobody is confirmed yet), and again when the agent
        confirms a partner later, for the prompts whose `when` now holds."""
        from scripting.choosing import prompts_for
        from scripting.templates import render

        contact = self._current(key)
        if contact is None or not self.prompts.ready(contact):
            return
        context = self.context()
        due = prompts_for(self.supply.active, context, queue=contact.queue, dnis=contact.dnis,
                          campaign=contact.campaign)
        for each in self.prompts.unseen(key, due, name=lambda each: each.script.name):
            self.bench.show_prompt(render(each.script.text or "", context).text)

    # --- saving the run as it goes -----------------------------------------------------------------

    def _on_model_change(self, what: str) -> None:
        if what in ("contact", "identification"):
            self._load_facts()
            contact = self.bench.contact
            if contact is not None and contact.phase is not Phase.OFFERED and contact.identification.status in (
                    IdStatus.UNKNOWN, IdStatus.CHOOSE):
                self._show_prompts(contact.key)  # talking, and still nobody confirmed
        if what == "script":
            self.save_soon()

    def handed_over(self, contact: Contact | None) -> bool:
        """Whether the contact's run went with the call to a colleague: it is
        his to go on with, and no longer changed here."""
        return self.saves.handed_over(contact)

    def save_soon(self) -> None:
        contact = self.bench.contact
        if contact is None or contact.script is None or not contact.call_id:
            return  # a contact without a call is saved with its record, at End
        key = contact.key
        if not self.saves.start(key):
            return
        snapshot = _script_json(contact.script)

        def done(_run_id) -> None:
            if self.saves.saved(key):
                self.save_soon()

        def failed(exc) -> None:
            if isinstance(exc, RunHandedOver):
                self.saves.taken_over(key)
                self.bench.notice("warning", QT_TRANSLATE_NOOP(
                    "Workbench", "The script run went on with the colleague the call was transferred to; "
                                 "changes made here are not saved ({error})."), error=error_text(exc))
                self.handed_over_changed.emit()
                return
            if isinstance(exc, NotFound):  # the gateway has not recorded the call yet
                self.saves.later(key)
                QTimer.singleShot(SAVE_RETRY_MS, self.save_soon)
                return
            self.saves.failed(key)
            log.warning("the script run could not be saved yet: %s", exc)

        self.tasks.run(crm_access.save_script_run, self.crm, contact, snapshot,
                       on_done=done, on_error=failed)

    def _current(self, key: str) -> Contact | None:
        contact = self.bench.contact
        return contact if contact is not None and contact.key == key else None
