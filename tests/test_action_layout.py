"""The Action Box layout down the org path (contact center → site → team →
agent): each level merged over the one above entry by entry, so a site that
adds a link keeps the contact center's tabs; `hidden` removes what a level
does not want; what `cicada actions export --effective` writes imports again
unchanged."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

import factories
from action_box.layout import check_layout, effective, tabs
from cicada.cli import main
from crm.db import Database, make_engine, upgrade
from crm.models import User
from crm.permissions import Actor
from crm.services.profiles import agent_profile, merge_action_box, set_profile_setting
from crm.services.users import create_org_unit

SYSTEM = Actor.system()
CENTER = {"tabs": [{"id": "service", "label": {"en": "Service", "zh": "服务"}, "actions": ["complaint", "callback"]},
                   {"id": "quick", "label": "Quick", "actions": ["email", "task"]}]}
ERP_LINK = {"id": "erp", "label": {"en": "Orders in the ERP", "zh": "ERP 订单"},
            "url": "https://erp.example.com/orders?c={{ partner.partner_no|urlencode }}"}


def org(session) -> int:
    """Center CC, site BJ, team BJ-1; the team's id."""
    cc = create_org_unit(session, SYSTEM, kind="contact_center", code="CC", name="Center")
    site = create_org_unit(session, SYSTEM, kind="site", code="BJ", name="Beijing", parent=cc)
    return create_org_unit(session, SYSTEM, kind="team", code="BJ-1", name="Billing", parent=site).id


@pytest.fixture
def ann(db):
    with db.unit_of_work() as s:
        team = org(s)
        ann = factories.user(s, "ann")
        s.get(User, ann.user_id).org_unit_id = team
        set_profile_setting(s, SYSTEM, "action_box", check_layout(CENTER), org_unit="CC")
        return ann


def shown(db, actor, language="en"):
    with db.reading() as s:
        layout = effective(agent_profile(s, actor).action_box)
    return {t.id: (t.label, [a.id for a in t.actions]) for t in tabs(layout, language)}, layout


def put(db, layout, **level):
    with db.unit_of_work() as s:
        set_profile_setting(s, SYSTEM, "action_box", check_layout(layout), **level)


def test_a_site_that_adds_only_a_link_keeps_the_contact_centers_tabs(db, ann):
    put(db, {"links": [ERP_LINK], "tabs": [{"id": "erp", "label": "ERP", "actions": ["erp"]}]}, org_unit="BJ")
    seen, layout = shown(db, ann)
    assert seen["service"] == ("Service", ["complaint", "callback"]) and seen["quick"][1] == ["email", "task"]
    assert seen["erp"] == ("ERP", ["erp"])
    assert [link["id"] for link in layout["links"]] == ["map", "erp"]  # the built-in link is kept too
    assert list(seen)[:4] == ["service", "sales", "follow_up", "quick"]  # inherited ones keep their place


def test_a_team_overrides_one_tab_by_its_id_and_keeps_the_rest(db, ann):
    put(db, {"tabs": [{"id": "quick", "label": {"en": "Fast", "zh": "快速"}, "actions": ["lead"]}]}, org_unit="BJ-1")
    seen, _ = shown(db, ann, "zh")
    assert seen["quick"] == ("快速", ["lead"]) and seen["service"] == ("服务", ["complaint", "callback"])


def test_an_agent_hides_what_he_does_not_use_and_adds_his_own_template(db, ann):
    put(db, {"links": [ERP_LINK]}, org_unit="BJ")
    mine = {"hidden": ["sales", "task", "map"],
            "email_templates": [{"id": "thanks_en", "label": "Thanks", "subject": "Thanks", "body": "Thank you."}]}
    put(db, mine, username="ann")
    seen, layout = shown(db, ann)
    assert "sales" not in seen and seen["quick"][1] == ["email"]  # the task is hidden from every tab
    assert [link["id"] for link in layout["links"]] == ["erp"]
    thanks = next(t for t in layout["email_templates"] if t["id"] == "thanks_en")
    assert thanks["body"] == "Thank you."  # his version replaces the built-in one of that id
    assert any(t["id"] == "complaint_en" for t in layout["email_templates"])  # the others stay


def test_what_a_level_hides_a_lower_level_may_bring_back(db, ann):
    put(db, {"hidden": ["map", "follow_up"]}, org_unit="BJ")
    seen, _ = shown(db, ann)
    assert "follow_up" not in seen and "map" not in str(seen)
    put(db, {"tabs": [{"id": "links", "label": "Links", "actions": ["map"]}]}, org_unit="BJ-1")
    seen, layout = shown(db, ann)
    assert seen["links"][1] == ["map"] and "follow_up" not in seen and "map" not in layout.get("hidden", [])


def test_merging_never_changes_what_it_merges():
    upper = {"tabs": [{"id": "a", "label": "A", "actions": ["x", "y"]}]}
    merge_action_box(upper, {"hidden": ["y"], "tabs": [{"id": "b", "label": "B", "actions": ["z"]}]})
    assert upper == {"tabs": [{"id": "a", "label": "A", "actions": ["x", "y"]}]}


def test_the_effective_layout_exported_imports_again_unchanged(db, ann):
    put(db, {"links": [ERP_LINK], "hidden": ["sales"]}, org_unit="BJ")
    _, before = shown(db, ann)
    text = yaml.safe_dump(before, allow_unicode=True, sort_keys=False)
    put(db, yaml.safe_load(text), username="ann")  # imported at the agent's own level
    _, after = shown(db, ann)
    assert after == before


def test_the_command_exports_the_effective_layout_and_imports_it_cleanly(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CICADA_DB_URL", raising=False)
    monkeypatch.delenv("CICADA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Database(engine).unit_of_work() as s:
        team = org(s)
        factories.user(s, "rep", "sales_rep")
        s.scalar(select(User).where(User.username == "rep")).org_unit_id = team
    engine.dispose()
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump({"links": [ERP_LINK], "tabs": [{"id": "erp", "label": "ERP", "actions": ["erp"]}]},
                                   allow_unicode=True))
    assert main(["--db-url", url, "actions", "import", str(site), "--level", "BJ"]) == 0
    capsys.readouterr()
    exported = tmp_path / "effective.yaml"
    assert main(["--db-url", url, "actions", "export", "--user", "rep", "--effective", "-o", str(exported)]) == 0
    assert main(["--db-url", url, "actions", "import", str(exported), "--user", "rep"]) == 0
    capsys.readouterr()
    assert main(["--db-url", url, "actions", "export", "--user", "rep", "--effective"]) == 0
    assert capsys.readouterr().out == exported.read_text(encoding="utf-8")
    assert main(["--db-url", url, "actions", "list", "--user", "rep"]) == 0
    listing = capsys.readouterr().out
    assert "Service: service_order, complaint, callback" in listing and "ERP: erp" in listing
