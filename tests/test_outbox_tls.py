"""The outbox through relays that want TLS and a login: real aiosmtpd
listeners with certificates of a test CA (trustme). STARTTLS or implicit
TLS, the relay's certificate verified, AUTH PLAIN and LOGIN; a refused
login, an unverifiable certificate, or STARTTLS or AUTH not offered keep
the emails due with a clear reason, and never show the password."""

from __future__ import annotations

import logging
import ssl

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from cicada.commands.mailq_cmd import mail_relay
from cicada.config import ConfigError, load_config
from crm.clock import utcnow
from crm.models import OutboundEmail
from email_queue.outbox import Relay, send_due
from mail_harness import Inbox, free_port
from test_outbox import queue, status

USER, PASSWORD = "service", "Pa55-word.of-the-relay"


class SecureInbox(Inbox):
    """Keeps, beside each message, whether it came over TLS and who had logged in."""

    def __init__(self):
        super().__init__()
        self.sessions: list[dict] = []
        self.logins: list[tuple[str, str]] = []  # (mechanism, login) of each AUTH tried

    async def handle_DATA(self, server, session, envelope):
        self.sessions.append({
            "starttls": session.ssl is not None,  # aiosmtpd sets it after STARTTLS
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": session.authenticated,
            "login": getattr(session.auth_data, "login", None),
        })
        return await super().handle_DATA(server, session, envelope)

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((mechanism, auth_data.login.decode()))
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        # handled=False: the server answers 535 itself to a refused login.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "relay-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(ca, name="127.0.0.1") -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


@pytest.fixture
def smtp_server():
    """start(**Controller parameters) -> (SecureInbox, port) of a listener running for the test."""
    controllers = []

    def start(**params):
        inbox = SecureInbox()
        params.setdefault("authenticator", inbox.authenticator)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **params)
        controller.start()
        controllers.append(controller)
        return inbox, controller.port

    yield start
    for controller in controllers:
        controller.stop()


def starttls_server(smtp_server, ca, **params):
    """A relay as most are: STARTTLS required, AUTH only over TLS."""
    return smtp_server(tls_context=server_context(ca), require_starttls=True, auth_require_tls=True, **params)


def make_due(db, email_id):
    with db.unit_of_work() as s:
        s.get(OutboundEmail, email_id).next_attempt_at = utcnow()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_starttls_and_a_login_send_the_email_over_tls(db, smtp_server, ca, ca_file, mechanism):
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    inbox, port = starttls_server(smtp_server, ca, auth_exclude_mechanism=[other])
    email_id = queue(db)
    relay = Relay("127.0.0.1", port, username=USER, password=PASSWORD, starttls=True, ca_file=ca_file, timeout=5)
    result, = send_due(db, relay)
    assert (result.status, result.error) == ("sent", None)
    assert status(db, email_id).status == "sent"
    assert inbox.messages[0]["Subject"] == "您的投诉已登记"
    assert inbox.logins == [(mechanism, USER)]
    assert inbox.sessions == [{"starttls": True, "tls": True, "authenticated": True, "login": USER.encode()}]


def test_implicit_tls_sends_the_email(db, smtp_server, ca, ca_file):
    # aiosmtpd counts only STARTTLS as TLS for AUTH, hence auth_require_tls=False on its SMTPS port.
    inbox, port = smtp_server(ssl_context=server_context(ca), auth_require_tls=False)
    email_id = queue(db)
    relay = Relay("127.0.0.1", port, username=USER, password=PASSWORD, tls=True, ca_file=ca_file, timeout=5)
    assert [r.status for r in send_due(db, relay)] == ["sent"]
    assert status(db, email_id).status == "sent" and len(inbox.messages) == 1
    assert inbox.sessions == [{"starttls": False, "tls": True, "authenticated": True, "login": USER.encode()}]


def test_a_refused_login_keeps_the_email_due_and_never_shows_the_password(db, smtp_server, ca, ca_file, caplog):
    caplog.set_level(logging.DEBUG)
    inbox, port = starttls_server(smtp_server, ca)
    email_id = queue(db)
    wrong = Relay("127.0.0.1", port, username=USER, password="not-" + PASSWORD, starttls=True, ca_file=ca_file,
                  timeout=5)
    result, = send_due(db, wrong)
    assert result.status == "queued"
    assert result.error.startswith(f"the mail relay 127.0.0.1:{port} refused the login of {USER}: 535")
    kept = status(db, email_id)
    assert (kept.status, kept.attempts, kept.last_error) == ("queued", 1, result.error)
    assert inbox.messages == [] and inbox.logins  # it did try
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # not the test server's own
    assert any("refused the login" in r.getMessage() for r in ours)
    for text in [result.error, repr(wrong), *(r.getMessage() for r in ours)]:
        assert PASSWORD not in text
    assert "password" not in repr(wrong)

    make_due(db, email_id)  # the configuration fixed, it goes out
    right = Relay("127.0.0.1", port, username=USER, password=PASSWORD, starttls=True, ca_file=ca_file, timeout=5)
    assert [r.status for r in send_due(db, right)] == ["sent"]
    assert status(db, email_id).status == "sent" and len(inbox.messages) == 1


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_a_certificate_of_an_unknown_ca_is_not_trusted(db, smtp_server, ca, mode):
    if mode == "tls":
        inbox, port = smtp_server(ssl_context=server_context(ca), auth_require_tls=False)
    else:
        inbox, port = starttls_server(smtp_server, ca)
    email_id = queue(db)
    relay = Relay("127.0.0.1", port, username=USER, password=PASSWORD, timeout=5, **{mode: True})  # no ca_file
    result, = send_due(db, relay)
    assert result.status == "queued"
    assert result.error.startswith(f"the certificate of the mail relay 127.0.0.1:{port} could not be verified: "
                                   "unable to get local issuer certificate")
    assert "ca_file" in result.error and PASSWORD not in result.error
    assert status(db, email_id).status == "queued" and inbox.messages == [] and inbox.logins == []


def test_a_certificate_for_another_name_is_not_trusted(db, smtp_server, ca, ca_file):
    inbox, port = smtp_server(tls_context=server_context(ca, "relay.example.net"), require_starttls=True)
    queue(db)
    relay = Relay("127.0.0.1", port, starttls=True, ca_file=ca_file, timeout=5)
    result, = send_due(db, relay)
    assert result.status == "queued" and "could not be verified" in result.error
    assert "mismatch" in result.error and "ca_file" not in result.error
    assert inbox.messages == []


def test_a_relay_without_starttls_gets_nothing_when_it_is_required(db, smtp_server):
    inbox, port = smtp_server()  # no tls_context: no STARTTLS offered
    email_id = queue(db)
    result, = send_due(db, Relay("127.0.0.1", port, starttls=True, timeout=5))
    assert result.status == "queued"
    assert result.error.startswith(f"the mail relay 127.0.0.1:{port} does not offer STARTTLS")
    assert status(db, email_id).status == "queued" and inbox.messages == []


def test_a_login_asked_for_but_not_offered_keeps_the_email_due(db, smtp_server):
    inbox, port = smtp_server(auth_require_tls=True)  # AUTH only over TLS, and no TLS here
    email_id = queue(db)
    result, = send_due(db, Relay("127.0.0.1", port, username=USER, password=PASSWORD, timeout=5))
    assert result.status == "queued"
    assert result.error.startswith(f"the mail relay 127.0.0.1:{port} does not offer AUTH for the login of {USER}")
    assert "only over TLS" in result.error and PASSWORD not in result.error
    assert status(db, email_id).status == "queued" and inbox.messages == [] and inbox.logins == []


def test_a_ca_file_that_cannot_be_read_is_reported(db, smtp_server, ca, tmp_path):
    inbox, port = starttls_server(smtp_server, ca)
    queue(db)
    missing = str(tmp_path / "gone.pem")
    result, = send_due(db, Relay("127.0.0.1", port, starttls=True, ca_file=missing, timeout=5))
    assert result.status == "queued" and f"the CA certificates {missing}" in result.error
    assert "cannot be read" in result.error and inbox.messages == []


# --- [mail] in the configuration ------------------------------------------------------------------


def config_with(tmp_path, mail: str):
    path = tmp_path / "cicada.toml"
    path.write_text("[mail]\n" + mail, encoding="utf-8")
    return load_config(path)


def test_the_mail_section_reads_tls_and_a_ca_file_beside_the_configuration(tmp_path, ca):
    ca.cert_pem.write_to_path(str(tmp_path / "relay-ca.pem"))
    relay = mail_relay(config_with(tmp_path, 'relay = "smtp.example.com"\ntls = true\nca_file = "relay-ca.pem"\n'
                                              'username = "service"\npassword = "secret"\n'))
    assert (relay.host, relay.port, relay.tls, relay.starttls) == ("smtp.example.com", 465, True, False)
    assert relay.ca_file == str(tmp_path / "relay-ca.pem")
    assert (relay.username, relay.password) == ("service", "secret") and "secret" not in repr(relay)
    relay = mail_relay(config_with(tmp_path, 'relay = "smtp.example.com:587"\nstarttls = true\n'))
    assert (relay.port, relay.starttls, relay.tls, relay.ca_file) == (587, True, False, None)
    assert mail_relay(config_with(tmp_path, 'sender = "service@example.com"\n')) is None


@pytest.mark.parametrize("mail, complaint", [
    ('starttls = true\ntls = true\n', "starttls and tls cannot both be true"),
    ('tls = "yes"\n', "tls = 'yes' must be true or false"),
    ('starttls = true\nca_file = "nowhere.pem"\n', r"ca_file = 'nowhere.pem': .*nowhere.pem is not a file"),
    ('ca_file = "cicada.toml"\n', "ca_file .* needs starttls = true or tls = true"),
    ('relay = "smtp.example.com:smtp"\n', "is not HOST:PORT"),
])
def test_mail_settings_that_cannot_work_are_refused(tmp_path, mail, complaint):
    if not mail.startswith("relay"):
        mail = 'relay = "smtp.example.com:25"\n' + mail
    with pytest.raises(ConfigError, match=complaint) as refused:
        mail_relay(config_with(tmp_path, mail))
    assert str(refused.value).startswith(f"{tmp_path / 'cicada.toml'}: [mail]")
