"""A SIP worker process: one pjsua2 endpoint, its call legs, and the orders
it takes from the gateway.

Run by the gateway's worker pool as ``python -m cti_gateway.sip.worker``.
One thread does everything pjsua2 needs (pjsua2 aborts the process when
touched from a thread it does not know): it polls pjsua2 for a few
milliseconds, then handles the gateway's orders and what pjsua2's media
threads left in the inbox, and sends its reports. The worker holds as many
calls as its pjsua2 build allows (four for the PyPI wheel) and says so in
its Hello, so the gateway can size its pool.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import logging
import os
import signal
import sys
import time

import pjsua2 as pj
import zmq

from bus import sipworker as msg
from bus.curve import make_client
from bus.envelope import BadMessage, encode
from bus.limits import limit_service_socket
from cti_gateway import prompts
from cti_gateway.sip.endpoint import SipEndpoint, answer, call_param, calls_in_use, hangup
from cti_gateway.sip.legs import Announcement, LegCall
from cti_gateway.sip.pool import WORKER_KEY_VARIABLE, worker_keypair_from_environment
from cti_gateway.sip.sipmsg import TrustedSources, escape_user, read_invite

log = logging.getLogger("cicada.sipworker")

POLL_MS = 10  # where the SIP socket cannot be waited on: poll pjsua2 this often
# Waiting on the SIP socket, the gateway's orders and the media threads' wake-ups, the
# loop still looks at pjsua2's timers (retransmissions, jobs posted by its threads) this often:
TIMER_MS_IN_CALLS = 20
TIMER_MS_IDLE = 200
HEARTBEAT_SECONDS = 1.0
INCOMING_ANSWER_TIMEOUT = 8.0  # the gateway decides within this, or the caller gets 503
# A dial waits this long for a line that a call being refused or ending still holds (the
# gateway may not know of it yet); then it fails with 503.
DIAL_WAIT_SECONDS = 2.0
PR_SET_PDEATHSIG = 1


class Worker:
    def __init__(self, args: argparse.Namespace):
        self.name = args.name
        self.host, port = args.sip.rsplit(":", 1)
        self.port = int(port)
        self.trusted = TrustedSources(args.trusted)
        self.lines_per_call = args.lines_per_call
        self.requested_lines = args.lines
        self.rtp_ports = args.rtp_ports
        self.music_cache = args.music_cache
        self.inbox: collections.deque = collections.deque()
        self.legs: dict[str, LegCall] = {}
        self.refused: list[LegCall] = []  # 403/486 answers, kept until pjsua2 is done with them
        self.graveyard: list = []  # players and unplaced calls to drop on this thread, after callbacks
        self.pending_incoming: dict[str, float] = {}
        self.waiting_dials: collections.deque[tuple[float, msg.Dial]] = collections.deque()
        self.music_players: dict[str, pj.AudioMediaPlayer] = {}
        self.incoming_seq = 0
        self.stopping = False
        keypair = worker_keypair_from_environment()
        if not args.control_key or keypair is None:
            raise SystemExit("cicada-sip-worker: the gateway starts its workers with --control-key "
                             f"and {WORKER_KEY_VARIABLE}; the link to it is never in clear")
        self.context = zmq.Context()
        self.control = self.context.socket(zmq.DEALER)
        self.control.setsockopt(zmq.IDENTITY, self.name.encode())
        limit_service_socket(self.control)
        self.control.setsockopt(zmq.LINGER, 1000)  # the last reports reach the gateway
        make_client(self.control, args.control_key.encode("ascii"), keypair)
        self.control.connect(args.control)
        self.wake_reader, self.wake_writer = os.pipe()
        os.set_blocking(self.wake_reader, False)
        os.set_blocking(self.wake_writer, False)
        self.poller: zmq.Poller | None = None

    # --- life ------------------------------------------------------------------------------------

    def run(self) -> None:
        self._start_endpoint()
        self.send(msg.Hello(worker=self.name, pid=os.getpid(), lines=self.lines,
                            sip_address=f"{self.host}:{self.port}"))
        log.info("%s: SIP on %s:%d, %d lines, %d customer calls", self.name, self.host, self.port,
                 self.lines, self.max_customer_calls)
        next_beat = 0.0
        try:
            while not self.stopping:
                self._wait_for_work()
                self._handle_inbox()
                self._handle_orders()
                self._expire_pending_incoming()
                self._dial_waiting()
                self.graveyard.clear()
                now = time.monotonic()
                if now >= next_beat:
                    next_beat = now + HEARTBEAT_SECONDS
                    self.send(msg.Heartbeat(worker=self.name, legs=len(self.legs)))
        finally:
            self._stop_endpoint()

    def wake(self) -> None:
        """From a media thread: something is in the inbox."""
        try:
            os.write(self.wake_writer, b"!")
        except OSError:
            pass  # the pipe is full of wake-ups already, or closed at shutdown

    def _wait_for_work(self) -> None:
        """Sleep until a SIP message, an order or a wake-up arrives, or pjsua2's timers are due;
        idle workers then cost almost nothing, and nothing waits for a polling interval."""
        if self.poller is None:
            self.endpoint.libHandleEvents(POLL_MS)
            return
        ready = dict(self.poller.poll(TIMER_MS_IN_CALLS if self.legs else TIMER_MS_IDLE))
        if self.wake_reader in ready:
            try:
                while os.read(self.wake_reader, 4096):
                    pass
            except BlockingIOError:
                pass
        for _ in range(256):  # every message waiting, then the due timers; bounded
            if self.endpoint.libHandleEvents(0) <= 0:
                break

    def _start_endpoint(self) -> None:
        self.sip = SipEndpoint(self.host, self.port, user="cicada", rtp_ports=self.rtp_ports,
                               requested_calls=self.requested_lines, user_agent="Cicada gateway")
        self.endpoint = self.sip.endpoint
        self.lines = self.sip.lines
        self.max_customer_calls = max(1, self.lines // self.lines_per_call)
        self.account = WorkerAccount(self)
        self.account.create(self.sip.account_config)
        sip_fd = self.sip.socket_fd()
        if sip_fd is not None:
            self.poller = zmq.Poller()
            self.poller.register(sip_fd, zmq.POLLIN)
            self.poller.register(self.control, zmq.POLLIN)
            self.poller.register(self.wake_reader, zmq.POLLIN)
        else:
            log.info("%s: cannot wait on the SIP socket here; polling every %d ms", self.name, POLL_MS)

    def _stop_endpoint(self) -> None:
        try:
            self._hang_up_all()
            deadline = time.monotonic() + 1.0
            while self.legs and time.monotonic() < deadline:
                self.endpoint.libHandleEvents(POLL_MS)
        finally:
            self.legs.clear()
            self.refused.clear()
            self.graveyard.clear()
            self.music_players.clear()
            self.account = None
            self.sip.destroy()
            self.control.close()
            self.context.term()
            os.close(self.wake_reader)
            os.close(self.wake_writer)

    def _hang_up_all(self) -> None:
        """A function of its own: no variable may keep a leg past the endpoint's end."""
        for leg in list(self.legs.values()):
            self._hangup(leg, 503, "Service stopping")

    def stop(self, *_args) -> None:
        self.stopping = True

    # --- reports -----------------------------------------------------------------------------------

    def send(self, report: msg.Message) -> None:
        try:
            self.control.send(encode(report), zmq.NOBLOCK)
        except zmq.Again:
            log.warning("%s: the gateway is not reading; report %s dropped", self.name,
                        report.__struct_config__.tag)

    def report_ringing(self, leg: LegCall) -> None:
        self.send(msg.LegRinging(leg=leg.leg_id))

    def report_answered(self, leg: LegCall) -> None:
        self.send(msg.LegAnswered(leg=leg.leg_id))
        if leg.connect_to and leg.connect_to in self.legs:
            self.connect([leg.leg_id, leg.connect_to])

    def report_refer(self, leg: LegCall, ok: bool, code: int) -> None:
        self.send(msg.ReferDone(leg=leg.leg_id, ok=ok, code=code))

    def leg_gone(self, leg: LegCall, code: int, reason: str) -> None:
        """pjsua2 says the call is over: forget its media, tell the gateway.

        The worker lets go of the leg here, in its DISCONNECTED callback, so that it is
        destroyed before the callback returns: a pjsua2 Call keeps its slot number after its
        call ended, and destroyed once pjsua has given the slot to a new call (another message
        in the same poll), it would unregister that call and hang it up."""
        if leg in self.refused:
            self.refused.remove(leg)
            return
        self._forget_audio(leg)
        self.pending_incoming.pop(leg.leg_id, None)
        if self.legs.get(leg.leg_id) is leg:
            del self.legs[leg.leg_id]
        if leg.confirmed or leg.incoming:
            self.send(msg.LegEnded(leg=leg.leg_id, code=code, reason=reason,
                                   by_remote=not leg.hung_up_here))
        else:
            self.send(msg.LegFailed(leg=leg.leg_id, code=code or 500, reason=reason))

    # --- incoming calls ----------------------------------------------------------------------------

    def incoming(self, call_id: int, rdata) -> None:
        source = rdata.srcAddress
        if not self.trusted.allows(source):
            log.warning("%s: refused a call from %s: not a trusted trunk", self.name, source)
            self._refuse(call_id, 403, "Forbidden")
            return
        customers = sum(1 for leg in self.legs.values() if leg.customer)
        if customers >= self.max_customer_calls:
            log.info("%s: refused a call: %d customer calls already", self.name, customers)
            self._refuse(call_id, 486, "Busy Here")
            return
        info = read_invite(rdata.wholeMsg)
        self.incoming_seq += 1
        leg = LegCall(self, f"{self.name}-{self.incoming_seq}", incoming=True, call_id=call_id)
        self.legs[leg.leg_id] = leg
        self.pending_incoming[leg.leg_id] = time.monotonic() + INCOMING_ANSWER_TIMEOUT
        answer(leg, 180)
        self.send(msg.Incoming(leg=leg.leg_id, ani=info.ani, dnis=info.dnis, x_queue=info.x_queue,
                               source=source, sip_call_id=leg.getInfo().callIdString,
                               display_name=info.display_name))

    def _refuse(self, call_id: int, code: int, reason: str) -> None:
        call = LegCall(self, f"refused-{call_id}", incoming=True, call_id=call_id)
        self.refused.append(call)
        answer(call, code, reason)

    def _expire_pending_incoming(self) -> None:
        if not self.pending_incoming:
            return
        now = time.monotonic()
        for leg_id, deadline in list(self.pending_incoming.items()):
            if now >= deadline:
                self.pending_incoming.pop(leg_id)
                leg = self.legs.get(leg_id)
                if leg is not None:
                    log.warning("%s: the gateway did not answer for %s in time", self.name, leg_id)
                    self._hangup(leg, 503, "Service Unavailable")

    # --- orders ------------------------------------------------------------------------------------

    def _handle_orders(self) -> None:
        while True:
            try:
                data = self.control.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                order = msg.ORDERS.decode(data)
            except BadMessage as exc:
                log.error("%s: bad order from the gateway: %s", self.name, exc.message)
                self.send(msg.OrderFailed(order="?", leg=None, error=exc.message))
                continue
            try:
                self._carry_out(order)
            except pj.Error as exc:
                self._order_failed(order, exc.info())
            except Exception as exc:  # one bad order must not end the worker's calls
                log.exception("%s: order %s failed", self.name, order)
                self._order_failed(order, str(exc))

    def _order_failed(self, order: msg.Message, error: str) -> None:
        leg = getattr(order, "leg", None)
        self.send(msg.OrderFailed(order=order.__struct_config__.tag, leg=leg, error=error))

    def _carry_out(self, order: msg.Message) -> None:
        if isinstance(order, msg.Shutdown):
            self.stopping = True
            return
        if isinstance(order, msg.Connect):
            self.connect(order.legs)
            return
        if isinstance(order, msg.Dial):
            self.dial(order)
            return
        leg = self.legs.get(order.leg)
        if leg is None and isinstance(order, (msg.Hangup, msg.Reject)):
            if self._cancel_waiting_dial(order.leg):
                return
        if leg is None:
            self._order_failed(order, f"no leg {order.leg} (it may have ended)")
            return
        if isinstance(order, msg.Answer):
            self.pending_incoming.pop(leg.leg_id, None)
            answer(leg, 200)
        elif isinstance(order, msg.Reject):
            self.pending_incoming.pop(leg.leg_id, None)
            self._hangup(leg, order.code, order.reason)
        elif isinstance(order, msg.Hangup):
            self._hangup(leg)
        elif isinstance(order, msg.PlayMusic):
            self.set_route(leg, "music", order.music or self.default_music())
        elif isinstance(order, msg.Announce):
            self.announce(leg, order)
        elif isinstance(order, msg.Isolate):
            self.detach(leg)
        elif isinstance(order, msg.SendDtmf):
            leg.dialDtmf(order.digits)
        elif isinstance(order, msg.Refer):
            leg.refer_pending = True
            leg.xfer(order.uri, pj.CallOpParam(True))

    def dial(self, order: msg.Dial) -> None:
        if self.waiting_dials or calls_in_use() >= self.lines:
            log.info("%s: %s waits for a free line", self.name, order.leg)
            self.waiting_dials.append((time.monotonic() + DIAL_WAIT_SECONDS, order))
            return
        self._make_call(order)

    def _dial_waiting(self) -> None:
        """Dial the waiting legs lines have freed for; fail those that waited too long."""
        while self.waiting_dials and calls_in_use() < self.lines:
            self._make_call(self.waiting_dials.popleft()[1])
        now = time.monotonic()
        while self.waiting_dials and self.waiting_dials[0][0] <= now:
            order = self.waiting_dials.popleft()[1]
            log.warning("%s: no line freed for %s within %g s", self.name, order.leg, DIAL_WAIT_SECONDS)
            self.send(msg.LegFailed(leg=order.leg, code=503, reason="no free line in this worker"))

    def _cancel_waiting_dial(self, leg_id: str) -> bool:
        for entry in self.waiting_dials:
            if entry[1].leg == leg_id:
                self.waiting_dials.remove(entry)
                self.send(msg.LegFailed(leg=leg_id, code=487, reason="Request Terminated"))
                return True
        return False

    def _make_call(self, order: msg.Dial) -> None:
        leg = LegCall(self, order.leg, incoming=False)
        leg.connect_to = order.connect_to
        from_uri = f"sip:{escape_user(order.caller_id)}@{self.host}:{self.port}" if order.caller_id else None
        param = call_param(order.headers, from_uri)
        try:
            leg.makeCall(order.uri, param)
        except pj.Error as exc:
            self.graveyard.append(leg)
            self.send(msg.LegFailed(leg=order.leg, code=500, reason=exc.info()))
            return
        self.legs[leg.leg_id] = leg

    def _hangup(self, leg: LegCall, code: int = 0, reason: str = "") -> None:
        if leg.ended:
            return
        leg.hung_up_here = True
        try:
            hangup(leg, code, reason)
        except pj.Error as exc:
            log.debug("%s: hangup of %s: %s", self.name, leg.leg_id, exc.info())

    # --- audio ---------------------------------------------------------------------------------------

    def default_music(self) -> str:
        return str(prompts.music_on_hold(self.music_cache))

    def music_player(self, path: str) -> pj.AudioMediaPlayer:
        player = self.music_players.get(path)
        if player is None:
            player = pj.AudioMediaPlayer()
            player.createPlayer(path, 0)  # 0: loop
            self.music_players[path] = player
        return player

    def announce(self, leg: LegCall, order: msg.Announce) -> None:
        files = [str(p) for p in _announcement_files(order.announcement)]
        player = Announcement(self, leg.leg_id, order.then, order.music)
        player.createPlaylist(files, "announcement", pj.PJMEDIA_FILE_NO_LOOP)
        self.set_route(leg, "announce", player)

    def _announcement_done(self, leg_id: str, player: Announcement) -> None:
        leg = self.legs.get(leg_id)
        if leg is None or leg.route[1] is not player:
            self.graveyard.append(player)
            return
        self.send(msg.AnnouncementDone(leg=leg_id))
        if player.then == "music":
            self.set_route(leg, "music", player.music or self.default_music())
        elif player.then == "hangup":
            self.detach(leg)
            self._hangup(leg)
        else:
            self.detach(leg)

    def set_route(self, leg: LegCall, kind: str, value) -> None:
        self.detach(leg)
        leg.route = (kind, value)
        self.apply_route(leg)

    def connect(self, leg_ids: list[str]) -> None:
        legs = [self.legs[i] for i in leg_ids if i in self.legs]
        missing = [i for i in leg_ids if i not in self.legs]
        if missing:
            self.send(msg.OrderFailed(order="connect", leg=missing[0],
                                      error=f"no leg {', '.join(missing)}"))
        for leg in legs:
            self.detach(leg)
        for leg in legs:
            leg.route = ("connected", None)
            leg.peers = {other.leg_id for other in legs if other is not leg}
        for leg in legs:
            self.apply_route(leg)

    def apply_route(self, leg: LegCall) -> None:
        """Make the leg's audio go where its route says, once it has media."""
        if leg.media is None:
            return
        kind, value = leg.route
        if kind == "music":
            leg.music_source = self.music_player(value)
            leg.music_source.startTransmit(leg.media)
        elif kind == "announce":
            value.startTransmit(leg.media)
        elif kind == "connected":
            for peer_id in leg.peers:
                peer = self.legs.get(peer_id)
                if peer is not None and peer.media is not None:
                    leg.media.startTransmit(peer.media)
                    peer.media.startTransmit(leg.media)

    def detach(self, leg: LegCall) -> None:
        """The leg hears nothing and is heard by nobody."""
        kind, value = leg.route
        if leg.media is not None:
            if kind == "music" and leg.music_source is not None:
                leg.music_source.stopTransmit(leg.media)
            elif kind == "announce":
                value.stopTransmit(leg.media)
            for peer_id in leg.peers:
                peer = self.legs.get(peer_id)
                if peer is not None and peer.media is not None:
                    leg.media.stopTransmit(peer.media)
                    peer.media.stopTransmit(leg.media)
        if kind == "announce":
            self.graveyard.append(value)
        self._unlink(leg)

    def _forget_audio(self, leg: LegCall) -> None:
        """The call is gone, and its conference slot with it: never touch it again."""
        if leg.route[0] == "announce":
            self.graveyard.append(leg.route[1])
        leg.media = None
        leg.music_source = None
        self._unlink(leg)

    def _unlink(self, leg: LegCall) -> None:
        for peer_id in leg.peers:
            peer = self.legs.get(peer_id)
            if peer is not None:
                peer.peers.discard(leg.leg_id)
        leg.peers = set()
        leg.route = ("silence", None)

    def media_ready(self, leg: LegCall) -> None:
        self.apply_route(leg)

    # --- what media threads left behind --------------------------------------------------------------

    def _handle_inbox(self) -> None:
        while self.inbox:
            kind, leg_id, value = self.inbox.popleft()
            if kind == "dtmf":
                self.send(msg.DtmfReceived(leg=leg_id, digit=value))
            elif kind == "announcement_done":
                self._announcement_done(leg_id, value)


class WorkerAccount(pj.Account):
    def __init__(self, worker: Worker):
        super().__init__()
        self.worker = worker

    def onIncomingCall(self, prm):
        self.worker.incoming(prm.callId, prm.rdata)


def _announcement_files(announcement: msg.Announcement) -> list:
    if announcement.kind == "welcome":
        return prompts.welcome(announcement.language)
    if announcement.kind == "closing":
        return prompts.closing_announcement(announcement.language)
    if announcement.kind == "goodbye":
        return prompts.goodbye_announcement(announcement.language)
    return prompts.position_announcement(announcement.language, announcement.position or 1,
                                         announcement.expected_wait)


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def port_range(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    try:
        ports = int(first), int(last)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write FIRST-LAST") from None
    if not 0 < ports[0] < ports[1] < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: not a range of ports")
    return ports


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cicada-sip-worker",
                                     description="One SIP worker of the Cicada gateway.")
    parser.add_argument("--name", required=True)
    parser.add_argument("--sip", required=True, metavar="HOST:PORT")
    parser.add_argument("--control", required=True, metavar="ZMQ_ADDRESS")
    parser.add_argument("--control-key", metavar="Z85",
                        help="the gateway's public CURVE key; the worker's own key pair comes in the "
                             "environment")
    parser.add_argument("--trusted", action="append", default=[], metavar="ADDRESS_OR_NETWORK")
    parser.add_argument("--lines", type=int, default=1024,
                        help="calls to ask pjsua2 for; a build may allow fewer")
    parser.add_argument("--lines-per-call", type=int, default=3)
    parser.add_argument("--rtp-ports", type=port_range, default=None, metavar="FIRST-LAST",
                        help="this worker's own RTP and RTCP ports (first even, last odd)")
    parser.add_argument("--music-cache", default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format=f"%(asctime)s %(levelname)s {args.name}: %(message)s")
    _die_with_parent()
    worker = Worker(args)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
