"""The supervisors' console's alerts, kept with their start and end for later review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.models import ConsoleAlert


def started(session: Session, *, scope: str, kind: str, queue: str | None, agent: str | None,
            reason: str | None, threshold: float, worst: float, at: datetime) -> int:
    alert = ConsoleAlert(scope=scope, kind=kind, queue=queue, agent=agent, reason=reason, threshold=threshold,
                         worst=worst, started_at=at)
    session.add(alert)
    session.flush()
    return alert.id


def ended(session: Session, alert_id: int, *, worst: float, at: datetime) -> None:
    session.execute(update(ConsoleAlert).where(ConsoleAlert.id == alert_id).values(worst=worst, ended_at=at))


def end_left_open(session: Session, at: datetime) -> int:
    """Alerts a console that stopped left open end now (nobody watched them since); how many."""
    result = session.execute(update(ConsoleAlert).where(ConsoleAlert.ended_at.is_(None)).values(ended_at=at))
    return int(getattr(result, "rowcount", 0) or 0)


def recent(session: Session, scope: str, limit: int = 200) -> list[ConsoleAlert]:
    """A scope's alerts, newest first."""
    return list(session.scalars(select(ConsoleAlert).where(ConsoleAlert.scope == scope)
                                .order_by(ConsoleAlert.started_at.desc(), ConsoleAlert.id.desc()).limit(limit)))
