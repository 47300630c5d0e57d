"""`cicada report queue|contacts` through the command line's entry point (and once as its own
program), on the hand-computed event log of test_report_queue_report.py: each format, the
queue's thresholds from [console.queues.*], and bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import openpyxl
import pytest

from cicada.cli import main
from crm.db import Database, make_engine, upgrade
from crm.reports.queue_report import CONTACT_COLUMNS, QUEUE_COLUMNS
from test_report_queue_report import fill

# Day 1 of the fixture with abandons within T ignored, the variant the configuration gives
# "support": answered within T / (left the queue − abandoned within T) = 2 / (10 − 3).
SERVICE_LEVEL_DAY_1 = round(2 / 7, 6)
CONFIG = """
[console.queues.default]
target_seconds = 20
short_abandon_seconds = 5
[console.queues.support]
service_level_variant = "abandons_within_ignored"
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    home = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{home / 'crm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(Database(engine))
    engine.dispose()
    (home / "cicada.toml").write_text(CONFIG, encoding="utf-8")
    return url, str(home / "cicada.toml")


@pytest.fixture
def cicada(database, capsys, monkeypatch):
    url, config = database
    monkeypatch.delenv("CICADA_DB_URL", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--config", config, "--db-url", url, "report", *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def no_configuration(monkeypatch, home) -> None:
    for name in ("CICADA_DB_URL", "CICADA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


MARCH = ("--from", "2026-03-28", "--to", "2026-03-29", "--tz", "Europe/Berlin")


def test_csv_to_standard_output_has_every_column_and_the_queues_variant(cicada):
    code, out, err = cicada("queue", *MARCH, "--queue", "support", "--format", "csv", "--user", "admin")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == QUEUE_COLUMNS
    day_1, day_2 = rows
    assert (day_1["start"], day_2["end"]) == ("2026-03-28T00:00:00+01:00", "2026-03-30T00:00:00+02:00")
    assert (day_1["entered"], day_1["answered"], day_1["abandoned"], day_1["short_abandons"]) == ("10", "4", "4", "1")
    assert (day_1["service_level_variant"], float(day_1["service_level"])) == (
        "abandons_within_ignored", SERVICE_LEVEL_DAY_1)
    assert (day_1["asa"], day_1["aht"], day_1["transfers"], day_1["answered_wait_15_20s"]) == ("21.5", "141.25", "1", "1")
    assert (day_2["aht"], day_2["abandonment_rate"]) == ("", "0.0")  # nothing handled yet: empty, not 0


def test_json_to_a_file_with_a_progress_bar_apart(cicada, tmp_path):
    target = tmp_path / "contacts.json"
    code, out, err = cicada("contacts", *MARCH, "--queue", "support", "--format", "json", "--output", str(target),
                            "--user", "sue")
    assert code == 0, err
    assert out == ""
    found = {row["contact_id"]: row for row in json.loads(target.read_text(encoding="utf-8"))}
    assert sorted(found) == sorted(f"c{n}" for n in range(1, 14))
    assert tuple(found["c1"]) == CONTACT_COLUMNS
    assert (found["c1"]["agent"], found["c1"]["handle"], found["c1"]["answered_at"]) == (
        "amy", 150.0, "2026-03-28T09:00:10+01:00")
    assert (found["c13"]["outcome"], found["c13"]["wait"]) == ("waiting", None)
    assert not (tmp_path / "contacts.json.part").exists()


def test_xlsx_opens_in_openpyxl_with_the_same_figures(cicada, tmp_path):
    target = tmp_path / "queue.xlsx"
    code, _, err = cicada("queue", *MARCH, "--format", "xlsx", "--output", str(target), "--user", "admin")
    assert code == 0, err
    sheet = openpyxl.load_workbook(target, read_only=True)["report"]
    header, *rows = [row for row in sheet.iter_rows(values_only=True)]
    assert header == QUEUE_COLUMNS
    records = [dict(zip(header, row)) for row in rows]
    assert [(r["queue"], r["start"][:10]) for r in records] == [
        ("sales", "2026-03-28"), ("support", "2026-03-28"), ("sales", "2026-03-29"), ("support", "2026-03-29")]
    support = records[1]
    assert (support["entered"], support["longest_wait"], support["service_level"]) == (10, 300, SERVICE_LEVEL_DAY_1)
    assert (records[0]["answered"], records[0]["asa"]) == (1, 30)


def test_the_table_shows_each_interval_with_percentages(cicada):
    code, out, err = cicada("queue", *MARCH, "--queue", "support", "--user", "sue")
    assert code == 0, err
    assert "Queue report" in out
    lines = [line for line in out.splitlines() if "support" in line]
    assert len(lines) == 2
    assert "2026-03-28 00:00" in lines[0] and "28.6%" in lines[0] and "141.2" in lines[0]


def test_the_program_itself_writes_csv(database, tmp_path):
    url, config = database
    result = subprocess.run([sys.executable, "-m", "cicada.cli", "--config", config, "--db-url", url, "report",
                             "contacts", *MARCH, "--agent", "bob", "--format", "csv", "--user", "sue"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["contact_id"], row["transferred"], row["target"]) for row in rows] == [
        ("c4", "True", "queue:billing"), ("c11", "False", "")]


@pytest.mark.parametrize("args, message", [
    (("queue", "--from", "2026-03-29", "--to", "2026-03-27", "--user", "admin"), "ends .* before it starts"),
    (("queue", "--from", "2025-01-01", "--to", "2026-02-01", "--interval", "15min", "--user", "admin"),
     "at most 92 days"),
    (("queue", *MARCH, "--queue", "nowhere", "--user", "admin"), "There is no queue 'nowhere'"),
    (("queue", *MARCH, "--agent", "nobody", "--user", "admin"), "There is no agent 'nobody'"),
    (("queue", *MARCH, "--team", "B", "--user", "sue"), "The org unit B is not one of sue's"),
    (("queue", *MARCH, "--queue", "sales", "--user", "sue"), "The queue sales is not one of sue's"),
    (("contacts", *MARCH, "--user", "amy"), "may not read queue reports"),
    (("queue", *MARCH, "--user", "nobody"), "nobody"),
    (("queue", *MARCH, "--format", "xlsx", "--user", "admin"), "give it with --output"),
    (("queue", "--from", "2026-03-28", "--to", "2026-03-29", "--tz", "Mars/Olympus", "--user", "admin"),
     "not a time zone"),
    (("queue", "--from", "28.3.2026", "--to", "2026-03-29", "--user", "admin"), "write a day"),
    (("queue", *MARCH, "--channel", "email", "--user", "admin"), "phone channel only"),
])
def test_bad_input_gets_a_clear_error_and_no_file(cicada, tmp_path, args, message):
    target = tmp_path / "out.csv"
    more = () if "--format" in args else ("--format", "csv", "--output", str(target))
    code, out, err = cicada(*args, *more)
    assert code == 2
    assert err.startswith("cicada: error: ")
    assert re.search(message, err), err
    assert out == "" and not target.exists()


def test_a_database_not_migrated_to_the_event_log_is_refused(tmp_path, capsys, monkeypatch):
    no_configuration(monkeypatch, tmp_path)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0011")  # the queue events before the event log
    engine.dispose()
    code = main(["--db-url", url, "report", "queue", *MARCH, "--user", "admin"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "at revision 0011" in err and "cicada db upgrade" in err


@pytest.mark.postgres
def test_csv_from_postgresql(tmp_path, capsys, monkeypatch):
    from conftest import PgSchema, pg_url

    no_configuration(monkeypatch, tmp_path)
    schema = PgSchema(pg_url())
    engine = schema.engine()
    try:
        upgrade(engine)
        fill(Database(engine))
        engine.dispose()
        url = f"{pg_url()}?options=-csearch_path%3D{schema.name}"
        code = main(["--db-url", url, "report", "queue", *MARCH, "--queue", "support", "--format", "csv",
                     "--user", "sue"])
        out, err = capsys.readouterr()
        assert code == 0, err
        day_1, day_2 = csv.DictReader(io.StringIO(out))
        assert (day_1["entered"], day_1["asa"], day_1["longest_wait"], day_2["entered"]) == ("10", "21.5", "300.0", "3")
        assert float(day_1["service_level"]) == round(2 / 9, 6)  # no configuration: abandons count against
    finally:
        engine.dispose()
        schema.drop()


def test_a_supervisors_queues_follow_the_gateways_org_units_and_an_unknown_one_is_refused(database, capsys,
                                                                                            monkeypatch, tmp_path):
    url, _ = database
    monkeypatch.delenv("CICADA_DB_URL", raising=False)

    def sues_queues(queues: str) -> tuple[int, str, str]:
        config = tmp_path / "cicada.toml"
        config.write_text(CONFIG + queues, encoding="utf-8")
        code = main(["--config", str(config), "--db-url", url, "report", "queue", *MARCH, "--format", "csv",
                     "--user", "sue"])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = sues_queues('[[gateway.queues]]\nname = "sales"\norg_units = ["A"]\n'
                               '[[gateway.queues]]\nname = "support"\norg_units = ["B"]\n')
    assert code == 0
    assert {row["queue"] for row in csv.DictReader(io.StringIO(out))} == {"sales"}  # team A's, not B's support
    code, out, err = sues_queues('[[gateway.queues]]\nname = "sales"\norg_units = ["nowhere"]\n')
    assert code == 2 and out == ""
    assert "[gateway]: queue sales: org_units names 'nowhere', which is not the code of an org unit" in err
