"""`cicada phone`: a minimal softphone for an agent without a SIP phone.

It listens at the agent's device address and follows the gateway's events
for the agent: a call the gateway offers rings here, and is answered as
soon as the agent accepts it in the desktop (or at once when the agent
dialled out). With `--login` it also stands in for a desktop: it logs the
agent in, goes Ready and accepts every offer itself, which is enough to
take calls on a machine with no desktop yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pjsua2 as pj

from bus import cti
from cti_gateway.client import CtiClient
from cti_gateway.sip.endpoint import SipEndpoint, active_audio, answer, hangup
from cti_gateway.sip.sipmsg import display_name, headers, uri_user

POLL_MS = 20
ACCEPTS_REMEMBERED = 60.0  # an accept may arrive before the phone rings


class PhoneCall(pj.Call):
    def __init__(self, account, phone: Softphone, call_id: int, cicada_call: str | None,
                 caller: str, auto: bool):
        super().__init__(account, call_id)
        self.phone = phone
        self.cicada_call = cicada_call
        self.caller = caller
        self.auto = auto
        self.answered = False
        self.ended = False
        self.hung_up_here = False

    def onCallState(self, prm):
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.phone.say(f"talking to {self.caller}")
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.ended = True
            who = "hung up" if self.hung_up_here else "the other side hung up"
            self.phone.say(f"call ended: {who} ({info.lastStatusCode} {info.lastReason})")

    def onCallMediaState(self, prm):
        media = active_audio(self)
        if media is not None:
            self.phone.media_ready(self, media)


class PhoneAccount(pj.Account):
    def __init__(self, phone: Softphone):
        super().__init__()
        self.phone = phone

    def onIncomingCall(self, prm):
        self.phone.ringing(self, prm)


class Softphone:
    def __init__(self, *, agent: str, host: str, port: int, commands: str, events: str,
                 server_key: bytes | str, token: str | None = None, auto_answer: bool = False, record_dir: Path | None = None,
                 play: Path | None = None, echo: Callable[[str], None] = print):
        self.agent = agent
        self.host, self.port = host, port
        self.auto_answer = auto_answer
        self.record_dir, self.play = record_dir, play
        self.say = echo
        self.client = CtiClient(commands, events, server_key=server_key)
        self.token = token  # the agent's session: his events tell the phone which calls he accepted
        self.calls: list[PhoneCall] = []
        self.accepted: dict[str, float] = {}
        self.players: dict[PhoneCall, object] = {}
        self.stopping = False
        self.desktop: StandInDesktop | None = None

    @property
    def address(self) -> str:
        return f"sip:{self.agent}@{self.host}:{self.port}"

    def run(self, until: Callable[[], bool] = lambda: False,
            login: tuple[str, list[str] | None] | None = None) -> None:
        """Take calls until `until()` is true or the phone is stopped; with
        `login` (the agent's session token, queues) stand in for the agent's desktop too."""
        sip = SipEndpoint(self.host, self.port, user=self.agent, requested_calls=4,
                          user_agent="Cicada softphone")
        self.account = PhoneAccount(self)
        self.account.create(sip.account_config)
        self.say(f"phone {self.address} is on; waiting for calls")
        try:
            if login is not None:
                self.desktop = StandInDesktop(self, *login)
            elif self.token:
                self.client.watch(self.token)
            while not self.stopping and not until():
                sip.poll(POLL_MS)
                self._follow_events()
                self._answer_accepted()
                self._drop_ended()
        finally:
            self._hang_up_all(sip)
            if self.desktop is not None:
                self.desktop.logout()
            self.calls.clear()
            self.players.clear()
            self.account = None
            sip.destroy()
            self.client.close()

    def _hang_up_all(self, sip: SipEndpoint) -> None:
        """Hang up the calls still up and give them a second to end. In a function of its own:
        a call still named by a variable of run() would be deleted after sip.destroy(), and
        pjsua2 aborts the process then."""
        for call in self.calls:
            if not call.ended:
                hangup(call)
        deadline = time.monotonic() + 1
        while any(not c.ended for c in self.calls) and time.monotonic() < deadline:
            sip.poll(POLL_MS)

    # --- SIP ------------------------------------------------------------------------------------

    def ringing(self, account: PhoneAccount, prm) -> None:
        _, found = headers(prm.rdata.wholeMsg)
        cicada_call = (found.get("x-cicada-call-id") or [None])[0]
        outbound = (found.get("x-cicada-direction") or [""])[0] == "outbound"
        auto = self.auto_answer or outbound or "answer-after=0" in " ".join(found.get("call-info", []))
        sender = (found.get("from") or [""])[0]
        caller = display_name(sender) or uri_user(sender) or "unknown"
        call = PhoneCall(account, self, prm.callId, cicada_call, caller, auto)
        self.calls.append(call)
        answer(call, 180)
        self.say(f"ringing: {caller}" + (f" (call {cicada_call})" if cicada_call else ""))

    def _answer_accepted(self) -> None:
        now = time.monotonic()
        for call_id, at in list(self.accepted.items()):
            if now - at > ACCEPTS_REMEMBERED:
                del self.accepted[call_id]
        for call in self.calls:
            if call.answered or call.ended:
                continue
            if call.auto or (call.cicada_call and call.cicada_call in self.accepted):
                call.answered = True
                answer(call, 200)
                self.say("answered")

    def _drop_ended(self) -> None:
        for call in [c for c in self.calls if c.ended]:
            self.calls.remove(call)
            self.players.pop(call, None)

    def media_ready(self, call: PhoneCall, media) -> None:
        if call in self.players:
            return
        objects = []
        if self.play:
            player = pj.AudioMediaPlayer()
            player.createPlayer(str(self.play), 0)
            player.startTransmit(media)
            objects.append(player)
        if self.record_dir:
            recorder = pj.AudioMediaRecorder()
            name = f"{call.cicada_call or 'call'}-{int(time.time())}.wav"
            recorder.createRecorder(str(self.record_dir / name))
            media.startTransmit(recorder)
            objects.append(recorder)
        self.players[call] = objects

    # --- the gateway's events ------------------------------------------------------------------------

    def _follow_events(self) -> None:
        while (got := self.client.next_event(0)) is not None:
            event = got[1]
            if isinstance(event, cti.CallAccepted) and event.agent == self.agent:
                self.accepted[event.call_id] = time.monotonic()
            elif isinstance(event, cti.CallOffered) and event.agent == self.agent:
                self.say(f"offered: call {event.call_id} from {event.ani} to {event.dnis}"
                         + (f" in queue {event.queue}" if event.queue else ""))
                if self.desktop:
                    self.desktop.accept(event.call_id)
            elif isinstance(event, cti.CallOfferWithdrawn) and event.agent == self.agent:
                self.say(f"offer withdrawn ({event.reason})")
            elif isinstance(event, cti.AgentStateChanged):
                state = event.state
                self.say(f"agent {state.agent}: {state.mode}" + (f" ({state.reason})" if state.reason else ""))
            elif isinstance(event, cti.AgentNotice):
                self.say(f"message: {event.text}")
            elif isinstance(event, cti.AgentSessionEnded) and self.desktop \
                    and event.session == self.desktop.session:
                self.say(f"logged out: {event.reason}")
                self.desktop = None


class StandInDesktop:
    """What `--login` adds: the agent's session, Ready, and every offer accepted."""

    def __init__(self, phone: Softphone, token: str, queues: list[str] | None):
        self.phone = phone
        result = phone.client.login(token, device=phone.address, queues=queues,
                                    client=f"cicada phone at {phone.address}")
        self.session = result.session
        phone.say(f"logged in to queues {', '.join(result.state.queues) or '(none)'}")
        phone.client.set_mode("ready")

    def accept(self, call_id: str) -> None:
        try:
            self.phone.client.command(cti.CallAccept, call_id=call_id)
        except Exception as exc:  # the offer may already be gone
            self.phone.say(f"could not accept call {call_id}: {exc}")

    def logout(self) -> None:
        try:
            self.phone.client.command(cti.AgentLogout)
            self.phone.say("logged out")
        except Exception as exc:
            self.phone.say(f"logout failed: {exc}")
