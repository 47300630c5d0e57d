"""One sign-in: sessions issued once, accepted by every service, ended
everywhere by signing out, an expiry, a disabled account or a new password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import factories
from crm.clock import utcnow
from crm.errors import AccountDisabled, AuthenticationFailed, PermissionDenied
from crm.models import UserSession
from crm.permissions import Actor
from crm.services import sessions
from crm.services.sessions import SessionEnded
from crm.services.users import set_active, set_password


@pytest.fixture
def ann(db):
    with db.unit_of_work() as session:
        return factories.user(session, "ann")


def sign_in(db, username="ann", password=factories.PASSWORD, **options):
    with db.unit_of_work() as session:
        return sessions.sign_in(session, username, password, client="desktop", source="10.0.0.5", **options)


def actor_of(db, token):
    with db.reading() as session:
        return sessions.actor_of(session, token)


def test_a_session_opens_once_and_only_its_hash_is_kept(db, ann):
    signed = sign_in(db)
    assert signed.actor.username == "ann" and len(signed.token) >= 40
    assert actor_of(db, signed.token).actor.username == "ann"
    with db.reading() as session:
        stored = session.scalars(select(UserSession.token_hash)).all()
    assert stored == [sessions.token_hash(signed.token)] and signed.token not in stored


def test_a_wrong_password_opens_nothing(db, ann):
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        sign_in(db, password="guess")
    with db.reading() as session:
        assert session.scalars(select(UserSession)).all() == []


@pytest.mark.parametrize("token", ["", "x" * 500, "made-up", "\x00", "\ud800", None])
def test_an_unknown_or_malformed_token_opens_nothing(db, ann, token):
    with pytest.raises(SessionEnded) as ended:
        actor_of(db, token)
    assert ended.value.reason == "unknown"


def test_signing_out_ends_the_session_for_every_service(db, ann):
    signed = sign_in(db)
    other = sign_in(db)
    since = utcnow() - timedelta(seconds=1)
    with db.unit_of_work() as session:
        assert sessions.end_session(session, signed.token)
        assert not sessions.end_session(session, signed.token)  # once
    with pytest.raises(SessionEnded, match="You signed out"):
        actor_of(db, signed.token)
    assert actor_of(db, other.token).actor.username == "ann"  # her other session is hers to end
    with db.reading() as session:
        assert sessions.ended_since(session, since) == {signed.token_hash: "signed_out"}


def test_an_expired_session_opens_nothing_and_services_hear_of_it(db, ann):
    signed = sign_in(db, lifetime=timedelta(seconds=-1))
    with pytest.raises(SessionEnded, match="expired"):
        actor_of(db, signed.token)
    with db.reading() as session:
        assert sessions.ended_since(session, utcnow() - timedelta(minutes=1)) == {signed.token_hash: "expired"}


def test_disabling_an_account_ends_all_its_sessions_and_a_new_password_too(db, ann):
    first, second = sign_in(db), sign_in(db)
    with db.unit_of_work() as session:
        set_password(session, Actor.system(), "ann", "a new password 2")
    for signed in (first, second):
        with pytest.raises(SessionEnded, match="password was changed"):
            actor_of(db, signed.token)
    third = sign_in(db, password="a new password 2")
    with db.unit_of_work() as session:
        set_active(session, Actor.system(), "ann", False)
    with pytest.raises(SessionEnded, match="disabled"):
        actor_of(db, third.token)
    with pytest.raises(AccountDisabled):
        sign_in(db, password="a new password 2")


def test_an_account_disabled_behind_the_services_back_opens_nothing(db, ann):
    """Even without ending its sessions (a database edited by hand), the account is checked."""
    from sqlalchemy import update

    from crm.models import User

    signed = sign_in(db)
    with db.unit_of_work() as session:
        session.execute(update(User).values(is_active=False))
    with pytest.raises(SessionEnded) as ended:
        actor_of(db, signed.token)
    assert ended.value.reason == "account_disabled"


def test_only_managers_change_other_users_passwords(db, ann):
    with db.unit_of_work() as session:
        bob = factories.user(session, "bob")
    with db.unit_of_work() as session:
        with pytest.raises(PermissionDenied):
            set_password(session, bob, "ann", "another password")
        set_password(session, bob, "bob", "bob's new password")  # his own


def test_old_sessions_are_forgotten(db, ann):
    signed = sign_in(db, lifetime=timedelta(days=-40))
    sign_in(db)
    with db.unit_of_work() as session:
        assert sessions.purge_ended(session) == 1
    with pytest.raises(SessionEnded):
        actor_of(db, signed.token)
