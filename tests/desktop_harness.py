"""The real desktop window against a real gateway in tests: desktops of the
gateway's agents (closed after the test), signed in through a real application
service over HTTPS with its certificate pinned as an installation's settings
pin it, the window's controls, waiting for its states, and what the CRM saved."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from agent_desktop import crm_access
from agent_desktop.app import Desktop, DesktopSettings
from agent_desktop.controls import Control
from crm.db import Database
from crm.models import Interaction
from crm.permissions import Actor
from crm.services.partners import PartnerDraft, create_partner
from app_harness import InProcessApp
from app_service.client import AppClient
from bus.keys import new_keypair
from gateway_harness import PASSWORD

UNKNOWN_KEY = new_keypair().public.decode()  # a gateway's key for desktops that reach no gateway


def url_of(database: Database) -> str:
    """The URL a test's database is reached by (for an application service on it); on
    PostgreSQL with the test's own schema, which the test engine sets per connection."""
    url = database.engine.url
    if url.get_backend_name() == "postgresql":
        from sqlalchemy import text

        with database.engine.connect() as conn:
            schema = conn.execute(text("select current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def service_of(app: InProcessApp, known_certificates: Path) -> crm_access.Service:
    """The application service as an installation configures the desktop: its address and
    its certificate's fingerprint."""
    return crm_access.Service(app.url, app.fingerprint, known_certificates)


def log_in_desktop(app: InProcessApp, username: str, known_certificates: Path,
                   password: str = PASSWORD) -> crm_access.LoggedIn:
    """What the login dialog does: sign in once, through the desktop's own code."""
    return crm_access.log_in(service_of(app, known_certificates), username, password)


def signed_in_client(app: InProcessApp, username: str, password: str = PASSWORD) -> AppClient:
    """An AppClient of the application service, signed in as `username` (close it after)."""
    client = app.client()
    client.sign_in(username, password)
    return client


@pytest.fixture
def app_of(tmp_path):
    """`app_of(db_url)`: an application service on that database, one per database and test."""
    running: dict[str, InProcessApp] = {}

    def start(db_url: str) -> InProcessApp:
        if db_url not in running:
            running[db_url] = InProcessApp(db_url, tmp_path / f"app{len(running)}").start()
        return running[db_url]

    yield start
    for app in running.values():
        app.stop()


def add_person(db_url: str, last: str, first: str, phones=(), emails=(), **extra) -> int:
    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            draft = PartnerDraft(kind="person", last_name=last, first_name=first, phones=list(phones),
                                 emails=list(emails), **extra)
            return create_partner(session, Actor.system(), draft, confirm_duplicates=True).id
    finally:
        database.dispose()


class Desks:
    """Desktops of the agents of one gateway, closed after the test."""

    def __init__(self, gateway, qtbot, tmp_path):
        self.gateway, self.qtbot, self.tmp_path = gateway, qtbot, tmp_path
        self.open: list[Desktop] = []
        self._app: InProcessApp | None = None
        self._clients: list[AppClient] = []

    @property
    def app(self) -> InProcessApp:
        """The application service the desktops sign in to, on the gateway's database."""
        if self._app is None:
            self._app = InProcessApp(self.gateway.db_url, self.tmp_path / f"app-{id(self)}").start()
        return self._app

    def client(self, username: str) -> AppClient:
        """A client of this application service signed in as `username` (closed after the test)."""
        client = signed_in_client(self.app, username)
        self._clients.append(client)
        return client

    def __call__(self, agent: str, device: str, *, wait: bool = True, **settings) -> Desktop:
        known = self.tmp_path / "known_certificates"
        settings = DesktopSettings(app_url=self.app.url,
                                   app_fingerprint=self.app.fingerprint, known_certificates=known,
                                   command_address=self.gateway.commands,
                                   event_address=self.gateway.events, region="CN",
                                   gateway_public_key=self.gateway.public_key.decode(),
                                   draft_dir=self.tmp_path / "drafts", user=agent, password=PASSWORD,
                                   **settings)
        desk = Desktop(settings, log_in_desktop(self.app, agent, known), device=device, queues=None)
        self.qtbot.addWidget(desk.window)
        self.open.append(desk)
        desk.start()
        if not wait:  # the test answers what the desktop asks first
            return desk
        self.qtbot.waitUntil(lambda: bool(desk.controller.bench.connected and desk.controller.bench.agent),
                             timeout=10000)
        return desk

    def close_one(self, desk: Desktop) -> None:
        """The agent closes this desktop's window: it signs out of the application service,
        but does not log out of the gateway."""
        self.open.remove(desk)
        self._close(desk)

    @staticmethod
    def _close(desk: Desktop) -> None:
        desk.close()
        desk.controller.tasks.shutdown()
        desk.controller.crm.close()

    def close(self) -> None:
        for desk in self.open:
            self._close(desk)
        self.open.clear()
        for client in self._clients:
            client.close()
        self._clients.clear()
        if self._app is not None:
            self._app.stop()
            self._app = None
        gc.collect()  # the windows' Qt objects go here, on the GUI thread (see agent_desktop/ui/gc_guard.py)


@pytest.fixture
def desks(qtbot, tmp_path):
    made: list[Desks] = []

    def make(gateway) -> Desks:
        made.append(Desks(gateway, qtbot, tmp_path))
        return made[-1]

    yield make
    for each in made:
        each.close()


def trigger(desk: Desktop, control: Control) -> None:
    action = desk.window.actions[control]
    assert action.isEnabled(), f"{control} is disabled"
    action.trigger()


def wait_enabled(qtbot, desk: Desktop, control: Control, timeout=10000) -> None:
    """As the agent waits for a button: the call's state and the agent's come in
    separate events, so End, say, is enabled a moment after wrap-up shows."""
    qtbot.waitUntil(lambda: desk.window.actions[control].isEnabled(), timeout=timeout)


def wait_state(qtbot, desk: Desktop, state: str, timeout=10000) -> None:
    qtbot.waitUntil(lambda: desk.controller.bench.call_state() == state, timeout=timeout)


def wait_mode(qtbot, desk: Desktop, mode: str, timeout=10000) -> None:
    qtbot.waitUntil(lambda: bool(desk.controller.bench.agent and desk.controller.bench.agent.mode == mode),
                    timeout=timeout)


def type_chinese(widget, text: str) -> None:
    """Type as a Chinese input method does: the composed text is committed at once
    (QTest's key clicks know only ASCII)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def saved_record(db_url: str, call_id: str, agent_username: str) -> Interaction | None:
    database = Database.open(db_url)
    try:
        with database.reading() as session:
            from crm.models import User
            row = session.scalar(select(Interaction).join(User, User.id == Interaction.agent_id).where(
                Interaction.contact_id == call_id, User.username == agent_username))
            if row is not None:
                session.expunge(row)
            return row
    finally:
        database.dispose()
