"""The login guard: floods and guessing are refused before any password
hash is spent, lockouts are logged, and real agents get through."""

from __future__ import annotations

import logging

import pytest

from crm.login_guard import GuardSettings, LoginGuard, LoginRefused


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempt(guard: LoginGuard, account: str, source: str, ok: bool | None) -> None:
    guard.admit(account, source)
    guard.finished(account, source, succeeded=ok)


def test_five_wrong_passwords_lock_the_account_for_that_source_only(caplog):
    clock = Clock()
    guard = LoginGuard(GuardSettings(), service="test", clock=clock)
    with caplog.at_level(logging.WARNING, "cicada.login_guard"):
        for _ in range(5):
            attempt(guard, "ann", "10.0.0.9", False)
    with pytest.raises(LoginRefused) as refused:
        guard.admit("ann", "10.0.0.9")
    assert refused.value.code == "locked" and 299 <= refused.value.retry_after <= 300
    assert "'ann' from 10.0.0.9 locked" in caplog.text
    attempt(guard, "ann", "10.0.0.5", True)  # her own PC still logs her in
    clock.now += 301
    attempt(guard, "ann", "10.0.0.9", True)  # and the lock runs out


def test_failures_from_many_sources_lock_the_account_for_everyone(caplog):
    clock = Clock()
    guard = LoginGuard(GuardSettings(account_failures=20), service="test", clock=clock)
    with caplog.at_level(logging.WARNING, "cicada.login_guard"):
        for i in range(20):
            attempt(guard, "Bob", f"10.0.1.{i}", False)
    with pytest.raises(LoginRefused) as refused:
        guard.admit("bob", "10.0.0.5")  # the account name is not case-sensitive here
    assert refused.value.code == "locked"
    assert "account 'bob' locked for everyone" in caplog.text
    assert guard.locked_accounts() == ["bob"]
    guard.unlock("bob")
    attempt(guard, "bob", "10.0.0.5", True)


def test_a_source_failing_on_many_accounts_is_blocked():
    clock = Clock()
    guard = LoginGuard(GuardSettings(source_failures=30), clock=clock)
    for i in range(30):
        attempt(guard, f"user{i}", "10.6.6.6", False)
        clock.now += 1  # slow enough for the rate limit
    with pytest.raises(LoginRefused) as refused:
        guard.admit("ann", "10.6.6.6")
    assert refused.value.code == "locked"
    attempt(guard, "ann", "10.0.0.5", True)


def test_a_burst_of_attempts_is_rate_limited_then_allowed_again():
    clock = Clock()
    guard = LoginGuard(GuardSettings(source_burst=30, source_rate=2.0), clock=clock)
    for i in range(30):
        attempt(guard, f"agent{i}", "10.0.0.1", True)  # a shift starting behind one address
    with pytest.raises(LoginRefused) as refused:
        guard.admit("agent31", "10.0.0.1")
    assert refused.value.code == "rate_limited" and refused.value.retry_after == pytest.approx(0.5)
    attempt(guard, "agent31", "10.0.0.2", True)  # another source is not affected
    clock.now += 0.5
    attempt(guard, "agent31", "10.0.0.1", True)


def test_only_a_few_checks_run_at_once_per_source_and_in_all():
    guard = LoginGuard(GuardSettings(running_per_source=2, running_total=3), clock=Clock())
    guard.admit("a", "s1")
    guard.admit("b", "s1")
    with pytest.raises(LoginRefused) as refused:
        guard.admit("c", "s1")
    assert refused.value.code == "busy"
    guard.admit("c", "s2")
    with pytest.raises(LoginRefused):
        guard.admit("d", "s3")  # three running in all
    guard.finished("a", "s1", succeeded=True)
    guard.admit("d", "s3")
    assert guard.refused == 2


def test_an_unavailable_database_is_not_counted_as_a_failure():
    guard = LoginGuard(GuardSettings(account_source_failures=2), clock=Clock())
    for _ in range(5):
        attempt(guard, "ann", "s", None)
    attempt(guard, "ann", "s", True)


def test_invented_names_and_sources_cannot_grow_the_tables_without_bound():
    clock = Clock()
    guard = LoginGuard(GuardSettings(max_entries=100, source_burst=10**9), clock=clock)
    for i in range(5000):
        attempt(guard, f"name{i}", f"10.{i // 250}.{i % 250}.1", False)
    assert len(guard._pair_failures.table) <= 100
    assert len(guard._account_failures.table) <= 100
    assert len(guard._source_failures.table) <= 100
    assert len(guard._buckets) <= 100
