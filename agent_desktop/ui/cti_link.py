"""The desktop's connection to the CTI gateway, inside the Qt event loop.

Events: a ZeroMQ DEALER socket watched by a QSocketNotifier (ZeroMQ's file
descriptor is edge-triggered, so each wake-up drains every waiting message).
It receives what the gateway sends to the event key of this desktop's
session (bus.delivery), asked for until the gateway confirms it.
Commands: one thread owns the DEALER socket (`CtiClient`, which times out
and never blocks the GUI) and runs them in order; each reply comes back to
the GUI thread as a signal. A watchdog turns missing heartbeats into a plain
"the gateway does not answer" and their return into a reconnection.

Both sockets are CURVE clients of the service's public key (`server_key`, the
text `cicada keys show` prints, from the desktop's configuration).
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

from bus import cti, delivery
from bus.curve import make_client
from bus.envelope import BadMessage, decode_event
from bus.limits import limit_client_socket
from cti_gateway.client import CtiClient, CtiError

log = logging.getLogger(__name__)

HEARTBEAT_TIMEOUT = 3.5  # the gateway beats every second
ASK_EVENTS_MS = 500  # a request for events may be lost while a connection is made: asked again


class CtiLink(QObject):
    """The gateway's link; the mail queue's (mail_link.MailLink) is the same
    with its own client, events and heartbeat."""

    client_class = CtiClient
    events_catalogue = cti.EVENTS
    heartbeat_type = cti.GatewayHeartbeat
    service_topic = cti.GATEWAY_TOPIC
    service_name = "the CTI gateway"

    event = Signal(object, object)  # EventEnvelope, message
    heartbeat = Signal(object)  # GatewayHeartbeat
    silent = Signal(str)  # no heartbeat: why
    subscribed = Signal()  # the gateway confirmed the session's event key: events follow from here
    _reply = Signal(object, object, object)  # callbacks, result, error

    def __init__(self, command_address: str, event_address: str, *, server_key: bytes | str,
                 timeout: float = 5.0, parent: QObject | None = None):
        super().__init__(parent)
        self.command_address, self.event_address = command_address, event_address
        self.server_key = server_key.encode("ascii") if isinstance(server_key, str) else server_key
        if not self.server_key:
            raise ValueError("the service's public key is needed (what `cicada keys show` prints on its host)")
        self.timeout = timeout
        self.context = zmq.Context.instance()
        self.session: str | None = None
        self.agent: str | None = None
        # Count the silence from the start: a gateway that dies before its
        # first heartbeat reaches us must be noticed too.
        self.last_beat = time.monotonic()
        self.alive = True
        self._sub = self.context.socket(zmq.DEALER)
        limit_client_socket(self._sub)
        delivery.prepare_subscriber(self._sub)
        make_client(self._sub, self.server_key)
        self._sub.connect(event_address)
        self.events_key: str | None = None
        self.events_confirmed = False
        self._ask = QTimer(self, interval=ASK_EVENTS_MS)
        self._ask.timeout.connect(self._ask_for_events)
        self._ask.start()
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
        self._thread = threading.Thread(target=self._run_commands, name=f"desktop-{type(self).__name__}",
                                        daemon=True)
        self._thread.start()

    # --- events -------------------------------------------------------------------------

    def receive_events(self, key: str) -> None:
        """From now on, the events of the session this key was granted to (by a login)."""
        self.events_key, self.events_confirmed = key, False
        self._ask_for_events()

    @Slot()
    def _ask_for_events(self) -> None:
        if self.events_key and not self.events_confirmed and not self._sub.closed:
            delivery.request_events(self._sub, self.events_key)

    @Slot()
    def _drain(self) -> None:
        if self._sub.closed:
            return
        for _ in range(1000):  # then let the GUI breathe; the timer comes back
            if not self._sub.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                return
            try:
                payload = delivery.read_event(self._sub.recv_multipart(zmq.NOBLOCK))
            except zmq.Again:
                return
            if payload is None:  # the gateway confirms the key: events follow
                if not self.events_confirmed:
                    self.events_confirmed = True
                    self.subscribed.emit()
                continue
            try:
                envelope, message = decode_event(payload, self.events_catalogue)
            except BadMessage as exc:
                log.warning("an event the desktop cannot read was dropped: %s", exc)
                continue
            if isinstance(message, self.heartbeat_type):
                self._beat(message)
                continue
            self.event.emit(envelope, message)

    def _beat(self, beat: cti.GatewayHeartbeat) -> None:
        self.last_beat = time.monotonic()
        self.alive = True
        self.heartbeat.emit(beat)

    @Slot()
    def _check_heartbeat(self) -> None:
        if self.alive and time.monotonic() - self.last_beat > HEARTBEAT_TIMEOUT:
            self.alive = False
            self.events_confirmed = False  # asked again: harmless if the gateway still has it
            self.silent.emit(f"no word from {self.service_name} at {self.command_address} "
                             f"for {HEARTBEAT_TIMEOUT:g} s")

    # --- commands ------------------------------------------------------------------------

    def send(self, make: Callable[[str | None], msgspec.Struct], result_type=None, *,
             on_done: Callable | None = None, on_error: Callable[[CtiError], None] | None = None,
             timeout: float | None = None) -> None:
        """Queue a command; `make(session)` builds it when its turn comes, so a
        command queued before a re-login goes out with the new session."""
        self._orders.put((make, result_type, timeout, (on_done, on_error)))

    def _run_commands(self) -> None:
        client = self.client_class(self.command_address, server_key=self.server_key, timeout=self.timeout,
                                   context=self.context)
        while True:
            order = self._orders.get()
            if order is None:
                break
            make, result_type, timeout, callbacks = order
            try:
                command = make(self.session)
                result, error = client.request(command, result_type, timeout), None
            except CtiError as exc:
                result, error = None, exc
            except Exception as exc:  # a bug in a command: report it, keep the thread
                log.exception("a command could not be sent")
                result, error = None, CtiError("internal", str(exc))
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
                    log.warning("the gateway refused a command: %s", error.message)
            elif on_done is not None:
                on_done(result)
        except Exception:
            log.exception("handling the gateway's reply failed")

    def close(self) -> None:
        self._ask.stop()
        self._poll.stop()
        self._watchdog.stop()
        self._notifier.setEnabled(False)
        self._orders.put(None)
        self._thread.join(timeout=self.timeout + 1)
        self._sub.close(0)
