"""A real `cicada app` for integration tests: its own database with users,
its own self-signed certificate, a port the kernel gives it.

    app = RunningApp(tmp_path, users={"ann": "agent"}).start()
    with app.client() as client:          # trusts app.certificate, as a pinned desktop does
        client.sign_in("ann", PASSWORD)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import migrate_test_database
from logfail import watch_service_log
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app_service.client import AppClient, fingerprint
from crm.db import Database, make_engine
from crm.permissions import Actor
from crm.services.users import create_user, hash_password

PASSWORD = "agent-password"
_HASH = hash_password(PASSWORD)
ROOT = Path(__file__).resolve().parent.parent


def self_signed(directory: Path, name: str = "app", hosts=("127.0.0.1", "localhost")) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Cicada test {name}")])
    alt_names = [x509.IPAddress(ipaddress.ip_address(h)) if h[0].isdigit() else x509.DNSName(h) for h in hosts]
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


class RunningApp:
    def __init__(self, workdir: Path, *, users: dict[str, str] | None = None, db_url: str | None = None,
                 host: str = "127.0.0.1"):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url or f"sqlite:///{workdir / 'crm.db'}"
        self.users = users if users is not None else {"ann": "agent", "bob": "agent", "sue": "supervisor"}
        self.host = host
        self.port = 0
        self.certificate, self.private_key = self_signed(workdir, hosts=tuple(dict.fromkeys((host, "127.0.0.1", "localhost"))))
        self.log_path = workdir / "app.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate.read_text())

    def prepare_database(self) -> None:
        engine = make_engine(self.db_url)
        migrate_test_database(engine)
        database = Database(engine)
        with database.unit_of_work() as session:
            for name, role in self.users.items():
                create_user(session, Actor.system(), username=name, password="", password_hash=_HASH, role=role,
                            display_name=name.title())
        database.dispose()

    def start(self, timeout: float = 30.0, *, prepare: bool = True) -> RunningApp:
        if prepare:
            self.prepare_database()
        config = self.workdir / "cicada.toml"
        config.write_text(f'[app]\naddress = "{self.host}:{self.port}"\n[keys]\n'
                          f'tls_certificate = "{self.certificate}"\ntls_key = "{self.private_key}"\n')
        env = {**os.environ, "CICADA_CONFIG": str(config), "CICADA_DB_URL": self.db_url}
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "cicada.cli", "-v", "app"], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        watch_service_log(self.log_path, self.process)
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode(errors="replace")
            if "application service ready" in line:
                self.port = int(line.rsplit(":", 1)[1].split("/")[0])
                return self
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"the application service did not start:\n{self.log()}")

    def client(self, **options) -> AppClient:
        import ssl

        context = ssl.create_default_context(cafile=str(self.certificate))
        return AppClient(self.url, verify=context, **options)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process.stdout.close()
        self._log.close()
        self.process = None


@pytest.fixture
def make_app(tmp_path):
    started: list[RunningApp] = []

    def make(**options) -> RunningApp:
        app = RunningApp(tmp_path / f"app{len(started)}", **options)
        started.append(app)
        return app.start()

    yield make
    for app in started:
        app.stop()


class InProcessApp:
    """The application service in a thread of the test process, over real HTTPS on a port the
    kernel gives it, on a database the test already prepared (a gateway's, a mail queue's).
    Cheaper than a `cicada app` process where many tests each need one; the same code serves.

        with InProcessApp(db_url, tmp_path) as app:
            client = app.client(); client.sign_in("ann", PASSWORD)
    """

    def __init__(self, db_url: str, workdir: Path, *, pool_size: int = 8):
        import threading

        from app_service.app import AppSettings
        from crm.login_guard import GuardSettings

        self.db_url = db_url
        workdir.mkdir(parents=True, exist_ok=True)
        self.certificate, self.private_key = self_signed(workdir, "in-process-app")
        # Tests sign in often from one address: the guard's limits must not get in their way.
        self.settings = AppSettings(database_url=db_url, pool_size=pool_size,
                                    guard=GuardSettings(source_burst=10_000, source_rate=1_000.0))
        self.port = 0
        self._ready = threading.Event()
        self._server = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate.read_text())

    def start(self, timeout: float = 20.0) -> InProcessApp:
        import asyncio
        import threading

        import uvicorn

        from app_service.app import create_app

        config = uvicorn.Config(create_app(self.settings), host="127.0.0.1", port=0,
                                ssl_certfile=str(self.certificate), ssl_keyfile=str(self.private_key),
                                log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # not the main thread
        self._server = server

        def serve() -> None:
            try:
                asyncio.run(server.serve())
            except BaseException as exc:  # shown by start() or stop()
                self._error = exc
            finally:
                self._ready.set()

        self._thread = threading.Thread(target=serve, name="in-process-app", daemon=True)
        self._thread.start()
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not server.started and self._thread.is_alive():
            time.sleep(0.02)
        if not server.started:
            self.stop()
            raise RuntimeError(f"the in-process application service did not start: {self._error!r}")
        self.port = server.servers[0].sockets[0].getsockname()[1]
        return self

    def client(self, **options) -> AppClient:
        import ssl

        context = ssl.create_default_context(cafile=str(self.certificate))
        return AppClient(self.url, verify=context, **options)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> InProcessApp:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
