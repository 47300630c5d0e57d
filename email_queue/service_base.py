"""What the parts of the mail queue service (email_queue.service) share: its error, its
tick, whom an event is about, and a conversation as the router holds it."""

from __future__ import annotations

from datetime import UTC, datetime

from crm.services.conversations import queueing
from email_queue.routing import Work

TICK_SECONDS = 0.25


class MailqError(Exception):
    """The mail queue cannot start; the message says why."""


# ("agent", user name), ("queue", queue name), ("supervisors", user name: those watching him alone)
# or ("watchers", queue name: the supervisors watching who see the queue, no agent)
Audience = tuple[str, str]


def to_agent(agent: str) -> Audience:
    return ("agent", agent)


def to_supervisors_of(agent: str) -> Audience:
    return ("supervisors", agent)


def to_queue(queue: str) -> Audience:
    return ("queue", queue)


def to_watchers(queue: str) -> Audience:
    return ("watchers", queue)


def work_of(item: queueing.WorkItem) -> Work:
    due = epoch(item.due_at) if item.due_at else None
    return Work(item.conversation_id, item.channel, item.queue, item.priority, due, epoch(item.created_at),
                agent=item.assigned_to, state=item.status if item.status != "closed" else "queued")


def epoch(value: datetime) -> float:
    """The CRM keeps naive UTC times."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
