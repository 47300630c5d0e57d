"""The desktop holds no database: no module of it imports the CRM's database code or
its library, and a desktop that signs in and does an agent's CRM work (screen pop,
search, history, scripts, follow-ups, the Inbox, saving a contact) loads neither."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import factories
from desktop_harness import app_of, url_of  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("sqlalchemy", "alembic", "crm.db", "crm.models", "crm.services", "crm.permissions")


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_of_the_desktop_imports_the_database():
    found = {str(path.relative_to(ROOT)): sorted(name for name in imported_names(path)
                                                 if name.startswith(FORBIDDEN))
             for path in sorted((ROOT / "agent_desktop").rglob("*.py"))}
    assert {path: names for path, names in found.items() if names} == {}


DESKTOP_AT_WORK = r"""
import json, sys
from pathlib import Path
from agent_desktop import crm_access
from agent_desktop.app import Desktop, DesktopSettings, application
from agent_desktop.ui.tasks import TaskRunner
from agent_desktop.workbench import Contact, IdStatus
from crm.history_types import HistoryFilter

url, fingerprint, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
application()
tasks = TaskRunner()
session = crm_access.log_in(crm_access.Service(url, fingerprint, work / "known"), "ann", sys.argv[4])
from bus.keys import new_keypair
settings = DesktopSettings(command_address="tcp://127.0.0.1:9", event_address="tcp://127.0.0.1:9",
                           gateway_public_key=new_keypair().public.decode(), app_url=url,
                           app_fingerprint=fingerprint, draft_dir=work / "drafts")
desk = Desktop(settings, session, device=None, queues=None, tasks=tasks)
crm = session.crm
match, = crm_access.identify_caller(crm, "13800138000")
crm_access.business_data(crm, match.partner.partner_id)
crm_access.search(crm, "张伟")
crm_access.history_page(crm, match.partner.partner_id, filters=HistoryFilter(), before=None)
crm_access.load_scripts(crm)
crm_access.warm_up(crm)  # what a pop needs besides: the script engine that shows its prompts
crm_access.follow_ups(crm)
crm_access.inbox(crm)
contact = Contact(key="local-1", call_id=None, kind="outbound", ani="13800138000", dnis="", queue=None,
                  waited=0, offered_at=0)
contact.identification.status, contact.identification.partner = IdStatus.CONFIRMED, match.partner
record = crm_access.save_contact(crm, contact)
crm_access.interaction_detail(crm, record)
desk.close()
tasks.shutdown()
crm.close()
print(json.dumps(sorted(name for name in sys.modules if name.startswith(("sqlalchemy", "alembic", "crm.db")))))
"""


def test_a_desktop_at_work_loads_neither_the_database_code_nor_its_library(db, app_of, tmp_path):
    with db.unit_of_work() as session:
        factories.user(session, "ann")
        factories.person(session, first="伟", last="张", phones=["13800138000"])
    app = app_of(url_of(db))
    env = {key: value for key, value in os.environ.items() if not key.startswith("CICADA_")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-c", DESKTOP_AT_WORK, app.url, app.fingerprint, str(tmp_path),
                           factories.PASSWORD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_plain_copies_agree_with_the_database_models():
    from app_service.business_results import SECTIONS
    from crm.actors import ADMINISTRATOR, ROLE_PERMISSIONS
    from crm.models import TransactionKind, UserRole

    assert set(ROLE_PERMISSIONS) == set(UserRole.values()) and ADMINISTRATOR == UserRole.ADMINISTRATOR
    assert set(SECTIONS) - {"contact_persons", "relationships", "installed_base", "interactions"} <= set(
        TransactionKind.values())
