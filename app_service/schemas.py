"""The results the application service sends, as dataclasses: what its routes
return and what its client (app_service.client) reads back, without either
needing the other's framework. Most results are the `crm` services' own
dataclasses; what only the API has lives here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.actors import Actor
from crm.profile_types import AgentProfile


@dataclass(frozen=True)
class Me:
    user: Actor
    profile: AgentProfile


@dataclass(frozen=True)
class SignedIn:
    token: str  # the session: `Authorization: Bearer TOKEN` here, and what the gateway and mail queue accept
    expires_at: datetime  # UTC
    user: Actor
    profile: AgentProfile
