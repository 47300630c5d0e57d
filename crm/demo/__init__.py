"""Demo data: realistic customers, users, products and history for trying Cicada
and for measuring it at size (see `crm.demo.seed`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


@dataclass
class SeedSummary:
    """What `seed` created: rows per table, the demo logins and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)
    seconds: float = 0.0


__all__ = ["DemoLogin", "SeedSummary"]
