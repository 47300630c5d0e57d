"""Account identification's rules around the CRM lookups, without Qt or a CRM: which
lookup a contact needs, the contact person a transfer names, and a partner read for the
picker joining the matches."""

from __future__ import annotations

from agent_desktop.identification import ConversationLinks, Lookup, confirmed_for, lookup_for, person_named
from agent_desktop.workbench import DATA_CONTACT_PERSON, DATA_PARTNER, Contact, PartnerMatch, PartnerRef, Workbench

ZHANG = PartnerRef(7, "C0000007", "张伟")
LI = PartnerRef(9, "C0000009", "李娜", function="采购经理")
WANG = PartnerRef(10, "C0000010", "王芳")
OTHER = PartnerRef(8, "C0000008", "张伟 (Shanghai)")


def contact(kind="inbound", **offer_data) -> Contact:
    made = Contact(key="c1", call_id="c1", kind=kind, ani="13800138000", dnis="4001", queue="billing",
                   waited=0.0, offered_at=0.0)
    made.offer_data = dict(offer_data)
    return made


def test_a_caller_is_identified_by_his_number_and_a_dialled_customer_by_the_number_dialled():
    assert lookup_for(contact()) == Lookup(number="13800138000")
    assert lookup_for(contact("outbound")) == Lookup(number="4001")


def test_a_transferred_call_is_identified_by_the_partner_the_previous_agent_confirmed():
    assert lookup_for(contact("transfer", **{DATA_PARTNER: "C0000007", DATA_CONTACT_PERSON: "C0000009"})) == Lookup(
        partner_no="C0000007", contact_person_no="C0000009")
    assert lookup_for(contact("transfer", **{DATA_PARTNER: None})) == Lookup(number="13800138000")


def test_the_contact_person_a_transfer_names_is_taken_only_when_he_is_the_partners():
    found = [PartnerMatch(ZHANG, "number", contact_persons=(WANG, LI))]
    assert person_named(found, "C0000009") == LI
    assert person_named(found, "C0000099") is None
    assert person_named(found, None) is None and person_named([], "C0000009") is None


def test_a_partner_read_for_the_picker_replaces_his_match_or_joins_the_matches():
    bench = Workbench("ann", clock=lambda: 0.0)
    local = bench.open_local_contact(ani="13800138000")
    bench.identified(local.key, [PartnerMatch(ZHANG, "phone"), PartnerMatch(OTHER, "phone")])
    changes: list = []
    bench.subscribe(changes.append)

    bench.match_loaded(local.key, PartnerMatch(ZHANG, "phone", contact_persons=(LI,)))
    matches = bench.contact.identification.matches
    assert [(m.partner, m.contact_persons) for m in matches] == [(ZHANG, (LI,)), (OTHER, ())]
    bench.match_loaded(local.key, PartnerMatch(WANG, "search"))  # found by a search
    assert [m.partner for m in bench.contact.identification.matches] == [ZHANG, OTHER, WANG]
    assert changes == ["identification", "identification"]

    bench.match_loaded("a-later-contact", PartnerMatch(OTHER, "phone", contact_persons=(LI,)))
    assert changes == ["identification", "identification"]  # another contact's: not this one's picker


def test_only_the_partner_confirmed_for_this_conversation_fills_in_its_answer():
    bench = Workbench("ann", clock=lambda: 0.0)
    assert confirmed_for(bench, 5) == (None, None)
    bench.open_conversation_contact(conversation_id=5, channel="email", interaction_id=None, address="li@example.cn",
                                    mailbox="service@example.cn", queue="service", partner=None)
    assert confirmed_for(bench, 5) == (None, None)  # nobody confirmed: the conversation's own customer
    bench.confirm(ZHANG, LI)
    assert confirmed_for(bench, 5) == (7, 9)
    assert confirmed_for(bench, 6) == (None, None)  # another chat's answer: never this customer
    bench.set_contact_person(None)
    assert confirmed_for(bench, 5) == (7, None)


def test_an_email_or_chat_is_stored_with_the_customer_confirmed_once_per_partner_and_again_after_a_failure():
    bench, links = Workbench("ann", clock=lambda: 0.0), ConversationLinks()
    bench.open_local_contact()
    bench.confirm(ZHANG)
    assert links.due(bench) is None  # a call: the gateway links it
    bench.open_conversation_contact(conversation_id=5, channel="chat", interaction_id=None, address="li@example.cn",
                                    mailbox="", queue="service", partner=None)
    assert links.due(bench) is None  # nobody confirmed yet
    bench.confirm(ZHANG)
    assert links.due(bench) == (5, 7)
    assert links.due(bench) is None  # stored already
    bench.confirm(OTHER)  # the agent changed his mind
    assert links.due(bench) == (5, 8)
    links.failed(5)
    assert links.due(bench) == (5, 8)
