"""What desktops and the CTI gateway say to each other.

Commands go from a desktop to the gateway over a DEALER/ROUTER pair and each
gets one reply; events come on a DEALER from the gateway's ROUTER, only to
a connection that presented an event key the gateway granted its session
(`agent.login`, `events.watch`; bus.delivery). Every message is declared
here, once. Times are seconds since the epoch (floats); durations are
seconds.

Inside the gateway, topics say what an event concerns (cti_gateway.audience
turns them into the keys that receive it): ``agent/<agent>/`` one agent (his
state, his calls, messages), ``queue/<queue>/`` a queue's statistics,
``call/`` every call event, ``gateway/`` heartbeats and SIP worker changes.
Each event declares its topics (`Event.topics`); a call event goes to the
topic of each agent in the call and to ``call/``.

The error codes of the gateway's replies are bus.envelope's, bus.refusals'
and `ERRORS` below; the codes of its notices to an agent are `NOTICES`.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import msgspec

from bus.envelope import Catalogue, Event, Message

AgentMode = Literal["logged_out", "not_ready", "ready", "offered", "busy", "wrap_up"]
CallState = Literal["queued", "offered", "dialing", "connected", "held", "consulting",
                    "conference", "external", "ended"]
CallRole = Literal["handler", "consulted"]
OfferKind = Literal["inbound", "transfer", "consult", "outbound"]
EndCause = Literal["caller_hangup", "agent_hangup", "abandoned", "overflow", "transferred",
                   "failure", "rejected", "no_answer", "busy", "gateway_stopped"]
TargetKind = Literal["agent", "queue", "number"]
Direction = Literal["inbound", "outbound"]
ConsultState = Literal["ringing", "connected", "conference"]
NoticeLevel = Literal["info", "warning", "error"]
WithdrawReason = Literal["ring_no_answer", "abandoned", "rejected", "device_failed", "failure", "logged_out"]
ConsultEndReason = Literal["cancelled", "no_answer", "hung_up", "failed"]

# Attached data: a flat mapping of short keys to JSON scalars.
CallData = dict[str, str | int | float | bool | None]


def agent_topic(agent: str) -> str:
    return f"agent/{agent}/"


def queue_topic(queue: str) -> str:
    return f"queue/{queue}/"


def queue_watch_topic(queue: str) -> str:
    """A queue's contacts step by step: for supervisors' watches only, never the agents'."""
    return f"queue_watch/{queue}/"


CALL_TOPIC = "call/"
GATEWAY_TOPIC = "gateway/"

# What events declare as their topics: the topics above, a name in <> standing for any.
AGENT_TOPIC = agent_topic("<agent>")
QUEUE_TOPIC = queue_topic("<queue>")
QUEUE_WATCH_TOPIC = queue_watch_topic("<queue>")
CALL_TOPICS = (AGENT_TOPIC, CALL_TOPIC)  # each agent in the call, and every call's watchers


def on_declared_topic(event: Event, topic: str) -> bool:
    """Whether `event` may be sent on `topic`: one its type declares."""
    for declared in event.topics:
        prefix, any_name, _ = declared.partition("<")
        if topic == declared or (any_name and topic.startswith(prefix) and topic.endswith("/")):
            return True
    return False


# The gateway's own error codes (`ErrorInfo.code`), besides bus.envelope's and bus.refusals'.
ERRORS: Final = {
    "not_logged_in": "this desktop's session is not logged in to the gateway (it restarted, or another "
                     "desktop took the session): log in again",
    "already_logged_in": "the agent is logged in from another desktop: log in with `takeover` to move here",
    "invalid_state": "not possible in the present state of the call or of the agent's work mode",
    "invalid_argument": "a value the gateway refuses (a reason it does not know, a transfer to oneself...)",
    "no_line": "no line is free for a new call now",
    "no_device": "the agent has no phone set in the CRM",
    "device_in_use": "the phone is in use by another agent",
    "unknown_queue": "there is no such queue",
    "missing_skills": "the agent lacks the skills the queue needs",
    "unknown_call": "the gateway no longer has this call",
    "unknown_agent": "the agent named is not logged in",
    "agent_not_ready": "the colleague or the queue has nobody to take a call now",
    "events_refused": "said by the client itself: the gateway did not confirm the session's events",
}
# A supervisor's command (`supervisor.*`) is refused with `session_ended` (not signed in),
# `forbidden` (the agent is outside his org units, or he may not act on agents),
# `unknown_agent` (nobody of that name is logged in: he may have logged off meanwhile),
# `invalid_argument` (a not-ready reason the gateway does not know) or `invalid_state`
# (a call is being offered to the agent: try again in a moment).

# The codes of `AgentNotice.code`, each with the `params` it comes with.
NOTICES: Final = {
    "ring_no_answer": "the agent did not answer an offered call in time and is now Not ready",
    "consult_no_answer": "the agent did not answer a consult call and is now Not ready",
    "phone_unreachable": "the agent's phone could not be reached for a call he dialled; "
                         "params: device, status",
    "phone_failed": "the agent's phone did not take an offered call; he is now Not ready; params: device, status",
    "call_lost": "a call was lost: the SIP worker handling it failed; params: ani, reason",
    "gateway_stopping": "the gateway is stopping and ended the agent's call; params: ani, reason",
    "signed_out": "the agent signed out: his gateway session ended",
    "session_expired": "the agent's session expired: he is logged out",
    "account_disabled": "the agent's account was disabled: he is logged out",
    "password_changed": "the agent's password was changed: he is logged out",
    "session_ended": "the agent's session ended for another reason: he is logged out",
    "supervisor_not_ready": "a supervisor set the agent Not ready; params: supervisor, reason",
    "supervisor_not_ready_after_call": "a supervisor set the agent Not ready once his call ends; "
                                       "params: supervisor, reason",
    "supervisor_logged_off": "a supervisor logged the agent off; params: supervisor",
    "supervisor_log_off_after_call": "a supervisor logs the agent off once his call ends; params: supervisor",
}


# --- views: what replies and events carry ------------------------------------


class Target(msgspec.Struct, kw_only=True):
    kind: TargetKind
    value: str


class ConsultView(msgspec.Struct, kw_only=True):
    target: Target
    state: ConsultState


class CallView(msgspec.Struct, kw_only=True):
    """A call as one agent sees it."""

    call_id: str
    role: CallRole
    state: CallState
    direction: Direction
    ani: str
    dnis: str
    queue: str | None
    waited: float
    offered_at: float | None = None
    answered_at: float | None = None
    held_since: float | None = None
    hold_seconds: float = 0.0
    consult: ConsultView | None = None
    data: CallData = {}


class AgentView(msgspec.Struct, kw_only=True):
    agent: str
    name: str
    mode: AgentMode
    reason: str | None
    since: float
    queues: list[str]
    device: str | None
    pending_mode: AgentMode | None = None
    pending_reason: str | None = None
    wrap_up_until: float | None = None
    calls: list[CallView] = []


class QueueStats(msgspec.Struct, kw_only=True):
    queue: str
    waiting: int
    longest_wait: float
    agents_logged_in: int
    agents_ready: int
    agents_offered: int
    agents_busy: int
    agents_wrap_up: int
    agents_not_ready: int
    entered: int
    answered: int
    abandoned: int
    overflowed: int
    answered_in_service_level: int
    service_level_seconds: float
    service_level: float | None  # answered in time / (answered + abandoned), None before any
    org_units: list[str] = []  # the CRM org unit codes whose supervisors see it; none: its agents' do


class WorkerView(msgspec.Struct, kw_only=True):
    name: str
    state: Literal["starting", "up", "down"]
    pid: int | None
    sip_address: str
    lines: int
    lines_in_use: int
    customer_calls: int
    max_customer_calls: int
    restarts: int


# --- commands ---------------------------------------------------------------


class AgentLogin(Message, tag="agent.login"):
    """The agent's session from the application service (`POST /v1/sessions`), never a
    password: the gateway asks the CRM whose it is, and ends the agent's session here when
    that one ends (signed out, expired, account disabled, password changed)."""

    token: str
    device: str | None = None  # default: the agent's extension in the CRM
    queues: list[str] | None = None  # default: every queue the agent's skills qualify for
    takeover: bool = False
    client: str = ""  # a description of the desktop, shown to a second login


class AgentLogout(Message, tag="agent.logout"):
    session: str


class AgentSetMode(Message, tag="agent.set_mode"):
    session: str
    mode: Literal["ready", "not_ready", "wrap_up"]
    reason: str | None = None


class AgentSnapshot(Message, tag="agent.snapshot"):
    session: str


class CallAccept(Message, tag="call.accept"):
    session: str
    call_id: str


class CallReject(Message, tag="call.reject"):
    session: str
    call_id: str


class CallHangup(Message, tag="call.hangup"):
    session: str
    call_id: str


class CallHold(Message, tag="call.hold"):
    session: str
    call_id: str


class CallRetrieve(Message, tag="call.retrieve"):
    session: str
    call_id: str


class CallTransfer(Message, tag="call.transfer"):
    """Blind transfer: the agent leaves at once."""

    session: str
    call_id: str
    target: Target


class CallConsult(Message, tag="call.consult"):
    session: str
    call_id: str
    target: Target


class CallCompleteTransfer(Message, tag="call.complete_transfer"):
    session: str
    call_id: str


class CallConference(Message, tag="call.conference"):
    session: str
    call_id: str


class CallCancelConsult(Message, tag="call.cancel_consult"):
    session: str
    call_id: str


class CallDtmf(Message, tag="call.dtmf"):
    session: str
    call_id: str
    digits: str


class CallDial(Message, tag="call.dial"):
    session: str
    number: str
    caller_id: str | None = None
    data: CallData = {}


class CallSetData(Message, tag="call.set_data"):
    session: str
    call_id: str
    data: CallData
    replace: bool = False


class CallGetData(Message, tag="call.get_data"):
    session: str
    call_id: str


class GatewayStatus(Message, tag="gateway.status"):
    """The operator's (a client with the gateway's own key: `cicada gateway status`), or a
    supervisor's, with his session: then only the agents he may watch."""

    token: str = ""


class WatchEvents(Message, tag="events.watch"):
    """Events for a session that is not an agent's desktop: a supervisor's (the agents of his
    org units), or another connection of an agent (his own, e.g. `cicada phone`)."""

    token: str


class SupervisorBroadcast(Message, tag="supervisor.broadcast"):
    """A supervisor's message to the desktops of the agents of his org units logged in: all of
    them, a queue's, a team's or one agent; the gateway checks the session and the user's
    permission in the CRM."""

    token: str  # the supervisor's session from the application service
    text: str
    queue: str | None = None
    agent: str | None = None  # to this one agent only (one of the supervisor's org units)
    team: str | None = None  # to the agents of this org unit (its code) and of the units below it


class SupervisorNotReady(Message, tag="supervisor.not_ready"):
    """A supervisor sets an agent of his org units Not ready with a reason. An agent on a call
    keeps it: the change applies when it ends, as the agent's own pending mode does."""

    token: str  # the supervisor's CRM session
    agent: str
    reason: str  # one of the gateway's not-ready reasons (LoginResult.not_ready_reasons)


class SupervisorLogOff(Message, tag="supervisor.log_off"):
    """A supervisor logs an agent of his org units off; an agent on a call is logged off when
    it ends (and his wrap-up with it)."""

    token: str
    agent: str


COMMANDS: Catalogue[Message] = Catalogue("CTI command", [
    AgentLogin, AgentLogout, AgentSetMode, AgentSnapshot,
    CallAccept, CallReject, CallHangup, CallHold, CallRetrieve, CallTransfer, CallConsult,
    CallCompleteTransfer, CallConference, CallCancelConsult, CallDtmf, CallDial,
    CallSetData, CallGetData, GatewayStatus, WatchEvents, SupervisorBroadcast,
    SupervisorNotReady, SupervisorLogOff,
])


# --- reply bodies -----------------------------------------------------------


class LoginResult(msgspec.Struct, kw_only=True):
    session: str
    state: AgentView
    run: str
    seq: int
    not_ready_reasons: list[str] = []  # the reasons AgentSetMode accepts
    events_key: str = ""  # what this desktop's event socket presents (bus.delivery)


class WatchResult(msgspec.Struct, kw_only=True):
    events_key: str
    run: str
    seq: int


class SnapshotResult(msgspec.Struct, kw_only=True):
    """The agent's state now; events with a higher `seq` (same `run`) came after it."""

    state: AgentView
    run: str
    seq: int


class DialResult(msgspec.Struct, kw_only=True):
    call_id: str


class BroadcastResult(msgspec.Struct, kw_only=True):
    agents: list[str]  # whose desktops it went to


class AgentActionResult(msgspec.Struct, kw_only=True):
    """What a supervisor's command did to the agent."""

    agent: str
    done: bool  # False: it applies when the agent's call ends
    state: AgentView | None = None  # None once he is logged off


class DataResult(msgspec.Struct, kw_only=True):
    call_id: str
    data: CallData


class StatusResult(msgspec.Struct, kw_only=True):
    run: str
    started_at: float
    sip_address: str
    front: Literal["kamailio", "worker", "workers"]
    workers: list[WorkerView]
    queues: list[QueueStats]
    agents: list[AgentView]
    records_healthy: bool
    records_backlog: int
    records_error: str | None = None
    spool_unwritten: int = 0  # records in the gateway's local spool the database does not have yet
    front_running: bool | None = None  # Kamailio, where it is in front; None: no Kamailio
    logins_refused: int = 0  # refused unread by the login guard since the start
    locked_accounts: list[str] = []  # locked for everyone after failed logins
    not_ready_reasons: list[str] = []  # the reasons AgentSetMode and SupervisorNotReady accept


# --- events -----------------------------------------------------------------


class AgentStateChanged(Event, tag="agent.state"):
    topics = (AGENT_TOPIC,)

    state: AgentView


class AgentNotice(Event, tag="agent.message"):
    """A message for the agent: `code` and `params` let the desktop say it in
    the agent's language; `text` is the English for desktops that do not know
    the code."""

    topics = (AGENT_TOPIC,)

    agent: str
    level: NoticeLevel
    text: str
    code: str = ""  # one of NOTICES
    params: dict[str, str | int | float | None] = {}


class AgentBroadcast(Event, tag="agent.broadcast"):
    """A supervisor's message, for the desktop's message area."""

    topics = (AGENT_TOPIC,)

    agent: str
    sender: str  # the supervisor's user name
    sender_name: str
    text: str
    sent_at: float
    queue: str | None = None  # sent to the agents of this queue; None: to everyone


class AgentSessionEnded(Event, tag="agent.session_ended"):
    topics = (AGENT_TOPIC,)

    agent: str
    session: str
    reason: str


class CallOffered(Event, tag="call.offered"):
    topics = CALL_TOPICS

    call_id: str
    agent: str
    kind: OfferKind
    ani: str
    dnis: str
    queue: str | None
    waited: float
    ring_timeout: float
    offered_by: str | None = None
    data: CallData = {}


class CallAccepted(Event, tag="call.accepted"):
    """The agent accepted in the desktop: a softphone may answer now."""

    topics = CALL_TOPICS

    call_id: str
    agent: str


class CallOfferWithdrawn(Event, tag="call.offer_withdrawn"):
    topics = CALL_TOPICS

    call_id: str
    agent: str
    reason: WithdrawReason


class CallAnswered(Event, tag="call.answered"):
    topics = CALL_TOPICS

    call_id: str
    agent: str
    waited: float
    call: CallView


class CallHeld(Event, tag="call.held"):
    topics = CALL_TOPICS

    call_id: str
    agent: str


class CallRetrieved(Event, tag="call.retrieved"):
    topics = CALL_TOPICS

    call_id: str
    agent: str


class ConsultStarted(Event, tag="call.consult_started"):
    topics = CALL_TOPICS

    call_id: str
    agent: str
    target: Target


class ConsultConnected(Event, tag="call.consult_connected"):
    topics = CALL_TOPICS

    call_id: str
    agent: str
    target: Target


class ConsultEnded(Event, tag="call.consult_ended"):
    topics = CALL_TOPICS

    call_id: str
    agent: str
    reason: ConsultEndReason


class CallTransferred(Event, tag="call.transferred"):
    topics = CALL_TOPICS

    call_id: str
    agent: str
    target: Target
    attended: bool


class CallConferenced(Event, tag="call.conferenced"):
    topics = CALL_TOPICS

    call_id: str
    agents: list[str]
    external: str | None = None


class CallDataChanged(Event, tag="call.data_changed"):
    topics = CALL_TOPICS

    call_id: str
    data: CallData
    by: str | None = None


class CallDtmfReceived(Event, tag="call.dtmf_received"):
    topics = CALL_TOPICS

    call_id: str
    digit: str


class CallEnded(Event, tag="call.ended"):
    topics = CALL_TOPICS

    call_id: str
    agent: str | None
    cause: EndCause
    talk_seconds: float
    hold_seconds: float
    waited: float


class QueueStatsChanged(Event, tag="queue.stats"):
    topics = (QUEUE_TOPIC,)

    stats: QueueStats


QueueStep = Literal["entered", "answered", "abandoned", "overflowed", "ended", "wrapped_up"]


class QueueContactStep(Event, tag="queue.contact"):
    """One contact's step through a queue, as the gateway writes it to the CRM's queue events
    (same time, same wait, same handle time), so that the console's "today" counts what a
    report over the CRM counts (crm/reports/definitions.py). `step` is the queue event's kind:
    `ended` for every end (after an answer too); `wrapped_up`: the answering agent's wrap-up
    ended, `handle_seconds` being his talk (holds included) and wrap-up."""

    topics = (QUEUE_WATCH_TOPIC,)

    queue: str
    contact_id: str
    step: QueueStep
    at: float  # seconds since the epoch
    waited: float = 0.0  # seconds in this queue (answered, abandoned, overflowed, ended)
    handle_seconds: float = 0.0  # wrapped_up


class WorkerStateChanged(Event, tag="gateway.worker"):
    topics = (GATEWAY_TOPIC,)

    worker: WorkerView
    calls_lost: int = 0
    reason: str = ""


class GatewayHeartbeat(Event, tag="gateway.heartbeat"):
    topics = (GATEWAY_TOPIC,)

    run: str
    started_at: float
    records_healthy: bool
    workers_up: int
    workers: int


EVENTS: Catalogue[Message] = Catalogue("CTI event", [
    AgentStateChanged, AgentNotice, AgentSessionEnded, AgentBroadcast,
    CallOffered, CallAccepted, CallOfferWithdrawn, CallAnswered, CallHeld, CallRetrieved,
    ConsultStarted, ConsultConnected, ConsultEnded, CallTransferred, CallConferenced,
    CallDataChanged, CallDtmfReceived, CallEnded, QueueStatsChanged, QueueContactStep, WorkerStateChanged,
    GatewayHeartbeat,
])


def to_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
