"""How a contact starts in the workspace: a call offered is identified and gets its
script at once; a call picked up in progress (after a restart or a reconnect) first
gets back the draft this desktop kept of it, then is identified unless the draft
confirmed the customer, and goes on with the draft's script run; and the script is
the colleague's run after a transfer, none for a consult, else the one that fits.

Plain Python (no Qt): the controllers ask and run the lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from agent_desktop.workbench import Contact, IdStatus


class Start(StrEnum):
    NOTHING = "nothing"  # no new call in the workspace
    NOW = "now"  # identify the caller and open the script
    DRAFT_FIRST = "draft_first"  # read the draft kept of the call first


def how_to_start(contact: Contact | None, before: Contact | None, *, drafts_kept: bool) -> Start:
    """After the gateway's news: whether a call became the workspace's contact (`before`: the
    contact before the news), and how it starts."""
    if contact is None or contact is before or not contact.call_id:
        return Start.NOTHING
    if contact.picked_up and drafts_kept:
        return Start.DRAFT_FIRST
    return Start.NOW


@dataclass(frozen=True)
class AfterDraft:
    identify: bool  # the draft did not confirm the customer
    resume_script: bool  # the draft kept a script run to go on with (else the fitting script opens)


def after_draft(contact: Contact) -> AfterDraft:
    """A picked-up call with its draft read back (workbench.resume_picked_up): what is left to do."""
    return AfterDraft(identify=contact.identification.status is not IdStatus.CONFIRMED,
                      resume_script=bool(contact.script_to_resume))


class ScriptSource(StrEnum):
    NONE = "none"  # a colleague asks for advice: the script stays with him
    COLLEAGUE = "colleague"  # a transferred call goes on with the run the colleague had
    FITTING = "fitting"  # the script that fits the queue, number or campaign


def script_source(contact: Contact) -> ScriptSource:
    if contact.kind == "consult":
        return ScriptSource.NONE
    if contact.kind == "transfer" and contact.call_id:
        return ScriptSource.COLLEAGUE
    return ScriptSource.FITTING
