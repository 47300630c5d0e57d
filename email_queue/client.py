"""A connection to the mail queue as a desktop (or a test) uses it: the
CTI gateway's request/reply client (lazy pirate, clear errors) speaking
bus.mailq."""

from __future__ import annotations

from bus import mailq
from cti_gateway.client import CtiClient, CtiError

MailqError = CtiError


class MailqClient(CtiClient):
    service = "The mail queue"
    events_catalogue = mailq.EVENTS

    def login(self, agent: str, password: str, *, queues: list[str] | None = None,  # type: ignore[override]
              client: str = "") -> mailq.LoginResult:
        result = self.request(mailq.MailLogin(agent=agent, password=password, queues=queues, client=client),
                              mailq.LoginResult)
        self.session, self.agent = result.session, agent
        if self._events is not None:
            self.subscribe(mailq.agent_topic(agent))
        return result

    def set_available(self, channel: str, available: bool = True) -> mailq.SeatView:
        return self.command(mailq.SetAvailable, mailq.SeatView, channel=channel, available=available)

    def snapshot(self) -> mailq.SeatView:
        return self.command(mailq.Snapshot, mailq.SeatView)

    def status(self) -> mailq.StatusResult:
        return self.request(mailq.Status(), mailq.StatusResult)

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
