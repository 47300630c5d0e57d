"""`cicada gateway`: the ACD, the SIP worker pool, Kamailio, the bus and the
call records, wired together in one asyncio process.

The event loop never waits on the database (records go through the spool and
a writer thread; sessions are checked in a thread pool) nor on SIP (workers are
other processes, reached over ZeroMQ).

Every socket is CURVE with the gateway's key pair ([keys], `cicada keys init`):
desktops' commands and events, and the link to its SIP workers, which admits
only the key pair the gateway made for them at start. An agent logs in with
the session the application service gave him (never a password), and is
logged out when that session ends. Events go only to the connections that
presented a key granted to a session that may see them (cti_gateway.audience).

Nothing acknowledged is lost however the gateway ends: records are spooled
before anything else, a start replays the spool and closes the calls a
previous run left open, the children die with the gateway (and a start ends
any that did not), and a normal stop says goodbye to every caller, hangs up
and closes every record.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import hashlib
import logging
import secrets
import shutil
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import msgspec
import zmq
import zmq.asyncio
from sqlalchemy.exc import DBAPIError

from bus import cti
from bus import sipworker as msg
from bus.curve import ClientAllowList, make_server
from bus.delivery import EventDelivery, new_event_key
from bus.envelope import BadMessage, decode_request, encode_error, encode_event, encode_reply
from bus.keys import KeyPair, new_keypair
from bus.limits import (
    MAX_FRAMES,
    give_back_memory,
    limit_service_socket,
    peer_address,
    read_message_async,
    refused_message,
)
from crm.db import DatabaseOnDemand
from crm.errors import CrmError, DatabaseNotMigrated, NotFound, PermissionDenied, ValidationError
from crm.login_guard import LoginGuard, LoginRefused
from crm.permissions import Actor
from crm.search_keys import load_readings
from crm.services import calls as call_records
from crm.services.sessions import SessionEnded, token_hash
from crm.services.supervision import UnknownOrgUnit
from cti_gateway.acd import Acd, CommandError, SystemClock
from cti_gateway.acd import views
from cti_gateway.audience import AgentSeat, Audience, Watch
from cti_gateway.config import GatewayConfig
from cti_gateway.directory import CrmDirectory
from cti_gateway.record_spool import RecordSpool, SpoolError
from cti_gateway.records import CallRecords, RecordWriter, short_reason
from cti_gateway.sip.pool import (
    ControlKeys,
    PoolError,
    WorkerPool,
    WorkerProcess,
    WorkerSwitch,
    cached_probe_lines,
    check_udp_port_free,
    workers_needed,
)
from cti_gateway.state import GatewayState, StateError

log = logging.getLogger("cicada.gateway")

TICK_SECONDS = 0.05
SUPERVISE_SECONDS = 0.5
HEARTBEAT_SECONDS = 1.0
GOODBYE_SECONDS = 10.0  # a stop waits this long at most for callers to hear the goodbye

# Why a CRM session ended → the notice code the desktop says it with in the agent's language,
# the English for other desktops, and the words of the log
SESSION_ENDS = {
    "signed_out": ("signed_out", "You signed out; you are logged out.", "he signed out"),
    "expired": ("session_expired", "Your session has expired; sign in again.", "his session expired"),
    "account_disabled": ("account_disabled", "Your account was disabled; you are logged out.",
                         "the account is disabled"),
    "password_changed": ("password_changed", "Your password was changed; sign in again with the new one.",
                         "his password was changed"),
}
SESSION_ENDED = ("session_ended", "Your session has ended; sign in again.", "his session ended")


class GatewayError(Exception):
    """The gateway cannot start; the message says why."""


QUEUE_FIGURES_EVERY = 0.25  # seconds: a queue's figures go out at most this often, the latest always


class BusPublisher:
    """Events to the sessions that may see them, numbered so a desktop can tell what its
    snapshot already contains.

    A queue's figures change at every step of every call in it, and each change went to every
    agent and supervisor of the queue: at 20 calls/s, a hundred events a second to each of them,
    each encrypted for each. So the first change after a quiet moment goes at once and later
    ones at most every QUEUE_FIGURES_EVERY, taken afresh from `figures` when they go (never
    older than a snapshot a desktop took meanwhile)."""

    def __init__(self, delivery: EventDelivery, audience: Audience, run: str):
        self.delivery, self.audience, self.run, self.seq = delivery, audience, run, 0
        self.figures = None  # queue name -> its QueueStatsChanged now (set once the ACD exists)
        self._figures_sent_at: dict[str, float] = {}
        self._figures_due: dict[str, list[str]] = {}  # queue name -> its topics, held back
        self._figures_timer: asyncio.TimerHandle | None = None

    def publish(self, topics: list[str], event: msgspec.Struct) -> None:
        if isinstance(event, cti.QueueStatsChanged) and self.figures is not None:
            self._queue_figures(topics, event)
        else:
            self._send(topics, event)

    def _queue_figures(self, topics: list[str], event: cti.QueueStatsChanged) -> None:
        queue, now = event.stats.queue, time.monotonic()
        if queue not in self._figures_due and now - self._figures_sent_at.get(queue, -1e9) >= QUEUE_FIGURES_EVERY:
            self._figures_sent_at[queue] = now
            self._send(topics, event)
            return
        self._figures_due[queue] = topics
        if self._figures_timer is None:
            loop = asyncio.get_running_loop()
            wait = self._figures_sent_at.get(queue, now) + QUEUE_FIGURES_EVERY - now
            self._figures_timer = loop.call_later(max(0.0, wait), self._send_figures_due)

    def _send_figures_due(self) -> None:
        self._figures_timer = None
        due, self._figures_due = self._figures_due, {}
        now = time.monotonic()
        for queue, topics in due.items():
            self._figures_sent_at[queue] = now
            try:
                self._send(topics, self.figures(queue))
            except Exception:  # a figure that cannot be made costs that event, never the bus
                log.exception("the figures of queue %s could not be sent", queue)

    def close(self) -> None:
        if self._figures_timer is not None:
            self._figures_timer.cancel()
            self._figures_timer = None

    def _send(self, topics: list[str], event: msgspec.Struct) -> None:
        self.seq += 1
        payload = encode_event(self.run, self.seq, time.time(), event)
        if self.audience.for_everyone(topics):
            self.delivery.publish_to_all(payload)
        else:
            self.delivery.publish(self.audience.keys(topics), payload)


class GatewayService:
    def __init__(self, config: GatewayConfig, database_url: str, *, keypair: KeyPair,
                 verbose: bool = False):
        self.config = config
        self.keypair = keypair  # the gateway's CURVE keys: desktops trust its public key
        self.database_url = database_url
        self.verbose = verbose
        self.run_id = secrets.token_hex(6)
        self.started_at = time.time()
        self.stopping = asyncio.Event()
        self.hurry = asyncio.Event()  # a second stop signal: no goodbyes
        self.state = GatewayState(config.state_dir)
        self._temporary_run_dir: Path | None = None
        self._state_taken = False
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gateway-crm")
        # supervisors' actions go to the audit trail one after the other, in the order taken
        self.audit_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-audit")
        # Sessions are checked in the database: a flood of made-up ones is bounded per source
        # (the guard), so that it never delays the logins of real agents.
        self.login_guard = LoginGuard(service="gateway")
        self.kamailio = None
        self.front = "worker"
        self.sip_address = f"{config.sip_host}:{config.sip_port}"
        self._tasks: set[asyncio.Task] = set()

    # --- start and stop -----------------------------------------------------------------------------

    async def run(self, on_ready=None) -> None:
        self._take_state_directory()
        try:
            self._open_database()
            self.context = zmq.asyncio.Context()
            self._bind_sockets()
            self._start_records()
            await self._start_workers()
            self._start_front()
            self._note_children()
            self.switch = WorkerSwitch(self.pool)
            self.audience = Audience(self._agents_of_queue, self.config.queue_org_units())
            self.publisher = BusPublisher(self.delivery, self.audience, self.run_id)
            self.acd = Acd(list(self.config.queues), clock=SystemClock(), switch=self.switch,
                           publisher=self.publisher, records=self.records, settings=self.config.acd)
            self.acd.check_configuration()
            self.publisher.figures = self._figures_of_queue
            load_readings()
            gc.freeze()  # long-lived tables (phone metadata, pinyin) need no more collection
            self._install_signal_handlers()
            if on_ready:
                on_ready(self)
            async with asyncio.TaskGroup() as tasks:
                for loop in (self._serve_commands(), self.delivery.serve(), self._serve_workers(),
                             self._keep_time(), self._wait_for_stop()):
                    tasks.create_task(loop)
        except* _Stop:
            log.info("gateway stopping")
        finally:
            await self._shutdown()

    def _take_state_directory(self) -> None:
        """One gateway per state directory; what a previous one left running ends first."""
        try:
            self.state.acquire()
        except StateError as exc:
            raise GatewayError(str(exc)) from None
        self._state_taken = True
        self.state.end_leftovers()
        self.previous_alive = self.state.last_alive()
        self.state.alive()

    def _start_records(self) -> None:
        """The spool first: what it holds from a previous run is written before anything new,
        then the calls that run left open are closed."""
        try:
            self.spool = RecordSpool(self.config.state_dir)
        except SpoolError as exc:
            raise GatewayError(str(exc)) from None
        self.writer = RecordWriter(self.database_url, spool=self.spool)
        self.records = CallRecords(self.writer)
        replayed = self.records.replay_spool()
        if replayed:
            log.info("%d record(s) from the spool queued again; those already written are skipped", replayed)
        if self.previous_alive is not None:
            started = _utc(self.started_at)
            ended = _utc(min(self.previous_alive, self.started_at))
            self.writer.submit(partial(_close_interrupted, started, ended),
                               "closing the calls the previous run left open")

    def _open_database(self) -> None:
        """The gateway starts while the database is away (logins wait for it, records are
        spooled); a database at another schema version is refused at once."""
        self.database = DatabaseOnDemand(self.database_url)
        try:
            self.database.get()
        except DatabaseNotMigrated as exc:
            raise GatewayError(str(exc)) from None
        except (CrmError, DBAPIError) as exc:
            log.warning("The CRM database cannot be reached now (%s); the gateway starts without it: "
                        "logins wait for it, call records are kept in the spool.", short_reason(exc))
        self.directory = CrmDirectory(self.database)
        self._check_queue_org_units()

    def _check_queue_org_units(self) -> None:
        """The queues' org units are the CRM's: one it has not got is refused at start (the embedded
        demo queues name none where the CRM has not got the demo's). With the CRM away nothing can be
        checked: the gateway starts (as it does for logins), and a unit the CRM has not got is then
        nobody's, so that only administrators see its queue."""
        configured = self.config.queue_org_units()
        try:
            checked = self.directory.checked_queue_org_units(configured, self.config.demo_queues)
        except UnknownOrgUnit as exc:
            raise GatewayError(f"{self.config.where}: {exc}") from None
        except (CrmError, DBAPIError) as exc:
            if any(configured.values()):
                log.warning("The queues' org units cannot be checked now (%s): a queue's org unit that the CRM "
                            "has not got is seen by administrators only.", short_reason(exc))
            return
        if checked != configured:
            log.info("The CRM has not got the demo's org units: the demo queues are seen by the supervisors "
                     "of the agents logged in to them.")
            self.config = self.config.with_changes(queues=tuple(
                dataclasses.replace(q, org_units=checked[q.name]) for q in self.config.queues))

    def _bind_sockets(self) -> None:
        self.commands = self.context.socket(zmq.ROUTER)
        self.events = self.context.socket(zmq.ROUTER)
        self.worker_control = self.context.socket(zmq.ROUTER)
        for sock in (self.commands, self.events, self.worker_control):
            limit_service_socket(sock)
            make_server(sock, self.keypair)
        self.worker_keys = new_keypair()  # this run's workers', and no one else's
        self.worker_clients = ClientAllowList(self.context, [self.worker_keys.public])
        self.worker_clients.guard(self.worker_control)
        self.worker_clients.start()
        self.delivery = EventDelivery(self.events)
        try:
            self.commands.bind(self.config.command_address)
            self.events.bind(self.config.event_address)
        except zmq.ZMQError as exc:
            raise GatewayError(f"cannot listen on {self.config.command_address} / "
                               f"{self.config.event_address}: {exc}; is another gateway running?") from None
        port = self.worker_control.bind_to_random_port("tcp://127.0.0.1")
        self.worker_control_address = f"tcp://127.0.0.1:{port}"
        log.info("SIP workers report to %s", self.worker_control_address)

    async def _start_workers(self) -> None:
        config = self.config
        loop = asyncio.get_running_loop()
        try:
            lines = await loop.run_in_executor(self.executor, cached_probe_lines)
        except PoolError as exc:
            raise GatewayError(str(exc)) from None
        count = workers_needed(config.concurrent_calls, lines, config.lines_per_call)
        self.front = self._choose_front(count)
        if self.front == "kamailio" and not self._kamailio_installed():
            if config.front == "kamailio":
                raise GatewayError("front = kamailio, but Kamailio is not installed "
                                   "(Debian: apt-get install kamailio)")
            log.warning("Kamailio is not installed: running one SIP worker (%d concurrent calls) "
                        "instead of %d; install kamailio for more", max(1, lines // config.lines_per_call),
                        config.concurrent_calls)
            self.front, count = "worker", 1
        if self.front == "worker":
            ports = [config.sip_port]
        else:
            ports = [config.worker_base_port + i for i in range(count)]
        log.info("pjsua2 holds %d calls per process: %d worker(s) for %d concurrent calls",
                 lines, count, config.concurrent_calls)
        self.pool = WorkerPool(
            host=config.sip_host, ports=ports, control_address=self.worker_control_address,
            trusted=self._worker_trusted(), lines_per_call=config.lines_per_call,
            verbose=self.verbose, on_report=self._worker_report, on_lost=self._worker_lost,
            on_up=self._worker_up, rtp_ports=config.rtp_ports, lines_per_worker=lines,
            silence_timeout=config.worker_silence_timeout,
            control_keys=ControlKeys(server=self.keypair.public, worker=self.worker_keys))
        self.pool.socket = self.worker_control
        try:
            self.pool.spawn_all()
        except PoolError as exc:
            raise GatewayError(str(exc)) from None
        await self._wait_for_workers()

    def _kamailio_installed(self) -> bool:
        from cti_gateway.sip.kamailio import find_kamailio

        return find_kamailio(self.config.kamailio) is not None

    def _choose_front(self, workers: int) -> str:
        front = self.config.front
        if front == "workers":
            return "workers"
        if front == "kamailio" or workers > 1:
            return "kamailio"
        return "worker"

    def _worker_trusted(self) -> list[str]:
        """Behind Kamailio, the workers take calls from Kamailio only."""
        if self.front == "kamailio":
            return [self.config.sip_host]
        return list(self.config.trusted)

    async def _wait_for_workers(self) -> None:
        reader = asyncio.ensure_future(self._serve_workers())
        deadline = time.monotonic() + 30
        try:
            while not self.pool.all_up():
                failed = self.pool.failed_to_start()
                if failed:
                    raise GatewayError("SIP worker(s) failed to start: " + "; ".join(failed))
                if time.monotonic() > deadline:
                    raise GatewayError("SIP workers did not start within 30 s")
                await asyncio.sleep(0.05)
        finally:
            reader.cancel()
            try:
                await reader
            except asyncio.CancelledError:
                pass

    def _start_front(self) -> None:
        if self.front != "kamailio":
            return
        from cti_gateway.sip.kamailio import Destination, KamailioError, KamailioFront

        run_dir = self.config.run_dir or self._default_run_dir()
        run_dir.mkdir(parents=True, exist_ok=True)
        destinations = [Destination(w.host, w.port, self.pool.customers_per_worker)
                        for w in self.pool.workers.values()]
        self.kamailio = KamailioFront(
            listen_host=self.config.sip_host, listen_port=self.config.sip_port,
            destinations=destinations, trusted_sources=list(self.config.trusted), rundir=run_dir,
            binary=self.config.kamailio, memory_mb=self.config.kamailio_memory_mb,
            log_path=run_dir / "kamailio.log")
        try:
            self.kamailio.start()
        except KamailioError as exc:
            raise GatewayError(f"Kamailio: {exc}") from None

    def _default_run_dir(self) -> Path:
        """Kamailio's files in the state directory; where that path is too long for its control
        socket, in one folder of the system's temporary directory named after the state directory
        (the same at every start), removed at stop."""
        in_state = self.config.state_dir / "run"
        if len(str(in_state / "kamailio_rpc.sock")) <= 100:
            return in_state
        digest = hashlib.sha1(str(self.config.state_dir.resolve()).encode()).hexdigest()[:10]
        self._temporary_run_dir = Path(tempfile.gettempdir()) / f"cicada-kamailio-{digest}"
        return self._temporary_run_dir

    def describe(self) -> str:
        workers = len(self.pool.workers)
        if self.front == "kamailio":
            sip = f"SIP {self.sip_address} (Kamailio in front of {workers} workers)"
        elif self.front == "workers":
            sip = "SIP on the workers' own addresses: " + ", ".join(
                w.address for w in self.pool.workers.values())
        else:
            sip = f"SIP {self.sip_address}"
        return (f"Cicada gateway ready: {sip}; {self.pool.customers_per_worker * workers} concurrent "
                f"calls; commands {self.config.command_address}; events {self.config.event_address}")

    def _figures_of_queue(self, queue: str) -> cti.QueueStatsChanged:
        return cti.QueueStatsChanged(stats=views.queue_stats(self.acd, self.acd.queues[queue]))

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._stop_signal, sig)
            except (NotImplementedError, RuntimeError):
                pass

    def _stop_signal(self, sig: signal.Signals) -> None:
        if self.stopping.is_set():
            log.warning("%s again: stopping at once, without goodbyes", signal.Signals(sig).name)
            self.hurry.set()
        else:
            log.info("%s: stopping", signal.Signals(sig).name)
        self.stopping.set()

    async def _wait_for_stop(self) -> None:
        await self.stopping.wait()
        raise _Stop()

    async def _shutdown(self) -> None:
        if getattr(self, "acd", None) is not None:
            await self._say_goodbye()
        pool = getattr(self, "pool", None)
        if pool is not None:
            for name in pool.workers:
                pool.send(name, msg.Shutdown())
            await asyncio.get_running_loop().run_in_executor(None, pool.stop)
        if self.kamailio is not None:
            self.kamailio.stop()
        if self._temporary_run_dir is not None:
            shutil.rmtree(self._temporary_run_dir, ignore_errors=True)
        writer = getattr(self, "writer", None)
        # While the database is away, waiting for it only delays the stop: the spool keeps the rest.
        if writer is not None and not writer.stop(timeout=10 if writer.healthy else 1):
            log.warning("%d record(s) not yet written stay in the spool %s; the next start writes them",
                        writer.backlog, self.spool.path)
        spool = getattr(self, "spool", None)
        if spool is not None:
            spool.close()
        publisher = getattr(self, "publisher", None)
        if publisher is not None:
            publisher.close()  # no figures sent after the sockets are gone
        worker_clients = getattr(self, "worker_clients", None)
        if worker_clients is not None:  # before the context ends: its handler holds a socket of it
            worker_clients.stop()
        context = getattr(self, "context", None)
        if context is not None:
            context.destroy(linger=0)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.audit_writer.shutdown(wait=False)  # what it holds is written before the process ends
        database = getattr(self, "database", None)
        if database is not None:
            database.dispose()
        if self._state_taken:
            self.state.alive()
            self.state.release()

    async def _say_goodbye(self) -> None:
        """Every caller hears the goodbye and is hung up; every record closes; agents are
        logged out. Waits for the goodbyes to end, unless told to hurry."""
        try:
            goodbyes = set(self.acd.shut_down())
        except Exception:
            log.exception("ending the calls at stop failed")
            return
        if not goodbyes or self.hurry.is_set():
            return
        log.info("saying goodbye to %d caller(s)", len(goodbyes))
        reader = asyncio.ensure_future(self._serve_workers())
        deadline = time.monotonic() + GOODBYE_SECONDS
        try:
            while (goodbyes & set(self.switch.leg_worker) and time.monotonic() < deadline
                   and not self.hurry.is_set()):
                await asyncio.sleep(0.05)
        finally:
            reader.cancel()
            try:
                await reader
            except asyncio.CancelledError:
                pass

    # --- time ------------------------------------------------------------------------------------------

    async def _keep_time(self) -> None:
        next_supervision = next_beat = 0.0
        next_account_check = time.monotonic() + self.config.account_check_seconds
        while True:
            await asyncio.sleep(TICK_SECONDS)
            now = time.monotonic()
            if now >= next_account_check:
                next_account_check = now + self.config.account_check_seconds
                self._spawn(self._end_closed_sessions())
            # Events go out on a synchronous twin of the event socket, whose sends may take the
            # wake-up meant for the event loop: requests waiting are also taken here, every tick.
            for due, step in ((True, self.acd.tick), (True, self.delivery.on_readable), (True, give_back_memory),
                              (now >= next_supervision, self._supervise),
                              (now >= next_beat, self._heartbeat)):
                if not due:
                    continue
                try:
                    step()
                except Exception:  # the clock must keep going whatever one step hit
                    log.exception("%s failed", step.__name__)
            if now >= next_supervision:
                next_supervision = now + SUPERVISE_SECONDS
            if now >= next_beat:
                next_beat = now + HEARTBEAT_SECONDS

    async def _end_closed_sessions(self) -> None:
        """An agent whose CRM session ended (signed out, expired, password changed) or whose
        account is disabled loses his session here too, once any call he is on has ended; a
        supervisor's watch ends at once."""
        for gone in [name for name in self.audience.agents if name not in self.acd.agents]:
            self._forget_seat(gone)
        names = list(self.acd.agents)
        held = {name: seat.token_hash for name, seat in self.audience.agents.items()}
        watches = {key: watch.token_hash for key, watch in self.audience.watches.items()}
        if not names and not watches:
            return
        try:
            disabled, ended = await asyncio.get_running_loop().run_in_executor(
                self.executor, self._closed_sessions, names, [*held.values(), *watches.values()])
        except (CrmError, DBAPIError) as exc:  # agents logged in keep working meanwhile
            log.debug("sessions not checked: %s", short_reason(exc))
            return
        for key, hashed in watches.items():
            if hashed in ended and self.audience.watches.pop(key, None) is not None:
                self.delivery.revoke(key)
        reasons = {name: "account_disabled" for name in disabled}
        reasons.update({agent: ended[hashed] for agent, hashed in held.items()
                        if hashed in ended and agent not in reasons})
        for name, reason in reasons.items():
            self._log_out_for(name, reason)

    def _closed_sessions(self, names: list[str], hashes: list[str]) -> tuple[list[str], dict[str, str]]:
        """In a CRM thread: the disabled accounts among `names`, the ended sessions among `hashes`."""
        return self.directory.disabled_among(names), self.directory.ended_among(hashes)

    def _log_out_for(self, name: str, reason: str) -> None:
        agent = self.acd.agents.get(name)
        if agent is None:
            return
        code, text, words = SESSION_ENDS.get(reason, SESSION_ENDED)
        try:
            self.acd.logout(agent.session, reason=words)
        except CommandError:
            return  # on a call: logged out at a later check, once it has ended
        self.acd.notify(agent, "warning", text, code=code)
        self._forget_seat(name)  # after the notice: it is the last his desktop receives
        log.warning("%s is logged out: %s", name, words)

    def _supervise(self) -> None:
        self.pool.supervise()
        self._check_front()
        self._note_children()

    def _note_children(self) -> None:
        """The processes this run must not leave behind, as the next start would find them."""
        children = {w.process.pid: (f"SIP worker {w.name}", False)
                    for w in self.pool.workers.values() if w.process is not None and w.process.poll() is None}
        if self.kamailio is not None and self.kamailio.running():
            children[self.kamailio.process.pid] = ("Kamailio", True)
        self.state.children_are(children)

    def _heartbeat(self) -> None:
        self.state.alive()
        workers = list(self.pool.workers.values())
        self.publisher.publish([cti.GATEWAY_TOPIC], cti.GatewayHeartbeat(
            run=self.run_id, started_at=self.started_at, records_healthy=self.writer.healthy,
            workers_up=sum(1 for w in workers if w.state == "up"), workers=len(workers)))

    def _check_front(self) -> None:
        if self.kamailio is None:
            return
        code = self.kamailio.poll()
        if code is not None and not self.stopping.is_set():
            log.error("Kamailio exited with code %s; starting it again", code)
            try:
                self.kamailio.start()
            except Exception as exc:  # keep switching the calls the workers hold
                log.error("Kamailio did not start again: %s", exc)

    # --- SIP workers -------------------------------------------------------------------------------------

    async def _serve_workers(self) -> None:
        while True:
            # pyzmq hands out waiting messages without yielding: a backlog of reports would hold
            # up the whole loop (timers, supervision, commands) until it is read to the end.
            await asyncio.sleep(0)
            frames, count, size = await read_message_async(self.worker_control)
            if count != 2:
                log.error("a report in %d frames on the workers' socket refused", count)
                refused_message(size)
                continue
            identity, data = (f.bytes for f in frames)
            try:
                report = msg.REPORTS.decode(data)
            except BadMessage as exc:
                log.error("bad report from worker %r: %s", identity[:40], exc.message)
                continue
            try:
                self.pool.handle_report(identity, report)
            except Exception:  # a report the ACD chokes on must not stop the gateway
                log.exception("handling %s from %r failed", report, identity)

    def _worker_report(self, worker: WorkerProcess, report: msg.Message) -> None:
        acd = self.acd
        if isinstance(report, msg.Incoming):
            self.switch.leg_known(worker.name, report.leg)
            acd.incoming_call(worker.name, report.leg, ani=report.ani, dnis=report.dnis,
                              x_queue=report.x_queue)
        elif isinstance(report, msg.LegAnswered):
            acd.leg_answered(report.leg)
        elif isinstance(report, msg.LegFailed):
            self.switch.leg_gone(report.leg)
            acd.leg_failed(report.leg, report.code, report.reason)
        elif isinstance(report, msg.LegEnded):
            self.switch.leg_gone(report.leg)
            acd.leg_ended(report.leg, report.code, report.reason, report.by_remote)
        elif isinstance(report, msg.DtmfReceived):
            acd.dtmf_received(report.leg, report.digit)
        elif isinstance(report, msg.AnnouncementDone):
            acd.announcement_done(report.leg)
        elif isinstance(report, msg.ReferDone):
            acd.refer_done(report.leg, report.ok, report.code)
        elif isinstance(report, msg.OrderFailed):
            log.info("worker %s could not carry out %s for %s: %s", worker.name, report.order,
                     report.leg, report.error)

    def _worker_lost(self, worker: WorkerProcess, reason: str) -> None:
        self.switch.worker_gone(worker.name)
        acd = getattr(self, "acd", None)
        lost = acd.worker_lost(worker.name, reason) if acd else 0
        if self.kamailio is not None:
            self._set_front_state(worker, False)
        if acd:
            self.publisher.publish([cti.GATEWAY_TOPIC], cti.WorkerStateChanged(
                worker=self._worker_view(worker), calls_lost=lost, reason=reason))

    def _worker_up(self, worker: WorkerProcess) -> None:
        if getattr(self, "acd", None) is None:
            return  # still starting
        log.info("SIP worker %s is up again (pid %s)", worker.name, worker.pid)
        if self.kamailio is not None:
            self._set_front_state(worker, True)
        self.publisher.publish([cti.GATEWAY_TOPIC],
                               cti.WorkerStateChanged(worker=self._worker_view(worker)))

    def _set_front_state(self, worker: WorkerProcess, active: bool) -> None:
        index = list(self.pool.workers).index(worker.name)
        try:
            self.kamailio.set_destination_active(index, active)
        except Exception as exc:  # Kamailio's own probing catches up
            log.warning("could not mark %s %s in Kamailio: %s", worker.name,
                        "active" if active else "inactive", exc)

    def _worker_view(self, worker: WorkerProcess) -> cti.WorkerView:
        return next(v for v in self.pool.views() if v.name == worker.name)

    # --- desktops' commands -----------------------------------------------------------------------------------

    async def _serve_commands(self) -> None:
        while True:
            await asyncio.sleep(0)  # a flood of commands must not hold up timers and reports (see above)
            received = await read_message_async(self.commands)
            try:
                self._take_command(*received)
            except Exception:  # one command must never stop the others
                log.exception("a command could not be handled")

    def _take_command(self, frames: list[zmq.Frame], count: int, size: int) -> None:
        source = peer_address(frames[-1])
        if count > MAX_FRAMES:
            log.warning("a command from %s in %d frames refused", source, count)
            refused_message(size)
            self._reply([frames[0].bytes], encode_error("", "malformed", f"a command has at most {MAX_FRAMES} frames"))
            return
        envelope, data = [f.bytes for f in frames[:-1]], frames[-1].bytes
        try:
            request_id, command = decode_request(data, cti.COMMANDS)
        except BadMessage as exc:
            log.warning("bad command from %s: %s", source, exc.message)
            self._reply(envelope, encode_error(getattr(exc, "request_id", ""), exc.code, exc.message))
            return
        if isinstance(command, cti.AgentLogin):
            self._spawn(self._login(envelope, request_id, command, source))
        elif isinstance(command, cti.SupervisorBroadcast):
            self._spawn(self._broadcast(envelope, request_id, command, source))
        elif isinstance(command, (cti.SupervisorNotReady, cti.SupervisorLogOff)):
            self._spawn(self._act_on_agent(envelope, request_id, command, source))
        elif isinstance(command, cti.WatchEvents):
            self._spawn(self._watch(envelope, request_id, command, source))
        elif isinstance(command, cti.GatewayStatus) and not self._from_operator(frames[-1]):
            self._spawn(self._status_for(envelope, request_id, command, source))
        else:
            self._reply(envelope, self._execute(request_id, command))

    def _from_operator(self, frame: zmq.Frame) -> bool:
        """A client with the gateway's own key: the operator on the gateway's host, who can read
        its secret key (CURVE proved the client holds it; the ZAP handler names the key)."""
        try:
            return frame.get("User-Id") == self.keypair.public.decode("ascii")
        except zmq.ZMQError:
            return False

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)

    def _reply(self, envelope: list[bytes], payload: bytes) -> None:
        self.commands.send_multipart([*envelope, payload])

    def _execute(self, request_id: str, command) -> bytes:
        try:
            return encode_reply(request_id, self._dispatch(command))
        except CommandError as exc:
            return encode_error(request_id, exc.code, exc.message)
        except Exception:
            log.exception("command %s failed", command)
            return encode_error(request_id, "internal", "The gateway failed to carry out this "
                                                        "command; see its log.")

    def _dispatch(self, command):
        acd = self.acd
        match command:
            case cti.AgentLogout():
                name = acd.agent_for(command.session).name
                acd.logout(command.session)
                return self._forget_seat(name)
            case cti.AgentSetMode():
                return acd.set_agent_mode(command.session, command.mode, command.reason)
            case cti.AgentSnapshot():
                return cti.SnapshotResult(state=acd.snapshot(command.session), run=self.run_id,
                                          seq=self.publisher.seq)
            case cti.CallAccept():
                return acd.accept(command.session, command.call_id)
            case cti.CallReject():
                return acd.reject(command.session, command.call_id)
            case cti.CallHangup():
                return acd.hangup(command.session, command.call_id)
            case cti.CallHold():
                return acd.hold(command.session, command.call_id)
            case cti.CallRetrieve():
                return acd.retrieve(command.session, command.call_id)
            case cti.CallTransfer():
                return acd.transfer(command.session, command.call_id, command.target)
            case cti.CallConsult():
                return acd.consult(command.session, command.call_id, command.target)
            case cti.CallCompleteTransfer():
                return acd.complete_transfer(command.session, command.call_id)
            case cti.CallConference():
                return acd.conference(command.session, command.call_id)
            case cti.CallCancelConsult():
                return acd.cancel_consult(command.session, command.call_id)
            case cti.CallDtmf():
                return acd.dtmf(command.session, command.call_id, command.digits)
            case cti.CallDial():
                call_id = acd.dial(command.session, command.number, command.caller_id, command.data)
                return cti.DialResult(call_id=call_id)
            case cti.CallSetData():
                data = acd.set_data(command.session, command.call_id, command.data, command.replace)
                return cti.DataResult(call_id=command.call_id, data=data)
            case cti.CallGetData():
                return cti.DataResult(call_id=command.call_id,
                                      data=acd.get_data(command.session, command.call_id))
            case cti.GatewayStatus():
                return self.status()
        raise CommandError("unknown_type", f"{command.__struct_config__.tag} is not handled here")

    async def _check_session(self, check, token: str, source: str, *args):
        """`check(token, *args)` on a CRM thread, if the guard lets it run (LoginRefused
        otherwise); the guard learns how it went, per source and per session presented."""
        presented = "session " + token_hash(token)[:16] if isinstance(token, str) else "session"
        self.login_guard.admit(presented, source)
        succeeded = None
        try:
            result = await asyncio.get_running_loop().run_in_executor(self.executor, check, token, *args)
            succeeded = True
            return result
        except SessionEnded:
            succeeded = False
            raise
        finally:
            self.login_guard.finished(presented, source, succeeded=succeeded)

    async def _login(self, envelope: list[bytes], request_id: str, command: cti.AgentLogin,
                      source: str) -> None:
        agent = "?"
        try:
            found = await self._check_session(self.directory.agent_of_session, command.token, source)
            agent = found.profile.username
            session, state = self.acd.login(found.profile, device=command.device, queues=command.queues,
                                            takeover=command.takeover, client=command.client)
            key = self._seat(agent, AgentSeat(new_event_key(), found.org_unit_id, found.token_hash))
            # His first state went out before his seat (and so his org unit) was known here: his
            # supervisors' watches had not got it. Again, now that they are among its audience.
            self.acd.publish_agent_state(self.acd.agents[agent])
            reply = encode_reply(request_id, cti.LoginResult(
                session=session, state=state, run=self.run_id, seq=self.publisher.seq,
                not_ready_reasons=list(self.acd.settings.not_ready_reasons), events_key=key))
        except LoginRefused as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except SessionEnded as exc:
            log.info("login from %s refused: session %s", source, exc.reason)
            reply = encode_error(request_id, "session_ended", str(exc))
        except CommandError as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except (CrmError, DBAPIError) as exc:
            log.error("login from %s: the CRM database is not available: %s", source, short_reason(exc))
            reply = encode_error(request_id, "crm_unavailable",
                                 "The CRM database cannot be reached to check your session; "
                                 "try again in a moment.")
        except Exception:
            log.exception("login of %s failed", agent)
            reply = encode_error(request_id, "internal", "The login failed; see the gateway's log.")
        self._reply(envelope, reply)

    def _seat(self, agent: str, seat: AgentSeat) -> str:
        """The agent's desktop receives his events with a new key; a desktop he took the
        session from receives nothing more (it was told, with the key it had)."""
        self._forget_seat(agent)
        self.audience.agents[agent] = seat
        self.delivery.grant(seat.key)
        return seat.key

    def _forget_seat(self, agent: str) -> None:
        seat = self.audience.agents.pop(agent, None)
        if seat is not None:
            self.delivery.revoke(seat.key)

    def _agents_of_queue(self, queue: str) -> list[str]:
        return [name for name, agent in self.acd.agents.items() if queue in agent.queues]

    async def _watch(self, envelope: list[bytes], request_id: str, command: cti.WatchEvents,
                     source: str) -> None:
        try:
            watcher = await self._check_session(self.directory.watcher_of_session, command.token, source)
            key = new_event_key()
            self.audience.watches[key] = Watch(watcher.username, watcher.scope, watcher.token_hash)
            self.delivery.grant(key)
            log.info("%s watches events from %s", watcher.username, source)
            reply = encode_reply(request_id, cti.WatchResult(events_key=key, run=self.run_id,
                                                              seq=self.publisher.seq))
        except Exception as exc:
            reply = self._session_refusal(request_id, exc, "watching events", source)
        self._reply(envelope, reply)

    async def _status_for(self, envelope: list[bytes], request_id: str, command: cti.GatewayStatus,
                          source: str) -> None:
        """A supervisor's status: the agents of his org units only."""
        try:
            if not command.token:
                raise SessionEnded("unknown")
            scope = await self._check_session(self.directory.supervisor_scope, command.token, source)
            reply = encode_reply(request_id, self.status(
                lambda name: self.audience.visible_to(scope, name), lambda queue: self.audience.queue_visible_to(scope, queue)))
        except Exception as exc:
            reply = self._session_refusal(request_id, exc, "a status", source)
        self._reply(envelope, reply)

    def _session_refusal(self, request_id: str, exc: Exception, what: str, source: str) -> bytes:
        """The error reply to a command refused on its session, or that failed."""
        if isinstance(exc, LoginRefused):
            return encode_error(request_id, exc.code, exc.message)
        if isinstance(exc, SessionEnded):
            return encode_error(request_id, "session_ended", str(exc))
        if isinstance(exc, PermissionDenied):
            return encode_error(request_id, "forbidden", str(exc))
        if isinstance(exc, (CrmError, DBAPIError)):
            log.error("%s from %s: the CRM database is not available: %s", what, source, short_reason(exc))
            return encode_error(request_id, "crm_unavailable", "The CRM database cannot be reached to check "
                                                               "your session; try again in a moment.")
        log.exception("%s from %s failed", what, source, exc_info=exc)
        return encode_error(request_id, "internal", "The gateway failed; see its log.")

    async def _broadcast(self, envelope: list[bytes], request_id: str, command: cti.SupervisorBroadcast,
                         source: str) -> None:
        """A supervisor's message to the agents of his org units: all of them, a queue's, a team's, or one."""
        try:
            found = await self._check_session(self.directory.message_sender, command.token, source,
                                              command.text, command.agent, command.queue, command.team)
            sender, text = found.sender, command.text.strip()
            details = dict(agent=command.agent, agent_user_id=found.agent_user_id, queue=command.queue,
                           team=command.team, text=text)
            try:
                agents = self.acd.broadcast(sender.username, sender.display_name, text, command.queue,
                                            command.agent, lambda name: self.audience.visible_to(found.scope, name))
            except CommandError as exc:
                self._record_action(found.actor, "message", exc.code, **details)
                raise
            self._record_action(found.actor, "message", "done", **details)
            log.info("%s sent a message to %d agent(s)%s%s", sender.username, len(agents),
                     f" of queue {command.queue}" if command.queue else "",
                     f" of team {command.team}" if command.team else "")
            reply = encode_reply(request_id, cti.BroadcastResult(agents=agents))
        except Exception as exc:
            reply = self._supervisor_refusal(request_id, exc, "a message", source)
        self._reply(envelope, reply)

    async def _act_on_agent(self, envelope: list[bytes], request_id: str,
                            command: cti.SupervisorNotReady | cti.SupervisorLogOff, source: str) -> None:
        """Not ready or log off, for a supervisor allowed to act on the agent; the outcome goes to the
        CRM's audit trail, refusals included."""
        not_ready = isinstance(command, cti.SupervisorNotReady)
        action = "not_ready" if not_ready else "log_off"
        details = {"reason": command.reason} if not_ready else {}
        try:
            acting = await self._check_session(partial(self.directory.supervisor_acting, **details),
                                               command.token, source, action, command.agent)
            try:
                if isinstance(command, cti.SupervisorNotReady):
                    done = self.acd.supervisor_not_ready(command.agent, command.reason, acting.display_name)
                else:
                    done = self.acd.supervisor_log_off(command.agent, acting.display_name)
                    if done:
                        self._forget_seat(command.agent)  # after the notice: the last his desktop receives
            except CommandError as exc:
                self._record_action(acting.actor, action, exc.code, agent=command.agent,
                                    agent_user_id=acting.agent_user_id, **details)
                raise
            self._record_action(acting.actor, action, "done" if done else "after_call", agent=command.agent,
                                agent_user_id=acting.agent_user_id, **details)
            log.info("%s: %s for %s%s", acting.actor.username, action, command.agent,
                     "" if done else ", when his call ends")
            agent = self.acd.agents.get(command.agent)
            reply = encode_reply(request_id, cti.AgentActionResult(
                agent=command.agent, done=done, state=views.agent_view(self.acd, agent) if agent else None))
        except Exception as exc:
            reply = self._supervisor_refusal(request_id, exc, action.replace("_", " "), source)
        self._reply(envelope, reply)

    def _record_action(self, actor: Actor, action: str, outcome: str, **details) -> None:
        """In the audit trail, on a CRM thread; a database away costs the entry and a log line."""
        def write() -> None:
            try:
                self.directory.record_action(actor, action, outcome, **details)
            except (CrmError, DBAPIError) as exc:
                log.error("%s's action %s (%s) not in the audit trail: %s", actor.username, action, outcome,
                          short_reason(exc))

        self.audit_writer.submit(write)

    def _supervisor_refusal(self, request_id: str, exc: Exception, what: str, source: str) -> bytes:
        if isinstance(exc, CommandError):
            return encode_error(request_id, exc.code, exc.message)
        if isinstance(exc, ValidationError):
            return encode_error(request_id, "invalid_argument", str(exc))
        if isinstance(exc, NotFound):
            return encode_error(request_id, "unknown_agent", str(exc))
        return self._session_refusal(request_id, exc, what, source)

    def status(self, visible=lambda agent: True, queue_visible=lambda queue: True) -> cti.StatusResult:
        """How the gateway is; with `visible` and `queue_visible`, only the agents and queues they admit."""
        return cti.StatusResult(
            run=self.run_id, started_at=self.started_at, sip_address=self.sip_address,
            front="kamailio" if self.front == "kamailio" else self.front,
            workers=self.pool.views(), queues=[q for q in self.acd.queue_views() if queue_visible(q.queue)],
            agents=[a for a in self.acd.agent_views() if visible(a.agent)], records_healthy=self.writer.healthy,
            records_backlog=self.writer.backlog, records_error=self.writer.last_error,
            spool_unwritten=self.spool.unwritten,
            front_running=self.kamailio.running() if self.kamailio is not None else None,
            logins_refused=self.login_guard.refused, locked_accounts=self.login_guard.locked_accounts(),
            not_ready_reasons=list(self.acd.settings.not_ready_reasons))


class _Stop(Exception):
    pass


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def _close_interrupted(started: datetime, ended: datetime, session) -> None:
    closed = call_records.close_interrupted_calls(session, Actor.system(), started_before=started,
                                                  ended_at=ended, cause="gateway_restarted")
    if closed.segments_closed or closed.wrap_ups_closed or closed.agents_logged_out:
        log.warning("closed what the previous run left open: %d call record(s) ended (gateway restarted), "
                    "%d wrap-up(s) closed, %d agent(s) logged out", closed.segments_closed,
                    closed.wrap_ups_closed, closed.agents_logged_out)



def run_gateway(config: GatewayConfig, database_url: str, *, keypair: KeyPair, verbose: bool = False,
                on_ready=None) -> None:
    asyncio.run(GatewayService(config, database_url, keypair=keypair, verbose=verbose).run(on_ready))


def check_sip_address(config: GatewayConfig) -> None:
    check_udp_port_free(config.sip_host, config.sip_port, "the gateway's SIP address")
