"""The desktop's connection to the mail queue, inside the Qt event loop.

Both sockets are CURVE clients of the mail queue, trusting the public key
the desktop is configured with (`mailq_public_key`). Events: after each
login the link presents the session's event key (bus.delivery) until the
mail queue confirms it, and receives what that session may see, heartbeats
included: nothing before a login. The socket is watched by a
QSocketNotifier (ZeroMQ's file descriptor is edge-triggered, so each
wake-up drains every waiting message). Commands:
one thread owns the DEALER socket (`MailqClient`, which times out and never
blocks the GUI) and runs them in order; each reply comes back to the GUI
thread as a signal. A watchdog turns missing heartbeats into a plain "the
mail queue does not answer" and their return into a reconnection.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

import msgspec
import zmq
from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal, Slot

from bus import mailq
from bus.curve import make_client
from bus.delivery import prepare_subscriber, read_event, request_events
from bus.envelope import BadMessage, decode_event
from bus.keys import new_keypair
from bus.limits import limit_client_socket
from email_queue.client import MailqClient, MailqError

log = logging.getLogger(__name__)

HEARTBEAT_TIMEOUT = 3.5  # the mail queue beats every second
ASK_EVENTS_MS = 500  # how often the event key is presented until the mail queue confirms it


class MailLink(QObject):
    event = Signal(object, object)  # EventEnvelope, message
    heartbeat = Signal(object)  # MailqHeartbeat
    silent = Signal(str)  # no heartbeat: why
    _reply = Signal(object, object, object)  # callbacks, result, error

    def __init__(self, command_address: str, event_address: str, server_public_key: bytes, *,
                 timeout: float = 5.0, parent: QObject | None = None):
        super().__init__(parent)
        self.command_address, self.event_address = command_address, event_address
        self.server_public_key = server_public_key
        self.keypair = new_keypair()
        self.timeout = timeout
        self.context = zmq.Context.instance()
        self.session: str | None = None
        self.agent: str | None = None
        # Count the silence from the start: a mail queue that dies before its
        # first heartbeat reaches us must be noticed too.
        self.last_beat = time.monotonic()
        self.alive = True
        self.event_key: str | None = None  # the session's, once logged in
        self.events_confirmed = False
        self._sub = self.context.socket(zmq.DEALER)
        limit_client_socket(self._sub)
        prepare_subscriber(self._sub)
        self._sub.setsockopt(zmq.SNDTIMEO, 0)  # the GUI thread never waits to ask for events
        make_client(self._sub, server_public_key, self.keypair)
        self._sub.connect(event_address)
        self._ask_events = QTimer(self, interval=ASK_EVENTS_MS)  # a request may be lost while connecting
        self._ask_events.timeout.connect(self._request_events)
        self._notifier = QSocketNotifier(self._sub.getsockopt(zmq.FD), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._poll = QTimer(self, interval=200)  # belt and braces for the edge-triggered FD
        self._poll.timeout.connect(self._drain)
        self._poll.start()
        self._watchdog = QTimer(self, interval=500)
        self._watchdog.timeout.connect(self._check_heartbeat)
        self._watchdog.start()
        self._reply.connect(self._deliver)
        self._orders: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run_commands, name="desktop-MailLink", daemon=True)
        self._thread.start()

    # --- events -------------------------------------------------------------------------

    def receive_events(self, key: str) -> None:
        """The events of the session just logged in (its key from the login's reply)."""
        self.event_key, self.events_confirmed = key, False
        self._request_events()
        self._ask_events.start()

    @Slot()
    def _request_events(self) -> None:
        if self.events_confirmed or not self.event_key or self._sub.closed:
            self._ask_events.stop()
            return
        try:
            request_events(self._sub, self.event_key)
        except zmq.Again:  # not connected yet: asked again at the next tick
            pass

    @Slot()
    def _drain(self) -> None:
        if self._sub.closed:
            return
        for _ in range(1000):  # then let the GUI breathe; the timer comes back
            if not self._sub.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                return
            try:
                frames = self._sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            payload = read_event(frames)
            if payload is None:  # the mail queue confirmed the key: its events follow
                self.events_confirmed = frames[0].decode("ascii", "replace") == self.event_key
                continue
            try:
                envelope, message = decode_event(payload, mailq.EVENTS)
            except BadMessage as exc:
                log.warning("an event the desktop cannot read was dropped: %s", exc)
                continue
            if isinstance(message, mailq.MailqHeartbeat):
                self._beat(message)
                continue
            self.event.emit(envelope, message)

    def _beat(self, beat: mailq.MailqHeartbeat) -> None:
        self.last_beat = time.monotonic()
        self.alive = True
        self.heartbeat.emit(beat)

    @Slot()
    def _check_heartbeat(self) -> None:
        if self.alive and time.monotonic() - self.last_beat > HEARTBEAT_TIMEOUT:
            self.alive = False
            self.silent.emit(f"no word from the mail queue at {self.command_address} for {HEARTBEAT_TIMEOUT:g} s")

    # --- commands ------------------------------------------------------------------------

    def send(self, make: Callable[[str | None], msgspec.Struct], result_type=None, *,
             on_done: Callable | None = None, on_error: Callable[[MailqError], None] | None = None,
             timeout: float | None = None) -> None:
        """Queue a command; `make(session)` builds it when its turn comes, so a
        command queued before a re-login goes out with the new session."""
        self._orders.put((make, result_type, timeout, (on_done, on_error)))

    def _run_commands(self) -> None:
        client = MailqClient(self.command_address, server_public_key=self.server_public_key, keypair=self.keypair,
                             timeout=self.timeout, context=self.context)
        while True:
            order = self._orders.get()
            if order is None:
                break
            make, result_type, timeout, callbacks = order
            try:
                command = make(self.session)
                result, error = client.request(command, result_type, timeout), None
            except MailqError as exc:
                result, error = None, exc
            except Exception as exc:  # a bug in a command: report it, keep the thread
                log.exception("a command could not be sent")
                result, error = None, MailqError("internal", str(exc))
            self._reply.emit(callbacks, result, error)
        client.close()

    @Slot(object, object, object)
    def _deliver(self, callbacks, result, error) -> None:
        on_done, on_error = callbacks
        try:
            if error is not None:
                if on_error is not None:
                    on_error(error)
                else:
                    log.warning("the mail queue refused a command: %s", error.message)
            elif on_done is not None:
                on_done(result)
        except Exception:
            log.exception("handling the mail queue's reply failed")

    def close(self) -> None:
        self._ask_events.stop()
        self._poll.stop()
        self._watchdog.stop()
        self._notifier.setEnabled(False)
        self._orders.put(None)
        self._thread.join(timeout=self.timeout + 1)
        self._sub.close(0)
