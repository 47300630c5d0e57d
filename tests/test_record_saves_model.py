"""Interaction records saved one save at a time, tried again soon while the gateway has
not recorded the call, and the end of the CRM session told once, without Qt or a CRM."""

from __future__ import annotations

from agent_desktop.crm_session import SESSION_ENDED, CrmSession
from agent_desktop.record_saves import MAX_ATTEMPTS, RecordSaves, failure_text
from agent_desktop.workbench import Workbench
from crm.errors import NotFound, PermissionDenied


def test_one_save_of_a_record_at_a_time():
    saves = RecordSaves()
    assert saves.start("c1") and not saves.start("c1") and saves.start("c2")
    saves.saved("c1")
    assert saves.start("c1")


def test_a_record_whose_call_is_not_recorded_yet_is_tried_again_a_few_times_other_failures_wait():
    saves = RecordSaves()
    saves.start("c1")
    assert saves.failed("c1", NotFound("no call c1 yet"), attempt=1)
    assert saves.start("c1")
    assert not saves.failed("c1", NotFound("no call c1 yet"), attempt=MAX_ATTEMPTS)
    saves.start("c1")
    assert not saves.failed("c1", PermissionDenied("not yours"), attempt=1) and saves.start("c1")
    assert failure_text(PermissionDenied("not yours")) == "not yours"
    assert failure_text(OSError("disk full")) == "OSError: disk full"


def test_the_end_of_the_crm_session_is_told_once_and_a_disabled_account_is_not_asked_to_sign_in():
    bench, asked = Workbench("ann", clock=lambda: 0.0), []
    crm = CrmSession(bench, asked.append)
    crm.ended("expired")
    crm.ended("expired")
    assert asked == ["expired"] and [n.template for n in bench.notices] == [SESSION_ENDED["expired"]]
    crm.signed_in_again()
    crm.ended("account_disabled")
    assert asked == ["expired"] and bench.notices[-1].template == SESSION_ENDED["account_disabled"]
    crm.signed_in_again()
    crm.ended("who knows")
    assert asked == ["expired", "who knows"] and bench.notices[-1].template == SESSION_ENDED["ended"]
