"""The audit trail of customer data: who changed what, and when."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from crm.models import AuditEntry
from crm.permissions import Actor


def record(session: Session, actor: Actor, *, entity: str, entity_id: int | None,
           action: str, partner_id: int | None = None, changes: dict | None = None) -> None:
    session.add(AuditEntry(
        user_id=actor.user_id, partner_id=partner_id, entity=entity, entity_id=entity_id,
        action=action, changes=_jsonable(changes) if changes else None,
    ))


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
