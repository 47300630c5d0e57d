"""Campaigns from YAML: validation, references, export, states, permissions and the audit trail."""

import pytest
from sqlalchemy import select

import factories
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crm.models import AuditEntry, Campaign, OrgUnit
from crm.outbound.settings import OUTCOMES, load_yaml
from crm.permissions import Actor
from crm.services import campaigns

CAMPAIGN = """
name: Spring offer
dialing_mode: preview
preview_dial_after_seconds: 8
script: spring_offer
caller_id: "+861065529988"
teams: [BJ-T1]
agents: [amy]
ring_seconds: 20
max_calls_per_number_per_day: 2
windows:
  monday: ["09:00-12:00", "13:30-20:00"]
  saturday: ["10:00-16:00"]
holidays: [2026-10-01, 2026-10-02]
retries:
  no_answer: {delay_minutes: 60, max_attempts: 3}
  busy: {delay_minutes: 2, max_attempts: 5}
dispositions:
  - {code: sale, label: Sale, person_answered: true, contact_made: true, sale: true, final: true}
  - {code: dnc, label: Do not call, person_answered: true, do_not_call: true, final: true}
  - {code: later, label: Call back, person_answered: true, callback: true}
"""


@pytest.fixture
def people(db):
    with db.unit_of_work() as s:
        s.add(OrgUnit(kind="team", code="BJ-T1", name="Beijing team 1"))
        supervisor = factories.user(s, "sue", "supervisor")
        agent = factories.user(s, "amy", "agent")
    return supervisor, agent


def test_a_supervisor_creates_a_campaign_and_exports_what_he_imported(db, people):
    supervisor, _ = people
    with db.unit_of_work() as s:
        campaign, created = campaigns.save_campaign(s, supervisor, CAMPAIGN)
    assert created and campaign.state == "draft" and campaign.dialing_mode == "preview"
    with db.reading() as s:
        exported = campaigns.export_campaign(s, supervisor, "Spring offer")
    again = load_yaml(exported)
    assert again == load_yaml(CAMPAIGN)
    assert again.ring_seconds == 20 and again.retries.busy.delay_minutes == 2
    assert again.retries.dropped.delay_minutes == 30  # an outcome left out keeps its default
    assert again.disposition("dnc").do_not_call and again.disposition("later").callback
    assert "2026-10-01" in exported and "null" not in exported


def test_importing_again_changes_the_settings_and_keeps_the_state(db, people):
    supervisor, _ = people
    with db.unit_of_work() as s:
        campaigns.save_campaign(s, supervisor, CAMPAIGN)
        campaigns.set_state(s, supervisor, "Spring offer", "running")
    with db.unit_of_work() as s:
        campaign, created = campaigns.save_campaign(
            s, supervisor, CAMPAIGN.replace("dialing_mode: preview\npreview_dial_after_seconds: 8",
                                            "dialing_mode: predictive"))
    assert not created and campaign.state == "running" and campaign.dialing_mode == "predictive"
    with db.reading() as s:
        entries = [(e.action, e.user_id, e.changes) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "campaign").order_by(AuditEntry.id))]
    assert [action for action, _, _ in entries] == ["create", "state", "update"]
    assert entries[1][2] == {"state": ["draft", "running"]}
    assert entries[-1][2]["dialing_mode"] == ["preview", "predictive"]
    assert entries[-1][1] == supervisor.user_id


def test_defaults_fill_what_a_campaign_leaves_out(db, people):
    with db.unit_of_work() as s:
        campaign, _ = campaigns.save_campaign(s, people[0], "name: Minimal\n")
        settings = campaigns.settings_of(campaign)
    assert settings.dialing_mode == "preview" and settings.ring_seconds >= 15
    assert all(settings.retries.for_outcome(o).delay_minutes >= 2 for o in OUTCOMES)
    assert any(d.final and d.sale for d in settings.dispositions)


BAD = [  # (what is replaced, by what, what the error says)
    ("ring_seconds: 20", "ring_seconds: 10", "ring_seconds: Expected `int` >= 15"),
    ("busy: {delay_minutes: 2,", "busy: {delay_minutes: 1,", "retries.busy.delay_minutes: Expected `int` >= 2"),
    ("dialing_mode: preview\npreview_dial_after_seconds: 8", "dialing_mode: robocall",
     "dialing_mode 'robocall' is not one of preview, progressive, predictive"),
    ("dialing_mode: preview", "dialing_mode: progressive", "preview_dial_after_seconds applies to the preview mode"),
    ("saturday:", "caturday:", "'caturday' is not a weekday"),
    ('["09:00-12:00", "13:30-20:00"]', '["09:00-14:00", "13:30-20:00"]', "windows.monday: two windows overlap"),
    ('["10:00-16:00"]', '["16:00-10:00"]', "windows.saturday: '16:00-10:00' ends before it starts"),
    ("no_answer:", "voicemail:", "retries: Object contains unknown field `voicemail`"),
    ("{code: later,", "{code: sale,", "dispositions: 'sale' is given twice"),
    ("agents: [amy]", "agents: [nobody]", "agents: there is no user 'nobody'"),
    ("teams: [BJ-T1]", "teams: [XX]", "teams: there is no org unit 'XX'"),
    ("ring_seconds: 20", "ring_seconds: 20\ncolour: blue", "unknown field `colour`"),
    ("holidays: [2026-10-01, 2026-10-02]", "holidays: [tomorrow]", "holidays[0]"),
    ('caller_id: "+861065529988"', "caller_id: [", "is not valid YAML at line"),
    ("name: Spring offer", "name: Spring offer\ntime_zone: Mars/Olympus", "'Mars/Olympus' is not a time zone"),
]


@pytest.mark.parametrize("old, new, message", BAD, ids=[case[2][:40] for case in BAD])
def test_a_bad_campaign_is_refused_saying_where_and_nothing_is_stored(db, people, old, new, message):
    bad = CAMPAIGN.replace(old, new)
    assert bad != CAMPAIGN
    with db.unit_of_work() as s, pytest.raises(ValidationError) as refused:
        campaigns.save_campaign(s, people[0], bad, origin="spring.yaml")
    assert message in str(refused.value) and str(refused.value).startswith("spring.yaml")
    with db.reading() as s:
        assert s.scalars(select(Campaign)).all() == []


@pytest.mark.parametrize("document", ["", "- a list\n", "just text", b"name: \xff\xfe"])
def test_a_document_that_is_no_campaign_is_refused(db, people, document):
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="the campaign"):
        campaigns.save_campaign(s, people[0], document)


def test_agents_may_not_manage_campaigns(db, people):
    supervisor, agent = people
    with db.unit_of_work() as s:
        campaigns.save_campaign(s, supervisor, CAMPAIGN)
    with db.unit_of_work() as s:
        for attempt in (lambda: campaigns.save_campaign(s, agent, CAMPAIGN),
                        lambda: campaigns.export_campaign(s, agent, "Spring offer"),
                        lambda: campaigns.list_campaigns(s, agent),
                        lambda: campaigns.set_state(s, agent, "Spring offer", "running")):
            with pytest.raises(PermissionDenied, match="campaign.manage"):
                attempt()


def test_a_campaign_starts_pauses_resumes_and_stops_for_good(db, people):
    supervisor, _ = people
    with db.unit_of_work() as s:
        campaigns.save_campaign(s, supervisor, CAMPAIGN)
    for state in ("running", "paused", "running", "stopped"):
        with db.unit_of_work() as s:
            assert campaigns.set_state(s, supervisor, "Spring offer", state).state == state
    with db.unit_of_work() as s, pytest.raises(Conflict, match="is stopped; it cannot become running"):
        campaigns.set_state(s, supervisor, "Spring offer", "running")
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="not a campaign state"):
        campaigns.set_state(s, supervisor, "Spring offer", "finished")
    with db.unit_of_work() as s, pytest.raises(NotFound, match="no campaign 'Autumn'.*Spring offer"):
        campaigns.set_state(s, supervisor, "Autumn", "running")


def test_the_list_counts_each_campaigns_contacts(db, people):
    with db.unit_of_work() as s:
        campaigns.save_campaign(s, Actor.system(), CAMPAIGN)
        campaigns.save_campaign(s, Actor.system(), "name: Autumn\ndialing_mode: progressive\n")
    with db.reading() as s:
        found = campaigns.list_campaigns(s, people[0])
    assert [(c.name, c.dialing_mode, c.lists, c.contacts) for c in found] == [
        ("Autumn", "progressive", 0, 0), ("Spring offer", "preview", 0, 0)]
