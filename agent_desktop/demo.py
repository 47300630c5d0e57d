"""The demo's simulated customers: `cicada call` from a real demo customer's
number into a demo queue, so a newcomer can take a call in the desktop
without a phone line."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import dataclass

from sqlalchemy import func, select

from crm.db import Database
from crm.models import PhoneNumber


@dataclass(frozen=True)
class DemoCalls:
    sip_address: str  # the gateway's, HOST:PORT
    dnis: str  # the number dialled: chooses the queue
    config_path: str | None = None
    database_url: str | None = None
    hold_for: float = 120.0


def customer_number(database: Database, rng: random.Random | None = None) -> str:
    """The main mobile number of a random customer with a valid Chinese number."""
    rng = rng or random.Random()
    with database.reading() as session:
        candidates = select(PhoneNumber.e164).where(
            PhoneNumber.is_main.is_(True), PhoneNumber.e164.like("+861%"))
        count = session.scalar(select(func.count()).select_from(candidates.subquery()))
        if not count:
            return "13800138000"
        e164 = session.scalar(candidates.order_by(PhoneNumber.id).offset(rng.randrange(count)).limit(1))
    return e164.removeprefix("+86")


def place_call(calls: DemoCalls, ani: str) -> subprocess.Popen:
    """A customer's SIP call (pjsua2, in its own process) that stays on the
    line for `hold_for` seconds unless the agent hangs up first."""
    command = [sys.executable, "-m", "cicada.cli"]
    if calls.config_path:
        command += ["--config", calls.config_path]
    if calls.database_url:
        command += ["--db-url", calls.database_url]
    command += ["call", "--from", ani, "--to", calls.dnis, "--gateway", calls.sip_address,
                "--hold-for", f"{calls.hold_for:g}"]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
