"""Call legs in a SIP worker: pjsua2 calls and where their audio goes.

Every method here runs on the worker's one pjsua2 thread, except the
callbacks that pjsua2 makes from its media threads (`onDtmfDigit`, a
player's `onEof2`): those only append to the worker's inbox, which the
worker's loop handles on its own thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pjsua2 as pj

from cti_gateway.sip.endpoint import active_audio

if TYPE_CHECKING:
    from cti_gateway.sip.worker import Worker

log = logging.getLogger(__name__)


class Announcement(pj.AudioMediaPlayer):
    """A playlist played once to one leg; its end is reported through the inbox."""

    def __init__(self, worker: Worker, leg_id: str, then: str, music: str | None):
        super().__init__()
        self.worker, self.leg_id, self.then, self.music = worker, leg_id, then, music
        self.done = False

    def onEof2(self):  # a media thread: only note it
        if not self.done:
            self.done = True
            self.worker.inbox.append(("announcement_done", self.leg_id, self))
            self.worker.wake()


class LegCall(pj.Call):
    """One SIP call of the worker, named by the gateway's leg id."""

    def __init__(self, worker: Worker, leg_id: str, *, incoming: bool, call_id=None):
        if call_id is None:
            super().__init__(worker.account)
        else:
            super().__init__(worker.account, call_id)
        self.worker = worker
        self.leg_id = leg_id
        self.incoming = incoming
        self.customer = incoming  # counts against the worker's customer calls
        self.confirmed = False
        self.ended = False
        self.hung_up_here = False
        self.refer_pending = False
        self.media: pj.AudioMedia | None = None
        self.connect_to: str | None = None  # dialled legs: join this leg once answered
        # Where the leg's audio goes: ("music", file) / ("announce", player) /
        # ("connected", None) / ("silence", None).
        self.route: tuple[str, object] = ("silence", None)
        self.peers: set[str] = set()
        self.music_source: pj.AudioMediaPlayer | None = None

    # --- pjsua2 callbacks (SIP: the worker's own thread) -------------------------------------

    def onCallState(self, prm):
        info = self.getInfo()
        state = info.state
        if state == pj.PJSIP_INV_STATE_EARLY and not self.incoming:
            self.worker.report_ringing(self)
        elif state == pj.PJSIP_INV_STATE_CONFIRMED and not self.confirmed:
            self.confirmed = True
            if not self.incoming:
                self.worker.report_answered(self)
        elif state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.ended = True
            self.worker.leg_gone(self, info.lastStatusCode, info.lastReason)

    def onCallMediaState(self, prm):
        self.media = active_audio(self)
        if self.media is not None:
            self.worker.media_ready(self)

    def onCallTransferStatus(self, prm):
        if prm.finalNotify or prm.statusCode >= 200:
            if self.refer_pending:
                self.refer_pending = False
                self.worker.report_refer(self, 200 <= prm.statusCode < 300, prm.statusCode)
            prm.cont = False

    def onCallTransferRequest(self, prm):
        # A phone asking the gateway to transfer: refused, transfers go
        # through the agent's desktop so that the ACD knows about them.
        prm.statusCode = 603

    # --- media threads -----------------------------------------------------------------------

    def onDtmfDigit(self, prm):
        self.worker.inbox.append(("dtmf", self.leg_id, prm.digit))
        self.worker.wake()
