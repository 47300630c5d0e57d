"""`cicada report agents|agent-day` through the command line's entry point, on the hand-computed
event log of test_report_agent_time.py: each format, rights, and bad input."""

from __future__ import annotations

import csv
import io
import json
import re

import openpyxl
import pytest

from cicada.cli import main
from crm.db import Database, make_engine, upgrade
from test_report_agent_time import DAY_1, DAY_2, fill

MARCH = ("--from", "2026-03-28", "--to", "2026-03-29", "--tz", "Europe/Berlin")
COLUMNS = ["level", "unit", "agent", "start", "end", "logged_in", "ready", "offered", "busy", "talk", "hold",
           "wrap_up", "not_ready", "not_ready_break", "not_ready_login", "not_ready_lunch", "handling", "occupancy",
           "utilization", "email_chat_open"]


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    home = tmp_path_factory.mktemp("agents")
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

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--db-url", database, "report", *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_csv_has_a_column_per_reason_and_every_figure(cicada):
    code, out, err = cicada("agents", *MARCH, "--format", "csv", "--user", "admin")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == COLUMNS
    assert [(row["level"], row["agent"] or row["unit"]) for row in rows[:7]] == [
        ("agent", "amy"), ("agent", "bob"), ("agent", "carl"), ("team", "A"), ("team", "B"), ("site", "S"),
        ("contact_center", "CC")]
    amy = rows[0]
    figures = {name: float(amy[name]) for name in ("logged_in", "ready", "offered", "talk", "hold", "wrap_up",
                                                      "not_ready", "handling")}
    assert figures == {name: DAY_1["amy"][name] for name in figures}
    assert (amy["not_ready_login"], amy["not_ready_lunch"], amy["not_ready_break"]) == ("60.0", "2700.0", "3600.0")
    assert float(amy["occupancy"]) == round(350 / 11040, 6)
    assert (amy["email_chat_open"], rows[3]["email_chat_open"]) == ("5400.0", "7200.0")  # amy; team A
    assert rows[2]["occupancy"] == ""  # carl: neither ready nor handling, nothing to measure
    assert (rows[7]["start"], rows[7]["end"]) == ("2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00")


def test_json_to_a_file_keeps_a_supervisors_agents(cicada, tmp_path):
    target = tmp_path / "agents.json"
    code, out, err = cicada("agents", *MARCH, "--format", "json", "--output", str(target), "--user", "sue")
    assert code == 0, err
    assert out == ""
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert [row["agent"] or row["unit"] for row in rows] == ["amy", "bob", "A"] * 2
    assert rows[4]["logged_in"] == DAY_2["bob"]["logged_in"]


def test_xlsx_opens_in_openpyxl_with_the_same_figures(cicada, tmp_path):
    target = tmp_path / "agents.xlsx"
    code, _, err = cicada("agents", *MARCH, "--interval", "60min", "--agent", "bob", "--format", "xlsx",
                          "--output", str(target), "--user", "sue")
    assert code == 0, err
    sheet = openpyxl.load_workbook(target, read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == [name for name in COLUMNS if name not in ("not_ready_login", "not_ready_lunch")]
    bob = [dict(zip(header, row)) for row in rows if row[0] == "agent"]
    assert len(bob) == 24 + 23
    across = bob[24 + 1], bob[24 + 2]  # 01:00 winter time, then 03:00 summer time
    assert [(one["start"], one["not_ready_break"], one["ready"]) for one in across] == [
        ("2026-03-29T01:00:00+01:00", 1800, 1800), ("2026-03-29T03:00:00+02:00", 1800, 1800)]


def test_the_table_shows_times_as_hours_and_ratios_as_percentages(cicada):
    code, out, err = cicada("agents", *MARCH, "--team", "A", "--user", "sue")
    assert code == 0, err
    assert "Agent time 2026-03-28 – 2026-03-29" in out
    amy = next(line for line in out.splitlines() if "amy" in line)
    assert "4:50:00" in amy and "3.2%" in amy and "1:30:00" in amy  # logged in, occupancy, email/chat open


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_the_timeline_of_one_agents_day(cicada, fmt):
    code, out, err = cicada("agent-day", "--agent", "amy", "--date", "2026-03-28", "--tz", "Europe/Berlin",
                            "--format", fmt, "--user", "sue")
    assert code == 0, err
    if fmt == "table":
        assert "amy's day" in out and "09:12" in out and "hold" in out and "lunch" in out
        return
    rows = list(csv.DictReader(io.StringIO(out))) if fmt == "csv" else json.loads(out)
    assert [row["state"] for row in rows] == ["not_ready", "ready", "offered", "talk", "hold", "talk", "wrap_up",
                                              "ready", "email", "chat", "not_ready", "ready", "not_ready"]
    hold = rows[4]
    assert (hold["start"], hold["end"], float(hold["seconds"]), hold["contact"]) == (
        "2026-03-28T09:12:00+01:00", "2026-03-28T09:13:00+01:00", 60.0, "c1")
    assert (rows[8]["contact"], rows[10]["reason"], rows[-1]["reason"], rows[-1]["end"]) == ("501", "lunch", "break",
                                                                    "2026-03-29T00:00:00+01:00")


def test_the_timeline_in_excel(cicada, tmp_path):
    target = tmp_path / "day.xlsx"
    code, _, err = cicada("agent-day", "--agent", "bob", "--date", "2026-03-28", "--tz", "Europe/Berlin",
                          "--format", "xlsx", "--output", str(target), "--user", "admin")
    assert code == 0, err
    header, *rows = openpyxl.load_workbook(target, read_only=True).active.iter_rows(values_only=True)
    assert header == ("agent", "start", "end", "seconds", "state", "reason", "contact")
    rows = [row + (None,) * (len(header) - len(row)) for row in rows]  # a read-only sheet leaves off empty cells
    assert rows == [("bob", "2026-03-28T10:00:00+01:00", "2026-03-28T11:00:00+01:00", 3600, "ready", None, None),
                    ("bob", "2026-03-28T11:00:00+01:00", "2026-03-28T13:00:00+01:00", 7200, "not_ready", "break",
                     None),
                    ("bob", "2026-03-28T23:30:00+01:00", "2026-03-29T00:00:00+01:00", 1800, "email", None, "503")]


@pytest.mark.parametrize("args, message", [
    (("agents", *MARCH, "--agent", "nobody", "--user", "admin"), "There is no agent 'nobody'"),
    (("agents", *MARCH, "--team", "B", "--user", "sue"), "The org unit B is not one of sue's"),
    (("agents", *MARCH, "--agent", "carl", "--user", "sue"), "carl is not in sue's org units"),
    (("agents", *MARCH, "--user", "amy"), "may not read agent reports"),
    (("agents", "--from", "2026-03-29", "--to", "2026-03-27", "--user", "admin"), "ends .* before it starts"),
    (("agents", "--from", "2025-01-01", "--to", "2026-02-01", "--interval", "60min", "--user", "admin"),
     "at most 92 days"),
    (("agents", *MARCH, "--format", "xlsx", "--user", "admin"), "give it with --output"),
    (("agent-day", "--agent", "nobody", "--date", "2026-03-28", "--user", "admin"), "There is no agent 'nobody'"),
    (("agent-day", "--agent", "carl", "--date", "2026-03-28", "--user", "sue"), "carl is not in sue's org units"),
    (("agent-day", "--agent", "amy", "--date", "28.3.2026", "--user", "sue"), "--date '28.3.2026': write a day"),
    (("agent-day", "--agent", "amy", "--date", "2026-03-28", "--tz", "Mars/Olympus", "--user", "sue"),
     "not a time zone"),
])
def test_bad_input_gets_a_clear_error_and_no_file(cicada, tmp_path, args, message):
    target = tmp_path / "out.csv"
    more = () if "--format" in args else ("--format", "csv", "--output", str(target))
    code, out, err = cicada(*args, *more)
    assert code == 2
    assert err.startswith("cicada: error: ")
    assert re.search(message, err), err
    assert out == "" and not target.exists()


def test_an_agent_named_has_his_rows_also_on_a_day_he_did_not_work(cicada):
    code, out, err = cicada("agents", "--from", "2026-03-30", "--to", "2026-03-30", "--tz", "Europe/Berlin",
                            "--agent", "amy", "--format", "csv", "--user", "sue")
    assert code == 0, err
    amy, team = csv.DictReader(io.StringIO(out))
    assert (amy["agent"], amy["logged_in"], amy["utilization"], team["unit"]) == ("amy", "0.0", "", "A")
    code, out, _ = cicada("agents", "--from", "2026-03-30", "--to", "2026-03-30", "--format", "csv", "--user", "sue")
    assert code == 0 and out.splitlines()[1:] == []  # nobody named, nobody worked: no rows


def test_a_database_not_migrated_to_the_event_log_is_refused(cicada, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0011")  # the queue events before the event log
    engine.dispose()
    code = main(["--db-url", url, "report", "agents", *MARCH, "--user", "admin"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "at revision 0011" in err and "cicada db upgrade" in err


def test_the_agents_report_has_no_queue_filter(cicada):
    with pytest.raises(SystemExit) as exit_:
        cicada("agents", *MARCH, "--queue", "support", "--user", "admin")
    assert exit_.value.code == 2


@pytest.mark.postgres
def test_csv_from_postgresql(tmp_path, capsys, monkeypatch):
    from conftest import PgSchema, pg_url

    for name in ("CICADA_DB_URL", "CICADA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    schema = PgSchema(pg_url())
    engine = schema.engine()
    try:
        upgrade(engine)
        fill(Database(engine))
        engine.dispose()
        url = f"{pg_url()}?options=-csearch_path%3D{schema.name}"
        code = main(["--db-url", url, "report", "agents", *MARCH, "--format", "csv", "--user", "ted"])
        out, err = capsys.readouterr()
        assert code == 0, err
        carl_1, team_1, carl_2, team_2 = csv.DictReader(io.StringIO(out))
        assert (carl_1["not_ready_lunch"], carl_2["talk"], carl_2["offered"], team_2["ready"]) == (
            "3600.0", "3595.0", "5.0", "3600.0")
        assert float(carl_2["utilization"]) == round(3595 / 7200, 6)
    finally:
        engine.dispose()
        schema.drop()
