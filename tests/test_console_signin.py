"""Signing in to the console (in process, no gateway needed): the CRM's accounts and sessions,
the cookie, CSRF on every form, the login guard, agents refused, idle timeout, languages."""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path

import pytest
from sqlalchemy import select

from admin_console.app import ConsoleSettings, create_app
from admin_console.web import FORM_COOKIE, SIGN_IN_COOKIE
from bus.keys import ensure_keys
from crm.db import Database, make_engine
from crm.models import User, UserSession

import ports

with warnings.catch_warnings():  # Starlette would have httpx2; httpx serves these tests as well
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

from conftest import migrate_test_database
from console_harness import PASSWORD, people


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def console(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate_test_database(make_engine(url))
    people(url)
    key = ensure_keys(tmp_path / "keys", ["gateway"])["gateway"].public.decode()
    nowhere = f"tcp://127.0.0.1:{ports.free_port()}"  # no gateway: the wallboard says so
    database = Database.open(url)
    app = create_app(ConsoleSettings(url, gateway_commands=nowhere, gateway_events=nowhere, gateway_key=key,
                                     gateway_timeout=0.5), database=database)
    clock = Clock()
    app.state.sign_ins.clock = clock
    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.clock = clock
        client.database = database
        yield client


def form_token(client) -> str:
    page = client.get("/signin")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def sign_in(client, username="sue", password=PASSWORD):
    return client.post("/signin", data={"csrf": form_token(client), "username": username, "password": password},
                       follow_redirects=False)


def crm_sessions(client) -> list[UserSession]:
    with client.database.reading() as session:
        rows = list(session.scalars(select(UserSession).where(UserSession.client == "console")))
        session.expunge_all()  # keep the values read after the session ends
        return rows


def page_token(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_a_supervisor_signs_in_with_a_signed_httponly_strict_cookie_and_a_crm_session(console):
    reply = sign_in(console)
    assert reply.status_code == 303 and reply.headers["location"] == "/wallboard"
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith(SIGN_IN_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    [opened] = crm_sessions(console)
    assert opened.ended_at is None
    assert opened.token_hash not in cookie  # the browser holds no CRM token
    page = console.get("/wallboard")
    assert page.status_code == 200 and "Sue Supervisor" in page.text and 'id="board"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_an_administrator_gets_in_and_an_agent_is_refused_with_a_clear_page(console):
    assert sign_in(console, "ada").status_code == 303
    console.cookies.clear()
    refused = sign_in(console, "ann")
    assert refused.status_code == 403
    assert "The console is for supervisors" in refused.text and 'id="refused"' in refused.text
    assert [s.user_id for s in crm_sessions(console)] != [] and len(crm_sessions(console)) == 1  # ada's only
    assert console.get("/wallboard", follow_redirects=False).headers["location"] == "/signin"


def test_a_wrong_password_is_refused_and_repeated_ones_lock_the_account_in_the_log(console, caplog):
    caplog.set_level(logging.WARNING, "cicada.login_guard")
    wrong = sign_in(console, "sue", "not-it")
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    for _ in range(4):
        sign_in(console, "sue", "not-it")
    locked = sign_in(console, "sue")  # even the right password, now
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
    assert "'sue'" in caplog.text and "locked" in caplog.text
    assert crm_sessions(console) == []


def test_every_form_needs_its_csrf_token(console, caplog):
    caplog.set_level(logging.WARNING, "cicada.console")
    console.get("/signin")
    no_token = console.post("/signin", data={"username": "sue", "password": PASSWORD}, follow_redirects=False)
    assert no_token.status_code == 403 and "The form has expired" in no_token.text
    assert crm_sessions(console) == []
    assert "CSRF" in caplog.text
    sign_in(console)
    page = console.get("/wallboard")
    wrong = console.post("/signout", data={"csrf": "made-up"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert console.get("/wallboard").status_code == 200  # still signed in
    other_form = console.post("/signout", data={"csrf": console.cookies.get(FORM_COOKIE) or "x"},
                              follow_redirects=False)
    assert other_form.status_code == 403
    as_json = console.post("/signout", json={"csrf": page_token(page)}, follow_redirects=False)
    assert as_json.status_code == 403


def test_signing_out_ends_the_crm_session(console):
    sign_in(console)
    page = console.get("/wallboard")
    out = console.post("/signout", data={"csrf": page_token(page)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    [ended] = crm_sessions(console)
    assert ended.end_reason == "signed_out"
    assert console.get("/wallboard", follow_redirects=False).headers["location"] == "/signin"


def test_a_tampered_or_unknown_cookie_opens_nothing(console):
    sign_in(console)
    value = console.cookies.get(SIGN_IN_COOKIE)
    flipped = value[:20] + ("A" if value[20] != "A" else "B") + value[21:]
    for forged in (flipped, value[:-2], value + "AAAA", "nothing", "." * 300, "A" * 1000):
        console.cookies.set(SIGN_IN_COOKIE, forged, domain="127.0.0.1")
        assert console.get("/wallboard", follow_redirects=False).headers["location"] == "/signin", forged
        assert console.get("/wallboard/events").status_code == 401


def console_app(url: str, secret: bytes | None):
    nowhere = f"tcp://127.0.0.1:{ports.free_port()}"
    key = ensure_keys(Path(url.removeprefix("sqlite:///")).parent / "keys", ["gateway"])["gateway"].public.decode()
    return create_app(ConsoleSettings(url, gateway_commands=nowhere, gateway_events=nowhere, gateway_key=key,
                                      gateway_timeout=0.5, cookie_secret=secret))


def test_a_console_restarted_with_its_secret_takes_back_the_sign_ins_still_open(tmp_path, caplog):
    caplog.set_level(logging.INFO, "cicada.console")
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate_test_database(make_engine(url))
    people(url)
    secret = os.urandom(32)
    with TestClient(console_app(url, secret), base_url="http://127.0.0.1") as before:
        sign_in(before)
        kept = before.cookies.get(SIGN_IN_COOKIE)
        before.cookies.clear()
        sign_in(before, "ada")
        signed_out = before.cookies.get(SIGN_IN_COOKIE)
        out = before.post("/signout", data={"csrf": page_token(before.get("/wallboard"))}, follow_redirects=False)
        assert out.status_code == 303
    with TestClient(console_app(url, secret), base_url="http://127.0.0.1") as after:
        after.cookies.set(SIGN_IN_COOKIE, kept, domain="127.0.0.1")
        page = after.get("/wallboard", follow_redirects=False)
        assert page.status_code == 200 and "Sue Supervisor" in page.text  # the same sign-in, no password asked
        csrf = page_token(page)  # and its CSRF token is the one the open pages carry
        assert after.post("/signout", data={"csrf": csrf}, follow_redirects=False).headers["location"] == "/signin"
        for ended in (kept, signed_out):  # signed out before or after the restart: nothing to take back
            after.cookies.set(SIGN_IN_COOKIE, ended, domain="127.0.0.1")
            assert after.get("/wallboard", follow_redirects=False).headers["location"] == "/signin"
    assert "sue's console sign-in was taken back after a restart" in caplog.text
    with TestClient(console_app(url, os.urandom(32)), base_url="http://127.0.0.1") as other:
        sign_in(other)
        cookie = other.cookies.get(SIGN_IN_COOKIE)
    with TestClient(console_app(url, secret), base_url="http://127.0.0.1") as elsewhere:
        elsewhere.cookies.set(SIGN_IN_COOKIE, cookie, domain="127.0.0.1")  # sealed by another secret
        assert elsewhere.get("/wallboard", follow_redirects=False).headers["location"] == "/signin"


def test_a_sign_in_is_not_taken_back_for_a_user_who_may_no_longer_watch(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate_test_database(make_engine(url))
    people(url)
    secret = os.urandom(32)
    with TestClient(console_app(url, secret), base_url="http://127.0.0.1") as before:
        sign_in(before)
        kept = before.cookies.get(SIGN_IN_COOKIE)
    database = Database.open(url)
    try:
        with database.unit_of_work() as session:
            session.scalar(select(User).where(User.username == "sue")).role = "agent"
    finally:
        database.dispose()
    with TestClient(console_app(url, secret), base_url="http://127.0.0.1") as after:
        after.cookies.set(SIGN_IN_COOKIE, kept, domain="127.0.0.1")
        assert after.get("/wallboard", follow_redirects=False).headers["location"] == "/signin"


def test_an_idle_sign_in_ends_with_its_crm_session(console):
    sign_in(console)
    console.clock.now += 29 * 60
    assert console.get("/wallboard").status_code == 200  # activity keeps it
    console.clock.now += 31 * 60
    assert console.get("/wallboard", follow_redirects=False).headers["location"] == "/signin"
    assert console.app.state.sign_ins.sweep() == 1
    [ended] = crm_sessions(console)
    assert ended.end_reason == "idle"


def test_a_wall_screen_keeps_its_idle_sign_in_for_the_wall_only(console):
    sign_in(console)
    sign_ins = console.app.state.sign_ins
    [signed] = sign_ins.open.values()
    cookie = console.cookies.get(SIGN_IN_COOKIE)
    signed.wall_seen = console.clock.now  # what the wall screen's stream does while it is open
    console.clock.now += 31 * 60
    signed.wall_seen = console.clock.now
    assert sign_ins.sweep() == 0 and sign_ins.from_cookie(cookie, wall=True) is signed
    assert console.get("/wallboard", follow_redirects=False).headers["location"] == "/signin"  # nothing else
    assert sign_ins.from_cookie(cookie) is None
    console.clock.now += 60  # the stream reconnecting finds it still there
    assert sign_ins.sweep() == 0 and sign_ins.from_cookie(cookie, wall=True) is signed
    console.clock.now += 90  # the wall screen gone: ended with its CRM session
    assert sign_ins.sweep() == 1 and sign_ins.from_cookie(cookie, wall=True) is None
    [ended] = crm_sessions(console)
    assert ended.end_reason == "idle"


def test_a_session_ended_in_the_crm_ends_the_console_sign_in(console):
    sign_in(console)
    from crm.services import sessions

    with console.database.unit_of_work() as session:
        sessions.end_sessions_of(session, crm_sessions(console)[0].user_id, "account_disabled")
    assert console.get("/wallboard", follow_redirects=False).headers["location"] == "/signin"


def test_the_users_language_and_switching_it_on_the_page(console):
    sign_in(console, "zhou")  # a Chinese-speaking supervisor
    page = console.get("/wallboard")
    assert "实时看板" in page.text and "电话队列" in page.text and 'lang="zh-CN"' in page.text
    switched = console.post("/language", data={"csrf": page_token(page), "language": "en", "next": "/wallboard"},
                            follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/wallboard"
    assert "Phone queues" in console.get("/wallboard").text
    off_site = console.post("/language", data={"csrf": page_token(page), "language": "zh",
                                               "next": "//evil.example/"}, follow_redirects=False)
    assert off_site.headers["location"] == "/"


def test_the_sign_in_page_speaks_the_browsers_language(console):
    assert "请使用您的 Cicada 账号登录" in console.get("/signin", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "Sign in with your Cicada account." in console.get("/signin", headers={"Accept-Language": "fr"}).text


def test_the_live_stream_says_at_once_that_the_gateway_is_unreachable(console):
    sign_in(console)
    with console.stream("GET", "/wallboard/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data:") and '"online": false' in line and '"unreachable"' in line:
                break


def test_a_cookie_secret_others_may_read_stops_the_console_with_what_to_do(tmp_path):
    import subprocess
    import sys

    keys = tmp_path / "keys"
    config = tmp_path / "cicada.toml"
    config.write_text(f'[keys]\ndir = "{keys}"\n[gateway]\npublic_key = "{"x" * 40}"\n')
    secret = ensure_secret_file(keys)
    secret.chmod(0o644)
    ran = subprocess.run([sys.executable, "-m", "cicada.cli", "console", "--no-mailq"], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "CICADA_CONFIG": str(config),
                                                     "CICADA_DB_URL": f"sqlite:///{tmp_path / 'crm.db'}"})
    assert ran.returncode != 0 and "Traceback" not in ran.stderr
    assert "the console's cookie secret cannot be used" in ran.stderr and "too open" in ran.stderr


def ensure_secret_file(keys: Path) -> Path:
    from bus.keys import ensure_secret, secret_key_path
    from cicada.commands.console_cmd import COOKIE_SECRET

    ensure_secret(keys, COOKIE_SECRET)
    return secret_key_path(keys, COOKIE_SECRET)
