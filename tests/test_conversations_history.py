"""An email thread's interaction records in the history: a thread the
customer reopens gets a new record, and each record shows its own messages
(the first keeps the first exchange); the agent's confirmed customer links
the conversation and its record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_conversations import agent, person, raw_mail, receive

from agent_desktop import crm_access
from desktop_harness import app_of, signed_in_client, url_of  # noqa: F401 - fixture
from crm.clock import utcnow
from crm.errors import PermissionDenied
from crm.models import Conversation, Interaction
from crm.permissions import Actor
from crm.services.conversations import answering, handling, queueing, reading
from crm.services.users import actor_for, create_user


def test_each_record_of_a_reopened_thread_has_its_own_messages(db, app_of):
    ann = agent(db)
    start = utcnow() - timedelta(hours=2)
    first = receive(db, raw_mail(body="my internet is down"), now=start)
    with db.unit_of_work() as s:
        queueing.set_assignment(s, first.conversation_id, "assigned", "ann")
        answering.reply(s, ann, first.conversation_id, body="we reset your line", now=start + timedelta(minutes=5))
        handling.close(s, ann, first.conversation_id, now=start + timedelta(minutes=6))
        first_record = s.get(Conversation, first.conversation_id).interaction_id
    again = receive(db, raw_mail(body="down again", message_id="<m2@example.cn>",
                                 In_Reply_To="<m1@example.cn>"), now=start + timedelta(hours=1))
    assert again.reopened and again.conversation_id == first.conversation_id
    with db.unit_of_work() as s:
        queueing.set_assignment(s, first.conversation_id, "assigned", "ann")
    with db.reading() as s:
        second_record = s.get(Conversation, first.conversation_id).interaction_id
        assert second_record != first_record
        old = [m.body_text for m in reading.messages_of_interaction(s, ann, first_record)]
        new = [m.body_text for m in reading.messages_of_interaction(s, ann, second_record)]
    assert [text.strip() for text in old] == ["my internet is down", "we reset your line"]
    assert [text.strip() for text in new] == ["down again"]
    # and so the desktop's history detail shows each record's own exchange
    with signed_in_client(app_of(url_of(db)), "ann", "a-long-password") as desk:
        shown = dict(crm_access.interaction_detail(desk, first_record))["messages"]
        assert "my internet is down" in shown and "we reset your line" in shown and "down again" not in shown
        shown = dict(crm_access.interaction_detail(desk, second_record))["messages"]
    assert "down again" in shown and "my internet is down" not in shown


def test_the_confirmed_customer_links_the_conversation_and_its_record_for_the_agent_who_has_it(db):
    ann = agent(db)
    with db.unit_of_work() as s:
        create_user(s, Actor.system(), username="bob", password="a-long-password", role="agent")
        bob = actor_for(s, "bob")
    received = receive(db, raw_mail(sender="unknown@example.com"))
    partner_id = person(db, "李", "娜")
    with db.unit_of_work() as s:
        queueing.set_assignment(s, received.conversation_id, "assigned", "ann")
    with pytest.raises(PermissionDenied), db.unit_of_work() as s:
        handling.set_partner(s, bob, received.conversation_id, partner_id)  # not his
    with db.unit_of_work() as s:
        handling.set_partner(s, ann, received.conversation_id, partner_id)
    with db.reading() as s:
        conversation = s.get(Conversation, received.conversation_id)
        assert conversation.partner_id == partner_id
        assert s.get(Interaction, conversation.interaction_id).partner_id == partner_id
