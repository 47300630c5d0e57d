"""`cicada report queue|contacts`: the queue report per interval and the contact detail, from the
CRM's event log (crm/reports/queue_report.py, docs/reports.md), as a table, CSV, JSON or Excel."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

from cicada.commands import open_database
from cicada.config import ConfigError

FORMATS = ("table", "csv", "json", "xlsx")


def register(commands) -> None:
    parser = commands.add_parser(
        "report", help="queue reports from the event log: per interval, or one row per contact",
        description="The queue report per interval and the contact detail, computed from the CRM's event log "
                    "with the figures' definitions of docs/reports.md. Each queue's service-level time T, "
                    "short-abandon time and service-level variant come from [console.queues.*]. A supervisor "
                    "reads his org units' queues and agents; an administrator all.")
    reports = parser.add_subparsers(dest="report", metavar="REPORT", required=True)
    queue = reports.add_parser(
        "queue", help="per queue and interval: entered, answered, abandoned, ASA, service level, AHT ...",
        description="Per queue and interval (the contacts that entered the queue in it): entered, answered, "
                    "abandoned, short abandons, left otherwise, overflowed, ASA, longest wait, service level "
                    "(the queue's variant and answered only), abandonment rate, AHT, transfers, and the waits "
                    "of answered and abandoned contacts in buckets of 15, 20, 30, 45, 60, 90, 120, 180, 300 "
                    "and 600 s (csv, json and xlsx; the table shows the figures without them).")
    _common(queue)
    queue.add_argument("--interval", default="day", choices=("15min", "30min", "60min", "day", "week", "month"),
                       help="the rows' interval, on local-time boundaries (default: day; 15 to 60 min cover "
                            "at most 92 days, the others 400)")
    queue.set_defaults(run=_run, rows="queue")
    contacts = reports.add_parser(
        "contacts", help="one row per contact's visit to a queue, with every time and code",
        description="One row per contact's visit to a queue that entered it in the range: when it entered, was "
                    "offered, answered, abandoned or left, its wait, agent, holds, talk, wrap-up and handle time, "
                    "transfer, end cause and outcome.")
    _common(contacts)
    contacts.set_defaults(run=_run, rows="contacts", interval="day")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", required=True, metavar="WHEN",
                        help="the first day (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM), local to --tz")
    parser.add_argument("--to", dest="end", required=True, metavar="WHEN",
                        help="the last day, included (YYYY-MM-DD), or the time the range ends (YYYY-MM-DDTHH:MM)")
    parser.add_argument("--tz", metavar="ZONE",
                        help="the time zone of the range and the rows, e.g. Europe/Berlin (default: $TZ, else the "
                             "machine's zone)")
    parser.add_argument("--queue", action="append", default=[], metavar="QUEUE", help="only this queue (repeatable)")
    parser.add_argument("--team", metavar="CODE", help="only the contacts answered by this org unit's agents")
    parser.add_argument("--agent", action="append", default=[], metavar="NAME",
                        help="only the contacts this agent answered (repeatable)")
    parser.add_argument("--channel", default="phone", metavar="CHANNEL", help="phone (email and chat: not yet)")
    parser.add_argument("--format", default="table", choices=FORMATS, help="default: table")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write to this file (needed for xlsx); default: standard output")
    parser.add_argument("--user", "--as", dest="as_user", required=True, metavar="NAME",
                        help="whose rights apply: a supervisor reads his org units' queues and agents, an "
                             "administrator all (no password: the command reads the database itself)")


def _run(args) -> int:
    from crm.reports.queue_report import Filters, QueueReport, period

    from cicada.commands import actor

    zone = _zone(args.tz)
    p = period(_when(args.start, "--from", zone), _when(args.end, "--to", zone, end=True), zone,
               args.interval)
    if args.format == "xlsx" and args.output is None:
        raise ConfigError("--format xlsx writes a file: give it with --output FILE")
    filters = Filters(tuple(args.queue), args.team, tuple(args.agent), args.channel)
    config, database = open_database(args)
    thresholds = _thresholds(config)
    with database.reading() as session:
        report = QueueReport(session, actor(session, args), p, filters, thresholds, _queue_org_units(config, session))
        with _progress(args.output is not None, len(report.stretches)) as step:
            rows = report.queue_rows(step) if args.rows == "queue" else report.contact_rows(step)
            _write(args, rows)
    database.engine.dispose()
    return 0


def _queue_org_units(config, session) -> dict[str, tuple[str, ...]]:
    """The phone queues' org units as the gateway checks them at start ([gateway] queues)."""
    from cicada.commands.gateway_cmd import gateway_settings
    from crm.services.supervision import UnknownOrgUnit, checked_queue_org_units

    gateway = gateway_settings(config)
    try:
        return checked_queue_org_units(session, gateway.queue_org_units(), demo=gateway.demo_queues)
    except UnknownOrgUnit as exc:
        raise ConfigError(f"{gateway.where}: {exc}") from None


def _thresholds(config) -> Callable:
    """Each queue's T, τ and variant as the console's wallboard reads them."""
    from cicada.commands.console_cmd import console_settings

    return console_settings(config).alert_rules.thresholds


def _zone(name: str | None):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from crm.reports.queue_report import default_zone_name

    name = name or default_zone_name()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"--tz {name!r}: not a time zone (use a name like Europe/Berlin or Asia/Shanghai)") from None


def _when(text: str, option: str, zone, *, end: bool = False) -> datetime:
    try:
        if len(text) == 10:  # a day: from its midnight, or (--to) to the next one
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1 if end else 0), datetime.min.time(), zone)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r}: write a day (2026-03-29) or a time (2026-03-29T08:30)") from None
    return when if when.tzinfo else when.replace(tzinfo=zone)


@contextmanager
def _progress(shown: bool, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on standard error while a file is written (the rows go to stdout otherwise)."""
    if not shown:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("export", total=total)
        yield lambda: bar.advance(task)


def _write(args, rows) -> None:
    from crm.reports.queue_report import CONTACT_COLUMNS, QUEUE_COLUMNS, contact_record, queue_record

    columns, record = (QUEUE_COLUMNS, queue_record) if args.rows == "queue" else (CONTACT_COLUMNS, contact_record)
    records = (record(row) for row in rows)
    if args.format == "table":
        _table(args, records)
        return
    from crm.reports.exports import write_csv, write_json, write_xlsx

    with _target(args.output, binary=args.format == "xlsx") as out:
        {"csv": write_csv, "json": write_json, "xlsx": write_xlsx}[args.format](out, columns, records)


@contextmanager
def _target(path: Path | None, *, binary: bool):
    """Standard output, or a file written whole or not at all: the rows go to FILE.part, renamed
    to FILE once the last is written (an error midway leaves no half report)."""
    if path is None:
        yield sys.stdout
        return
    part = path.with_name(path.name + ".part")
    try:
        with (open(part, "wb") if binary else open(part, "w", encoding="utf-8", newline="")) as out:
            yield out
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


TABLE_COLUMNS = {
    "queue": (("queue", "Queue"), ("start", "Interval"), ("entered", "Entered"), ("answered", "Answered"),
              ("abandoned", "Aband."), ("short_abandons", "Short"), ("left_otherwise", "Left other"),
              ("asa", "ASA s"), ("longest_wait", "Longest s"), ("service_level", "SL"),
              ("service_level_answered_only", "SL ans. only"), ("abandonment_rate", "Aband. rate"),
              ("aht", "AHT s"), ("transfers", "Transf.")),
    "contacts": (("queue", "Queue"), ("contact_id", "Contact"), ("entered_at", "Entered"), ("outcome", "Outcome"),
                 ("left_by", "By"), ("wait", "Wait s"), ("agent", "Agent"), ("handle", "Handle s"),
                 ("transferred", "Transf."), ("cause", "Cause")),
}
_RATIOS = {"service_level", "service_level_answered_only", "abandonment_rate"}
_NUMBERS = _RATIOS | {"entered", "answered", "abandoned", "short_abandons", "left_otherwise", "asa", "longest_wait",
                      "aht", "transfers", "wait", "handle"}


def _table(args, records) -> None:
    from rich.console import Console
    from rich.table import Table

    shown = TABLE_COLUMNS[args.rows]
    table = Table(title=f"{'Queue report' if args.rows == 'queue' else 'Contact detail'} {args.start} – {args.end}")
    for name, header in shown:
        table.add_column(header, justify="right" if name in _NUMBERS else "left")
    for one in records:
        table.add_row(*(_cell(name, one[name]) for name, _ in shown))
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def _cell(name: str, value) -> str:
    if value is None:
        return ""
    if name in _RATIOS:
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, str) and name in ("start", "entered_at"):
        return value[:16].replace("T", " ")
    return str(value)
