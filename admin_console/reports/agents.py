"""The agent time pages: the agent time report (a chart of each agent's time per state above its
table, each figure's formula on hover, the roll-ups to team, site and center set apart), the
timeline of one agent's day, and both as CSV and Excel downloads.

Every figure and segment comes from crm/reports/agent_time.py with the signed-in supervisor's
own rights (his org units' agents; an administrator all); the pages share the queue report's
filters, refusals and downloads (common.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_console import i18n
from admin_console.reports import texts
from admin_console.reports.ask import Ask, AskError, DayAsk, read_day_ask
from admin_console.reports.common import (MOST_ROWS_SHOWN, REFUSED_ERRORS, Refused, filtered_download,
                                          filtered_report_page, first_rows, interval_label, made_in_thread, not_found,
                                          percent, refusal, refused_download, report_zone, signed_in_crm,
                                          stream_download, to_signin, today)
from admin_console.web import render
from crm.reports.agent_time import (SEGMENT_COLUMNS, AgentTimeReport, AgentTimeRow, Segment, agent_columns,
                                    agent_day, agent_record, segment_record)
from crm.services import sessions

BACK = ("/reports/agents", "Back to the agent time report")


# --- the agent time report ----------------------------------------------------------------------


async def agents_page(request: Request) -> Response:
    return await filtered_report_page(request, _find, _agents_view)


def _find(session: Session, actor, ask: Ask) -> dict[str, Any]:
    report = AgentTimeReport(session, actor, ask.period(report_zone()), ask.filters())
    rows, total = first_rows(report.rows())
    return {"rows": rows, "total": total, "reasons": report.reasons,
            "units": {unit.code: unit.name for unit in report.scope.units.values()}}


def _agents_view(request: Request, signed, ask: Ask, made: dict[str, Any], status: int) -> Response:
    translate = lambda text: i18n.translate(signed.language, text)  # noqa: E731
    rows: list[AgentTimeRow] = made.get("rows", [])
    reasons: Sequence[str] = made.get("reasons", ())
    units: dict[str, str] = made.get("units", {})
    return render(request, "agent_time.html", signed=signed, status=status, ask=ask, error=made.get("error"),
                  intervals=texts.INTERVALS, teams=made.get("teams", []), figures=_headers(translate, reasons),
                  rows=[_cells(translate, ask, row, reasons, units) for row in rows], total=made.get("total", 0),
                  most=MOST_ROWS_SHOWN, chart=_chart(translate, ask.interval, rows), zone=report_zone().key, query=ask.query())


def _headers(translate, reasons: Sequence[str]) -> list[dict[str, str]]:
    """Each column's name and formula; a not-ready column per reason code after not ready's."""
    found = []
    for name, header, explained in texts.AGENT_FIGURES:
        found.append({"name": name, "header": translate(header), "formula": translate(texts.agent_formula(explained))})
        if name == "not_ready":
            found += [{"name": _reason_column(reason), "header": reason or translate("none"), "reason": "1",
                       "formula": translate("Not ready with the reason code {reason}.").format(
                           reason=reason or translate("none"))} for reason in reasons]
    return found


def _reason_column(reason: str) -> str:
    return f"not_ready_{reason or 'none'}"


def _values(row: AgentTimeRow, reasons: Sequence[str]) -> dict[str, float | None]:
    values: dict[str, float | None] = {name: row.seconds(name) for name in
                                       ("logged_in", *texts.STATES_CHART, "handling")}
    values |= {_reason_column(reason): row.times.reasons.get(reason, 0.0) for reason in reasons}
    return values | {"occupancy": row.occupancy, "utilization": row.utilization, "email_chat": row.times.email_chat}


def _cells(translate, ask: Ask, row: AgentTimeRow, reasons: Sequence[str], units: dict[str, str]) -> dict[str, Any]:
    values = _values(row, reasons)
    cells = {name: percent(value) if name in texts.AGENT_RATIOS else clock(value) for name, value in values.items()}
    if row.agent is not None:
        who, title = row.agent, translate(texts.LEVELS["agent"])
        day = DayAsk(row.agent, row.start.date()).query()
    else:
        who, day = f"{translate(texts.LEVELS.get(row.level, row.level))} {row.unit}", None
        title = units.get(row.unit or "", "")
    return {"level": row.level, "who": who, "title": title, "unit": row.unit or "", "agent": row.agent or "",
            "day": day, "interval": interval_label(ask.interval, row.start, year=False), "cells": cells,
            "exact": {name: "" if value is None else repr(value) for name, value in values.items()},
            "start": row.start.isoformat()}


def clock(seconds: float | None) -> str:
    """Seconds as h:mm:ss, rounded to the second (half up)."""
    if seconds is None:
        return ""
    whole = int(seconds + 0.5)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _chart(translate, interval: str, rows: Sequence[AgentTimeRow]) -> dict[str, Any]:
    """Hours per state, stacked: per agent over the range, or per interval when one agent is shown."""
    agents = [row for row in rows if row.agent is not None]
    per_interval = len({row.agent for row in agents}) == 1 and len({row.start for row in agents}) > 1
    keys: dict[str, int] = {}
    hours: dict[str, list[float]] = {state: [] for state in texts.STATES_CHART}
    for row in agents:
        key = interval_label(interval, row.start, year=False) if per_interval else (row.agent or "")
        if key not in keys:
            keys[key] = len(keys)
            for data in hours.values():
                data.append(0.0)
        for state, data in hours.items():
            data[keys[key]] += row.seconds(state) / 3600
    return {"labels": list(keys), "unit": translate("Hours"),
            "states": [{"label": translate(texts.SEGMENT_STATES[state]), "state": state,
                        "data": [round(value, 3) for value in data]} for state, data in hours.items()]}


# --- the timeline of one agent's day --------------------------------------------------------------


async def agent_day_page(request: Request) -> Response:
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    try:
        ask = read_day_ask(request.query_params, today())
    except AskError as exc:
        unread = refusal(exc, signed.language)
        return render(request, "agent_day.html", signed=signed, status=unread.status, error=unread.text,
                      ask=DayAsk(request.query_params.get("agent") or "", today()))

    def make() -> dict[str, Any]:
        with request.app.state.database.reading() as session:
            actor = sessions.actor_of(session, signed.token).actor
            try:
                return {"segments": agent_day(session, actor, ask.agent, ask.day, report_zone())}
            except REFUSED_ERRORS as exc:
                return {"error": refusal(exc, signed.language)}

    made = await made_in_thread(make, signed.language)
    if made is None:
        return to_signin()
    refused: Refused | None = made.get("error")
    translate = lambda text: i18n.translate(signed.language, text)  # noqa: E731
    start = datetime.combine(ask.day, datetime.min.time(), report_zone())
    end = datetime.combine(ask.day + timedelta(days=1), datetime.min.time(), report_zone())
    segments: list[Segment] = made.get("segments", [])
    return render(request, "agent_day.html", signed=signed, status=refused.status if refused else 200,
                  error=refused.text if refused else None, ask=ask, zone=report_zone().key, states=texts.SEGMENT_STATES,
                  hours=_hours(start, end), lanes=_lanes(translate, segments, start, end),
                  segments=[_segment_cells(translate, one) for one in segments],
                  report=Ask(ask.day, ask.day, "60min", agents=(ask.agent,)).query() if ask.agent else "")


def _share(at: float, start: datetime, end: datetime) -> float:
    """Where `at` falls in the day, in % of its length (23 or 25 hours on a change of clocks)."""
    return round(100 * (at - start.timestamp()) / (end.timestamp() - start.timestamp()), 4)


def _hours(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The day's hours as the wall clock shows them (an hour skipped or twice on a change)."""
    found, at = [], start.timestamp()
    while at < end.timestamp():
        local = datetime.fromtimestamp(at, report_zone())
        found.append({"label": local.strftime("%H"), "left": _share(at, start, end)})
        at += 3600
    return found


def _lanes(translate, segments: Iterable[Segment], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The phone's states on one lane, the email and chat conversations (which may overlap) on another."""
    phone: list[dict[str, Any]] = []
    mail: list[dict[str, Any]] = []
    for segment in segments:
        block = {"state": segment.state, "left": _share(segment.start, start, end),
                 "width": max(_share(segment.end, start, end) - _share(segment.start, start, end), 0.05),
                 "title": _segment_title(translate, segment)}
        (mail if segment.state in ("email", "chat") else phone).append(block)
    return [{"name": translate("Phone"), "blocks": phone}, {"name": translate("Email and chat"), "blocks": mail}]


def _segment_title(translate, segment: Segment) -> str:
    cells = _segment_cells(translate, segment)
    parts = [f"{cells['start']}–{cells['end']}", cells["state"], cells["reason"], cells["contact"]]
    return " · ".join(part for part in parts if part)


def _segment_cells(translate, segment: Segment) -> dict[str, str]:
    zone = report_zone()
    return {"start": datetime.fromtimestamp(segment.start, zone).strftime("%H:%M:%S"),
            "end": datetime.fromtimestamp(segment.end, zone).strftime("%H:%M:%S"),
            "seconds": clock(segment.end - segment.start), "state": translate(texts.SEGMENT_STATES.get(
                segment.state, segment.state)), "code": segment.state, "reason": segment.reason or "",
            "contact": segment.contact or ""}


# --- downloads ------------------------------------------------------------------------------------


async def agents_download(request: Request) -> Response:
    """/reports/agents.{csv,xlsx}: the agent time report of the page's filters, the columns of
    `cicada report agents`."""
    return await filtered_download(request, "agent-time", _records, title="agents", back=BACK)


def _records(session: Session, actor, ask: Ask) -> tuple[tuple[str, ...], Iterable[dict[str, object]]]:
    report = AgentTimeReport(session, actor, ask.period(report_zone()), ask.filters())
    reasons = report.reasons
    return agent_columns(reasons), (agent_record(row, reasons) for row in report.rows())


async def agent_day_download(request: Request) -> Response:
    """/reports/agent-day.{csv,xlsx}: the segments of one agent's day, as `cicada report agent-day`."""
    kind = request.path_params["format"]
    if kind not in ("csv", "xlsx"):
        return not_found()
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    try:
        ask = read_day_ask(request.query_params, today())
    except AskError as exc:
        return refused_download(request, signed, refusal(exc, signed.language), back=BACK)

    def records(session: Session) -> tuple[tuple[str, ...], Iterable[dict[str, object]]]:
        actor = sessions.actor_of(session, signed.token).actor
        segments = agent_day(session, actor, ask.agent, ask.day, report_zone())
        return SEGMENT_COLUMNS, (segment_record(ask.agent, one, report_zone()) for one in segments)

    name = f"agent-day_{ask.agent}_{ask.day.isoformat()}"
    return await stream_download(request, signed, kind, name, records, title="day", back=BACK)


routes = [  # before the queue report's /reports/{what}.{format}
    Route("/reports/agents", agents_page, methods=["GET"]),
    Route("/reports/agent-day", agent_day_page, methods=["GET"]),
    Route("/reports/agents.{format:str}", agents_download, methods=["GET"]),
    Route("/reports/agent-day.{format:str}", agent_day_download, methods=["GET"]),
]
