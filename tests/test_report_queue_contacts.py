"""Contacts' visits made from their steps (crm/reports/queue_contacts.py), as the CRM's report
and the console's wallboard both make them."""

from __future__ import annotations

from crm.reports.definitions import QueueContact
from crm.reports.queue_contacts import QueueVisits


def test_steps_make_each_visit_its_outcome_and_handle_time():
    visits = QueueVisits()
    visits.step("entered", "sales", "c1", 100.0)
    visits.step("entered", "sales", "c2", 101.0)
    visits.step("entered", "sales", "c3", 102.0)
    visits.step("answered", "sales", "c1", 112.5, wait=12.5)
    visits.step("abandoned", "sales", "c2", 104.0)  # no wait measured: since it entered
    visits.step("overflowed", "sales", "c3", 160.0, wait=58.0)
    visits.step("ended", "sales", "c1", 200.0, wait=12.5)  # after its answer: not an outcome
    visits.step("wrapped_up", "sales", "c1", 210.0, handle=97.5)
    assert visits.contacts("sales") == [
        QueueContact(100.0, "answered", 12.5, 97.5, "c1", "answered"),
        QueueContact(101.0, "abandoned", 3.0, None, "c2", "abandoned"),
        QueueContact(102.0, "left", 58.0, None, "c3", "overflowed"),
    ]


def test_a_step_of_a_contact_that_entered_before_what_was_read_is_ignored():
    visits = QueueVisits()
    assert not visits.step("answered", "sales", "old", 5.0, wait=30.0)
    assert visits.contacts("sales") == []


def test_the_same_step_read_from_the_crm_and_told_by_the_gateway_counts_once():
    visits = QueueVisits()
    for _ in range(2):
        visits.step("entered", "sales", "c1", 100.0)
        visits.step("answered", "sales", "c1", 110.0, wait=10.0)
        visits.step("wrapped_up", "sales", "c1", 150.0, handle=40.0)
    assert visits.contacts("sales") == [QueueContact(100.0, "answered", 10.0, 40.0, "c1", "answered")]


def test_a_contact_entering_the_queue_again_is_a_new_visit():
    visits = QueueVisits()
    visits.step("entered", "sales", "c1", 100.0)
    visits.step("ended", "sales", "c1", 130.0, wait=30.0)  # unanswered: left otherwise
    visits.step("entered", "sales", "c1", 200.0)
    assert [(c.entered_at, c.outcome) for c in visits.contacts("sales")] == [(100.0, "left"), (200.0, "waiting")]
