"""Emails and chats: conversations the mail queue stores and agents work, one module per
capability.

* `email_in`: an inbound email stored raw and parsed in one transaction, threaded,
  its sender identified, routed.
* `chat_in`: a web chat opened, its lines stored once each, ended or left by the customer.
* `queueing`: what the mail queue's router sees (facts, route, work items) and the
  assignments it stores.
* `reading`: the agent's inbox, a conversation with its messages and attachments, the
  messages of an interaction.
* `answering`: email replies (through the outbox), chat lines, notes, failed replies sent again.
* `handling`: transfer to a queue or a colleague, linking a business partner, closing.
* `access`: who may read and work a conversation, shared by the others.

Every conversation is one interaction record of the customer, so it shows in the
interaction history next to the calls. The types the desktop shares are in
crm.conversation_types.
"""
