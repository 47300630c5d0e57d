"""Call scripts through the application service, over real HTTPS on
PostgreSQL: the active scripts travel as their stored documents and are
rebuilt on the desktop, the CRM lists come with them, a colleague's run
goes on after a transfer, the facts a script names are only those the agent
may read, and nothing without a session or with bad input."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import factories
from agent_desktop import crm_access
from app_world import ServiceWorld
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import BusinessPartner, Product
from crm.services import scripts as store
from crm.services.sessions import SessionEnded
from scripting import library
from scripting.document import load_yaml
from scripting.records import run_record
from scripting.runner import ScriptRun
from scripting.templates import make_context

pytestmark = pytest.mark.postgres
EXAMPLES = Path(__file__).resolve().parent.parent / "scripting" / "examples"
OFFER = (EXAMPLES / "fibre-offer-en.yaml").read_text()
GREETING = (EXAMPLES / "greeting-top-customer-en.yaml").read_text()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    world = ServiceWorld(tmp_path_factory.mktemp("scripts"))
    sue = world.people["sue"]
    library.import_script(world.db, sue, OFFER)
    library.activate(world.db, sue, "fibre-offer-en")
    library.import_script(world.db, sue, OFFER.replace("199 CNY", "189 CNY"))  # version 2, not active
    library.import_script(world.db, sue, GREETING)
    library.activate(world.db, sue, "greeting-top-customer-en")
    with world.db.unit_of_work() as s:
        s.add(Product(product_no="P000002", name="Fibre 300"))
        world.customer = factories.person(s, first="Wei", last="Zhang", city="Beijing").id
        company = factories.organization(s, name="Acme Ltd")
        world.company = company.id
        world.bobs = factories.person(s, first="Li", last="Na").id
        s.get(BusinessPartner, world.bobs).owner_id = world.people["bob"].user_id  # sam may not read it
    yield world
    world.close()


def test_the_active_scripts_arrive_as_documents_and_run_on_the_desktop(service):
    supply = crm_access.load_scripts(service.signed_in("ann"))
    assert sorted((each.script.name, each.version) for each in supply.active) == [
        ("fibre-offer-en", 1), ("greeting-top-customer-en", 1)]
    assert [(o.value, o.shown) for o in supply.lists["products"]] == [("P000002", "Fibre 300 (P000002)")]
    offer = next(each for each in supply.active if each.script.name == "fibre-offer-en")
    run = ScriptRun(offer.script, offer.version, make_context(partner={"name": "Wei Zhang"}),
                    list_options=supply.lists)
    assert run.current is not None  # it starts, as it would from the database


def test_a_stored_version_is_loaded_for_a_draft_and_an_unknown_one_is_not_found(service):
    ann = service.signed_in("ann")
    loaded = crm_access.script_version(ann, "fibre-offer-en", 2)
    assert (loaded.script.name, loaded.version) == ("fibre-offer-en", 2)
    with pytest.raises(NotFound):
        crm_access.script_version(ann, "fibre-offer-en", 9)
    with pytest.raises(NotFound):
        crm_access.script_version(ann, "no-such-script", 1)


def test_the_run_a_colleague_made_goes_on_after_the_transfer(service):
    ann, bob = service.signed_in("ann"), service.signed_in("bob")
    assert crm_access.handed_over_run(bob, "call-transfer-1") is None
    offer = crm_access.script_version(ann, "fibre-offer-en", 1)
    run = ScriptRun(offer.script, offer.version, make_context())
    run.next()  # past the greeting
    run.next("yes")  # speaking to the right person
    with service.db.unit_of_work() as s:
        store.save_run(s, service.people["ann"], run_record(run), contact_id="call-transfer-1")
    loaded, state = crm_access.handed_over_run(bob, "call-transfer-1")
    assert (loaded.script.name, loaded.version) == ("fibre-offer-en", 1)
    resumed = ScriptRun.from_state(loaded.script, state, make_context())
    assert resumed.current.id == run.current.id == "compliance"
    assert [a.node for a in resumed.recorded()] == ["right_person"]


def test_a_script_names_the_partner_and_contact_person_the_agent_may_read(service):
    ann = service.signed_in("ann")
    partner, person = crm_access.script_facts(ann, service.customer, None)
    assert (partner["name"], partner["city"], person) == ("Wei Zhang", "Beijing", None)
    assert crm_access.script_facts(ann, None, None) == (None, None)
    with pytest.raises(PermissionDenied):
        crm_access.script_facts(service.signed_in("sam"), service.bobs, None)
    _, person = crm_access.script_facts(service.signed_in("bob"), service.company, service.bobs)
    assert person["name"] == "Li Na"


def test_nothing_without_a_session(service):
    signed_out = service.signed_in("ann")
    signed_out.sign_out()
    for call in (lambda c: crm_access.load_scripts(c), lambda c: crm_access.script_version(c, "fibre-offer-en", 1),
                 lambda c: crm_access.handed_over_run(c, "call-transfer-1"),
                 lambda c: crm_access.script_facts(c, service.customer, None)):
        for client in (service.client(), signed_out):
            with pytest.raises(SessionEnded):
                call(client)


def test_bad_input_is_refused_as_invalid(service):
    ann = service.signed_in("ann")
    with pytest.raises(ValidationError):
        ann.call("GET", "/v1/scripts/fibre-offer-en/versions/0", dict)
    with pytest.raises(ValidationError):
        crm_access.handed_over_run(ann, "x" * 500)
    with pytest.raises(ValidationError):
        ann.call("GET", "/v1/script-facts", dict, params={"partner_id": "abc"})
    response = httpx.get(f"{service.app.url}/v1/scripts/active", verify=False,
                         headers={"Authorization": f"Bearer {ann.token}x"})
    assert response.status_code == 401
