"""`cicada report performance|mail` through the command line's entry point, on the hand-computed
log of test_report_performance_mail.py: each format, the mail queues' due times and org units
read from [[mailq.queues]], rights, and bad input."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from cicada.cli import main
from crm.db import Database, make_engine, upgrade
from test_report_performance_mail import AMY_28, CARL_29, MAIL_28, NONE, fill

DAYS = ("--from", "2026-03-28", "--to", "2026-03-29", "--tz", "UTC")
CONFIG = """
[mailq]
default_queue = "service"
chat_queue = "web-chat"

[[mailq.queues]]
name = "service"
first_response_minutes = 60
org_units = ["A"]

[[mailq.queues]]
name = "web-chat"
first_response_minutes = 1

[[mailq.queues]]
name = "vip"
org_units = ["B"]

[[mailq.rules]]
queue = "vip"
value_class = ["A"]

[console.queues.web-chat]
short_abandon_seconds = 5
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    home = tmp_path_factory.mktemp("performance")
    url = f"sqlite:///{home / 'crm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(Database(engine))
    engine.dispose()
    return url


@pytest.fixture
def cicada(database, capsys, monkeypatch, tmp_path):
    for name in ("CICADA_DB_URL", "CICADA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    config = tmp_path / "cicada.toml"

    def run(*args: str, settings: str = CONFIG) -> tuple[int, str, str]:
        config.write_text(settings, encoding="utf-8")
        code = main(["--config", str(config), "--db-url", database, "report", *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def number(text: str):
    return None if text == "" else float(text)


def test_performance_csv_has_a_column_per_code_and_every_figure(cicada):
    code, out, err = cicada("performance", *DAYS, "--format", "csv", "--user", "admin")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:5] == ["level", "unit", "agent", "start", "end"]
    assert {"reason_billing", "reason_delivery", "outcome_escalated", "outcome_solved"} <= set(rows[0])
    amy = rows[0]
    assert {name: number(amy[name]) for name in NONE} == {name: AMY_28[name] for name in NONE}


def test_performance_json_to_a_file_keeps_a_supervisors_agents(cicada, tmp_path):
    target = tmp_path / "performance.json"
    code, out, err = cicada("performance", *DAYS, "--format", "json", "--output", str(target), "--user", "ted")
    assert code == 0, err
    assert out == ""
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert [row["agent"] or row["unit"] for row in rows] == ["carl", "B"] * 2  # his unit only
    assert "reason_billing" not in rows[2]  # the codes of his agents' records only
    assert {name: rows[2][name] for name in NONE if name in rows[2]} == {
        name: value for name, value in CARL_29.items() if name not in ("reason_billing", "outcome_escalated")}


def test_mail_xlsx_opens_in_openpyxl_with_the_configured_due_times(cicada, tmp_path):
    target = tmp_path / "mail.xlsx"
    code, _, err = cicada("mail", *DAYS, "--format", "xlsx", "--output", str(target), "--user", "sue")
    assert code == 0, err
    assert not (tmp_path / "mail.xlsx.part").exists()
    sheet = openpyxl.load_workbook(target, read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    records = [dict(zip(header, row)) for row in rows]
    day = [r for r in records if r["start"].startswith("2026-03-28")]
    assert [(r["queue"], r["channel"], r["agent"]) for r in day] == [
        ("service", "email", None), ("service", "email", "amy"), ("service", "email", "bob"),
        ("web-chat", "chat", None), ("web-chat", "chat", "amy")]  # vip is team B's
    service, chat = day[0], day[3]
    assert (service["due_seconds"], chat["due_seconds"], chat["short_abandon_seconds"]) == (3600, 60, 5)
    for record in (service, chat):
        expected = MAIL_28[(record["queue"], record["channel"], None)]
        assert {name: record[name] for name in expected} == expected


def test_mail_table_and_channel_filter(cicada):
    code, out, err = cicada("mail", *DAYS, "--channel", "chat", "--queue", "vip", "--user", "admin")
    assert code == 0, err
    assert "Email and chat" in out and "vip" in out and "service" not in out


@pytest.mark.parametrize(("args", "message"), [
    (("mail", *DAYS, "--queue", "vip", "--user", "sue"), "not one of sue's"),
    (("mail", *DAYS, "--queue", "nothing", "--user", "admin"), "no email or chat queue 'nothing'"),
    (("mail", *DAYS, "--channel", "phone", "--user", "admin"), "no phone channel"),
    (("mail", "--from", "2026-03-29", "--to", "2026-03-01", "--user", "admin"), "before it starts"),
    (("performance", *DAYS, "--agent", "carl", "--user", "sue"), "carl is not in sue's org units"),
    (("performance", *DAYS, "--agent", "nobody", "--user", "admin"), "no agent 'nobody'"),
    (("performance", *DAYS, "--format", "xlsx", "--user", "admin"), "--output"),
    (("performance", *DAYS, "--tz", "Mars/Olympus", "--user", "admin"), "not a time zone"),
])
def test_bad_input_is_a_message_and_nothing_written(cicada, tmp_path, args, message):
    target = tmp_path / "out.csv"
    code, out, err = cicada(*args, *(() if "xlsx" in args else ("--format", "csv", "--output", str(target))))
    assert code == 2
    assert message in err
    assert not target.exists()


def test_a_mail_queue_naming_an_org_unit_the_crm_has_not_is_refused(cicada):
    settings = CONFIG.replace('org_units = ["B"]', 'org_units = ["ZZ"]')
    code, out, err = cicada("mail", *DAYS, "--user", "admin", settings=settings)
    assert code == 2
    assert "'ZZ', which is not the code of an org unit" in err
    assert out == ""


@pytest.mark.postgres
def test_both_reports_from_postgresql(tmp_path, capsys, monkeypatch):
    from conftest import PgSchema, pg_url

    for name in ("CICADA_DB_URL", "CICADA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    config = tmp_path / "cicada.toml"
    config.write_text(CONFIG, encoding="utf-8")
    schema = PgSchema(pg_url())
    engine = schema.engine()
    try:
        upgrade(engine)
        fill(Database(engine))
        engine.dispose()
        url = f"{pg_url()}?options=-csearch_path%3D{schema.name}"
        head = ["--config", str(config), "--db-url", url, "report"]
        code = main([*head, "performance", *DAYS, "--format", "csv", "--user", "admin"])
        out, err = capsys.readouterr()
        assert code == 0, err
        amy = next(csv.DictReader(io.StringIO(out)))
        assert {name: number(amy[name]) for name in NONE} == {name: AMY_28[name] for name in NONE}
        code = main([*head, "mail", *DAYS, "--queue", "service", "--format", "csv", "--user", "sue"])
        out, err = capsys.readouterr()
        assert code == 0, err
        service = next(csv.DictReader(io.StringIO(out)))
        assert {name: number(service[name]) for name in MAIL_28[("service", "email", None)]} == \
            MAIL_28[("service", "email", None)]
    finally:
        engine.dispose()
        schema.drop()


@pytest.mark.parametrize("report", ["performance", "mail"])
def test_a_database_not_migrated_to_the_event_log_is_refused(cicada, tmp_path, capsys, report):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0011")  # the queue events before the event log
    engine.dispose()
    code = main(["--db-url", url, "report", report, *DAYS, "--user", "admin"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "at revision 0011" in err and "cicada db upgrade" in err


def test_the_performance_report_has_no_queue_filter(cicada):
    with pytest.raises(SystemExit) as exit_:
        cicada("performance", *DAYS, "--queue", "support", "--user", "admin")
    assert exit_.value.code == 2
