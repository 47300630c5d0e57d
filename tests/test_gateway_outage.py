"""The gateway and a CRM database that goes away: calls go on, records wait
in the spool, a stop during the outage loses none of them, and a gateway
started while the database is away runs and lets agents in once it is back.
The database is a PostgreSQL server of the test's own, stopped as in a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bus import cti
from cti_gateway.client import CtiError
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    CUSTOMER_TONE,
    customer,
    event,
    make_gateway,
    media,
    offered,
    phone,
)
from private_pg import private_pg  # noqa: F401 - fixture


def test_a_stop_during_a_database_outage_loses_no_record(make_gateway, private_pg, media, phone, tmp_path):
    gateway = make_gateway(db_url=private_pg.url)
    ann_phone = phone("ann", media(ANN_TONE))
    ann = gateway.desktop("ann", ann_phone.uri)
    private_pg.stop()  # the database server dies

    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=2500)
    call_id = offered(ann).call_id
    event(ann, cti.CallAnswered)
    assert event(ann, cti.CallEnded, timeout=15).cause == "caller_hangup"
    assert caller.wait(10).ok  # the caller noticed nothing
    status = gateway.wait_until(lambda: (s := gateway.status()) and not s.records_healthy and s,
                                what="the records to wait for the database")
    assert status.records_backlog >= 5 and status.spool_unwritten >= 5
    env = {**os.environ, "CICADA_CONFIG": str(gateway.workdir / "cicada.toml")}  # its [keys]
    shown = subprocess.run([sys.executable, "-m", "cicada.cli", "gateway", "status", "--commands", gateway.commands],
                           capture_output=True, text=True, timeout=30, env=env)
    assert shown.returncode == 1, shown.stdout + shown.stderr
    words = " ".join(shown.stdout.split())  # the console wraps lines where the error's length puts them
    assert "call records cannot reach the CRM database" in words and "wait in the spool" in words, shown.stdout

    gateway.stop()
    assert "stay in the spool" in gateway.log()
    private_pg.start()
    gateway.restart()

    segment, = gateway.wait_for_record(call_id, lambda s: s[0].status == "closed", timeout=20)
    assert (segment.end_cause, segment.queue) == ("caller_hangup", "billing")
    assert 2 <= segment.talk_seconds <= 4 and segment.wrapup_seconds <= 2  # the stop ended her wrap-up
    assert gateway.queue_events(call_id) == ["entered", "offered", "answered", "ended"]  # each once


@pytest.mark.service_errors_expected("the CRM database is not available")
def test_a_gateway_started_while_the_database_is_away_lets_agents_in_once_it_is_back(
        make_gateway, private_pg, media, phone):
    gateway = make_gateway(db_url=private_pg.url)
    token = gateway.sign_in("ann")  # at the application service, before the database went away
    gateway.stop()
    private_pg.stop()

    gateway.restart()

    assert "the gateway starts without it" in gateway.log()
    with pytest.raises(CtiError) as refused:
        gateway.client().login(token, device="sip:ann@127.0.0.1:5999")
    assert refused.value.code == "crm_unavailable"
    private_pg.start()
    deadline = time.monotonic() + 20
    while True:
        try:
            gateway.client().login(token, device="sip:ann@127.0.0.1:5999")
            break
        except CtiError as exc:
            assert exc.code == "crm_unavailable" and time.monotonic() < deadline
            time.sleep(0.5)
    gateway.wait_until(lambda: gateway.status().records_healthy, timeout=15, what="the records to flow again")
    env = {**os.environ, "CICADA_CONFIG": str(gateway.workdir / "cicada.toml")}  # its [keys]
    shown = subprocess.run([sys.executable, "-m", "cicada.cli", "gateway", "status", "--commands", gateway.commands],
                           capture_output=True, text=True, timeout=30, env=env)
    assert shown.returncode == 0 and "everything works" in shown.stdout, shown.stdout + shown.stderr
