"""Users: argon2 passwords, roles, the org hierarchy and skills."""

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles
from sqlalchemy import select

from crm.errors import AuthenticationFailed, PermissionDenied, ValidationError
from crm.models import User, UserSkill
from crm.permissions import Actor
from crm.services.users import (
    authenticate,
    create_org_unit,
    create_user,
    org_path,
    set_skill,
)

SYSTEM = Actor.system()


def test_password_is_hashed_with_argon2_and_checked(db):
    with db.unit_of_work() as s:
        create_user(s, SYSTEM, username="lina", password="s3cret-pass", role="agent")
    with db.reading() as s:
        stored = s.scalar(select(User.password_hash))
        assert stored.startswith("$argon2") and "s3cret-pass" not in stored
        actor = authenticate(s, "lina", "s3cret-pass")
        assert (actor.username, actor.role) == ("lina", "agent")


@pytest.fixture
def product_hasher(monkeypatch):
    """The product's own argon2 parameters (the other tests hash with the cheapest, see conftest)."""
    import conftest
    from crm.services import users

    monkeypatch.setattr(users, "_hasher", conftest.PRODUCT_HASHER)


def test_the_product_hashes_with_argon2s_recommended_parameters(db, product_hasher):
    with db.unit_of_work() as s:
        create_user(s, SYSTEM, username="lina", password="s3cret-pass", role="agent")
    with db.reading() as s:
        stored = s.scalar(select(User.password_hash))
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY


def test_a_password_hashed_with_weaker_parameters_is_hashed_again_at_sign_in(db, product_hasher):
    weak = PasswordHasher.from_parameters(profiles.CHEAPEST).hash("s3cret-pass")
    with db.unit_of_work() as s:
        create_user(s, SYSTEM, username="lina", password="", password_hash=weak, role="agent")
    with db.unit_of_work() as s:
        assert authenticate(s, "lina", "s3cret-pass").username == "lina"
    with db.reading() as s:
        stored = s.scalar(select(User.password_hash))
        assert stored != weak and extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
        assert authenticate(s, "lina", "s3cret-pass").username == "lina"


@pytest.mark.parametrize("username, password", [("lina", "wrong"), ("nobody", "s3cret-pass")])
def test_wrong_login_gets_one_message_that_does_not_tell_which_part(db, username, password):
    with db.unit_of_work() as s:
        create_user(s, SYSTEM, username="lina", password="s3cret-pass", role="agent")
    with db.reading() as s, pytest.raises(AuthenticationFailed, match="^Wrong user name or password.$"):
        authenticate(s, username, password)


def test_disabled_user_cannot_log_in(db):
    with db.unit_of_work() as s:
        create_user(s, SYSTEM, username="lina", password="s3cret-pass", role="agent").is_active = False
    with db.reading() as s, pytest.raises(AuthenticationFailed, match="disabled"):
        authenticate(s, "lina", "s3cret-pass")


def test_user_rules(db):
    with db.unit_of_work() as s:
        create_user(s, SYSTEM, username="lina", password="s3cret-pass", role="agent")
        with pytest.raises(ValidationError, match="taken"):
            create_user(s, SYSTEM, username="lina", password="s3cret-pass", role="agent")
        with pytest.raises(ValidationError, match="unknown role"):
            create_user(s, SYSTEM, username="x", password="s3cret-pass", role="boss")
        with pytest.raises(ValidationError, match="at least 8"):
            create_user(s, SYSTEM, username="y", password="short", role="agent")
        agent = Actor.for_user(s.scalar(select(User)))
        with pytest.raises(PermissionDenied, match="user.manage"):
            create_user(s, agent, username="z", password="s3cret-pass", role="administrator")


def test_org_hierarchy_and_skills(db):
    with db.unit_of_work() as s:
        center = create_org_unit(s, SYSTEM, kind="contact_center", code="CC", name="Contact center")
        site = create_org_unit(s, SYSTEM, kind="site", code="BJ", name="Beijing", parent=center)
        team = create_org_unit(s, SYSTEM, kind="team", code="BJ-1", name="Billing", parent=site)
        with pytest.raises(ValidationError, match="belongs under a site"):
            create_org_unit(s, SYSTEM, kind="team", code="BAD", name="Bad", parent=center)
        user = create_user(s, SYSTEM, username="lina", password="s3cret-pass", role="agent", org_unit=team)
        set_skill(s, SYSTEM, user, "mandarin", 9)
        set_skill(s, SYSTEM, user, "mandarin", 7)
        with pytest.raises(ValidationError, match="between 1 and 10"):
            set_skill(s, SYSTEM, user, "billing", 11)
        assert [u.code for u in org_path(team)] == ["CC", "BJ", "BJ-1"]
        assert [(k.skill.name, k.level) for k in s.scalars(select(UserSkill))] == [("mandarin", 7)]
