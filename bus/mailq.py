"""What desktops and the mail queue (`cicada mailq`) say to each other.

The same envelopes as the CTI gateway's (bus.envelope): commands over a
DEALER/ROUTER pair, each with one reply; events delivered per session
(bus.delivery). Every message of the mail queue is declared here, once.
Times are seconds since the epoch.

Every socket is CURVE (bus.curve): the mail queue's key pair on its side,
its public key given to desktops. Nothing but `MailLogin` is done without a
session. A desktop logs in with the session the application service issued
(`MailLogin.token`; the agent is its user), presents the event key of the
reply (`LoginResult.events`) on the event socket, sets its availability per
channel and pings at least every `PING_SECONDS`; one silent for longer than
the queue's `silent_seconds` (20 by default) is taken for gone and its work
goes back to the queue. Email replies are written to the CRM by the desktop
itself; `SendNow` asks the queue to send the outbox at once, and
`DeliveryDone` tells the agent who wrote one that it was sent or failed.

Who receives which event: an agent, those about him (offers, assignments,
chat lines, new mail in his threads, his deliveries) and the counts of the
queues he serves; a supervisor logged in to watch (`MailLogin.watch`), those
about the agents of his org units and below (an administrator: every
agent), their seats (`SeatChanged`, for supervisors only), every
queue's counts and every conversation's steps through the queues
(`QueueContactStep`, for supervisors only); every session, the heartbeat. A session's events stop the
moment it ends.

Each event declares whom it is about (`Event.topics`): ``agent/<agent>/``
one agent, ``queue/<queue>/`` a queue, or every session.

The heartbeat says whether the mail queue reaches its CRM database: while
it does not, work goes on as far as it can (commands that need the database
get the error "crm_unavailable"), and `Status` shows the health of each part.
New fields come with defaults, so that messages of an older mail queue still
decode, and events ignore the fields they do not know, so that a desktop
older than the mail queue reads its events (bus.envelope says how versions go).

The error codes of the mail queue's replies are bus.envelope's, bus.refusals'
and `ERRORS` below.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

from bus.envelope import Catalogue, Event, Message

Channel = Literal["email", "chat"]

PING_SECONDS = 5.0

# Whom an event is about, as its topic: one agent (his sessions, and supervisors watching his
# org unit), one queue (the agents serving it, and every supervisor watching), or everyone.
AGENT_TOPIC = "agent/<agent>/"
QUEUE_TOPIC = "queue/<queue>/"
QUEUE_WATCH_TOPIC = "watch/queue/<queue>/"  # a queue's supervisors watching: every watch, no agent
SESSION_TOPIC = "the session it concerns"
EVERYONE = "every session"

# The mail queue's own error codes (`ErrorInfo.code`), besides bus.envelope's and bus.refusals'.
ERRORS: Final = {
    "no_session": "the mail queue does not know this session (it restarted, or the session was logged "
                  "off for silence): log in again",
    "not_logged_in": "the agent is not logged in to the mail queue",
    "unknown_agent": "the CRM has no user of that name (a supervisor's action)",
    "watching": "a supervisor's watching session takes no work",
    "bad_channel": "not a channel (email, chat)",
    "unknown_queue": "there is no such mail queue",
    "unknown": "the conversation is not waiting or worked (closed, or never there)",
    "not_offered": "the conversation is not offered to this agent (any more)",
    "taken": "another agent has taken the conversation",
    "not_your_queue": "the agent is not logged in to the conversation's queue",
    "full": "the agent already works as many conversations of that channel as he may",
    "not_assigned": "the conversation is not assigned to this agent",
    "not_yours": "the conversation is not assigned to this agent",
    "bad_transfer": "a transfer names a queue or a colleague: exactly one of the two",
    "self_transfer": "the conversation is already this agent's",
    "target_not_logged_in": "the colleague is not logged in to the mail queue",
    "target_not_available": "the colleague is not available for that channel",
    "target_full": "the colleague already works as many conversations of that channel as he may",
    "validationerror": "the CRM refused a value (a chat line too long...)",
    "conflict": "the CRM refused the change: the conversation changed meanwhile (a chat the customer left)",
    "notfound": "the CRM has no such record",
    "no_events": "said by the client itself: the mail queue did not confirm the session's events",
}


# --- views ---------------------------------------------------------------------------------


class WorkView(msgspec.Struct, kw_only=True):
    conversation_id: int
    channel: Channel
    queue: str
    state: Literal["queued", "offered", "assigned"]
    subject: str = ""
    customer: str = ""
    priority: int = 5
    due_at: float | None = None
    offer_deadline: float | None = None
    customer_ended: bool = False  # a chat the customer ended: the agent notes and closes it
    transferred_by: str | None = None  # the colleague who handed it on (his name), if it came so
    transfer_note: str | None = None  # why, in his words


class SeatView(msgspec.Struct, kw_only=True):
    agent: str
    queues: list[str]
    capacity: dict[str, int]
    available: dict[str, bool]
    work: list[WorkView]


class ChatLineView(msgspec.Struct, kw_only=True):
    id: int
    sender: Literal["customer", "agent", "system"]
    author: str
    text: str
    at: float


class LoginResult(msgspec.Struct, kw_only=True):
    session: str  # the mail queue's session, named in every later command
    run: str
    seat: SeatView
    agent: str = ""  # whose session it is (the user name)
    events: str = ""  # the session's event key: presented alone on the event socket (bus.delivery)


class QueueChannelView(msgspec.Struct, kw_only=True):
    """One channel of a queue, as a supervisor's wallboard shows it."""

    channel: Channel
    waiting: int
    oldest_wait: float  # seconds
    serving: int  # agents logged in to the queue
    available: int  # of those, available for the channel with room for one more
    busy: int  # of those, working (offered or assigned) a conversation of this queue and channel


class QueueView(msgspec.Struct, kw_only=True):
    name: str
    mode: Literal["push", "pull"]
    waiting: int
    oldest_wait: float  # seconds
    # per channel the queue takes (its routing, or work waiting in it): for supervisors' wallboards
    channels: list[QueueChannelView] = []
    # the queue's due time for a first reply (its `first_response_minutes`, in seconds); None: none
    first_response_seconds: float | None = None


class SeatWorkView(msgspec.Struct, kw_only=True):
    """An agent's open conversation, as a supervisor sees it (no subject, no customer)."""

    conversation_id: int
    channel: Channel
    queue: str
    state: Literal["offered", "assigned"]
    since: float  # offered or assigned then


class SupervisedSeatView(msgspec.Struct, kw_only=True):
    """An agent logged in to the mail queue, as the supervisors watching his org unit see him."""

    agent: str
    name: str  # his display name
    queues: list[str]
    available: dict[str, bool]  # per channel
    since: float  # logged in, or his availability last changed, then
    work: list[SeatWorkView]


class TransferAgentView(msgspec.Struct, kw_only=True):
    """A colleague logged in to the mail queue, as a transfer target: no more than his name and room."""

    agent: str
    room: dict[str, bool]  # per channel: available and below capacity


class TransferTargetsResult(msgspec.Struct, kw_only=True):
    queues: list[str]
    agents: list[TransferAgentView]  # the asking agent left out


class PartHealth(msgspec.Struct, kw_only=True):
    """How one part of the mail queue is: the database, smtp, chat, outbox, or an IMAP mailbox."""

    part: str  # database, smtp, chat, outbox, imap user@host:port
    state: Literal["ok", "unavailable", "failing", "off"]
    detail: str = ""  # what it does, or what is wrong, in English for the supervisor
    since: float | None = None  # of the present state, where known


class StatusResult(msgspec.Struct, kw_only=True):
    run: str
    started_at: float
    smtp: str | None
    chat: str | None
    imap: list[str]  # one status per polled mailbox
    queues: list[QueueView]
    agents: list[str]
    database_available: bool = True
    health: list[PartHealth] = []  # each part, the database first
    unsaved_decisions: int = 0  # routing decisions kept until the database is back
    locked_accounts: list[str] = []  # logins locked for everyone after too many failures
    seats: list[SupervisedSeatView] = []  # a supervisor's: the agents of his org units logged in


# --- commands ------------------------------------------------------------------------------


class MailLogin(Message, tag="mail.login"):
    """Log in with the session the application service issued (`POST /v1/sessions`): the
    agent is the session's user. Refused with "session_ended" if it is not open."""

    token: str
    queues: list[str] | None = None  # default: the profile's, else every queue
    client: str = ""
    watch: bool = False  # a supervisor watching his org units' agents and the queues: no seat, no work


class MailLogout(Message, tag="mail.logout"):
    session: str


class Ping(Message, tag="mail.ping"):
    session: str


class SetAvailable(Message, tag="mail.set_available"):
    session: str
    channel: Channel
    available: bool


class AcceptWork(Message, tag="mail.accept"):
    session: str
    conversation_id: int


class RejectWork(Message, tag="mail.reject"):
    session: str
    conversation_id: int


class PullWork(Message, tag="mail.pull"):
    session: str
    conversation_id: int


class ChatSend(Message, tag="mail.chat_send"):
    session: str
    conversation_id: int
    text: str


class ChatTyping(Message, tag="mail.chat_typing"):
    session: str
    conversation_id: int


class CloseWork(Message, tag="mail.close"):
    session: str
    conversation_id: int
    outcome: str | None = None
    reason: str | None = None
    notes: str | None = None


class TransferWork(Message, tag="mail.transfer"):
    """Hand assigned work on to a queue or to one colleague (exactly one of the two), with a note why."""

    session: str
    conversation_id: int
    queue: str | None = None
    agent: str | None = None
    note: str | None = None


class TransferTargets(Message, tag="mail.transfer_targets"):
    """The queues and logged-in colleagues work can be transferred to."""

    session: str


class SendNow(Message, tag="mail.send_now"):
    session: str


class Snapshot(Message, tag="mail.snapshot"):
    session: str


class SupervisorAway(Message, tag="mail.supervisor_away"):
    """A supervisor (his CRM session's token) sets an agent of his org units Away on a channel, or
    on both: nothing new is offered to him there; what he holds stays his. Checked like a login
    (the login guard, then the CRM: acting_on), and written to the CRM's audit trail."""

    token: str
    agent: str
    channel: Channel | None = None  # None: email and chat


class Status(Message, tag="mail.status"):
    """A supervisor's session (or the mail queue's own key: `cicada mailq status`) gets the
    whole status; an agent's, the queues he serves and himself."""

    session: str = ""


COMMANDS: Catalogue[Message] = Catalogue("mail queue command", [
    MailLogin, MailLogout, Ping, SetAvailable, AcceptWork, RejectWork, PullWork, ChatSend, ChatTyping,
    CloseWork, TransferWork, TransferTargets, SendNow, Snapshot, Status, SupervisorAway,
])


# --- events --------------------------------------------------------------------------------


class WorkOffered(Event, tag="mail.work_offered"):
    topics = (AGENT_TOPIC,)

    agent: str
    work: WorkView


class WorkAssigned(Event, tag="mail.work_assigned"):
    topics = (AGENT_TOPIC,)

    agent: str
    work: WorkView


WithdrawnCause = Literal["rejected", "not_answered", "logged_off", "agent_gone", "transferred",
                         "customer_ended", "customer_left", "rerouted", "other"]


class WorkWithdrawn(Event, tag="mail.work_withdrawn"):
    """Offered or assigned work taken back: rejected, not answered, logged off.
    `cause` is for the desktop to word its notice; `reason` says it in the log."""

    topics = (AGENT_TOPIC,)

    agent: str
    conversation_id: int
    reason: str
    cause: WithdrawnCause = "other"


class WorkClosed(Event, tag="mail.work_closed"):
    topics = (AGENT_TOPIC,)

    agent: str | None
    conversation_id: int
    by: Literal["agent", "customer"]


class NewMessage(Event, tag="mail.new_message"):
    """Another email arrived in a conversation the agent works."""

    topics = (AGENT_TOPIC,)

    agent: str
    conversation_id: int
    message_id: int


class ChatLine(Event, tag="mail.chat_line"):
    topics = (AGENT_TOPIC,)

    agent: str
    conversation_id: int
    line: ChatLineView


class CustomerTyping(Event, tag="mail.customer_typing"):
    topics = (AGENT_TOPIC,)

    agent: str
    conversation_id: int


class CustomerEndedChat(Event, tag="mail.customer_ended_chat"):
    """The customer ended a chat the agent works; it stays assigned until the agent closes it."""

    topics = (AGENT_TOPIC,)

    agent: str
    conversation_id: int


class DeliveryDone(Event, tag="mail.delivery_done"):
    """An email an agent wrote was sent, or failed for good (the relay refused it, or
    it could not be sent after every attempt); told to the agent who wrote it."""

    topics = (AGENT_TOPIC,)

    agent: str
    conversation_id: int | None  # None: an email not answering a conversation (a follow-up action)
    email_id: int
    status: Literal["sent", "failed"]
    to_address: str
    subject: str
    error: str | None = None


SessionEndReason = Literal["signed_out", "expired", "account_disabled", "password_changed", "ended"]


class MailSessionEnded(Event, tag="mail.session_ended"):
    """The agent's CRM session ended (he signed out elsewhere, it expired, his account was
    disabled or his password changed): so did his mail queue session, and his work went back.
    The desktop says why and does not log in again with that session."""

    topics = (SESSION_TOPIC,)

    agent: str
    reason: SessionEndReason = "ended"


class SeatChanged(Event, tag="mail.seat_changed"):
    """An agent logged in or off, changed his availability, or was offered, took or gave back
    work: told to the supervisors watching his org unit (never to desktops)."""

    topics = (AGENT_TOPIC,)

    agent: str
    seat: SupervisedSeatView | None  # None: logged off


class SetAway(Event, tag="mail.set_away"):
    """To the agent's desktop: a supervisor set him Away on these channels."""

    topics = (AGENT_TOPIC,)

    agent: str
    channels: list[Channel]
    by: str  # the supervisor's display name


class QueueChanged(Event, tag="mail.queue_changed"):
    topics = (QUEUE_TOPIC,)

    queue: QueueView


MailStep = Literal["entered", "offered", "rejected", "ring_no_answer", "answered", "abandoned", "transferred",
                   "first_reply", "replied", "resolved", "reopened"]


class QueueContactStep(Event, tag="mail.queue_contact"):
    """One conversation's step through a mail queue, as the mail queue wrote it to the CRM's event
    log (same kind, time and wait), told once it is stored, so that the console's "today" counts
    what a report over the event log counts (crm/reports/definitions.py, email and chat). An
    email's reply, which the desktop writes through the application service, is told when the
    mail queue sends it. To supervisors' watches only."""

    topics = (QUEUE_WATCH_TOPIC,)

    queue: str
    channel: Channel
    conversation_id: int
    step: MailStep
    at: float  # seconds since the epoch
    wait: float | None = None  # answered, abandoned: seconds in the queue
    via: str = ""  # entered: new, reopened, requeued, transferred or routed


class MailqHeartbeat(Event, tag="mail.heartbeat"):
    topics = (EVERYONE,)

    run: str
    started_at: float
    database_available: bool = True  # False: the mail queue cannot reach the CRM database now


EVENTS: Catalogue[Message] = Catalogue("mail queue event", [
    WorkOffered, WorkAssigned, WorkWithdrawn, WorkClosed, NewMessage, ChatLine, CustomerTyping,
    CustomerEndedChat, DeliveryDone, MailSessionEnded, SeatChanged, SetAway, QueueChanged, QueueContactStep,
    MailqHeartbeat,
])
