"""Importing a 100,000-row call list into a campaign.

Writes a CSV (UTF-8, or GB18030 with --encoding) of --rows rows with Chinese
and English names, two phone columns and two other columns; seeds the
database with --existing partners whose numbers some rows carry (matched) and
a few do-not-call numbers (refused), then times `crm.services.call_lists`'s
import from reading the file to the commit. Every other row's partner is new
(a prospect created in the customer pool). SQLite by default; --db-url for
PostgreSQL (an empty, migrated database or schema is made there).

    .venv/bin/python bench/call_list_import.py
    .venv/bin/python bench/call_list_import.py --db-url postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from crm.db import Database, make_engine, upgrade  # noqa: E402
from crm.permissions import Actor  # noqa: E402
from crm.services import call_lists, campaigns, do_not_call, partners  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚"
ENGLISH = ["John Smith", "Mary Jones", "Anna Berg", "Peter Brown", "Lucy Green"]


def mobile(i: int) -> str:
    return f"13{i % 10}{i:08d}"


def write_list(path: Path, rows: int, encoding: str, rng: random.Random) -> None:
    with path.open("w", encoding=encoding, newline="") as f:
        out = csv.writer(f)
        out.writerow(["姓名", "手机", "电话", "城市", "产品"])
        for i in range(rows):
            name = (rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)) if i % 5 else rng.choice(ENGLISH)
            home = f"010-{6500_0000 + i:08d}" if i % 3 == 0 else ""
            out.writerow([name, mobile(i), home, rng.choice(["北京", "上海", "广州"]), rng.choice(["宽带", "保险"])])


def seed(db: Database, existing: int) -> None:
    with db.unit_of_work() as s:
        campaigns.save_campaign(s, Actor.system(), "name: Bench\ndialing_mode: progressive\n")
        for i in range(0, existing * 2, 2):
            partners.create_partner(s, Actor.system(), partners.PartnerDraft(
                first_name="Existing", last_name=f"Customer {i}", phones=[mobile(i)], to_pool=True),
                region="CN", confirm_duplicates=True)
        for i in range(1, 200, 20):
            do_not_call.add(s, Actor.system(), mobile(i), "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=1000, help="partners some rows match")
    parser.add_argument("--encoding", default="utf-8", choices=("utf-8", "gb18030"))
    parser.add_argument("--db-url", help="default: a new SQLite file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cicada-bench-"))
    schema, engine = None, None
    if args.db_url and args.db_url.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.db_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.db_url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(args.db_url or f"sqlite:///{work / 'crm.db'}")
    try:
        upgrade(engine)
        db = Database(engine)
        seed(db, args.existing)
        path = work / "list.csv"
        write_list(path, args.rows, args.encoding, random.Random(7))
        load = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        with db.unit_of_work() as s:
            result = call_lists.import_file(s, Actor.system(), "Bench", path)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{engine.dialect.name}: {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB, "
              f"{result.encoding}) imported in {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s; "
              f"{cpu:.1f} s of this process's CPU; load average {load:.1f} on {os.cpu_count()} cores): "
              f"{result.imported:,} contacts, {result.matched:,} matched, {result.created:,} prospects "
              f"created, {len(result.refused):,} refused")
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
