"""The services' keys made at install: CURVE pairs, the application service's TLS
certificate, their files' permissions, and `cicada keys init` / `show`."""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import threading

import pytest
import trustme
import zmq

from bus.keys import (
    KeyFileError,
    certificate_fingerprint,
    ensure_keys,
    ensure_tls_certificate,
    load_keypair,
    load_public_key,
    load_tls_certificate,
    public_key_path,
    secret_key_path,
)
from cicada.cli import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("CICADA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- CURVE key pairs -----------------------------------------------------------------------------

def test_keys_are_made_once_for_their_owner_only(tmp_path):
    directory = tmp_path / "keys"
    pairs = ensure_keys(directory, ["gateway", "mailq"])
    assert pairs["gateway"] != pairs["mailq"]
    assert mode(directory) == 0o700
    for name, pair in pairs.items():
        assert mode(secret_key_path(directory, name)) == 0o600
        assert public_key_path(directory, name).read_bytes() == pair.public + b"\n"  # z85, one line
        assert zmq.curve_public(pair.secret) == pair.public
        assert load_keypair(directory, name) == pair
    assert ensure_keys(directory, ["gateway", "mailq"]) == pairs  # kept, not made again
    assert sorted(p.name for p in directory.iterdir()) == [
        "gateway.public", "gateway.secret", "mailq.public", "mailq.secret"]  # no temporary file left


def test_force_makes_a_new_pair_and_only_the_one_named(tmp_path):
    first = ensure_keys(tmp_path, ["gateway", "mailq"])
    again = ensure_keys(tmp_path, ["gateway"], force=True)
    assert again["gateway"] != first["gateway"]
    assert load_public_key(tmp_path, "gateway") == again["gateway"].public
    assert load_keypair(tmp_path, "mailq") == first["mailq"]


@pytest.mark.parametrize("permissions", [0o644, 0o640, 0o604, 0o660])
def test_a_secret_others_may_read_is_refused_with_the_remedy(tmp_path, permissions):
    ensure_keys(tmp_path, ["gateway"])
    secret = secret_key_path(tmp_path, "gateway")
    secret.chmod(permissions)
    for attempt in (lambda: ensure_keys(tmp_path, ["gateway"]), lambda: load_keypair(tmp_path, "gateway")):
        with pytest.raises(KeyFileError) as refused:
            attempt()
        message = str(refused.value)
        assert str(secret) in message and f"{permissions:04o} are too open" in message
        assert f"chmod 600 {secret}" in message
    assert mode(secret) == permissions  # left for the owner to judge, not silently "fixed"


def test_a_lost_public_key_is_written_again_from_the_secret(tmp_path):
    pair = ensure_keys(tmp_path, ["mailq"])["mailq"]
    public_key_path(tmp_path, "mailq").unlink()
    assert ensure_keys(tmp_path, ["mailq"])["mailq"] == pair
    assert load_public_key(tmp_path, "mailq") == pair.public


def test_a_public_key_without_its_secret_is_not_silently_replaced(tmp_path):
    pair = ensure_keys(tmp_path, ["mailq"])["mailq"]
    secret_key_path(tmp_path, "mailq").unlink()
    with pytest.raises(KeyFileError, match="without its secret key.*--force"):
        ensure_keys(tmp_path, ["mailq"])
    assert load_public_key(tmp_path, "mailq") == pair.public
    assert ensure_keys(tmp_path, ["mailq"], force=True)["mailq"] != pair


def test_a_public_key_of_another_pair_or_garbage_is_refused(tmp_path):
    ensure_keys(tmp_path, ["gateway", "mailq"])
    public_key_path(tmp_path, "gateway").write_bytes(load_public_key(tmp_path, "mailq") + b"\n")
    with pytest.raises(KeyFileError, match="is not the public key of gateway.secret"):
        load_keypair(tmp_path, "gateway")
    public_key_path(tmp_path, "mailq").write_text("not a key\n")
    with pytest.raises(KeyFileError, match="is not a CURVE key"):
        load_public_key(tmp_path, "mailq")


def test_key_names_are_file_names_of_the_directory(tmp_path):
    with pytest.raises(ValueError, match="not a key name"):
        ensure_keys(tmp_path, ["../etc/gateway"])


# --- the application service's TLS certificate -----------------------------------------------------

def serve_tls_once(certificate) -> tuple[int, threading.Thread]:
    """A TLS server on 127.0.0.1 with `certificate`, for one handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.certificate, certificate.key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept():
        with listener:
            listener.settimeout(10)
            try:
                connection, _ = listener.accept()
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return port, thread


def handshake(certificate, port: int, server_hostname: str) -> bytes:
    """Connect as a desktop that trusts exactly this certificate; the certificate the server sent."""
    context = ssl.create_default_context(cafile=str(certificate.certificate))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=server_hostname) as tls:
        return tls.getpeercert(binary_form=True)


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", socket.gethostname()])
def test_the_certificate_is_valid_for_the_default_names(tmp_path, name):
    certificate = ensure_tls_certificate(tmp_path)
    assert mode(certificate.key) == 0o600
    port, server = serve_tls_once(certificate)
    presented = handshake(certificate, port, name)
    server.join(10)
    assert certificate_fingerprint(presented) == certificate.fingerprint()


def test_the_certificate_is_not_valid_for_other_names(tmp_path):
    certificate = ensure_tls_certificate(tmp_path, ["app.example.com", "10.1.2.3"])
    assert certificate.hosts() == ["app.example.com", "10.1.2.3"]
    port, server = serve_tls_once(certificate)
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(certificate, port, "localhost")
    server.join(10)
    port, server = serve_tls_once(certificate)
    handshake(certificate, port, "app.example.com")
    server.join(10)


def test_the_fingerprint_is_stable_and_the_certificate_kept(tmp_path):
    certificate = ensure_tls_certificate(tmp_path)
    fingerprint = certificate.fingerprint()
    assert len(fingerprint) == 95 and fingerprint.count(":") == 31
    assert ensure_tls_certificate(tmp_path, ["other.example.com"]).fingerprint() == fingerprint
    der = ssl.PEM_cert_to_DER_cert(certificate.certificate.read_text())
    assert certificate_fingerprint(der) == fingerprint
    assert ensure_tls_certificate(tmp_path, force=True).fingerprint() != fingerprint


def test_a_readable_certificate_key_is_refused(tmp_path):
    certificate = ensure_tls_certificate(tmp_path)
    certificate.key.chmod(0o644)
    with pytest.raises(KeyFileError, match="too open"):
        ensure_tls_certificate(tmp_path)


def test_a_bad_host_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match="neither a host name nor an IP address"):
        ensure_tls_certificate(tmp_path, ["not a host"])


def site_certificate(directory, host="app.example.com"):
    """A site's own certificate, issued by its own CA."""
    issued = trustme.CA().issue_cert(host)
    certificate, key = directory / "site.pem", directory / "site.key"
    issued.cert_chain_pems[0].write_to_path(str(certificate))
    issued.private_key_pem.write_to_path(str(key))
    key.chmod(0o600)
    return certificate, key


def test_a_site_certificate_is_checked_against_its_key(tmp_path):
    certificate, key = site_certificate(tmp_path)
    assert load_tls_certificate(certificate, key).hosts() == ["app.example.com"]
    (tmp_path / "other").mkdir()
    other_certificate, _ = site_certificate(tmp_path / "other", "other.example.com")
    with pytest.raises(KeyFileError, match="is not the key of the certificate"):
        load_tls_certificate(other_certificate, key)


# --- cicada keys ---------------------------------------------------------------------------------

def test_keys_init_makes_everything_once_and_prints_the_public_parts(capsys, tmp_path):
    directory = tmp_path / "config" / "cicada" / "keys"  # the user configuration directory
    code, out, _ = run(capsys, "keys", "init")
    assert code == 0 and f"Keys directory: {directory}" in out
    for name in ("gateway", "mailq"):
        public = load_public_key(directory, name).decode()
        assert f"{public}  (made; {name}.public)" in out
    fingerprint = load_tls_certificate(directory / "app.crt", directory / "app.key").fingerprint()
    assert f"app SHA-256 fingerprint: {fingerprint}" in out
    assert f"valid for localhost, {socket.gethostname()}, 127.0.0.1" in out
    code, again, _ = run(capsys, "keys", "init")
    assert code == 0 and again.count("(kept") == 3 and "made" not in again
    assert fingerprint in again


def test_keys_show_prints_what_a_desktop_needs(capsys, tmp_path):
    directory = tmp_path / "elsewhere"
    run(capsys, "keys", "init", "--dir", str(directory), "--host", "app.example.com")
    code, out, _ = run(capsys, "keys", "show", "--dir", str(directory))
    assert code == 0
    assert f"gateway public key: {load_public_key(directory, 'gateway').decode()}" in out
    assert "valid for app.example.com" in out
    code, out, _ = run(capsys, "keys", "show", "--dir", str(directory), "--json")
    shown = json.loads(out)
    assert shown["public_keys"]["mailq"] == load_public_key(directory, "mailq").decode()
    assert shown["tls"] == {"certificate": str(directory / "app.crt"), "site": False,
                            "hosts": ["app.example.com"],
                            "fingerprint": certificate_fingerprint((directory / "app.crt").read_bytes())}


def test_keys_show_reports_missing_and_unprotected_keys(capsys, tmp_path):
    code, _, err = run(capsys, "keys", "show", "--dir", str(tmp_path / "none"))
    assert code == 2 and "does not exist: run `cicada keys init`" in err
    run(capsys, "keys", "init", "--dir", str(tmp_path / "k"))
    secret_key_path(tmp_path / "k", "mailq").chmod(0o644)
    code, _, err = run(capsys, "keys", "show", "--dir", str(tmp_path / "k"))
    assert code == 2 and "mailq.secret: permissions 0644 are too open" in err
    code, _, err = run(capsys, "keys", "init", "--dir", str(tmp_path / "k"))
    assert code == 2 and "too open" in err


def test_keys_init_force_renews_only_the_named_key(capsys, tmp_path):
    run(capsys, "keys", "init", "--dir", str(tmp_path))
    before = {name: load_public_key(tmp_path, name) for name in ("gateway", "mailq")}
    fingerprint = certificate_fingerprint((tmp_path / "app.crt").read_bytes())
    code, out, _ = run(capsys, "keys", "init", "--dir", str(tmp_path), "--force", "mailq")
    assert code == 0 and "(made; mailq.public)" in out and "gateway" not in out
    assert load_public_key(tmp_path, "gateway") == before["gateway"]
    assert load_public_key(tmp_path, "mailq") != before["mailq"]
    assert certificate_fingerprint((tmp_path / "app.crt").read_bytes()) == fingerprint
    code, _, err = run(capsys, "keys", "init", "--dir", str(tmp_path), "mail")
    assert code == 2 and "no key named mail" in err


def test_the_keys_directory_and_a_site_certificate_come_from_the_configuration(capsys, tmp_path):
    certificate, key = site_certificate(tmp_path)
    config = tmp_path / "cicada.toml"
    config.write_text('[keys]\ndir = "service-keys"\ntls_certificate = "site.pem"\ntls_key = "site.key"\n')
    code, out, _ = run(capsys, "--config", str(config), "keys", "init")
    directory = tmp_path / "service-keys"  # relative to the configuration file
    assert code == 0 and f"Keys directory: {directory}" in out
    assert sorted(p.name for p in directory.iterdir()) == [
        "gateway.public", "gateway.secret", "mailq.public", "mailq.secret"]  # no certificate generated
    fingerprint = certificate_fingerprint(certificate.read_bytes())
    assert f"site certificate {certificate}, valid for app.example.com" in out
    assert f"app SHA-256 fingerprint: {fingerprint}" in out
    code, out, _ = run(capsys, "--config", str(config), "keys", "show", "--json")
    assert json.loads(out)["tls"]["site"] is True and json.loads(out)["tls"]["fingerprint"] == fingerprint
    keys = {name: load_public_key(directory, name) for name in ("gateway", "mailq")}
    code, _, err = run(capsys, "--config", str(config), "keys", "init", "--force", "app")
    assert code == 2 and "the site's own" in err
    assert {name: load_public_key(directory, name) for name in ("gateway", "mailq")} == keys
    code, out, _ = run(capsys, "--config", str(config), "keys", "init", "--force")  # the generated ones only
    assert code == 0 and out.count("(made;") == 2 and fingerprint in out


def test_a_half_configured_site_certificate_is_an_error(capsys, tmp_path):
    config = tmp_path / "cicada.toml"
    config.write_text('[keys]\ntls_certificate = "site.pem"\n')
    code, _, err = run(capsys, "--config", str(config), "keys", "show")
    assert code == 2 and "tls_certificate and tls_key go together" in err
