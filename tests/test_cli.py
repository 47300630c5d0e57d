"""The `cicada` command line, as an administrator or a script uses it."""

import json
import re
import subprocess
import sys

import pytest

import factories
from cicada.cli import main
from crm.db import Database, head_revision, make_engine, upgrade


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    monkeypatch.delenv("CICADA_DB_URL", raising=False)
    monkeypatch.delenv("CICADA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def filled(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with Database(engine).unit_of_work() as s:
        factories.person(s, first="伟", last="张", phones=["13800138000"], emails=["zw@example.cn"], city="北京")
        owner = factories.user(s, "owner", "sales_rep")
        factories.organization(s, owner, name="Acme Trading", phones=["+1 415 555 0100"], country="US")
        factories.user(s, "rep", "sales_rep")
    engine.dispose()
    return db_url


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [
    [], ["demo"], ["db"], ["db", "upgrade"], ["db", "seed"], ["crm"], ["crm", "identify"],
    ["crm", "search"], ["crm", "show"], ["crm", "add"], ["db", "reindex"], ["users"], ["users", "add"], ["config"],
    ["gateway"], ["call"], ["phone"], ["desktop"], ["scripts"], ["scripts", "validate"], ["scripts", "import"],
    ["scripts", "run"], ["scripts", "report"], ["scripts", "activate"], ["scripts", "export"],
    ["actions"], ["actions", "list"], ["actions", "import"], ["actions", "export"], ["actions", "reset"],
    ["keys"], ["keys", "init"], ["keys", "show"], ["report"], ["report", "queue"], ["report", "contacts"],
    ["campaign"], ["campaign", "import"], ["campaign", "export"], ["calllist", "import"], ["dnc"], ["dnc", "add"],
])
def test_every_command_has_help(command):
    result = subprocess.run([sys.executable, "-m", "cicada.cli", *command, "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: cicada" in result.stdout


def test_upgrade_creates_and_migrates(capsys, db_url):
    code, out, _ = run(capsys, "--db-url", db_url, "db", "upgrade")
    assert code == 0 and f"is at revision {head_revision()}" in out
    code, out, _ = run(capsys, "--db-url", db_url, "db", "current")
    assert "up to date" in out


def test_unmigrated_database_gets_a_clear_error(capsys, db_url):
    code, _, err = run(capsys, "--db-url", db_url, "crm", "search", "zhang")
    assert code == 2
    assert "Run `cicada db upgrade` first" in err


def test_identify_by_phone_prints_json(capsys, filled):
    code, out, _ = run(capsys, "--db-url", filled, "crm", "identify", "--phone", "+86 138 0013 8000", "--json")
    assert code == 0
    [found] = json.loads(out)
    assert found["partner"]["name"] == "张伟" and found["matched_by"] == "phone"


def test_identify_nobody_exits_1_and_says_so(capsys, filled):
    code, out, _ = run(capsys, "--db-url", filled, "crm", "identify", "--email", "nobody@example.com")
    assert code == 1 and "No partner found" in out


def test_search_table_and_json(capsys, filled):
    code, out, _ = run(capsys, "--db-url", filled, "crm", "search", "zhang", "wei")
    assert code == 0 and "张伟" in out and "北京" in out
    code, out, _ = run(capsys, "--db-url", filled, "crm", "search", "acme", "--json")
    result = json.loads(out)
    assert [i["name"] for i in result["items"]] == ["Acme Trading"] and result["total"] == 1


def test_search_as_a_user_applies_their_permissions(capsys, filled):
    code, out, _ = run(capsys, "--db-url", filled, "crm", "search", "acme", "--as", "rep", "--json")
    assert json.loads(out)["items"] == []  # owned by a colleague, not shared
    code, _, err = run(capsys, "--db-url", filled, "crm", "search", "acme", "--as", "ghost")
    assert code == 2 and "No user 'ghost'" in err


def test_bad_input_gets_an_error_not_a_traceback(capsys, filled, tmp_path):
    code, _, err = run(capsys, "--db-url", filled, "crm", "identify", "--phone", "anonymous")
    assert code == 2 and "no digits" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("[database\n")
    code, _, err = run(capsys, "--config", str(bad), "db", "current")
    assert code == 2 and "not valid TOML" in err


def test_users_add_reads_password_from_stdin_and_never_prints_it(capsys, filled, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-secret\n"))
    code, out, _ = run(capsys, "--db-url", filled, "users", "add", "lina", "--role", "agent", "--password-stdin")
    assert code == 0 and "added lina" in out
    code, out, _ = run(capsys, "--db-url", filled, "users", "list")
    assert "lina" in out and "a-long-secret" not in out


def test_config_show_hides_the_database_password(capsys, monkeypatch):
    monkeypatch.setenv("CICADA_DB_URL", "postgresql+psycopg://cicada:topsecret@db/x")
    code, out, _ = run(capsys, "config", "show")
    assert code == 0 and "topsecret" not in out and "***" in out


def test_unreachable_database_is_reported_plainly(capsys):
    code, _, err = run(capsys, "--db-url", "postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "current")
    assert code == 2 and "Cannot open the CRM database" in err


def test_show_prints_the_360_view(capsys, filled):
    code, out, _ = run(capsys, "--db-url", filled, "crm", "show", "c00000001", "--json")
    data = json.loads(out)
    assert code == 0 and data["name"] == "张伟" and data["phones"] == ["13800138000"]
    code, _, err = run(capsys, "--db-url", filled, "crm", "show", "C99")
    assert code == 2 and "No business partner with customer number C99" in err


def test_demo_creates_migrates_and_seeds_once(capsys, db_url):
    code, out, _ = run(capsys, "--db-url", db_url, "demo", "--customers", "30", "--no-gateway")
    assert code == 0 and "creating 30 demo customers" in out and "agent1-demo" in out
    assert "Call scripts imported and active: complaint-intake-en, complaint-intake-zh" in out
    code, out, _ = run(capsys, "--db-url", db_url, "demo", "--customers", "30", "--no-gateway")
    assert code == 0 and "creating" not in out and "Call scripts imported" not in out
    partners = int(re.search(r"([\d,]+) business partners", out).group(1).replace(",", ""))
    assert partners >= 30  # customers plus the contact persons of organizations
    code, out, _ = run(capsys, "--db-url", db_url, "scripts", "list")
    assert "fibre-offer-zh" in out


def test_demo_on_a_fresh_machine_uses_the_user_data_directory(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("CICADA_DB_URL", raising=False)
    monkeypatch.delenv("CICADA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, _ = run(capsys, "demo", "--customers", "10", "--no-gateway")
    assert code == 0
    assert (tmp_path / "data" / "cicada" / "cicada.db").exists()


def test_add_shows_duplicates_and_saves_only_when_confirmed(capsys, filled):
    args = ["--db-url", filled, "crm", "add", "--last", "张", "--first", "伟", "--phone", "139 1111 2222"]
    code, out, _ = run(capsys, *args)
    assert code == 3 and "C00000001" in out and "same name" in out and "Nothing was saved" in out
    code, out, _ = run(capsys, *args, "--confirm-duplicates", "--json")
    assert code == 0 and json.loads(out)["partner_no"] == "C00000003"
    code, out, _ = run(capsys, "--db-url", filled, "crm", "identify", "--phone", "13911112222", "--json")
    assert [f["partner"]["name"] for f in json.loads(out)] == ["张伟"]


def test_add_as_a_user_counts_the_duplicates_he_may_not_see_without_naming_them(capsys, filled):
    args = ["--db-url", filled, "crm", "add", "--org", "Acme Trading", "--as", "rep"]
    code, out, _ = run(capsys, *args)
    assert code == 3 and "1 existing partner(s) that you may not see" in out and "C00000002" not in out
    code, out, _ = run(capsys, *args, "--json")
    assert json.loads(out) == {"saved": False, "possible_duplicates": [], "hidden_duplicates": 1}


def test_add_refuses_bad_input_plainly(capsys, filled):
    code, _, err = run(capsys, "--db-url", filled, "crm", "add", "--org", "X", "--email", "not-mail")
    assert code == 2 and "not an email address" in err


def test_add_as_a_user_makes_them_the_owner(capsys, filled):
    code, out, _ = run(capsys, "--db-url", filled, "crm", "add", "--org", "Lotus Ltd", "--as", "rep", "--json")
    assert code == 0
    code, out, _ = run(capsys, "--db-url", filled, "crm", "show", json.loads(out)["partner_no"], "--json")
    assert json.loads(out)["owner"] == "Rep"


def test_reindex(capsys, filled):
    code, out, _ = run(capsys, "--db-url", filled, "db", "reindex")
    assert code == 0 and "reindexed 2 business partners" in out


def test_actions_layout_by_level_import_list_export_reset(capsys, filled, tmp_path):
    from crm.services.users import create_org_unit
    from crm.permissions import Actor
    from crm.models import User
    from sqlalchemy import select

    engine = make_engine(filled)
    with Database(engine).unit_of_work() as s:
        cc = create_org_unit(s, Actor.system(), kind="contact_center", code="CC", name="Center")
        site = create_org_unit(s, Actor.system(), kind="site", code="S1", name="Site", parent=cc)
        team = create_org_unit(s, Actor.system(), kind="team", code="T1", name="Team one", parent=site)
        s.scalar(select(User).where(User.username == "rep")).org_unit_id = team.id
    engine.dispose()
    layout = tmp_path / "layout.yaml"
    layout.write_text("tabs:\n  - id: quick\n    label: {en: Quick, zh: 快捷}\n    actions: [callback, email]\n")
    code, out, _ = run(capsys, "--db-url", filled, "actions", "import", str(layout), "--level", "CC")
    assert code == 0 and "now shows quick" in out
    code, out, _ = run(capsys, "--db-url", filled, "actions", "list", "--user", "rep")
    assert "service_order" in out and "Quick: callback, email" in out
    code, out, _ = run(capsys, "--db-url", filled, "actions", "export", "--user", "rep", "--effective")
    assert "actions:\n  - callback\n  - email" in out and "email_templates" in out
    code, out, _ = run(capsys, "--db-url", filled, "actions", "export", "--level", "T1")
    assert "inherits" in out
    layout.write_text("tabs:\n  - id: quick\n    label: Quick\n    actions: [callback, fly]\n")
    code, _, err = run(capsys, "--db-url", filled, "actions", "import", str(layout), "--level", "T1")
    assert code == 2 and "no installed action has the id(s) fly" in err
    code, out, _ = run(capsys, "--db-url", filled, "actions", "reset", "--level", "CC")
    assert code == 0
    code, out, _ = run(capsys, "--db-url", filled, "actions", "list", "--user", "rep")
    assert "Service: service_order, complaint, callback" in out
