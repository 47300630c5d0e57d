"""A desktop as an installation has it on an agent's PC: its configuration holds only
the services' addresses, the gateway's public key and the application service's
certificate fingerprint (no database URL that works, no password), the services
listen on another address than the one the desktop speaks from, and the agent signs
in once, then takes a call with its screen pop to the saved interaction record."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pytest

from agent_desktop import crm_access
from agent_desktop.app import Desktop, service_of
from agent_desktop.controls import Control
from app_harness import RunningApp
from cicada.config import load_config
from desktop_harness import add_person, saved_record, trigger, wait_enabled, wait_mode, wait_state
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    BILLING,
    CUSTOMER_TONE,
    PASSWORD,
    RunningGateway,
    customer,
    free_tcp_port,
    media,
    phone,
)
from sipp_tools import require_sipp

pytestmark = pytest.mark.slow
SERVICES = "127.0.0.2"  # the services' host; the desktop speaks from 127.0.0.1


@pytest.fixture
def services(tmp_path):
    require_sipp()
    gateway = RunningGateway(tmp_path / "gateway", queues=[BILLING], agents={"ann": {"billing": 5}},
                             run_dir=Path(tempfile.mkdtemp(prefix="cicada-gw-")))
    gateway.commands = f"tcp://{SERVICES}:{free_tcp_port()}"
    gateway.events = f"tcp://{SERVICES}:{free_tcp_port()}"
    gateway.start()
    app = RunningApp(tmp_path / "app", users={}, db_url=gateway.db_url, host=SERVICES).start(prepare=False)
    yield gateway, app
    app.stop()
    gateway.stop()


def agents_pc_configuration(tmp_path, gateway, app) -> Path:
    """What the README tells an administrator to put on an agent's PC."""
    path = tmp_path / "pc" / "cicada.toml"
    path.parent.mkdir()
    path.write_text(f'[app]\nurl = "{app.url}"\nfingerprint = "{app.fingerprint}"\n'
                    f'[gateway]\ncommands = "{gateway.commands}"\nevents = "{gateway.events}"\n'
                    f'public_key = "{gateway.public_key.decode()}"\n', encoding="utf-8")
    return path


def test_a_desktop_with_only_addresses_and_keys_signs_in_once_and_takes_a_call(
        services, media, phone, qtbot, tmp_path, monkeypatch):
    from cicada.commands.desktop_cmd import desktop_settings

    gateway, app = services
    partner_id = add_person(gateway.db_url, "张", "伟", phones=["13800138000"])
    # A database the PC could not open if it tried: the desktop must not need one.
    monkeypatch.setenv("CICADA_DB_URL", "postgresql+psycopg://nobody:wrong@192.0.2.1:5432/none")
    config = load_config(agents_pc_configuration(tmp_path, gateway, app))
    args = argparse.Namespace(no_mailq=True, user="ann", drafts=tmp_path / "drafts")
    settings = desktop_settings(args, config)
    assert (settings.app_url, settings.command_address) == (app.url, gateway.commands)
    assert SERVICES in settings.app_url and "127.0.0.1" not in settings.app_url + settings.command_address

    known = tmp_path / "pc" / "known_certificates"
    settings = type(settings)(**{**settings.__dict__, "known_certificates": known})
    session = crm_access.log_in(service_of(settings), "ann", PASSWORD)  # the one sign-in
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=500)
    desk = Desktop(settings, session, device=ann_phone.uri, queues=None)
    qtbot.addWidget(desk.window)
    desk.start()
    try:
        bench, window = desk.controller.bench, desk.window
        qtbot.waitUntil(lambda: bool(bench.connected and bench.agent), timeout=15000)
        trigger(desk, Control.READY)
        wait_mode(qtbot, desk, "ready")
        caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=20000, ani="13800138000")
        qtbot.waitUntil(lambda: window.header.values["name"].text() == "张伟", timeout=15000)
        trigger(desk, Control.ACCEPT)
        wait_state(qtbot, desk, "talking")
        call_id = bench.contact.call_id
        trigger(desk, Control.HANGUP)
        wait_state(qtbot, desk, "wrap_up")
        record = window.record
        record.outcome.setCurrentIndex(record.outcome.findData("resolved"))
        record.outcome.activated.emit(record.outcome.currentIndex())
        saved = []
        desk.controller.record_saved.connect(lambda key, rid: saved.append(rid))
        wait_enabled(qtbot, desk, Control.END)
        trigger(desk, Control.END)
        qtbot.waitUntil(lambda: bool(saved), timeout=15000)
        row = gateway.wait_until(lambda: (r := saved_record(gateway.db_url, call_id, "ann")) and
                                 r.status == "closed" and r, what="the closed record")
        assert (row.partner_id, row.outcome_code) == (partner_id, "resolved")
        caller.stop()
    finally:
        desk.close()
        desk.controller.tasks.shutdown()
    # Exactly one session was opened, the desktop's, and closing the window ended it.
    from sqlalchemy import select

    from crm.db import Database
    from crm.models import UserSession

    database = Database.open(gateway.db_url)
    with database.reading() as db:
        rows = db.execute(select(UserSession.client, UserSession.source, UserSession.ended_at)).all()
    database.dispose()
    desktop_rows = [r for r in rows if r.client == "desktop"]
    assert len(desktop_rows) == 1 and desktop_rows[0].ended_at is not None
    assert desktop_rows[0].source == "127.0.0.1"  # another address than the services'
    assert (tmp_path / "pc" / "known_certificates").is_dir()  # the certificate is pinned on the PC
