"""A connection to the mail queue as a desktop (or a test, or `cicada mailq
status`) uses it: commands that get a reply or a clear error, and events.

Every socket is a CURVE client of the mail queue (bus.curve): it must be
given the mail queue's public key, and has a fresh key pair of its own
unless given one (the command-line tools on the mail queue's host use the
service's own pair). The agent logs in with the session the application
service issued (`login(token)`), never a password; the client then presents
the session's event key on its event socket (bus.delivery) and receives
what the mail queue lets that session see. The request and event plumbing,
shared with the gateway's client, is bus.client's.
"""

from __future__ import annotations

import zmq

from bus import mailq
from bus.client import ServiceClient, ServiceError
from bus.keys import KeyPair, new_keypair


class MailqError(ServiceError):
    """The mail queue refused a command; `code` says why in a word."""


class MailqUnreachable(MailqError):
    def __init__(self, address: str, timeout: float, service: str = "The mail queue"):
        super().__init__("unreachable", f"{service} at {address} did not answer within {timeout:g} s.")


class MailqClient(ServiceClient):
    service = "The mail queue"
    events_catalogue = mailq.EVENTS
    error = MailqError

    def __init__(self, command_address: str, event_address: str | None = None, *, server_public_key: bytes,
                 keypair: KeyPair | None = None, timeout: float = 5.0, context: zmq.Context | None = None):
        # one key pair for both sockets, one per client: the service may tell its connections apart
        super().__init__(command_address, event_address, server_key=server_public_key,
                         keypair=keypair or new_keypair(), timeout=timeout, context=context)
        self.server_public_key = server_public_key

    def unreachable(self, timeout: float) -> MailqUnreachable:
        return MailqUnreachable(self.command_address, timeout, self.service)

    def login(self, token: str, *, queues: list[str] | None = None, client: str = "",
              watch: bool = False) -> mailq.LoginResult:
        """Log in with the application service's session `token` (`watch`: a supervisor watching),
        and receive the session's events from then on."""
        result = self.request(mailq.MailLogin(token=token, queues=queues, client=client, watch=watch),
                              mailq.LoginResult)
        self.session, self.agent = result.session, result.agent
        if self._events is not None and not self.subscribe(result.events):
            raise MailqError("no_events", f"The mail queue at {self.event_address} did not confirm the events.")
        return result

    def set_available(self, channel: str, available: bool = True) -> mailq.SeatView:
        return self.command(mailq.SetAvailable, mailq.SeatView, channel=channel, available=available)

    def snapshot(self) -> mailq.SeatView:
        return self.command(mailq.Snapshot, mailq.SeatView)

    def status(self) -> mailq.StatusResult:
        """The whole status for a supervisor's session or the mail queue's own key; an agent's own."""
        return self.request(mailq.Status(session=self.session or ""), mailq.StatusResult)

    def supervisor_away(self, token: str, agent: str, channel: str | None = None) -> mailq.SupervisedSeatView:
        """Set an agent of the supervisor's org units Away on `channel` (None: email and chat); his seat after."""
        return self.request(mailq.SupervisorAway(token=token, agent=agent, channel=channel),
                            mailq.SupervisedSeatView)

    def accept(self, conversation_id: int) -> mailq.WorkView:
        return self.command(mailq.AcceptWork, mailq.WorkView, conversation_id=conversation_id)

    def reject(self, conversation_id: int) -> None:
        self.command(mailq.RejectWork, conversation_id=conversation_id)

    def pull(self, conversation_id: int) -> mailq.WorkView:
        return self.command(mailq.PullWork, mailq.WorkView, conversation_id=conversation_id)

    def chat_send(self, conversation_id: int, text: str) -> mailq.ChatLineView:
        return self.command(mailq.ChatSend, mailq.ChatLineView, conversation_id=conversation_id, text=text)

    def close_work(self, conversation_id: int, *, outcome: str | None = None, notes: str | None = None) -> None:
        self.command(mailq.CloseWork, conversation_id=conversation_id, outcome=outcome, notes=notes)

    def transfer(self, conversation_id: int, *, queue: str | None = None, agent: str | None = None,
                 note: str | None = None) -> None:
        self.command(mailq.TransferWork, conversation_id=conversation_id, queue=queue, agent=agent, note=note)

    def transfer_targets(self) -> mailq.TransferTargetsResult:
        return self.command(mailq.TransferTargets, mailq.TransferTargetsResult)

    def ping(self) -> None:
        self.command(mailq.Ping)

    def logout(self) -> None:
        self.command(mailq.MailLogout)

    def subscribe(self, key: str, timeout: float | None = None) -> bool:
        """Present an event key until the mail queue confirms it; False if it did not (a key
        not granted, or revoked)."""
        return self._confirm_events(key, timeout)
