"""The customer the business data shows and the call carries: the partner the agent
confirmed. When he changes (another partner, another contact, nobody) his data is
read again, and data read for an earlier one is not shown; while the call lasts he
is attached to it, so the gateway links him to its record and a transfer carries
him to the next agent.

Plain Python (no Qt): the controller reads the data and sends the attachment.
"""

from __future__ import annotations

from agent_desktop.workbench import DATA_CONTACT_PERSON, DATA_PARTNER, Phase, Workbench


class PartnerShown:
    def __init__(self) -> None:
        self.partner_id: int | None = None  # the confirmed partner whose data is shown (or read)

    def follow(self, bench: Workbench) -> bool:
        """Whether the confirmed partner changed since the last time: his data is to be read."""
        partner = bench.confirmed_partner
        partner_id = partner.partner_id if partner else None
        if partner_id == self.partner_id:
            return False
        self.partner_id = partner_id
        return True

    def shows(self, partner_id: int) -> bool:
        """Whether data read for `partner_id` is still the one to show."""
        return self.partner_id == partner_id


def call_attachment(bench: Workbench) -> tuple[str, dict] | None:
    """The call in progress and the partner (and contact person) to attach to it, or None
    without one (a contact without a call, or in wrap-up)."""
    contact = bench.contact
    if contact is None or not contact.call_id or contact.phase is Phase.WRAP_UP:
        return None
    data = {k: v for k, v in bench.handover_data().items() if k in (DATA_PARTNER, DATA_CONTACT_PERSON)}
    return contact.call_id, data
