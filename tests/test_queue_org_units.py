"""Queues belong to org units: against the real gateway and mail queue, a supervisor of unit north
sees queue qa (of north) with nobody logged in to it, its figures, its contacts step by step and its
place in his status, and never queue qb (of south), not even when one of his agents serves it; an
administrator sees both; a queue naming an org unit the CRM has not got is refused at start, with
the file, the section and the name."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bus import cti
from bus import mailq as bus
from crm.db import Database, make_engine, upgrade
from crm.permissions import Actor
from crm.services.supervision import UnknownOrgUnit, WatchScope, checked_queue_org_units
from crm.services.users import create_org_unit, create_user, user_by_name
from gateway_harness import (  # noqa: F401 - fixtures
    _HASH,
    ROOT,
    RunningGateway,
    customer,
    make_gateway,
    media,
    phone,
)
from mailq_harness import SERVICE, RunningMailq

pytestmark = pytest.mark.slow

NORTH_AND_SOUTH = [{"name": "qa", "numbers": ["4001"], "org_units": ["north"]},
                   {"name": "qb", "numbers": ["4002"], "org_units": ["south"]}]


# --- the rule ---------------------------------------------------------------------------------

def test_the_rule_a_queues_org_units_decide_and_without_them_its_agents_do():
    sue = WatchScope(False, frozenset({2, 3}), frozenset({"north", "north-1"}))
    assert sue.sees_queue(["north-1"], served_by_his_agents=False)  # a unit below his
    assert not sue.sees_queue(["south"], served_by_his_agents=True)  # his agent there changes nothing
    assert sue.sees_queue([], served_by_his_agents=True) and not sue.sees_queue([], served_by_his_agents=False)
    assert WatchScope(True).sees_queue(["south"], served_by_his_agents=False)  # an administrator: all
    assert not WatchScope(False).sees_queue(["north"], served_by_his_agents=True)  # in no org unit: none of units'


def test_the_org_units_are_checked_against_the_crms(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    upgrade(engine)
    database = Database(engine)
    with database.unit_of_work() as session:
        create_org_unit(session, Actor.system(), kind="contact_center", code="north", name="North")
        assert checked_queue_org_units(session, {"qa": ("north",), "qc": ()}) == {"qa": ("north",), "qc": ()}
        with pytest.raises(UnknownOrgUnit, match=r"^queue qb: org_units names 'nowhere', which is not the code"):
            checked_queue_org_units(session, {"qa": ("north",), "qb": ("north", "nowhere")})
        # the embedded demo queues name the demo data's units: none where the CRM has not got them
        assert checked_queue_org_units(session, {"qa": ("BJ",), "qb": ("north",)}, demo=True) == {"qa": (), "qb": ()}
    database.dispose()


@pytest.mark.parametrize("units", [["north", "north"], [""], ["  "]])
def test_an_org_unit_named_twice_or_blank_is_refused_when_the_configuration_is_read(units):
    from cti_gateway.config import GatewayConfigError, load_gateway_config
    from email_queue.config import MailqConfigError, load_mailq_config

    with pytest.raises(GatewayConfigError, match=r"^cicada.toml: \[gateway\]: queue qa: org_units = .*: name each org"):
        load_gateway_config({"queues": [{"name": "qa", "org_units": units}]}, "cicada.toml")
    with pytest.raises(MailqConfigError, match=r"^cicada.toml: \[mailq\]: queue qa: org_units = .*: name each org"):
        load_mailq_config({"queues": [{"name": "qa", "org_units": units}], "rules": [], "default_queue": "qa",
                           "chat_queue": "qa"}, "cicada.toml")


# --- the gateway ------------------------------------------------------------------------------

def two_units(db_url: str) -> None:
    """Sites north and south, ann in north and bob in south, their supervisors sue and sid, and an
    administrator."""
    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            center = create_org_unit(session, Actor.system(), kind="contact_center", code="cc", name="CC")
            for code, agent, supervisor in (("north", "ann", "sue"), ("south", "bob", "sid")):
                unit = create_org_unit(session, Actor.system(), kind="site", code=code, name=code, parent=center)
                user_by_name(session, agent).org_unit = unit
                create_user(session, Actor.system(), username=supervisor, password="", password_hash=_HASH,
                            role="supervisor", display_name=supervisor.title(), org_unit=unit)
            create_user(session, Actor.system(), username="root", password="", password_hash=_HASH,
                        role="administrator", display_name="Root")
    finally:
        database.dispose()


def watched_queues(client, seconds: float) -> dict[str, set[str]]:
    """The queues whose figures (`stats`) and contacts' steps (`steps`) a watch receives."""
    seen: dict[str, set[str]] = {"stats": set(), "steps": set()}
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        got = client.next_event(min(left, 0.2))
        if got is None:
            continue
        if isinstance(got[1], cti.QueueStatsChanged):
            seen["stats"].add(got[1].stats.queue)
        elif isinstance(got[1], cti.QueueContactStep):
            seen["steps"].add(got[1].queue)
    return seen


def test_a_supervisor_sees_his_units_phone_queue_with_nobody_logged_in_and_never_anothers(
        make_gateway, tmp_path):
    gateway = make_gateway(queues=NORTH_AND_SOUTH, crm=two_units, stats_interval=0.5, concurrent_calls=2, lines_per_call=2,
                           agents={"ann": {}, "bob": {}})
    sue, sid, root = gateway.client(), gateway.client(), gateway.client()
    for client, user in ((sue, "sue"), (sid, "sid"), (root, "root")):
        client.watch(gateway.sign_in(user))
    callers = [customer(gateway, tmp_path, number=number, name=f"caller-{number}") for number in ("4001", "4002")]
    try:
        seen = {"sue": watched_queues(sue, 3), "sid": watched_queues(sid, 0.5), "root": watched_queues(root, 0.5)}
        assert seen["sue"] == {"stats": {"qa"}, "steps": {"qa"}}  # nobody is logged in to qa
        assert seen["sid"] == {"stats": {"qb"}, "steps": {"qb"}}
        assert seen["root"] == {"stats": {"qa", "qb"}, "steps": {"qa", "qb"}}
        status = {user: sorted(q.queue for q in gateway.client().status(token=gateway.sign_in(user)).queues)
                  for user in ("sue", "sid", "root")}
        assert status == {"sue": ["qa"], "sid": ["qb"], "root": ["qa", "qb"]}
        assert gateway.client().status(token=gateway.sign_in("sue")).queues[0].org_units == ["north"]
        gateway.desktop("ann", "sip:ann@127.0.0.1:5999", queues=["qb"])  # sue's agent, in south's queue
        time.sleep(0.5)
        assert "qb" not in watched_queues(sue, 1.5)["stats"]
        assert [q.queue for q in gateway.client().status(token=gateway.sign_in("sue")).queues] == ["qa"]
    finally:
        for caller in callers:
            caller.stop()


def test_a_queue_naming_an_org_unit_the_crm_has_not_got_is_refused_at_start(tmp_path):
    gateway = RunningGateway(tmp_path / "gateway", queues=[
        {"name": "qa", "numbers": ["4001"], "org_units": ["north"]}], agents={})
    gateway._prepare_database()
    config = gateway._write_config()
    started = subprocess.run([sys.executable, "-m", "cicada.cli", "gateway"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60, env={"CICADA_CONFIG": str(config), "CICADA_DB_URL": gateway.db_url,
                                                         "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert started.returncode == 2, started.stdout + started.stderr
    assert (f"cicada gateway: {config}: [gateway]: queue qa: org_units names 'north', which is not the code of "
            f"an org unit in the CRM") in started.stderr


# --- the mail queue ---------------------------------------------------------------------------

MAIL_QUEUES = {"queues": [{"name": "qa", "org_units": ["north"]}, {"name": "qb", "org_units": ["south"]}],
               "rules": [], "default_queue": "qa", "chat_queue": "qb", "silent_seconds": 30.0}


def mail_queues_seen(client, seconds: float) -> set[str]:
    seen, deadline = set(), time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        got = client.next_event(min(left, 0.2))
        if got is not None and isinstance(got[1], (bus.QueueChanged, bus.QueueContactStep)):
            seen.add(got[1].queue.name if isinstance(got[1], bus.QueueChanged) else got[1].queue)
    return seen


def test_a_mail_queue_of_org_units_is_told_only_to_their_supervisors(tmp_path):
    import smtplib

    mailq = RunningMailq(tmp_path / "mailq", **MAIL_QUEUES)
    mailq.prepare_database()
    for user, unit, role in (("ann", "north", "agent"), ("sue", "north", "supervisor"), ("sid", "south", "supervisor")):
        mailq.add_user(user, role=role, org_unit=unit)
    mailq.start(prepare=False)
    try:
        sue, sid = mailq.supervisor("sue", org_unit="north"), mailq.supervisor("sid", org_unit="south")
        boss = mailq.supervisor("boss", role="administrator")
        assert ([q.name for q in sue.status().queues], [q.name for q in sid.status().queues],
                [q.name for q in boss.status().queues]) == (["qa"], ["qb"], ["qa", "qb"])
        mailq.desktop("ann", channels=("email",), queues=["qb"])  # sue's agent in south's queue
        with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
            smtp.sendmail("kim@example.com", [SERVICE], b"Subject: invoice\r\n\r\nWhere is my invoice?\r\n")
        seen = {"sue": mail_queues_seen(sue, 3), "sid": mail_queues_seen(sid, 0.5), "boss": mail_queues_seen(boss, 0.5)}
        assert "qa" in seen["sue"] and "qb" not in seen["sue"], seen
        assert "qa" not in seen["sid"], seen  # the email went to qa: its counts and steps are north's
        assert "qa" in seen["boss"], seen
    finally:
        mailq.stop()


def test_a_mail_queue_naming_an_org_unit_the_crm_has_not_got_is_refused_at_start(tmp_path):
    mailq = RunningMailq(tmp_path / "mailq", **MAIL_QUEUES)
    with pytest.raises(RuntimeError, match="did not start"):
        mailq.start()
    assert "[mailq]: queue qa: org_units names 'north', which is not the code of an org unit in the CRM" in mailq.log()


# --- the demo ---------------------------------------------------------------------------------

def test_the_demo_queues_name_the_demo_datas_org_units_and_the_demo_supervisor_sees_his_sites():
    from crm.demo import seed
    from cti_gateway.config import load_gateway_config
    from email_queue.config import load_mailq_config

    units = {code: (uid, parent) for uid, parent, _kind, code, _name in seed._ORG_UNITS}
    supervisor_unit = next(unit for name, _role, _display, unit, *_ in seed._USERS if name == "supervisor")
    below = {uid for uid, parent in units.values() if uid == supervisor_unit or parent == supervisor_unit}
    below |= {uid for uid, parent in units.values() if parent in below}
    scope = WatchScope(False, frozenset(below), frozenset(code for code, (uid, _) in units.items() if uid in below))
    phone = load_gateway_config(None).queue_org_units()
    mail = load_mailq_config(None).queue_org_units
    assert {code for codes in [*phone.values(), *mail.values()] for code in codes} <= set(units)
    assert sorted(q for q, codes in phone.items() if scope.sees_queue(codes, False)) == [
        "billing-zh", "general-zh", "sales-zh", "technical-zh"]  # Beijing's, before agent1 signs in
    assert all(scope.sees_queue(codes, False) for codes in mail.values())
