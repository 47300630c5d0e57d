"""`cicada call`: a customer's call into the gateway, for demos and manual tests.

Places one real SIP call from ANI to DNIS, sends DTMF if asked, stays on the
line for a while (hearing the queue's announcements and music, then the
agent), and hangs up. Optionally plays a WAV file into the call and records
what it hears.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pjsua2 as pj

from cti_gateway.sip.endpoint import SipEndpoint, active_audio, call_param, hangup

POLL_MS = 20


@dataclass
class CallOutcome:
    answered: bool
    code: int
    reason: str
    talk_seconds: float
    ended_by_far_end: bool


class CustomerCall(pj.Call):
    def __init__(self, account, caller: Caller):
        super().__init__(account)
        self.caller = caller
        self.answered_at: float | None = None
        self.ended = False
        self.code, self.reason = 0, ""
        self.media = None

    def onCallState(self, prm):
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_EARLY:
            self.caller.say(f"ringing ({info.lastStatusCode} {info.lastReason})")
        elif info.state == pj.PJSIP_INV_STATE_CONFIRMED and self.answered_at is None:
            self.answered_at = time.monotonic()
            self.caller.say("answered")
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.ended = True
            self.code, self.reason = info.lastStatusCode, info.lastReason
            self.media = None

    def onCallMediaState(self, prm):
        self.media = active_audio(self)
        if self.media is not None:
            self.caller.media_ready(self.media)


class Caller:
    def __init__(self, *, ani: str, dnis: str, gateway: str, hold_for: float,
                 dtmf: str | None = None, dtmf_after: float = 2.0, x_queue: str | None = None,
                 play: Path | None = None, record: Path | None = None,
                 bind_host: str = "127.0.0.1", echo=print):
        self.ani, self.dnis, self.gateway = ani, dnis, gateway
        self.hold_for, self.dtmf, self.dtmf_after = hold_for, dtmf, dtmf_after
        self.x_queue, self.play, self.record = x_queue, play, record
        self.bind_host = bind_host
        self.say = echo
        self.player = self.recorder = None

    def run(self) -> CallOutcome:
        sip = SipEndpoint(self.bind_host, _free_udp_port(self.bind_host), user=self.ani,
                          requested_calls=4, user_agent="Cicada test caller")
        account = pj.Account()
        account.create(sip.account_config)
        call = CustomerCall(account, self)
        try:
            return self._place(sip, call)
        finally:
            self.player = self.recorder = None  # a recorder finishes its file when dropped
            call = None
            account = None
            sip.destroy()

    def _place(self, sip: SipEndpoint, call: CustomerCall) -> CallOutcome:
        headers = {"X-Queue": self.x_queue} if self.x_queue else {}
        self.say(f"calling {self.dnis} at {self.gateway} from {self.ani}")
        call.makeCall(f"sip:{self.dnis}@{self.gateway}", call_param(headers))
        sent_dtmf = False
        while not call.ended:
            sip.poll(POLL_MS)
            if call.answered_at is None:
                continue
            talked = time.monotonic() - call.answered_at
            if self.dtmf and not sent_dtmf and talked >= self.dtmf_after:
                sent_dtmf = True
                self._send_dtmf(call)
            if talked >= self.hold_for:
                self.say(f"hanging up after {self.hold_for:g} s")
                hangup(call)
                while not call.ended:
                    sip.poll(POLL_MS)
                return self._outcome(call, by_far_end=False)
        return self._outcome(call, by_far_end=True)

    def _send_dtmf(self, call: CustomerCall) -> None:
        try:
            call.dialDtmf(self.dtmf)
            self.say(f"sent DTMF {self.dtmf}")
        except pj.Error as exc:
            self.say(f"could not send DTMF: {exc.info()}")

    def _outcome(self, call: CustomerCall, *, by_far_end: bool) -> CallOutcome:
        talk = time.monotonic() - call.answered_at if call.answered_at else 0.0
        if call.answered_at is None:
            self.say(f"not answered: {call.code} {call.reason}")
        elif by_far_end:
            self.say(f"the gateway hung up after {talk:.1f} s ({call.code} {call.reason})")
        return CallOutcome(call.answered_at is not None, call.code, call.reason, talk, by_far_end)

    def media_ready(self, media) -> None:
        if self.play and self.player is None:
            self.player = pj.AudioMediaPlayer()
            self.player.createPlayer(str(self.play), 0)
            self.player.startTransmit(media)
        if self.record and self.recorder is None:
            self.recorder = pj.AudioMediaRecorder()
            self.recorder.createRecorder(str(self.record))
            media.startTransmit(self.recorder)


def _free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
