"""What a partner's interaction history is asked with and answers: plain values, free of
the database's library, so that the desktop builds a filter and reads rows without
SQLAlchemy (crm.services.history runs the query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo

from crm import texts
from crm.errors import ValidationError


@dataclass(frozen=True)
class HistoryFilter:
    channels: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None  # inclusive
    # Days are the reader's days: an agent in Beijing filtering on 1 December
    # means midnight to midnight there, not in UTC where the CRM keeps its times.
    zone: tzinfo = timezone.utc
    statuses: tuple[str, ...] = ()
    outcome: str | None = None

    def validate(self) -> None:
        from crm.models import Channel, InteractionStatus  # the service's check; clients only build filters

        texts.check_each({"the channel": self.channels, "the status": self.statuses, "the outcome": self.outcome})
        bad = [c for c in self.channels if c not in Channel.values()]
        bad += [s for s in self.statuses if s not in InteractionStatus.values()]
        if bad:
            raise ValidationError(f"unknown channel or status: {', '.join(bad)}")
        if self.since and self.until and self.until < self.since:
            raise ValidationError("the date range ends before it starts")


@dataclass(frozen=True)
class HistoryRow:
    interaction_id: int
    started_at: datetime
    channel: str
    direction: str
    status: str
    queue: str | None
    agent: str | None
    subject: str | None
    reason_code: str | None
    outcome_code: str | None
    talk_seconds: int
