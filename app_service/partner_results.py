"""Business partners as the desktop names them: a reference and an identification's
match. Plain dataclasses, shared by the application service and its clients."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartnerRef:
    partner_id: int
    partner_no: str
    name: str
    kind: str = "person"
    function: str | None = None


@dataclass(frozen=True)
class PartnerMatch:
    partner: PartnerRef
    matched_by: str
    contact_persons: tuple[PartnerRef, ...] = ()
    organizations: tuple[PartnerRef, ...] = ()
