"""`cicada scripts` as a script author and a supervisor use it: validate,
import, activate, export, a dry run with a real partner, the report."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

import factories
from cicada.cli import main
from crm.db import Database, make_engine, upgrade
from crm.services import scripts as store
from scripting.records import run_record
from scripting.runner import ScriptRun
from scripting.document import load_yaml
from scripting.templates import make_context

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "scripting" / "examples"


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    monkeypatch.delenv("CICADA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CICADA_DB_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    with Database(engine).unit_of_work() as s:
        factories.person(s, first="伟", last="张", phones=["13800138000"], city="北京", value_class="A")
        factories.user(s, "ann")
    engine.dispose()
    return url


def cicada(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_says_ok_or_lists_each_error_with_its_node(capsys, tmp_path, db_url):
    code, out, _ = cicada(capsys, "scripts", "validate", *map(str, sorted(EXAMPLES.glob("*.yaml"))))
    assert code == 0 and out.count("ok ") == len(list(EXAMPLES.glob("*.yaml")))
    broken = tmp_path / "broken.yaml"
    broken.write_text((EXAMPLES / "fibre-offer-en.yaml").read_text()
                      .replace("goto: end_sale", "goto: end_of_sale").replace("{{ agent.name }}", "{{ agnt.name }}"))
    code, out, _ = cicada(capsys, "scripts", "validate", str(broken))
    assert code == 1
    assert "node 'address_ok': leads to 'end_of_sale', which is not a node of this script" in out
    assert "node 'greet': text: unknown variable 'agnt'" in out
    garbage = tmp_path / "garbage.yaml"
    garbage.write_text("name: x\nnodes: [{id: a, type: sing}]")
    code, out, _ = cicada(capsys, "scripts", "validate", str(garbage), str(tmp_path / "missing.yaml"))
    assert code == 1 and "Invalid value 'sing'" in out


def test_import_activate_list_export_and_deactivate(capsys, tmp_path, db_url):
    offer = EXAMPLES / "fibre-offer-en.yaml"
    code, out, _ = cicada(capsys, "scripts", "import", str(offer))
    assert code == 0 and "as fibre-offer-en version 1" in out
    code, out, _ = cicada(capsys, "scripts", "import", str(offer), "--activate")
    assert code == 0 and "version 2, active" in out
    code, _, err = cicada(capsys, "scripts", "import", str(offer), "--as", "ann")
    assert code == 2 and "may not import call scripts" in err
    code, out, _ = cicada(capsys, "scripts", "activate", "fibre-offer-en", "--version", "1")
    assert code == 0 and "version 1 is active" in out
    code, out, _ = cicada(capsys, "scripts", "list")
    assert "fibre-offer-en" in out
    target = tmp_path / "out.yaml"
    assert cicada(capsys, "scripts", "export", "fibre-offer-en", "-o", str(target))[0] == 0
    assert target.read_text() == offer.read_text()
    code, out, _ = cicada(capsys, "scripts", "deactivate", "fibre-offer-en")
    assert code == 0
    code, _, err = cicada(capsys, "scripts", "export", "nothing-here")
    assert code == 2 and "no call script named 'nothing-here'" in err


def dry_run(db_url, script: str, answers: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cicada.cli", "--db-url", db_url, "scripts", "run", script, *extra],
        input=answers, capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_a_dry_run_walks_the_script_with_the_partners_data_and_shows_the_answers(db_url):
    result = dry_run(db_url, str(EXAMPLES / "fibre-offer-zh.yaml"),
                     "\ny\n\n1\n\n3\n\nn\nn\n", "--partner", "C00000001", "--agent", "李娜")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "“您好，我是知了电信的李娜，请问是张伟吗？”" in out
    assert "作为我们的重要客户" in out  # value class A
    assert "Outcome: not_interested" in out
    assert "current_speed" in out and "under_50" in out


def test_a_dry_run_refuses_bad_answers_goes_back_and_stops_when_input_ends(db_url):
    result = dry_run(db_url, str(EXAMPLES / "complaint-intake-en.yaml"), "\nseven\n9\nb\nb\nq\n",
                     "--partner", "C00000001")
    assert result.returncode == 1
    assert "'seven' is not one of the choices" in result.stdout
    assert "this is the first step" in result.stdout
    assert "Stopped at greet" in result.stdout
    ended = dry_run(db_url, str(EXAMPLES / "complaint-intake-en.yaml"), "\n")
    assert ended.returncode == 1 and "Input ended; the run stops at category" in ended.stdout
    assert "[partner.addressed_as]" in ended.stdout  # no partner: a visible placeholder


def test_the_report_prints_and_writes_csv(capsys, tmp_path, db_url):
    cicada(capsys, "scripts", "import", str(EXAMPLES / "fibre-offer-en.yaml"), "--activate")
    database = Database.open(db_url)
    script = load_yaml((EXAMPLES / "fibre-offer-en.yaml").read_text())
    for answers in ([None, "no"], [None, "yes", None, "over_200", "no"]):
        run = ScriptRun(script, 1, make_context())
        for value in answers:
            run.next(value)
        with database.unit_of_work() as s:
            from crm.services.users import actor_for
            store.save_run(s, actor_for(s, "ann"), run_record(run), contact_id=run.run_id)
    database.dispose()
    target = tmp_path / "report.csv"
    code, out, _ = cicada(capsys, "scripts", "report", "fibre-offer-en", "--csv", str(target))
    assert code == 0 and "2 runs, 2 finished" in out
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {"script": "fibre-offer-en", "version": "1", "kind": "outcome", "node": "", "text": "",
            "value": "not_reached", "count": "1"} in rows


CALL_FACTS = """
name: call-facts
title: Call facts
nodes:
  - {id: hello, type: text, next: ok,
     text: "Waited {{ call.waited_seconds }} s on {{ call.queue }} via {{ call.dnis }} ({{ campaign.name }}, {{ call.direction }}, {{ call.call_id }})"}
  - {id: ok, type: question, text: "All right?", answer: yes_no,
     branches: [{value: "yes", goto: fine}, {value: "no", goto: sorry}]}
  - {id: fine, type: end, outcome: fine}
  - {id: sorry, type: end, outcome: sorry}
"""  # noqa: E501 (the long text is the case under test)


def test_a_dry_run_takes_every_call_value_and_yes_no_by_number(db_url, tmp_path):
    path = tmp_path / "call-facts.yaml"
    path.write_text(CALL_FACTS)
    result = dry_run(db_url, str(path), "\n1\n", "--waited", "42", "--queue", "billing", "--dnis", "4001",
                     "--campaign", "autumn", "--direction", "outbound", "--call-id", "c-7")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Waited 42 s on billing via 4001 (autumn, outbound, c-7)" in result.stdout
    assert "1) yes" in result.stdout and "Outcome: fine" in result.stdout
    result = dry_run(db_url, str(path), "\n2\n")
    assert "Outcome: sorry" in result.stdout and "[call.waited_seconds]" in result.stdout


def test_a_stored_script_that_goes_round_without_stopping_ends_the_dry_run_with_a_clear_error(db_url):
    database = Database.open(db_url)
    with database.unit_of_work() as s:  # stored by an older release, before the validator knew this
        store.add_version(s, store_system(), name="circle", kind="interactive", document={
            "name": "circle", "nodes": [
                {"id": "check", "type": "branch", "branches": [{"if": "true", "goto": "check"}],
                 "otherwise": "e"},
                {"id": "e", "type": "end", "outcome": "x"}]})
    database.dispose()
    result = dry_run(db_url, "circle", "\n")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "The script cannot start: the script goes round through branch and jump nodes" in result.stdout


def store_system():
    from crm.permissions import Actor

    return Actor.system()
