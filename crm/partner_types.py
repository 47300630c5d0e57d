"""A possible duplicate of a new customer (crm.services.partners): a plain value, free of
the database's library, which a client rebuilds from the service's answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DuplicateCandidate:
    partner_id: int
    partner_no: str
    name: str
    reasons: tuple[str, ...]
