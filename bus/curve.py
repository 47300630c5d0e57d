"""ZeroMQ CURVE on every socket that leaves a process.

A service's socket is a CURVE server with the service's key pair (bus.keys).
A client's socket trusts the service's public key and has a fresh key pair of
its own: clients are anonymous until they present a session. A client that
does not speak CURVE, or expects another server key, gets no connection at
all: nothing it sends is read, nothing is sent to it.

For a link between processes a service starts itself (the gateway and its
SIP workers), `ClientAllowList` admits only the client keys it is given.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import zmq
from zmq.auth.thread import ThreadAuthenticator

from bus.keys import KeyPair, new_keypair
from bus.refusals import RefusalLog

log = logging.getLogger("cicada.bus.curve")

KNOWN_CLIENTS_DOMAIN = "cicada-known-clients"


def make_server(sock: zmq.Socket, keypair: KeyPair) -> None:
    """Make `sock` a CURVE server with the service's keys; before it binds."""
    _check_unused(sock)
    sock.curve_secretkey = keypair.secret
    sock.curve_publickey = keypair.public
    sock.curve_server = True


def make_client(sock: zmq.Socket, server_public_key: bytes, keypair: KeyPair | None = None) -> KeyPair:
    """Make `sock` a CURVE client of the server with `server_public_key` (z85); before it connects.
    Its own key pair is `keypair` (a client the server must know) or a fresh one, returned."""
    _check_unused(sock)
    keypair = keypair or new_keypair()
    sock.curve_serverkey = server_public_key
    sock.curve_publickey = keypair.public
    sock.curve_secretkey = keypair.secret
    return keypair


def _check_unused(sock: zmq.Socket) -> None:
    """Security options count only for endpoints made after them: refuse a socket already in use,
    whose earlier endpoints would stay in clear."""
    if not zmq.has("curve"):
        raise RuntimeError("this libzmq has no CURVE; install pyzmq with its bundled libzmq")
    if sock.getsockopt(zmq.LAST_ENDPOINT):
        raise ValueError("set CURVE before the socket binds or connects: its endpoints so far are in clear")


class ClientAllowList:
    """A ZAP handler: the server sockets it guards admit only the client keys allowed.

    ZeroMQ has one ZAP handler per context, so there is one allow list per context.
    The context's other CURVE servers (not guarded) go on admitting any client. A
    guarded socket refuses everyone while the handler is not running, so stop it last.
    """

    def __init__(self, context: zmq.Context, keys: Iterable[bytes] = (), *,
                 domain: str = KNOWN_CLIENTS_DOMAIN):
        self.domain = domain
        self._allowed = frozenset(keys)
        self._lock = threading.Lock()
        # the handler runs in a thread of its own, with a plain context over the caller's (which may be asyncio)
        self._authenticator = ThreadAuthenticator(zmq.Context.shadow(context.underlying), log=log)
        self._refusals = RefusalLog(log, f"client keys on {domain}", interval=10.0)

    def guard(self, sock: zmq.Socket) -> None:
        """Let only allowed clients connect to `sock` (a CURVE server, not bound yet)."""
        _check_unused(sock)
        sock.zap_domain = self.domain.encode()
        sock.setsockopt(zmq.ZAP_ENFORCE_DOMAIN, 1)  # no handler running: nobody, rather than anybody

    def allow(self, public_key: bytes) -> None:
        with self._lock:
            self._allowed = self._allowed | {public_key}

    def forget(self, public_key: bytes) -> None:
        """Refuse this key's next connections (those made stay until they close)."""
        with self._lock:
            self._allowed = self._allowed - {public_key}

    def start(self) -> ClientAllowList:
        self._authenticator.start()
        self._authenticator.configure_curve_callback(self.domain, self)
        self._authenticator.configure_curve_callback("*", _AnyClient())  # sockets it does not guard
        return self

    def stop(self) -> None:
        self._authenticator.stop()

    def __enter__(self) -> ClientAllowList:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def callback(self, domain: str, public_key: bytes) -> bool:
        """Asked by the handler for each connection (z85 key), in its thread."""
        if public_key in self._allowed:
            return True
        self._refusals.refused("unknown key", public_key.decode("ascii", "replace"))
        return False


class _AnyClient:
    """The context's unguarded CURVE servers: any client, as if there were no handler."""

    @staticmethod
    def callback(domain: str, public_key: bytes) -> bool:
        return True
