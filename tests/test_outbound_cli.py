"""`cicada campaign`, `cicada calllist import` and `cicada dnc`, run as an administrator would."""

import csv

import pytest

import factories
from cicada.cli import main
from crm.db import Database, make_engine, upgrade

CAMPAIGN = """name: Spring
dialing_mode: progressive
ring_seconds: 20
windows:
  monday: ["09:00-12:00"]
"""


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    monkeypatch.delenv("CICADA_DB_URL", raising=False)
    monkeypatch.delenv("CICADA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Database(engine).unit_of_work() as s:
        factories.user(s, "sue", "supervisor")
        factories.user(s, "amy", "agent")
    engine.dispose()
    return url


def cicada(capsys, db_url, *args):
    code = main(["--db-url", db_url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_campaign_is_imported_listed_exported_and_started(capsys, db_url, tmp_path):
    source = tmp_path / "spring.yaml"
    source.write_text(CAMPAIGN)
    assert cicada(capsys, db_url, "campaign", "import", str(source), "--as", "sue")[1] == \
        "Created the campaign Spring (draft).\n"
    code, out, _ = cicada(capsys, db_url, "campaign", "export", "Spring", "--as", "sue")
    assert code == 0 and "ring_seconds: 20" in out and "monday:\n  - 09:00-12:00" in out
    assert cicada(capsys, db_url, "campaign", "start", "Spring")[1] == "The campaign Spring is running.\n"
    code, out, _ = cicada(capsys, db_url, "campaign", "list")
    assert code == 0 and "Spring" in out and "running" in out
    code, _, err = cicada(capsys, db_url, "campaign", "import", str(source), "--as", "amy")
    assert code == 2 and "amy (agent) may not manage outbound campaigns" in err
    source.write_text(CAMPAIGN.replace("ring_seconds: 20", "ring_seconds: 5"))
    code, _, err = cicada(capsys, db_url, "campaign", "import", str(source))
    assert code == 2 and f"{source}: ring_seconds: Expected `int` >= 15" in err


def test_a_call_list_import_prints_and_writes_the_refused_rows(capsys, db_url, tmp_path):
    spring = tmp_path / "spring.yaml"
    spring.write_text(CAMPAIGN)
    cicada(capsys, db_url, "campaign", "import", str(spring))
    assert cicada(capsys, db_url, "dnc", "add", "13700137000", "--reason", "asked", "--as", "amy")[1] == \
        "+8613700137000 is on the contact center's do-not-call list.\n"
    rows = "Kunde,Handy,Büro,Notiz\n张伟,13800138000,,VIP\n李娜,abc,,\n王芳,13700137000,,\n赵六,,010-6552 9988,\n"
    listing = tmp_path / "list.csv"
    listing.write_bytes(rows.encode("gb18030"))
    refused = tmp_path / "refused.csv"
    code, out, err = cicada(capsys, db_url, "calllist", "import", str(listing), "--campaign", "Spring",
                            "--map", "phone=Handy,Büro", "--map", "name=Kunde", "--refused", str(refused))
    assert code == 0
    assert "list.csv (gbk): phone Handy, Büro; name Kunde" in out
    assert "Imported 2 of 4 rows into Spring" in out and "2 new prospects" in out
    assert "Refused rows (2)" in out and "+8613700137000 is on a do-not-call list" in out
    assert "Writing contacts" in err  # the progress bar, on standard error
    with refused.open(encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f)) == [
            ["line", "reason", "Kunde", "Handy", "Büro", "Notiz"],
            ["3", "'abc' is not a phone number that can be dialed (read with the default region CN)",
             "李娜", "abc", "", ""],
            ["4", "+8613700137000 is on a do-not-call list", "王芳", "13700137000", "", ""]]
    code, out, _ = cicada(capsys, db_url, "calllist", "import", str(listing), "--campaign", "Spring",
                          "--map", "phone=Handy", "--strict", "--name", "again")
    assert code == 1 and "Nothing was imported: rows were refused and --strict was given." in out
    code, out, _ = cicada(capsys, db_url, "campaign", "list")
    assert "│ 1     │ 2        │ 2" in out  # one list, two contacts, both to call
    code, _, err = cicada(capsys, db_url, "calllist", "import", str(listing), "--campaign", "Spring",
                          "--encoding", "utf-8")
    assert code == 2 and "list.csv is not UTF-8 text" in err
    code, _, err = cicada(capsys, db_url, "calllist", "import", str(listing), "--campaign", "Spring",
                          "--map", "mobile=Handy")
    assert code == 2 and "--map 'mobile=Handy': write phone=COLUMN" in err


def test_do_not_call_lists_are_imported_exported_and_removed_from(capsys, db_url, tmp_path):
    source = tmp_path / "dnc.csv"
    source.write_text("number,reason\n13800138000,court order\n010-65529988,\n")
    assert cicada(capsys, db_url, "dnc", "import", str(source), "--as", "sue")[1] == \
        "Added 2 numbers to the contact center's do-not-call list.\n"
    out_file = tmp_path / "out.csv"
    assert cicada(capsys, db_url, "dnc", "export", "-o", str(out_file))[0] == 0
    lines = out_file.read_text().splitlines()
    assert lines[0] == "number,campaign,reason,added_at,added_by" and len(lines) == 3
    assert lines[1].startswith("+861065529988,,imported,") and lines[1].endswith(",sue")
    assert lines[2].startswith("+8613800138000,,court order,")
    assert cicada(capsys, db_url, "dnc", "remove", "13800138000", "--user", "sue")[0] == 0
    code, _, err = cicada(capsys, db_url, "dnc", "remove", "13800138000", "--as", "amy")
    assert code == 2 and "may not take numbers off a do-not-call list" in err
    code, _, err = cicada(capsys, db_url, "dnc", "add", "13800138000", "--reason", "x", "--campaign", "Nope")
    assert code == 2 and "There is no campaign 'Nope'" in err
