"""Prompt scripts shown once per contact, and a call's script run saved one save at a time,
without Qt or a CRM."""

from __future__ import annotations

from agent_desktop.script_prompts import KEEP_CONTACTS, PromptsShown
from agent_desktop.script_saves import RunSaves
from agent_desktop.workbench import CallResult, Contact, IdStatus


def contact(key="c1", kind="inbound", status=IdStatus.UNKNOWN, **extra) -> Contact:
    made = Contact(key=key, call_id=key, kind=kind, ani="13800138000", dnis="4001", queue="billing",
                   waited=0.0, offered_at=0.0, **extra)
    made.identification.status = status
    return made


def test_prompts_wait_until_it_is_clear_who_calls_and_each_is_shown_once():
    prompts, calling = PromptsShown(), contact(status=IdStatus.PENDING)
    assert not prompts.ready(calling)
    calling.identification.status = IdStatus.UNKNOWN
    assert prompts.ready(calling) and calling.prompts_shown
    assert prompts.unseen("c1", ["welcome", "vip"], name=str) == ["welcome", "vip"]
    assert prompts.ready(calling)  # the partner confirmed later: those whose `when` now holds
    assert prompts.unseen("c1", ["welcome", "vip", "overdue"], name=str) == ["overdue"]


def test_no_prompts_for_a_consult_or_a_contact_restored_from_a_draft():
    prompts = PromptsShown()
    assert not prompts.ready(contact(kind="consult"))
    assert not prompts.ready(contact(prompts_shown=True))


def test_only_the_recent_contacts_prompts_are_remembered():
    prompts = PromptsShown()
    for n in range(KEEP_CONTACTS + 10):
        assert prompts.ready(contact(f"c{n}"))
        prompts.unseen(f"c{n}", ["welcome"], name=str)
    assert prompts.unseen(f"c{KEEP_CONTACTS + 9}", ["welcome"], name=str) == []
    assert prompts.unseen("c0", ["welcome"], name=str) == ["welcome"]  # forgotten


def test_one_save_at_a_time_the_latest_change_saved_after_it():
    saves = RunSaves()
    assert saves.start("c1")
    assert not saves.start("c1") and not saves.start("c1")  # changes while it is on its way
    assert saves.saved("c1")  # save again, once
    assert saves.start("c1") and not saves.saved("c1")
    assert saves.start("c1")
    saves.failed("c1")
    assert saves.start("c1")  # the next change tries again


def test_a_call_not_recorded_yet_is_saved_later_and_a_run_a_colleague_took_over_never_again():
    saves = RunSaves()
    assert saves.start("c1") and not saves.start("c1")
    saves.later("c1")
    assert saves.start("c1")
    saves.taken_over("c1")
    assert not saves.start("c1")
    run = object()
    assert saves.handed_over(contact(script=run)) and not saves.handed_over(contact("c2", script=run))
    transferred = contact("c3", script=run, result=CallResult("transferred", 5, 0, 1))
    assert saves.handed_over(transferred) and not saves.handed_over(contact("c3"))
    assert not saves.handed_over(None)
