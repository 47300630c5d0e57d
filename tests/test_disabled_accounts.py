"""A disabled account does nothing, on every path where a user name becomes an
actor: the password logins (desktop, gateway, mail queue, broadcasts), the
command line's --as, and the next step of an agent disabled while logged in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

import factories
from desktop_harness import app_of, log_in_desktop, url_of  # noqa: F401 - fixture
from agent_desktop import crm_access
from cicada.cli import main
from crm.errors import AccountDisabled, AuthenticationFailed
from crm.services.sessions import SessionEnded
from crm.models import User
from crm.permissions import Actor
from crm.services import sessions
from crm.services.broadcasts import authorize_broadcast
from crm.services.conversations import answering, chat_in, handling, queueing
from crm.services.conversations.queueing import Route
from crm.services.users import actor_for, authenticate
from cti_gateway.directory import CrmDirectory
from gateway_harness import make_gateway  # noqa: F401 - fixture

DISABLED = "The account {} is disabled; ask an administrator."


def disable(db, username: str) -> None:
    with db.unit_of_work() as session:
        session.execute(update(User).where(User.username == username).values(is_active=False))


def test_a_disabled_account_cannot_log_in_but_a_wrong_password_does_not_tell_it_is_disabled(db, app_of, tmp_path):
    with db.unit_of_work() as session:
        token = sessions.open_session(session, factories.user(session, "ann"), client="desktop", source="test").token
    disable(db, "ann")
    with db.unit_of_work() as session:
        with pytest.raises(AccountDisabled, match=DISABLED.format("ann")):
            authenticate(session, "ann", factories.PASSWORD)
        with pytest.raises(AuthenticationFailed, match="^Wrong user name or password.$"):
            authenticate(session, "ann", "a guess")
    with pytest.raises(AccountDisabled):
        log_in_desktop(app_of(url_of(db)), "ann", tmp_path, factories.PASSWORD)  # the desktop's sign-in
    with pytest.raises(sessions.SessionEnded) as ended:
        CrmDirectory(db).agent_of_session(token)  # the gateway's, with her session from before
    assert ended.value.reason == "account_disabled"


def test_no_actor_is_made_for_a_disabled_account(db):
    with db.unit_of_work() as session:
        factories.user(session, "ann")
    disable(db, "ann")
    with db.reading() as session:
        with pytest.raises(AccountDisabled, match=DISABLED.format("ann")):
            actor_for(session, "ann")
        with pytest.raises(AccountDisabled):
            Actor.for_user(session.query(User).filter_by(username="ann").one())


def test_a_disabled_supervisor_cannot_broadcast(db):
    with db.unit_of_work() as session:
        token = sessions.open_session(session, factories.user(session, "sue", "supervisor"), client="cli",
                                      source="test").token
    disable(db, "sue")
    with db.reading() as session, pytest.raises(AccountDisabled, match=DISABLED.format("sue")):
        authorize_broadcast(session, "sue", factories.PASSWORD, "Everyone may refund anything today")
    with pytest.raises(sessions.SessionEnded, match="disabled"):
        CrmDirectory(db).broadcast_sender(token, "Everyone may refund anything today")


@pytest.mark.parametrize("command", [
    ["crm", "search", "zhang", "--as", "rep"],
    ["crm", "add", "--last", "Li", "--first", "Lei", "--as", "rep"],
    ["scripts", "list", "--as", "rep"],
    ["actions", "reset", "--level", "CC", "--as", "rep"],
])
def test_the_command_line_refuses_to_act_as_a_disabled_user(capsys, tmp_path, monkeypatch, command):
    from crm.db import Database, make_engine, upgrade

    monkeypatch.delenv("CICADA_DB_URL", raising=False)
    monkeypatch.delenv("CICADA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    database = Database(engine)
    with database.unit_of_work() as session:
        factories.user(session, "rep", "supervisor")
    disable(database, "rep")
    engine.dispose()
    code = main(["--db-url", url, *command])
    err = capsys.readouterr().err
    assert code == 2 and DISABLED.format("rep") in err and "Traceback" not in err


def route(_facts) -> Route:
    return Route("service", 5, timedelta(hours=4))


def test_an_agent_disabled_while_logged_in_is_refused_at_his_next_step(db, app_of, tmp_path):
    with db.unit_of_work() as session:
        factories.user(session, "ann")
        opened = chat_in.open_chat(session, name="Mei Lin", email="mei@example.com", phone=None, page=None,
                                   language="en", route=route)
        queueing.set_assignment(session, opened.conversation_id, "assigned", "ann")
    desk = log_in_desktop(app_of(url_of(db)), "ann", tmp_path, factories.PASSWORD)  # logged in before
    ann = desk.actor
    disable(db, "ann")
    with pytest.raises(SessionEnded, match="disabled"):
        crm_access.search(desk.crm, "Mei")  # the desktop's next query
    with db.unit_of_work() as session, pytest.raises(AccountDisabled):
        answering.chat_reply(session, ann, opened.conversation_id, "Refund approved!")  # the mail queue's
    with db.unit_of_work() as session, pytest.raises(AccountDisabled):
        answering.add_note(session, ann, opened.conversation_id, "noted")
    with db.unit_of_work() as session, pytest.raises(AccountDisabled):
        handling.close(session, ann, opened.conversation_id, outcome="resolved")


def test_an_agent_disabled_while_logged_in_to_the_gateway_is_logged_out(make_gateway):
    from bus import cti
    from crm.db import Database

    gateway = make_gateway(account_check_seconds=0.5)
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5999")
    bob = gateway.desktop("bob", "sip:bob@127.0.0.1:5998")
    database = Database.open(gateway.db_url)
    try:
        disable(database, "ann")
    finally:
        database.dispose()
    ann.wait_for(lambda e: isinstance(e, cti.AgentStateChanged) and e.state.mode == "logged_out", 10)
    notice = ann.wait_for(lambda e: isinstance(e, cti.AgentNotice) and e.code == "account_disabled", 5)
    assert "disabled" in notice.text
    assert [a.agent for a in gateway.status().agents] == ["bob"]
    assert bob.snapshot().state.mode == "ready"
    assert "ann is logged out: the account is disabled" in gateway.log()
