"""A private Dovecot IMAP server on 127.0.0.1 for tests, with helpers to put mail in and look at folders.

Everything it needs (config, passwd file, maildirs, sockets, state, log) lives
in one temp dir. That dir comes from tempfile.mkdtemp() made world-readable,
because the mail user (uid 65534; Dovecot refuses uid 0) cannot reach pytest's
tmp_path.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import ports
import pytest
from conftest import missing_external
from imapclient import IMAPClient

MAIL_UID = 65534
USER = "agent.li"
PASSWORD = "s3cret-Dovecot-pw"

CONFIG = """\
instance_name = {instance}
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Wrong passwords would otherwise take 2 s each.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/passwd
}}
namespace inbox {{
  inbox = yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{extra}
"""

_running: list[Dovecot] = []


def dovecot_path() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)), None)


def free_port() -> int:
    """A port of this test process's own share, bound later by the server (tests/ports.py)."""
    return ports.free_port()


class Dovecot:
    """One Dovecot master process (dovecot -F) and its temp dir; start() and stop() may be repeated."""

    host = "127.0.0.1"
    user = USER
    password = PASSWORD

    def __init__(self, binary: str, *, extra_config: str = ""):
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cicada-dovecot-"))
        self.dir.chmod(0o755)
        self.process: subprocess.Popen | None = None
        self._write_config(extra_config)

    def _write_config(self, extra_config: str) -> None:
        home = self.dir / "home" / USER
        home.mkdir(parents=True)
        os.chown(home, MAIL_UID, MAIL_UID)
        (self.dir / "passwd").write_text(f"{USER}:{PASSWORD}:{MAIL_UID}:{MAIL_UID}::{home}::\n")
        instance = f"cicada-test-{uuid.uuid4().hex[:8]}"
        config = CONFIG.format(instance=instance, dir=self.dir, port=self.port, extra=extra_config)
        (self.dir / "dovecot.conf").write_text(config)

    @property
    def log_text(self) -> str:
        """Dovecot's own log plus what the master printed, for failure messages."""
        parts = [p.read_text(errors="replace") for p in (self.dir / "dovecot.log", self.dir / "stderr.log")
                 if p.exists()]
        return "\n".join(parts)

    def start(self, ready_timeout: float = 10.0) -> None:
        with open(self.dir / "stderr.log", "ab") as output:
            self.process = subprocess.Popen([self.binary, "-F", "-c", str(self.dir / "dovecot.conf")],
                                            stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                            start_new_session=True)
        _running.append(self)
        self._wait_until_listening(ready_timeout)

    def _wait_until_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot exited with {self.process.returncode}:\n{self.log_text}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=1):
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"Dovecot did not listen on port {self.port} within {timeout} s:\n{self.log_text}")

    def stop(self) -> None:
        """SIGTERM Dovecot's whole process group, as a service manager would, and wait until it is gone.

        SIGTERM to the master alone takes a second, and an imap process serving
        an open connection outlives it and goes on serving: a "restart" would
        not drop the clients. The group goes in a few milliseconds.
        """
        if self.process is None:
            return
        _end_process_group(self.process.pid)  # its own session, see start()
        self.process.wait()
        self.process = None
        if self in _running:
            _running.remove(self)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """The raw messages in `folder` in UID order, without marking them seen; [] if it does not exist."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [fetched[uid][b"BODY[]"] for uid in uids]


def _end_process_group(group: int, timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL, the live processes in `group`: our Dovecot master and its children."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _live_members(group):
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, sig)
        deadline = time.monotonic() + timeout
        while _live_members(group) and time.monotonic() < deadline:
            time.sleep(0.02)


def _live_members(group: int) -> list[int]:
    """Pids in process group `group` that are not zombies (their new parent reaps those)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()  # after "pid (comm)": state ppid pgrp ...
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


@contextlib.contextmanager
def running_dovecot(extra_config: str = ""):
    """A started Dovecot (extra_config appended to its config), removed with its files afterwards."""
    binary = dovecot_path()
    if binary is None:
        missing_external("Dovecot (Debian package dovecot-imapd)")
    server = Dovecot(binary, extra_config=extra_config)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(name="dovecot")
def dovecot_fixture():
    """A private Dovecot with one user (.user/.password) and an empty INBOX."""
    with running_dovecot() as server:
        yield server


@atexit.register
def _stop_forgotten_servers() -> None:
    while _running:
        _running.pop().remove()
