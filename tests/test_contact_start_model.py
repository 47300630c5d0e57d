"""How a call starts in the workspace, without Qt, a gateway or a CRM: identified at once,
or after the draft kept of a call picked up in progress; and which script it gets."""

from __future__ import annotations

from agent_desktop.contact_start import AfterDraft, ScriptSource, Start, after_draft, how_to_start, script_source
from agent_desktop.workbench import Contact, IdStatus


def contact(key="c1", kind="inbound", call_id="c1", **extra) -> Contact:
    return Contact(key=key, call_id=call_id, kind=kind, ani="13800138000", dnis="4001", queue="billing",
                   waited=0.0, offered_at=0.0, **extra)


def test_a_new_call_starts_at_once_and_one_picked_up_in_progress_after_its_draft():
    offered, picked = contact(), contact("c2", picked_up=True)
    assert how_to_start(offered, None, drafts_kept=True) is Start.NOW
    assert how_to_start(picked, offered, drafts_kept=True) is Start.DRAFT_FIRST
    assert how_to_start(picked, offered, drafts_kept=False) is Start.NOW  # no drafts on this desktop


def test_the_same_contact_none_or_one_without_a_call_starts_nothing():
    offered = contact()
    assert how_to_start(offered, offered, drafts_kept=True) is Start.NOTHING
    assert how_to_start(None, offered, drafts_kept=True) is Start.NOTHING
    assert how_to_start(contact("local-1", call_id=None), None, drafts_kept=True) is Start.NOTHING


def test_after_its_draft_a_picked_up_call_is_identified_unless_confirmed_and_goes_on_with_the_drafts_run():
    picked = contact(picked_up=True)
    assert after_draft(picked) == AfterDraft(identify=True, resume_script=False)
    picked.identification.status = IdStatus.CONFIRMED
    picked.script_to_resume = {"name": "billing", "version": 3, "state": {}}
    assert after_draft(picked) == AfterDraft(identify=False, resume_script=True)


def test_the_script_is_the_colleagues_run_after_a_transfer_none_for_a_consult_else_the_fitting_one():
    assert script_source(contact(kind="transfer")) is ScriptSource.COLLEAGUE
    assert script_source(contact(kind="consult")) is ScriptSource.NONE
    assert script_source(contact(kind="inbound")) is ScriptSource.FITTING
    assert script_source(contact(kind="outbound")) is ScriptSource.FITTING
    assert script_source(contact(kind="transfer", call_id=None)) is ScriptSource.FITTING  # a transferred draft
