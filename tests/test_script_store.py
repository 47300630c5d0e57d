"""Call scripts in the CRM database (SQLite and PostgreSQL): importing
versions, activating only what validates, runs recorded into interaction
records as they go, and the report."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import factories
from crm.errors import NotFound, PermissionDenied
from crm.models import Interaction, UserRole
from crm.permissions import Actor
from crm.services import calls
from crm.services import scripts as store
from scripting import library
from scripting.document import load_yaml
from scripting.library import ScriptInvalid
from scripting.report import report_rows, write_csv
from scripting.runner import ScriptRun
from scripting.records import run_record
from scripting.templates import make_context

EXAMPLES = Path(__file__).resolve().parent.parent / "scripting" / "examples"
SYSTEM = Actor.system()
OFFER = (EXAMPLES / "fibre-offer-en.yaml").read_text()
T0 = datetime(2026, 12, 1, 9, 0, 0)


@pytest.fixture
def people(db):
    with db.unit_of_work() as s:
        return {"ann": factories.user(s, "ann"), "bob": factories.user(s, "bob"),
                "sue": factories.user(s, "sue", role=UserRole.SUPERVISOR)}


def test_importing_stores_a_new_version_each_time_and_refuses_an_invalid_script(db, people):
    first, report = library.import_script(db, people["sue"], OFFER, origin="fibre-offer-en.yaml")
    assert (first.name, first.version, first.kind, first.active) == ("fibre-offer-en", 1, "interactive", False)
    assert report.ok
    second, _ = library.import_script(db, people["sue"], OFFER.replace("199 CNY", "189 CNY"))
    assert second.version == 2
    broken = OFFER.replace("goto: end_sale", "goto: end_of_sale")
    with pytest.raises(ScriptInvalid) as caught:
        library.import_script(db, people["sue"], broken)
    assert "node 'address_ok': leads to 'end_of_sale'" in str(caught.value)
    with db.reading() as s:
        info, = store.list_scripts(s, people["ann"])
    assert (info.versions, info.latest_version, info.active_version) == (2, 2, None)


def test_only_supervisors_manage_scripts(db, people):
    with pytest.raises(PermissionDenied, match="script.manage"):
        library.import_script(db, people["ann"], OFFER)
    library.import_script(db, people["sue"], OFFER)
    with pytest.raises(PermissionDenied):
        library.activate(db, people["ann"], "fibre-offer-en")


def test_activation_picks_a_version_and_export_gives_back_its_text(db, people):
    library.import_script(db, SYSTEM, OFFER)
    library.import_script(db, SYSTEM, OFFER.replace("199 CNY", "189 CNY"))
    assert library.activate(db, SYSTEM, "fibre-offer-en", 1).version == 1
    active, = library.load_active(db, people["ann"])
    assert active.version == 1 and active.script.name == "fibre-offer-en"
    assert "199 CNY" in library.export(db, SYSTEM, "fibre-offer-en")  # the active one
    assert "189 CNY" in library.export(db, SYSTEM, "fibre-offer-en", 2)
    assert library.activate(db, SYSTEM, "fibre-offer-en").version == 2  # the latest
    with pytest.raises(NotFound):
        library.activate(db, SYSTEM, "fibre-offer-en", 7)
    with pytest.raises(NotFound):
        library.activate(db, SYSTEM, "no-such-script")


def test_a_stored_version_that_no_longer_validates_cannot_be_activated(db, people):
    with db.unit_of_work() as s:  # written by an older release, or by hand
        store.add_version(s, SYSTEM, name="odd", kind="interactive", document={
            "name": "odd", "nodes": [{"id": "a", "type": "text", "text": "x", "next": "gone"}]})
    with pytest.raises(ScriptInvalid, match="leads to 'gone'"):
        library.activate(db, SYSTEM, "odd")


def walk_offer(version: int, answers: list) -> ScriptRun:
    ticks = iter(range(0, 1000, 5))
    run = ScriptRun(load_yaml(OFFER), version, make_context(partner={"name": "Zhang Wei", "city": "Beijing"}),
                    list_options={"products": []}, clock=lambda: T0.timestamp() + next(ticks))
    for value in answers:
        run.next(value)
    return run


SALE = [None, "yes", None, "under_50", None, "yes", "P0001", "2026-12-20", "yes"]


def test_a_run_is_saved_as_it_goes_and_linked_to_the_agents_call_segment_once_it_exists(db, people):
    library.import_script(db, SYSTEM, OFFER)
    run = walk_offer(1, SALE[:4])
    with db.unit_of_work() as s:  # the gateway has not recorded the call yet
        run_id = store.save_run(s, people["ann"], run_record(run), contact_id="call-1")
    with db.unit_of_work() as s:
        calls.open_call_segment(s, SYSTEM, contact_id="call-1", segment_no=1, agent="ann", ani="138",
                                dnis="4001", queue="sales-en", direction="inbound", started_at=T0)
    for value in SALE[4:]:
        run.next(value)
    with db.unit_of_work() as s:
        assert store.save_run(s, people["ann"], run_record(run, partner_id=None), contact_id="call-1") == run_id
    with db.reading() as s:
        saved, = store.runs_of_contact(s, people["bob"], "call-1")
        segment_id = s.scalar(select(Interaction.id).where(Interaction.contact_id == "call-1"))
    assert saved.interaction_id == segment_id and saved.outcome == "sale" and saved.agent == "ann"
    assert [(a.node, a.value) for a in saved.answers] == [
        ("right_person", "yes"), ("current_speed", "under_50"), ("interest", "yes"), ("product", "P0001"),
        ("installation_date", "2026-12-20"), ("address_ok", "yes")]
    assert saved.state["path"][-1] == "end_sale"


def segment(db, contact_id: str, segment_no: int, agent: str) -> int:
    with db.unit_of_work() as s:
        return calls.open_call_segment(s, SYSTEM, contact_id=contact_id, segment_no=segment_no, agent=agent,
                                       ani="138", dnis="4001", queue="sales-en", direction="inbound",
                                       started_at=T0).id


def test_another_agent_cannot_overwrite_a_run_unless_the_call_was_transferred_to_him(db, people):
    library.import_script(db, SYSTEM, OFFER)
    run = walk_offer(1, SALE[:2])
    ann_segment = segment(db, "call-2", 1, "ann")
    with db.unit_of_work() as s:
        store.save_run(s, people["ann"], run_record(run), contact_id="call-2")
    with db.unit_of_work() as s, pytest.raises(PermissionDenied, match="another agent's"):
        store.save_run(s, people["bob"], run_record(run), contact_id="another-call")
    with db.unit_of_work() as s, pytest.raises(NotFound, match="not recorded call call-2 for you yet"):
        store.save_run(s, people["bob"], run_record(run), contact_id="call-2")
    bob_segment = segment(db, "call-2", 2, "bob")  # ann transferred the call to bob
    run.next(None)
    with db.unit_of_work() as s:
        store.save_run(s, people["bob"], run_record(run), contact_id="call-2")
    with db.reading() as s:
        saved, = store.runs_of_contact(s, people["ann"], "call-2")
    assert (saved.agent, saved.interaction_id) == ("bob", bob_segment) and bob_segment != ann_segment
    assert [a.node for a in saved.answers] == ["right_person"]


def test_a_run_kept_with_a_record_is_read_only_by_whom_may_read_that_record(db, people):
    library.import_script(db, SYSTEM, OFFER)
    with db.unit_of_work() as s:
        rita = factories.user(s, "rita", role=UserRole.SALES_REP)
        sam = factories.user(s, "sam", role=UserRole.SALES_REP)
        ritas_customer = factories.person(s, rita, first="Li", last="Na").id
    ann_segment = segment(db, "call-7", 1, "ann")
    with db.unit_of_work() as s:
        store.save_run(s, people["ann"], run_record(walk_offer(1, SALE[:2])), contact_id="call-7")
    # A record without a customer: its agent and who may read any record, not another agent...
    with db.reading() as s:
        assert len(store.runs_of_interaction(s, people["ann"], ann_segment)) == 1
        assert len(store.runs_of_interaction(s, people["sue"], ann_segment)) == 1
        with pytest.raises(PermissionDenied, match=f"may not read interaction {ann_segment}"):
            store.runs_of_interaction(s, people["bob"], ann_segment)
        # ...but the colleague the call goes to goes on by the call's id
        assert len(store.runs_of_contact(s, people["bob"], "call-7")) == 1
    with db.unit_of_work() as s:  # the caller was identified as Rita's own customer
        s.get(Interaction, ann_segment).partner_id = ritas_customer
    with db.reading() as s:
        assert len(store.runs_of_interaction(s, rita, ann_segment)) == 1
        assert len(store.runs_of_contact(s, rita, "call-7")) == 1
        with pytest.raises(PermissionDenied):
            store.runs_of_interaction(s, sam, ann_segment)
        assert store.runs_of_contact(s, sam, "call-7") == []
        with pytest.raises(PermissionDenied):
            store.runs_of_interaction(s, people["bob"], 999_999)


def test_the_agent_who_handed_a_run_over_cannot_save_her_older_copy_over_the_colleagues(db, people):
    library.import_script(db, SYSTEM, OFFER)
    ann_copy = walk_offer(1, SALE[:2])
    ann_segment = segment(db, "call-4", 1, "ann")
    with db.unit_of_work() as s:
        store.save_run(s, people["ann"], run_record(ann_copy), contact_id="call-4")
    bob_segment = segment(db, "call-4", 2, "bob")  # transferred to bob, who goes on
    bob_copy = walk_offer(1, SALE[:4])
    bob_copy.run_id = ann_copy.run_id
    with db.unit_of_work() as s:
        store.save_run(s, people["bob"], run_record(bob_copy), contact_id="call-4")
    ann_copy.next(None)  # ann, still in wrap-up, moves her copy on
    with db.unit_of_work() as s, pytest.raises(store.RunHandedOver, match="went on with bob"):
        store.save_run(s, people["ann"], run_record(ann_copy), contact_id="call-4")
    with db.reading() as s:
        saved, = store.runs_of_contact(s, SYSTEM, "call-4")
        assert (saved.agent, saved.interaction_id) == ("bob", bob_segment)
        assert [a.node for a in saved.answers] == ["right_person", "current_speed"]  # bob's answers kept
        for record in (ann_segment, bob_segment):  # both records show the run
            assert [r.run_key for r in store.runs_of_interaction(s, SYSTEM, record)] == [ann_copy.run_id]
    segment(db, "call-4", 3, "ann")  # bob transfers the call back to ann: hers again
    with db.unit_of_work() as s:
        store.save_run(s, people["ann"], run_record(bob_copy), contact_id="call-4")
    with db.reading() as s:
        assert store.runs_of_contact(s, SYSTEM, "call-4")[0].agent == "ann"
        assert len(store.runs_of_interaction(s, SYSTEM, bob_segment)) == 1


LOOPING = """
name: colours
nodes:
  - {id: ask, type: question, text: "Colour?", answer: single_choice,
     options: [{value: red}, {value: blue}], next: again}
  - {id: again, type: question, text: "Another?", answer: yes_no,
     branches: [{value: "yes", goto: back}, {value: "no", goto: e}]}
  - {id: back, type: jump, goto: ask}
  - {id: e, type: end, outcome: x}
"""


def test_a_question_asked_twice_is_recorded_and_reported_once_for_each_time(db, people):
    library.import_script(db, SYSTEM, LOOPING)
    run = ScriptRun(load_yaml(LOOPING), 1, make_context())
    for value in ("red", "yes", "blue", "no"):
        run.next(value)
    with db.unit_of_work() as s:
        store.save_run(s, people["ann"], run_record(run), contact_id="call-5")
    with db.reading() as s:
        saved, = store.runs_of_contact(s, SYSTEM, "call-5")
        version, = store.report(s, people["sue"], "colours")
    assert [(a.node, a.value) for a in saved.answers] == [
        ("ask", "red"), ("again", "yes"), ("ask", "blue"), ("again", "no")]
    assert version.answers["ask"] == {"red": 1, "blue": 1}
    assert version.answers["again"] == {"yes": 1, "no": 1}


def test_a_run_keeps_its_version_when_a_newer_one_is_activated(db, people):
    library.import_script(db, SYSTEM, OFFER)
    library.activate(db, SYSTEM, "fibre-offer-en")
    run = walk_offer(1, SALE[:3])
    library.import_script(db, SYSTEM, OFFER.replace("199 CNY", "189 CNY"))
    library.activate(db, SYSTEM, "fibre-offer-en")
    run.next("under_50")
    assert run.step().node == "pitch" and "199 CNY" in run.step().text  # version 1's text
    with db.unit_of_work() as s:
        store.save_run(s, people["ann"], run_record(run), contact_id="call-3")
    with db.reading() as s:
        assert store.runs_of_contact(s, SYSTEM, "call-3")[0].version == 1


def test_the_report_counts_runs_where_they_ended_and_the_answers_per_question(db, people):
    library.import_script(db, SYSTEM, OFFER)
    walks = [SALE, SALE, [None, "no"], [None, "yes", None, "over_200", "no"], SALE[:5]]
    for i, answers in enumerate(walks):
        with db.unit_of_work() as s:
            store.save_run(s, people["ann"], run_record(walk_offer(1, answers)), contact_id=f"c{i}")
    with pytest.raises(PermissionDenied):
        with db.reading() as s:
            store.report(s, people["ann"], "fibre-offer-en")
    with db.reading() as s:
        version, = store.report(s, people["sue"], "fibre-offer-en")
    assert (version.runs, version.finished) == (5, 4)
    assert version.outcomes == {"sale": 2, "not_reached": 1, "not_interested": 1}
    assert version.ended_at == {"end_sale": 2, "end_not_reached": 1, "end_not_interested": 1, "interest": 1}
    assert version.answers["current_speed"] == {"under_50": 3, "over_200": 1}
    rows = report_rows([version])
    assert ("fibre-offer-en", 1, "answer", "current_speed", '"What internet speed do you have at home today?"',
            "Under 50 Mbit/s", 3) in rows
    out = io.StringIO()
    write_csv([version], out)
    parsed = list(csv.reader(io.StringIO(out.getvalue())))
    assert parsed[0] == ["script", "version", "kind", "node", "text", "value", "count"]
    assert ["fibre-offer-en", "1", "runs", "", "", "", "5"] in parsed
