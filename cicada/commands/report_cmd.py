"""`cicada report queue|contacts|agents|agent-day|performance|mail`: the queue report per interval,
the contact detail, the agent time report, the timeline of one agent's day, the agent performance
report and the email and chat report, from the CRM's event log (crm/reports/queue_report.py,
agent_time.py, agent_performance.py, mail_report.py, docs/reports.md), as a table, CSV, JSON or
Excel."""

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
        "report", help="queue and agent reports from the event log",
        description="The queue report per interval, the contact detail, the agent time report, the "
                    "timeline of one agent's day, the agent performance report and the email and chat report, "
                    "computed from the CRM's event log with the figures' definitions of docs/reports.md. Each "
                    "queue's service-level time T, short-abandon time and service-level variant come from "
                    "[console.queues.*], a mail queue's due time from [[mailq.queues]]. A supervisor reads his "
                    "org units' queues and agents; an administrator all.")
    reports = parser.add_subparsers(dest="report", metavar="REPORT", required=True)
    queue = reports.add_parser(
        "queue", help="per queue and interval: entered, answered, abandoned, ASA, service level, AHT ...",
        description="Per queue and interval (the contacts that entered the queue in it): entered, answered, "
                    "abandoned, short abandons, left otherwise, overflowed, ASA, longest wait, service level "
                    "(the queue's variant and answered only), abandonment rate, AHT, transfers, and the waits "
                    "of answered and abandoned contacts in buckets of 15, 20, 30, 45, 60, 90, 120, 180, 300 "
                    "and 600 s (csv, json and xlsx; the table shows the figures without them).")
    _common(queue)
    _interval(queue)
    queue.set_defaults(run=_run, rows="queue")
    contacts = reports.add_parser(
        "contacts", help="one row per contact's visit to a queue, with every time and code",
        description="One row per contact's visit to a queue that entered it in the range: when it entered, was "
                    "offered, answered, abandoned or left, its wait, agent, holds, talk, wrap-up and handle time, "
                    "transfer, end cause and outcome.")
    _common(contacts)
    contacts.set_defaults(run=_run, rows="contacts", interval="day")
    _register_agents(reports)
    _register_performance_and_mail(reports)


def _register_agents(reports) -> None:
    agents = reports.add_parser(
        "agents", help="per agent and interval: logged in, ready, talk, hold, wrap-up, not ready per reason ...",
        description="Per agent and interval, then per team, site and center (the sum of their agents): "
                    "logged-in time cut into ready, offered, busy (talk and hold), wrap-up and not ready (also "
                    "per reason code), handling time, occupancy and utilization, and the time with an email "
                    "or chat open, in seconds.")
    _range(agents)
    _interval(agents)
    agents.add_argument("--team", metavar="CODE", help="only this org unit's agents (and those below it)")
    agents.add_argument("--agent", action="append", default=[], metavar="NAME", help="only this agent (repeatable)")
    _output(agents)
    agents.set_defaults(run=_run_agents)
    day = reports.add_parser(
        "agent-day", help="the timeline of one agent's day: each state with its reason and call",
        description="One agent's day as the states he was in, one row each: start, end, seconds, state (ready, "
                    "offered, talk, hold, wrap_up, not_ready), the not-ready reason code and the call; and each "
                    "email or chat conversation he had open (state email or chat), beside them.")
    day.add_argument("--agent", required=True, metavar="NAME", help="the agent (his user name)")
    day.add_argument("--date", required=True, metavar="DAY", help="the day (YYYY-MM-DD), local to --tz")
    _zone_option(day)
    _output(day)
    day.set_defaults(run=_run_agent_day)


def _register_performance_and_mail(reports) -> None:
    performance = reports.add_parser(
        "performance", help="per agent and interval: contacts handled per channel, AHT, holds, transfers, codes ...",
        description="Per agent and interval, then per team, site and center (the sum of their agents): the calls, "
                    "emails and chats he handled and their AHT, holds, transfers, the reason and outcome codes of "
                    "his interaction records (a column per code), and the callbacks he scheduled and kept.")
    _range(performance)
    _interval(performance)
    performance.add_argument("--team", metavar="CODE", help="only this org unit's agents (and those below it)")
    performance.add_argument("--agent", action="append", default=[], metavar="NAME",
                             help="only this agent (repeatable)")
    _output(performance)
    performance.set_defaults(run=_run_performance)
    mail = reports.add_parser(
        "mail", help="per email/chat queue, channel and interval: entered, taken, first response, resolution ...",
        description="Per email or chat queue, channel and interval (the conversations that entered the queue in "
                    "it), then per agent who took them: entered, taken, abandoned chats and short abandons, first "
                    "replies, first response time, replied within the queue's due time ([[mailq.queues]] "
                    "first_response_minutes) and its share, resolved, resolution time, reopened.")
    _range(mail)
    _interval(mail)
    mail.add_argument("--queue", action="append", default=[], metavar="QUEUE", help="only this queue (repeatable)")
    mail.add_argument("--team", metavar="CODE", help="only the conversations this org unit's agents took")
    mail.add_argument("--agent", action="append", default=[], metavar="NAME",
                      help="only the conversations this agent took (repeatable)")
    mail.add_argument("--channel", default="", metavar="CHANNEL", help="email or chat (default: both)")
    _output(mail)
    mail.set_defaults(run=_run_mail)


def _common(parser: argparse.ArgumentParser) -> None:
    _range(parser)
    parser.add_argument("--queue", action="append", default=[], metavar="QUEUE", help="only this queue (repeatable)")
    parser.add_argument("--team", metavar="CODE", help="only the contacts answered by this org unit's agents")
    parser.add_argument("--agent", action="append", default=[], metavar="NAME",
                        help="only the contacts this agent answered (repeatable)")
    parser.add_argument("--channel", default="phone", metavar="CHANNEL", help="phone (email and chat: not yet)")
    _output(parser)


def _range(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", required=True, metavar="WHEN",
                        help="the first day (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM), local to --tz")
    parser.add_argument("--to", dest="end", required=True, metavar="WHEN",
                        help="the last day, included (YYYY-MM-DD), or the time the range ends (YYYY-MM-DDTHH:MM)")
    _zone_option(parser)


def _zone_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tz", metavar="ZONE",
                        help="the time zone of the range and the rows, e.g. Europe/Berlin (default: $TZ, else the "
                             "machine's zone)")


def _interval(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interval", default="day", choices=("15min", "30min", "60min", "day", "week", "month"),
                        help="the rows' interval, on local-time boundaries (default: day; 15 to 60 min cover "
                             "at most 92 days, the others 400)")


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="table", choices=FORMATS, help="default: table")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write to this file (needed for xlsx); default: standard output")
    parser.add_argument("--user", "--as", dest="as_user", required=True, metavar="NAME",
                        help="whose rights apply: a supervisor reads his org units' queues and agents, an "
                             "administrator all (no password: the command reads the database itself)")


def _run(args) -> int:
    from crm.reports.queue_report import (
        CONTACT_COLUMNS,
        QUEUE_COLUMNS,
        Filters,
        QueueReport,
        contact_record,
        period,
        queue_record,
    )

    from cicada.commands import actor

    zone = _zone(args.tz)
    p = period(_when(args.start, "--from", zone), _when(args.end, "--to", zone, end=True), zone,
               args.interval)
    _check_output(args)
    filters = Filters(tuple(args.queue), args.team, tuple(args.agent), args.channel)
    config, database = open_database(args)
    thresholds = _thresholds(config)
    with database.reading() as session:
        report = QueueReport(session, actor(session, args), p, filters, thresholds, _queue_org_units(config, session))
        with _progress(args.output is not None, len(report.stretches)) as step:
            if args.rows == "queue":
                _write(args, QUEUE_COLUMNS, map(queue_record, report.queue_rows(step)), "queue",
                       f"Queue report {args.start} – {args.end}")
            else:
                _write(args, CONTACT_COLUMNS, map(contact_record, report.contact_rows(step)), "contacts",
                       f"Contact detail {args.start} – {args.end}")
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


def _run_agents(args) -> int:
    from crm.reports.agent_time import AgentTimeReport, agent_columns, agent_record
    from crm.reports.queue_report import Filters, period

    from cicada.commands import actor

    zone = _zone(args.tz)
    p = period(_when(args.start, "--from", zone), _when(args.end, "--to", zone, end=True), zone,
               args.interval)
    _check_output(args)
    _, database = open_database(args)
    with database.reading() as session:
        report = AgentTimeReport(session, actor(session, args), p, Filters(team=args.team, agents=tuple(args.agent)))
        with _progress(args.output is not None, len(report.stretches)) as step:
            records = (agent_record(row, report.reasons) for row in report.rows(step))
            _write(args, agent_columns(report.reasons), records, "agents", f"Agent time {args.start} – {args.end}")
    database.engine.dispose()
    return 0


def _run_agent_day(args) -> int:
    from crm.reports.agent_time import SEGMENT_COLUMNS, agent_day, segment_record

    from cicada.commands import actor

    zone = _zone(args.tz)
    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise ConfigError(f"--date {args.date!r}: write a day (2026-03-29)") from None
    _check_output(args)
    _, database = open_database(args)
    with database.reading() as session:
        segments = agent_day(session, actor(session, args), args.agent, day, zone)
    database.engine.dispose()
    _write(args, SEGMENT_COLUMNS, (segment_record(args.agent, one, zone) for one in segments), "agent-day",
           f"{args.agent}'s day {args.date}")
    return 0


def _run_performance(args) -> int:
    from crm.reports.agent_performance import AgentPerformanceReport, performance_columns, performance_record
    from crm.reports.queue_report import Filters

    from cicada.commands import actor

    p = _period(args)
    _, database = open_database(args)
    with database.reading() as session:
        report = AgentPerformanceReport(session, actor(session, args), p,
                                        Filters(team=args.team, agents=tuple(args.agent)))
        codes = report.reasons, report.outcomes
        with _progress(args.output is not None, len(report.stretches)) as step:
            records = (performance_record(row, *codes) for row in report.rows(step))
            _write(args, performance_columns(*codes), records, "performance",
                   f"Agent performance {args.start} – {args.end}")
    database.engine.dispose()
    return 0


def _run_mail(args) -> int:
    from crm.reports.mail_report import MAIL_COLUMNS, MailReport, mail_record
    from crm.reports.queue_report import Filters

    from cicada.commands import actor

    p = _period(args)
    filters = Filters(tuple(args.queue), args.team, tuple(args.agent), args.channel)
    config, database = open_database(args)
    thresholds = _thresholds(config)
    with database.reading() as session:
        report = MailReport(session, actor(session, args), p, filters, _mail_queues(config, session),
                            lambda queue: thresholds(queue).short_abandon_seconds)
        with _progress(args.output is not None, len(report.stretches)) as step:
            _write(args, MAIL_COLUMNS, map(mail_record, report.rows(step)), "mail",
                   f"Email and chat {args.start} – {args.end}")
    database.engine.dispose()
    return 0


def _period(args):
    """The checked range and interval of --from, --to, --tz and --interval, and --output for xlsx."""
    from crm.reports.queue_report import period

    zone = _zone(args.tz)
    p = period(_when(args.start, "--from", zone), _when(args.end, "--to", zone, end=True), zone, args.interval)
    _check_output(args)
    return p


def _mail_queues(config, session) -> dict:
    """The mail queues as the mail queue has them ([[mailq.queues]]): org units checked as it
    checks them at start, the channels routed to each, the due time of a first reply."""
    from dataclasses import replace

    from cicada.commands.mailq_cmd import mail_report_queues, mailq_settings
    from crm.services.supervision import UnknownOrgUnit, checked_queue_org_units

    mailq = mailq_settings(config)
    try:
        org_units = checked_queue_org_units(session, mailq.queue_org_units, demo=mailq.demo_queues)
    except UnknownOrgUnit as exc:
        raise ConfigError(f"{mailq.where}: {exc}") from None
    return {name: replace(queue, org_units=org_units[name]) for name, queue in mail_report_queues(mailq).items()}


def _check_output(args) -> None:
    if args.format == "xlsx" and args.output is None:
        raise ConfigError("--format xlsx writes a file: give it with --output FILE")


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


def _write(args, columns, records, table: str, title: str) -> None:
    """The records as a table (TABLE_COLUMNS[table] of them) or in the chosen format."""
    if args.format == "table":
        _table(records, TABLE_COLUMNS[table], title, seconds=table == "agent-day")
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
    "agents": (("level", "Level"), ("unit", "Unit"), ("agent", "Agent"), ("start", "Interval"),
               ("logged_in", "Logged in"), ("ready", "Ready"), ("offered", "Offered"), ("talk", "Talk"),
               ("hold", "Hold"), ("wrap_up", "Wrap-up"), ("not_ready", "Not ready"), ("occupancy", "Occupancy"),
               ("utilization", "Utilization"), ("email_chat_open", "Email/chat")),
    "performance": (("level", "Level"), ("unit", "Unit"), ("agent", "Agent"), ("start", "Interval"),
                    ("phone_handled", "Calls"), ("phone_aht", "Call AHT s"), ("email_handled", "Emails"),
                    ("email_aht", "Email AHT s"), ("chat_handled", "Chats"), ("chat_aht", "Chat AHT s"),
                    ("holds", "Holds"), ("transfers", "Transf."), ("callbacks_scheduled", "Callbacks"),
                    ("callbacks_kept", "Kept")),
    "mail": (("queue", "Queue"), ("channel", "Channel"), ("agent", "Agent"), ("start", "Interval"),
             ("entered", "Entered"), ("answered", "Taken"), ("abandoned", "Aband."), ("short_abandons", "Short"),
             ("first_response_time", "First resp. s"), ("share_within_due", "Within due"),
             ("resolution_time", "Resolution s"), ("reopened", "Reopened")),
    "agent-day": (("start", "Start"), ("end", "End"), ("seconds", "Duration"), ("state", "State"),
                  ("reason", "Reason"), ("contact", "Call")),
}
_RATIOS = {"service_level", "service_level_answered_only", "abandonment_rate", "occupancy", "utilization",
           "share_within_due"}
_DURATIONS = {"logged_in", "ready", "offered", "talk", "hold", "wrap_up", "not_ready", "seconds", "email_chat_open"}  # as h:mm:ss
_NUMBERS = _RATIOS | _DURATIONS | {"entered", "answered", "abandoned", "short_abandons", "left_otherwise", "asa",
                                   "longest_wait", "aht", "transfers", "wait", "handle", "phone_handled",
                                   "phone_aht", "email_handled", "email_aht", "chat_handled", "chat_aht", "holds",
                                   "callbacks_scheduled", "callbacks_kept", "first_response_time",
                                   "resolution_time", "reopened"}


def _table(records, shown, title: str, *, seconds: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for name, header in shown:
        table.add_column(header, justify="right" if name in _NUMBERS else "left")
    for one in records:
        table.add_row(*(_cell(name, one[name], seconds) for name, _ in shown))
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def _cell(name: str, value, seconds: bool = False) -> str:
    if value is None:
        return ""
    if name in _RATIOS:
        return f"{value:.1%}"
    if name in _DURATIONS:
        whole = round(value)
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, str) and name in ("start", "end", "entered_at"):
        return value[:19 if seconds else 16].replace("T", " ")
    return str(value)
