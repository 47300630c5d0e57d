"""Supervisors' broadcasts: `cicada gateway broadcast` against a real gateway,
the CRM checking who may send, and the real desktops showing the message."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from crm.db import Database
from crm.permissions import Actor
from crm.services.users import create_org_unit, create_user, user_by_name
from desktop_harness import desks  # noqa: F401 - fixture
from gateway_harness import _HASH, BILLING, PASSWORD, ROOT, make_gateway  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
TECH = {"name": "tech", "numbers": ["4002"], "skills": {"tech": 1}}


def add_user(db_url: str, name: str, role: str) -> None:
    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            create_user(session, Actor.system(), username=name, password="", password_hash=_HASH, role=role,
                        display_name=name.title())
    finally:
        database.dispose()


def one_team(db_url: str, *names: str) -> None:
    """An org unit with these users: a supervisor's messages reach the agents of his org units only."""
    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            center = create_org_unit(session, Actor.system(), kind="contact_center", code="CC", name="CC")
            team = create_org_unit(session, Actor.system(), kind="site", code="S1", name="S1", parent=center)
            for name in names:
                user_by_name(session, name).org_unit_id = team.id
    finally:
        database.dispose()


def broadcast(gateway, user: str, text: str, *extra: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    env = {**os.environ, "CICADA_CONFIG": str(gateway.workdir / "cicada.toml"), "CICADA_DB_URL": gateway.db_url}
    return subprocess.run([sys.executable, "-m", "cicada.cli", "gateway", "broadcast", text, "--user", user,
                           "--password-stdin", *extra], input=password + "\n", capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


def messages(desk) -> list[str]:
    return [desk.window.messages.item(i).text() for i in range(desk.window.messages.count())]


def test_a_supervisor_broadcasts_to_a_queues_agents_and_to_everyone(make_gateway, desks, qtbot):
    gateway = make_gateway(queues=(BILLING, TECH), agents={"ann": {"billing": 5}, "bob": {"tech": 5},
                                                           "cid": {"tech": 5}})
    add_user(gateway.db_url, "sue", "supervisor")
    one_team(gateway.db_url, "sue", "ann", "bob")  # cid is in another's
    open_desk = desks(gateway)
    ann = open_desk("ann", "sip:ann@127.0.0.1:5998")
    bob = open_desk("bob", "sip:bob@127.0.0.1:5999")
    cid = open_desk("cid", "sip:cid@127.0.0.1:5997")

    sent = broadcast(gateway, "sue", "Team meeting at 15:00", "--queue", "billing")
    assert sent.returncode == 0, sent.stderr
    assert "Sent to 1 agent(s): ann" in sent.stdout
    qtbot.waitUntil(lambda: any("Sue to queue billing: Team meeting at 15:00" in m for m in messages(ann)),
                    timeout=5000)
    notice = ann.controller.bench.notices[-1]
    assert notice.level == "broadcast" and notice.params["sender"] == "Sue"
    shown = next(m for m in messages(ann) if "Team meeting" in m)
    assert shown.split()[0] and shown.index("Sue") > 0  # the time it was sent comes first

    sent = broadcast(gateway, "sue", "Fire drill in 5 minutes")
    assert sent.returncode == 0 and "Sent to 2 agent(s): ann, bob" in sent.stdout
    for desk in (ann, bob):
        qtbot.waitUntil(lambda desk=desk: any("Sue to all agents: Fire drill in 5 minutes" in m
                                              for m in messages(desk)), timeout=5000)
    assert not any("Team meeting" in m for m in messages(bob))
    assert not any("Fire drill" in m for m in messages(cid))  # not in her org units


def test_only_a_supervisor_may_broadcast_and_bad_input_is_refused_plainly(make_gateway):
    gateway = make_gateway(agents={"ann": {"billing": 5}})
    add_user(gateway.db_url, "sue", "supervisor")
    refused = broadcast(gateway, "ann", "I am the boss now")
    assert refused.returncode == 2 and "may not broadcast" in refused.stderr
    bad = broadcast(gateway, "sue", "hello", password="not-the-password")
    assert bad.returncode == 2 and "Wrong user name or password" in bad.stderr
    unknown = broadcast(gateway, "sue", "hello", "--queue", "nowhere")
    assert unknown.returncode == 2 and "There is no queue 'nowhere'" in unknown.stderr
    empty = broadcast(gateway, "sue", "   ")
    assert empty.returncode == 2 and "needs a text" in empty.stderr
