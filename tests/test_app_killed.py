"""The application service killed while desktops work: their requests fail with a clear
error, nothing is taken down with it, and once it is back the same sessions go on."""

from __future__ import annotations

import os
import signal

import pytest

import factories
from agent_desktop import crm_access
from app_harness import PASSWORD, make_app  # noqa: F401 - fixture
from app_service.wire import ServiceUnreachable
from crm.db import Database, make_engine
from crm.permissions import Actor


def test_a_killed_service_is_unreachable_for_its_desktops_and_once_restarted_their_sessions_go_on(make_app):
    app = make_app()
    database = Database(make_engine(app.db_url))
    with database.unit_of_work() as session:
        factories.person(session, Actor.system(), first="伟", last="张", phones=["13800138000"])
    desk = app.client(timeout=3)
    desk.sign_in("ann", PASSWORD)
    found, = crm_access.identify_caller(desk, "13800138000")

    os.killpg(app.process.pid, signal.SIGKILL)  # as a power cut or the OOM killer would
    app.process.wait()
    with pytest.raises(ServiceUnreachable, match="cannot be reached"):
        crm_access.business_data(desk, found.partner.partner_id)

    app.stop()
    app.start(prepare=False)  # same address, same database
    view = crm_access.business_data(desk, found.partner.partner_id)  # the same token: not signed in again
    assert view.partner.name == found.partner.name
    assert desk.me().user.username == "ann"
    database.dispose()
