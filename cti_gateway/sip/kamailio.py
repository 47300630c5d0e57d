"""Kamailio as the gateway's single SIP address in front of the SIP workers.

The gateway writes a kamailio.cfg and a dispatcher list into its run
directory and runs Kamailio as a child process. Kamailio refuses INVITEs
from addresses that are not trusted trunks (403), balances the others over
the workers by their active calls (dispatcher algorithm 10, each worker
capped by `maxload`), fails over to the next worker on 486, 408 and 5xx,
answers 503 when every worker is full, and record-routes so that in-dialog
requests in both directions pass through it and release the load on BYE.

Traps this configuration avoids (docs/gateway.md tells more): every destination
needs a `duid`, `ds_hash_size` must be above 0, `ds_load_unset()` belongs in
the failure route and not in a reply route, and `ds_next_dst()` is called
only when there is a next destination.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cti_gateway.children import die_with_parent

log = logging.getLogger(__name__)

DISPATCHER_SET = 1
CHILDREN = 4
_UNIX_PATH_MAX = 100  # sun_path holds 108 bytes; keep a margin for the client sockets' names


class KamailioError(Exception):
    """Kamailio cannot be configured, started or controlled; the message says why."""


@dataclass(frozen=True)
class Destination:
    """One SIP worker as Kamailio sees it: where it listens and how many customer calls it takes."""

    host: str
    port: int
    max_calls: int

    @property
    def uri(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"sip:{host}:{self.port}"


def find_kamailio(configured: str | None = None) -> str | None:
    """The kamailio program: the configured one, else on PATH or in the usual sbin directories."""
    if configured:
        path = shutil.which(configured) or configured
        return path if os.access(path, os.X_OK) and Path(path).is_file() else None
    return shutil.which("kamailio") or next(
        (p for p in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if os.access(p, os.X_OK)), None)


def trusted_networks(entries: list[str]) -> list[str]:
    """Trusted sources in the CIDR form ipops' is_in_subnet() wants."""
    networks = []
    for entry in entries:
        try:
            networks.append(str(ipaddress.ip_network(entry.strip(), strict=False)))
        except ValueError:
            raise KamailioError(f"trusted source {entry!r} is not an IP address or network") from None
    return networks


def render_dispatcher_list(destinations: list[Destination]) -> str:
    lines = ["# SIP workers of the Cicada gateway: set, address, flags, priority, attributes"]
    for index, destination in enumerate(destinations):
        if destination.max_calls < 1:
            raise KamailioError(f"{destination.uri} takes no calls (max_calls {destination.max_calls})")
        lines.append(f"{DISPATCHER_SET} {destination.uri} 0 0 "
                     f"duid=worker{index};maxload={destination.max_calls}")
    return "\n".join(lines) + "\n"


def render_config(*, listen_host: str, listen_port: int, trusted_sources: list[str],
                  dispatcher_list: Path, rpc_socket: Path, ping_interval: int = 1,
                  response_timeout_ms: int = 2000) -> str:
    """The whole kamailio.cfg. Kamailio's own `$`, `{}` and `#` make str.format a poor fit: plain
    replacement of the @NAME@ markers instead."""
    networks = trusted_networks(trusted_sources)
    listen = f"[{listen_host}]" if ":" in listen_host else listen_host
    values = {
        "@LISTEN@": f"udp:{listen}:{listen_port}",
        "@CHILDREN@": str(CHILDREN),
        "@TRUSTED@": ",".join(networks) if networks else "0.0.0.0/32",
        "@DISPATCHER_LIST@": str(dispatcher_list),
        "@RPC_SOCKET@": str(rpc_socket),
        "@PING_INTERVAL@": str(ping_interval),
        "@FR_TIMER@": str(response_timeout_ms),
        "@SET@": str(DISPATCHER_SET),
    }
    text = _CONFIG
    for marker, value in values.items():
        text = text.replace(marker, value)
    return text


_CONFIG = r"""#!KAMAILIO
# Written by the Cicada gateway at each start; changes here are overwritten.

debug=2
log_stderror=yes
log_prefix="{$mt $hdr(CSeq) $ci} "
children=@CHILDREN@
auto_aliases=no
disable_tcp=yes
listen=@LISTEN@
server_header="Server: Cicada gateway"
user_agent_header="User-Agent: Cicada gateway"

loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
loadmodule "ipops.so"
loadmodule "xlog.so"
loadmodule "jsonrpcs.so"
loadmodule "dispatcher.so"

# A worker that does not answer within this time is taken as dead; calls fail over.
modparam("tm", "fr_timer", @FR_TIMER@)
modparam("tm", "fr_inv_timer", 120000)

modparam("jsonrpcs", "transport", 4)
modparam("jsonrpcs", "dgram_socket", "@RPC_SOCKET@")

modparam("dispatcher", "list_file", "@DISPATCHER_LIST@")
modparam("dispatcher", "ds_hash_size", 9)
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "xavp_dst", "_dsdst_")
modparam("dispatcher", "ds_ping_interval", @PING_INTERVAL@)
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_probing_threshold", 1)
modparam("dispatcher", "ds_inactive_threshold", 1)
modparam("dispatcher", "ds_ping_reply_codes", "class=2")
modparam("dispatcher", "ds_ping_from", "sip:kamailio@cicada.invalid")

request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (!sanity_check()) {
        xlog("L_NOTICE", "malformed $rm from $si:$sp dropped\n");
        exit;
    }
    force_rport();

    if (has_totag()) {
        route(WITHINDLG);
        exit;
    }
    if (is_method("CANCEL")) {
        if (t_check_trans()) {
            route(RELAY);
        }
        exit;
    }
    if (is_method("ACK")) {
        if (t_check_trans()) {
            route(RELAY);
        }
        exit;
    }
    t_check_trans();
    if (is_method("OPTIONS") && uri == myself && $rU == $null) {
        sl_send_reply("200", "OK");
        exit;
    }
    if (!is_method("INVITE")) {
        append_to_reply("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY, INFO\r\n");
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }
    if (!is_in_subnet("$si", "@TRUSTED@")) {
        xlog("L_NOTICE", "INVITE for $rU from untrusted $si:$sp refused\n");
        sl_send_reply("403", "Forbidden");
        exit;
    }
    record_route();
    route(DISPATCH);
}

route[WITHINDLG] {
    if (loose_route()) {
        if (is_method("BYE")) {
            ds_load_update();
        }
        route(RELAY);
        exit;
    }
    if (is_method("ACK")) {
        if (t_check_trans()) {
            route(RELAY);
        }
        exit;
    }
    sl_send_reply("404", "Not here");
    exit;
}

route[DISPATCH] {
    if (!ds_select_dst("@SET@", "10")) {
        xlog("L_WARN", "no SIP worker free for $rU from $si:$sp\n");
        sl_send_reply("503", "All lines busy");
        exit;
    }
    t_on_failure("FAILOVER");
    t_on_reply("CONFIRM");
    route(RELAY);
}

route[RELAY] {
    if (!t_relay()) {
        sl_reply_error();
    }
    exit;
}

onreply_route[CONFIRM] {
    if (status =~ "^2[0-9][0-9]$") {
        ds_load_update();
    }
}

failure_route[FAILOVER] {
    if (t_is_canceled()) {
        ds_load_unset();
        exit;
    }
    if (t_branch_timeout() || t_check_status("408")) {
        xlog("L_WARN", "SIP worker $du did not answer; marked inactive\n");
        ds_mark_dst("ip");
    }
    if (t_check_status("486|408|5[0-9][0-9]") && $xavp(_dsdst_[1]=>uri) != $null) {
        if (ds_next_dst()) {
            xlog("L_INFO", "trying SIP worker $du after $T_reply_code\n");
            t_on_failure("FAILOVER");
            t_on_reply("CONFIRM");
            t_relay();
            exit;
        }
    }
    ds_load_unset();
}
"""


class KamailioFront:
    """A Kamailio child process: start, watch, stop, and turn workers on and off in it."""

    def __init__(self, *, listen_host: str, listen_port: int, destinations: list[Destination],
                 trusted_sources: list[str], rundir: Path, binary: str | None = None,
                 memory_mb: int = 256, log_path: Path | None = None, ping_interval: int = 1,
                 response_timeout_ms: int = 2000):
        if not destinations:
            raise KamailioError("no SIP workers to put behind Kamailio")
        self.listen_host, self.listen_port = listen_host, listen_port
        self.destinations = list(destinations)
        self.rundir = Path(rundir)
        self.binary = binary
        self.memory_mb = memory_mb
        self.log_path = Path(log_path) if log_path else self.rundir / "kamailio.log"
        self.config_path = self.rundir / "kamailio.cfg"
        self.dispatcher_path = self.rundir / "dispatcher.list"
        self.rpc_path = self.rundir / "kamailio_rpc.sock"
        if len(str(self.rpc_path)) > _UNIX_PATH_MAX:
            raise KamailioError(f"run directory {self.rundir} is too long a path for Kamailio's "
                                "control socket; choose a shorter run_dir")
        self.config_text = render_config(
            listen_host=listen_host, listen_port=listen_port, trusted_sources=trusted_sources,
            dispatcher_list=self.dispatcher_path, rpc_socket=self.rpc_path,
            ping_interval=ping_interval, response_timeout_ms=response_timeout_ms)
        self.dispatcher_text = render_dispatcher_list(self.destinations)
        self.process: subprocess.Popen | None = None
        self._rpc_ids = itertools.count(1)

    @property
    def address(self) -> str:
        return f"{self.listen_host}:{self.listen_port}"

    # --- process ---------------------------------------------------------------------------------

    def start(self, ready_timeout: float = 15.0) -> None:
        binary = find_kamailio(self.binary)
        if binary is None:
            raise KamailioError(f"the kamailio program ({self.binary or 'kamailio'}) is not installed "
                                "(Debian: apt-get install kamailio)")
        self._end_previous_run()
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text)
        self.dispatcher_path.write_text(self.dispatcher_text)
        self._check_config(binary)
        # A second Kamailio binds a taken UDP port without complaint and, sharing the run
        # directory, deletes the first one's sockets when it exits: refuse instead.
        if not _udp_port_free(self.listen_host, self.listen_port):
            raise KamailioError(f"UDP port {self.address} is taken: is another gateway or "
                                "SIP server running there?")
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                [binary, "-DD", "-E", "-Y", str(self.rundir), "-P", str(self.rundir / "kamailio.pid"),
                 "-m", str(self.memory_mb), "-f", str(self.config_path)],
                cwd=self.rundir, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=die_with_parent)
        try:
            self._wait_until_answering(ready_timeout)
        except KamailioError:
            self.stop()
            raise
        log.info("Kamailio (pid %d) listens on %s in front of %d SIP workers; log %s",
                 self.process.pid, self.address, len(self.destinations), self.log_path)

    def _end_previous_run(self) -> None:
        """Before a restart: the children of a main process that died may still hold the port,
        and its control socket and pid files are left behind. (Kamailio refuses to start while
        its pid file names a pid that exists, a killed one not yet reaped included; one that
        really runs still holds the port, which the start checks.)"""
        if self.process is not None:
            _kill_group(self.process.pid)
            if self.process.poll() is None:
                self.process.wait()
        self.rpc_path.unlink(missing_ok=True)
        (self.rundir / "kamailio.pid").unlink(missing_ok=True)

    def _check_config(self, binary: str) -> None:
        try:
            check = subprocess.run([binary, "-c", "-f", str(self.config_path)], capture_output=True,
                                   text=True, timeout=30, cwd=self.rundir)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KamailioError(f"could not run {binary}: {exc}") from None
        if check.returncode != 0:
            errors = [line for line in check.stderr.splitlines() if "ERROR" in line or "CRITICAL" in line]
            raise KamailioError(f"Kamailio rejected {self.config_path}:\n"
                                + "\n".join(errors[-10:] or check.stderr.splitlines()[-10:]))

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise KamailioError(f"Kamailio exited with code {self.process.returncode} at start:\n"
                                    + self.log_tail())
            if options_ping(self.listen_host, self.listen_port, timeout=0.3) == 200:
                return
        raise KamailioError(f"Kamailio did not answer on {self.address} within {timeout:.0f} s:\n"
                            + self.log_tail())

    def poll(self) -> int | None:
        """None while running; the exit code once it has ended."""
        if self.process is None:
            return None
        return self.process.poll()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM to the main process (it ends its children), then SIGKILL to its process group,
        which also ends children a main process that died has left behind."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        _kill_group(process.pid)
        if process.poll() is None:
            process.wait()

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # --- control ---------------------------------------------------------------------------------

    def set_destination_active(self, index: int, active: bool) -> None:
        """Turn a worker on (with probing, so Kamailio's pings keep watching it) or off."""
        destination = self.destinations[index]
        self.rpc("dispatcher.set_state", "ap" if active else "ip", DISPATCHER_SET, destination.uri)

    def destination_states(self) -> dict[str, dict]:
        """Each worker's URI → {"flags": e.g. "AP" or "IP", "load": its calls as Kamailio counts them}."""
        reply = self.rpc("dispatcher.list")
        states = {}
        for record in reply.get("RECORDS", []):
            targets = record.get("SET", {}).get("TARGETS", [])
            for target in targets:
                dest = target.get("DEST", {})
                states[dest.get("URI")] = {"flags": dest.get("FLAGS"),
                                           "load": (dest.get("RUNTIME") or {}).get("DLGLOAD")}
        return states

    def rpc(self, method: str, *params) -> dict:
        """One JSON-RPC call over Kamailio's datagram control socket."""
        if not self.running():
            raise KamailioError("Kamailio is not running")
        request_id = next(self._rpc_ids)
        request = {"jsonrpc": "2.0", "method": method, "id": request_id}
        if params:
            request["params"] = list(params)
        client_path = self.rundir / f"rpc-{os.getpid()}-{secrets.token_hex(3)}.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
            client.bind(str(client_path))
            try:
                client.settimeout(3)
                client.sendto(json.dumps(request).encode(), str(self.rpc_path))
                data = client.recv(1 << 20)
            except OSError as exc:
                raise KamailioError(f"{method}: no answer on {self.rpc_path}: {exc}") from None
            finally:
                client_path.unlink(missing_ok=True)
        try:
            reply = json.loads(data)
        except ValueError:
            raise KamailioError(f"{method}: unreadable answer {data[:200]!r}") from None
        if "error" in reply:
            raise KamailioError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result") or {}


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _udp_port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def options_ping(host: str, port: int, timeout: float = 1.0) -> int | None:
    """Send one OPTIONS to host:port; the status code of the answer, or None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        local_port = sock.getsockname()[1]
        token = secrets.token_hex(8)
        target = f"[{host}]" if ":" in host else host
        request = (f"OPTIONS sip:{target}:{port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {target}:{local_port};branch=z9hG4bK{token};rport\r\n"
                   "Max-Forwards: 70\r\n"
                   f"From: <sip:gateway@{target}>;tag={token}\r\n"
                   f"To: <sip:{target}:{port}>\r\n"
                   f"Call-ID: {token}@cicada\r\n"
                   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        sock.settimeout(timeout)
        try:
            sock.sendto(request.encode(), (host, port))
            data = sock.recv(65535)
        except OSError:
            return None
    first_line = data.split(b"\r\n", 1)[0].split()
    try:
        return int(first_line[1])
    except (IndexError, ValueError):
        return None
