"""The real desktop window against a real gateway in tests: desktops of the
gateway's agents (closed after the test), the window's controls, waiting for
its states, and what the CRM saved."""

from __future__ import annotations

import gc

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
from bus.keys import new_keypair
from gateway_harness import PASSWORD

UNKNOWN_KEY = new_keypair().public.decode()  # a gateway's key for desktops that reach no gateway


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
        self.open: list[tuple[Desktop, Database]] = []

    def __call__(self, agent: str, device: str, *, wait: bool = True, **settings) -> Desktop:
        database = Database.open(self.gateway.db_url)
        settings = DesktopSettings(database_url=self.gateway.db_url, command_address=self.gateway.commands,
                                   event_address=self.gateway.events, region="CN",
                                   gateway_public_key=self.gateway.public_key.decode(),
                                   draft_dir=self.tmp_path / "drafts", user=agent, password=PASSWORD,
                                   **settings)
        desk = Desktop(settings, database, crm_access.log_in(database, agent, PASSWORD), device=device,
                       queues=None)
        self.qtbot.addWidget(desk.window)
        self.open.append((desk, database))
        desk.start()
        if not wait:  # the test answers what the desktop asks first
            return desk
        self.qtbot.waitUntil(lambda: bool(desk.controller.bench.connected and desk.controller.bench.agent),
                             timeout=10000)
        return desk

    def close_one(self, desk: Desktop) -> None:
        """The agent closes this desktop's window (it does not log out)."""
        entry = next(e for e in self.open if e[0] is desk)
        self.open.remove(entry)
        desk.close()
        desk.controller.tasks.shutdown()
        entry[1].dispose()

    def close(self) -> None:
        for desk, database in self.open:
            desk.close()
            desk.controller.tasks.shutdown()
            database.dispose()
        self.open.clear()
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
