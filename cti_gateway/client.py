"""A connection to the CTI gateway as a desktop (or a test, or `cicada
phone`) uses it: commands that get a reply or a clear error, and events.

Every socket is a CURVE client of the service's public key (`server_key`, the
text `cicada keys show` prints), with a fresh key pair of its own unless given
one: a service with another key, or a listener in between, gets nothing.
Events come to a DEALER once it has presented the event key the service
granted this client's session (bus.delivery): `login` and `watch` do it.
The request and event plumbing, shared with the mail queue's client, is
bus.client's.
"""

from __future__ import annotations

import zmq

from bus import cti
from bus.client import ServiceClient, ServiceError
from bus.keys import KeyPair


class CtiError(ServiceError):
    """The gateway refused a command; `code` says why in a word."""


class GatewayUnreachable(CtiError):
    def __init__(self, address: str, timeout: float, service: str = "The CTI gateway"):
        super().__init__("unreachable", f"{service} at {address} did not answer within {timeout:g} s.")


class CtiClient(ServiceClient):
    service = "The CTI gateway"
    events_catalogue = cti.EVENTS
    error = CtiError

    def __init__(self, command_address: str, event_address: str | None = None, *,
                 server_key: bytes | str, timeout: float = 5.0, context: zmq.Context | None = None,
                 keypair: KeyPair | None = None):
        server_key = server_key.encode("ascii") if isinstance(server_key, str) else server_key
        if not server_key:
            raise ValueError("the service's public key is needed (what `cicada keys show` prints on its host)")
        super().__init__(command_address, event_address, server_key=server_key, keypair=keypair,
                         timeout=timeout, context=context)

    def unreachable(self, timeout: float) -> GatewayUnreachable:
        return GatewayUnreachable(self.command_address, timeout, self.service)

    def login(self, token: str, *, device: str | None = None,
              queues: list[str] | None = None, takeover: bool = False,
              client: str = "") -> cti.LoginResult:
        """Log in with the session the application service gave the agent (its token)."""
        result = self.request(cti.AgentLogin(token=token, device=device, queues=queues,
                                             takeover=takeover, client=client),
                              cti.LoginResult)
        self.session, self.agent = result.session, result.state.agent
        if self._events is not None:
            self.receive_events(result.events_key)
        return result

    def watch(self, token: str) -> cti.WatchResult:
        """Receive the events this session may see without logging in as an agent: a
        supervisor's (his org units' agents), or an agent's own on another connection."""
        result = self.request(cti.WatchEvents(token=token), cti.WatchResult)
        self.receive_events(result.events_key)
        return result

    def set_mode(self, mode: str, reason: str | None = None) -> cti.AgentView:
        return self.command(cti.AgentSetMode, cti.AgentView, mode=mode, reason=reason)

    def snapshot(self) -> cti.SnapshotResult:
        return self.command(cti.AgentSnapshot, cti.SnapshotResult)

    def status(self, token: str = "") -> cti.StatusResult:
        """The operator's status (a client made with the gateway's own key pair), or with a
        supervisor's session the agents he may see."""
        return self.request(cti.GatewayStatus(token=token), cti.StatusResult)

    # --- a supervisor's commands, with his CRM session --------------------------------------------

    def supervisor_not_ready(self, token: str, agent: str, reason: str) -> cti.AgentActionResult:
        """Set an agent of the supervisor's org units Not ready (when his call ends, if on one)."""
        return self.request(cti.SupervisorNotReady(token=token, agent=agent, reason=reason), cti.AgentActionResult)

    def supervisor_log_off(self, token: str, agent: str) -> cti.AgentActionResult:
        """Log an agent of the supervisor's org units off (when his call ends, if on one)."""
        return self.request(cti.SupervisorLogOff(token=token, agent=agent), cti.AgentActionResult)

    def send_message(self, token: str, text: str, *, queue: str | None = None, team: str | None = None,
                     agent: str | None = None) -> cti.BroadcastResult:
        """A supervisor's message to the agents of his org units: all, a queue's, a team's (an org
        unit's code), or one."""
        return self.request(cti.SupervisorBroadcast(token=token, text=text, queue=queue, team=team, agent=agent),
                            cti.BroadcastResult)

    def receive_events(self, key: str) -> None:
        """Present the session's event key; CtiError if the service does not confirm it."""
        if not self._confirm_events(key):
            raise CtiError("events_refused", f"{self.service} did not confirm this session's events.")
