"""The application service over real HTTPS: one sign-in, nothing without a
session, a session worth nothing after sign-out, a certificate pinned once as
an SSH host key is, and sign-in floods that do not disturb users signed in."""

from __future__ import annotations

import json
import ssl
import threading

import httpx
import pytest

from app_harness import PASSWORD, make_app, self_signed  # noqa: F401 - fixture
from app_service import openapi
from app_service.client import (
    AppClient,
    CertificateChanged,
    CertificateUnknown,
    KnownCertificates,
    trust,
)
from app_service.wire import ServiceUnreachable
from crm.errors import AuthenticationFailed
from crm.login_guard import LoginRefused
from crm.services.sessions import SessionEnded


def test_sign_in_once_then_work_then_sign_out_and_the_token_is_worth_nothing(make_app):
    app = make_app()
    with app.client() as desk:
        signed = desk.sign_in("ann", PASSWORD)
        assert (signed.user.username, signed.profile.username) == ("ann", "ann")
        assert desk.me().user.username == "ann"
        stolen = signed.token
        desk.sign_out()
    with app.client(token=stolen) as thief:
        with pytest.raises(SessionEnded, match="You signed out"):
            thief.me()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer made-up"}, {"Authorization": "Basic YW5uOng="},
                                     {"Authorization": "Bearer " + "x" * 5000}])
def test_nothing_is_readable_without_a_session(make_app, headers):
    app = make_app()
    context = ssl.create_default_context(cafile=str(app.certificate))
    response = httpx.get(f"{app.url}/v1/me", headers=headers, verify=context)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_ended"


def test_a_wrong_password_gets_one_answer_for_every_failure(make_app):
    app = make_app()
    with app.client() as desk:
        for username in ("ann", "nobody"):
            with pytest.raises(AuthenticationFailed, match="^Wrong user name or password.$"):
                desk.sign_in(username, "guess")


def test_a_certificate_is_pinned_once_and_another_one_is_refused(make_app, tmp_path):
    app = make_app()
    known = KnownCertificates(tmp_path / "known")
    with pytest.raises(CertificateUnknown) as unknown:
        trust(app.url, known)
    assert unknown.value.fingerprint == app.fingerprint
    context = trust(app.url, known, pinned_fingerprint=app.fingerprint)  # as configured at install
    with AppClient(app.url, verify=context) as desk:
        desk.sign_in("ann", PASSWORD)
    assert isinstance(trust(app.url, known), ssl.SSLContext)  # known from now on, nothing to configure
    app.stop()
    app.certificate, app.private_key = self_signed(tmp_path, "impostor")
    app.start(prepare=False)
    with pytest.raises(CertificateChanged, match="Someone may be in between"):
        trust(app.url, known)


def test_a_service_that_does_not_answer_is_unreachable_not_a_crash(make_app):
    app = make_app()
    port = app.port
    app.stop()
    with AppClient(f"https://127.0.0.1:{port}", verify=False, timeout=2) as desk:
        with pytest.raises(ServiceUnreachable):
            desk.sign_in("ann", PASSWORD)


def test_a_sign_in_flood_does_not_disturb_users_signed_in(make_app):
    app = make_app()
    ann = app.client()
    ann.sign_in("ann", PASSWORD)
    outcomes: list[str] = []

    def flood():
        context = ssl.create_default_context(cafile=str(app.certificate))
        transport = httpx.HTTPTransport(local_address="127.0.0.2", verify=context)
        with AppClient(app.url, verify=context, transport=transport) as attacker:
            for n in range(120):
                try:
                    attacker.sign_in("bob", f"guess{n}")
                except LoginRefused as exc:
                    outcomes.append(exc.code)
                except AuthenticationFailed:
                    outcomes.append("auth_failed")

    thread = threading.Thread(target=flood)
    thread.start()
    while thread.is_alive():
        assert ann.me().user.username == "ann"  # within the client's timeout, throughout
    assert len(outcomes) == 120 and outcomes.count("auth_failed") <= 5
    assert outcomes.count("locked") > 100
    with app.client() as bob:  # from his own address, bob still signs in
        bob.sign_in("bob", PASSWORD)
    ann.close()


def test_the_openapi_document_matches_the_code():
    assert json.loads(openapi.DOCUMENT.read_text()) == json.loads(openapi.text()), \
        "docs/api/openapi.json is out of date: run `python -m app_service.openapi`"


def test_every_answer_says_how_long_the_service_worked_on_it(make_app):
    from app_service.timing import server_ms

    app = make_app()
    context = ssl.create_default_context(cafile=str(app.certificate))
    for response in (httpx.get(f"{app.url}/v1/me", verify=context),
                     httpx.post(f"{app.url}/v1/sessions", json={"username": "ann", "password": PASSWORD},
                                verify=context)):
        spent = server_ms(response.headers)
        assert spent is not None and 0 <= spent < 30_000, response.headers


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_service_keeps_as_many_database_connections_as_request_threads_and_opens_no_more(backend, tmp_path):
    from app_service.app import AppSettings, create_app

    url = f"sqlite:///{tmp_path / 'crm.db'}" if backend == "sqlite" else "postgresql+psycopg://127.0.0.1:9/none"
    pool = create_app(AppSettings(database_url=url, pool_size=7)).state.database.engine.pool
    assert pool.size() == 7 and pool._max_overflow == 0  # a request beyond them waits for one
