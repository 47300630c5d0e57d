"""What the gateway and its SIP worker processes say to each other.

Each worker connects a DEALER socket (identity: its name) to the gateway's
ROUTER. The gateway sends orders about call legs; the worker reports what
happens to them. Orders are not answered one by one: their outcome arrives
as reports (a dialled leg is answered or fails, a hung-up leg ends), and an
order that cannot be carried out comes back as `OrderFailed`.

A leg is one SIP call of the worker: the customer's call into the gateway,
or a call the gateway placed (to an agent's phone, a consulted party, an
external number). Legs are named by the side that created them: the worker
for incoming legs, the gateway for the legs it dials.
"""

from __future__ import annotations

from typing import Literal

from bus.envelope import Catalogue, Message


class Announcement(Message, tag="announcement"):
    """What to say; the worker turns it into prompt files."""

    kind: Literal["welcome", "position", "closing", "goodbye"]
    language: str
    position: int | None = None
    expected_wait: float | None = None


# --- orders: gateway to worker ------------------------------------------------


class Answer(Message, tag="answer"):
    leg: str


class Reject(Message, tag="reject"):
    leg: str
    code: int
    reason: str = ""


class Hangup(Message, tag="hangup"):
    leg: str


class PlayMusic(Message, tag="play_music"):
    leg: str
    music: str | None = None  # a WAV file; None: the gateway's default music


class Announce(Message, tag="announce"):
    leg: str
    announcement: Announcement
    then: Literal["music", "hangup", "silence"]
    music: str | None = None


class Dial(Message, tag="dial"):
    leg: str
    uri: str
    caller_id: str | None = None  # the user part of From
    headers: dict[str, str] = {}
    connect_to: str | None = None  # connect to this leg as soon as answered


class Connect(Message, tag="connect"):
    """Join these legs' audio, all to all; each leaves music or other bridges."""

    legs: list[str]


class Isolate(Message, tag="isolate"):
    """The leg hears nothing and is heard by nobody."""

    leg: str


class SendDtmf(Message, tag="send_dtmf"):
    leg: str
    digits: str


class Refer(Message, tag="refer"):
    leg: str
    uri: str


class Shutdown(Message, tag="shutdown"):
    pass


ORDERS: Catalogue[Message] = Catalogue("SIP worker order", [
    Answer, Reject, Hangup, PlayMusic, Announce, Dial, Connect, Isolate, SendDtmf, Refer, Shutdown,
])


# --- reports: worker to gateway -----------------------------------------------


class Hello(Message, tag="hello"):
    worker: str
    pid: int
    lines: int  # calls this pjsua2 build holds at once
    sip_address: str


class Heartbeat(Message, tag="heartbeat"):
    worker: str
    legs: int


class Incoming(Message, tag="incoming"):
    leg: str
    ani: str
    dnis: str
    x_queue: str | None
    source: str
    sip_call_id: str
    display_name: str = ""


class LegRinging(Message, tag="leg_ringing"):
    leg: str


class LegAnswered(Message, tag="leg_answered"):
    leg: str


class LegFailed(Message, tag="leg_failed"):
    """A dialled leg that never answered."""

    leg: str
    code: int
    reason: str


class LegEnded(Message, tag="leg_ended"):
    """An established leg (or an incoming one not yet answered) is gone."""

    leg: str
    code: int
    reason: str
    by_remote: bool


class DtmfReceived(Message, tag="dtmf_received"):
    leg: str
    digit: str


class AnnouncementDone(Message, tag="announcement_done"):
    leg: str


class ReferDone(Message, tag="refer_done"):
    leg: str
    ok: bool
    code: int


class OrderFailed(Message, tag="order_failed"):
    order: str
    leg: str | None
    error: str


REPORTS: Catalogue[Message] = Catalogue("SIP worker report", [
    Hello, Heartbeat, Incoming, LegRinging, LegAnswered, LegFailed, LegEnded, DtmfReceived,
    AnnouncementDone, ReferDone, OrderFailed,
])
