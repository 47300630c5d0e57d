"""The agent performance page: per agent and interval the contacts he handled per channel and
their AHT, holds, transfers, the reason and outcome codes of his interaction records and his
callbacks (a chart of the contacts handled above the table, each figure's formula on hover, the
roll-ups to team, site and center set apart), and the report as CSV and Excel downloads.

Every figure comes from crm/reports/agent_performance.py with the signed-in supervisor's own
rights, through the records `cicada report performance` writes; the page shares the other
reports' filters, refusals and downloads (common.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_console import i18n
from admin_console.reports import texts
from admin_console.reports.ask import Ask
from admin_console.reports.common import (MOST_ROWS_SHOWN, filtered_download, filtered_report_page, first_rows,
                                          interval_label, one_decimal, report_zone)
from admin_console.web import render
from crm.reports.agent_performance import (AgentPerformanceReport, PerformanceRow, performance_columns,
                                           performance_record)

BACK = ("/reports/performance", "Back to the agent performance report")


async def performance_page(request: Request) -> Response:
    return await filtered_report_page(request, _find, _view)


def _find(session: Session, actor, ask: Ask) -> dict[str, Any]:
    report = AgentPerformanceReport(session, actor, ask.period(report_zone()), ask.filters())
    codes = report.reasons, report.outcomes
    rows, total = first_rows(report.rows())
    return {"rows": [(row, performance_record(row, *codes)) for row in rows], "total": total, "codes": codes,
            "units": {unit.code: unit.name for unit in report.scope.units.values()}}


def _view(request: Request, signed, ask: Ask, made: dict[str, Any], status: int) -> Response:
    translate = lambda text: i18n.translate(signed.language, text)  # noqa: E731
    rows: list[tuple[PerformanceRow, dict[str, object]]] = made.get("rows", [])
    reasons, outcomes = made.get("codes", ((), ()))
    units: dict[str, str] = made.get("units", {})
    return render(request, "performance.html", signed=signed, status=status, ask=ask, error=made.get("error"),
                  intervals=texts.INTERVALS, teams=made.get("teams", []),
                  figures=_headers(translate, reasons, outcomes),
                  rows=[_cells(translate, ask, row, record, units) for row, record in rows],
                  total=made.get("total", 0), most=MOST_ROWS_SHOWN, chart=_chart(translate, rows),
                  zone=report_zone().key, query=ask.query())


def _headers(translate, reasons: Sequence[str], outcomes: Sequence[str]) -> list[dict[str, str]]:
    """Each column's name and formula; a column per reason code and per outcome code before the callbacks'."""
    found = [{"name": name, "header": translate(header), "formula": translate(texts.agent_formula(explained))}
             for name, header, explained in texts.PERFORMANCE_FIGURES]
    coded = [{"name": f"{kind}_{code}", "header": code, "code": translate(texts.CODE_COLUMNS[kind][0]),
              "formula": translate(texts.CODE_COLUMNS[kind][1]).format(code=code)}
             for kind, codes in (("reason", reasons), ("outcome", outcomes)) for code in codes]
    callbacks = [one for one in found if one["name"].startswith("callbacks_")]
    return [one for one in found if one not in callbacks] + coded + callbacks


def _cells(translate, ask: Ask, row: PerformanceRow, record: dict[str, object], units: dict[str, str]) -> dict[str, Any]:
    figures = {name: value for name, value in record.items() if name not in ("level", "unit", "agent", "start", "end")}
    if row.agent is not None:
        who, title = row.agent, translate(texts.LEVELS["agent"])
    else:
        who = f"{translate(texts.LEVELS.get(row.level, row.level))} {row.unit}"
        title = units.get(row.unit or "", "")
    return {"level": row.level, "who": who, "title": title, "unit": row.unit or "", "agent": row.agent or "",
            "interval": interval_label(ask.interval, row.start, year=False), "start": row.start.isoformat(),
            "cells": {name: _shown(name, value) for name, value in figures.items()},
            "exact": {name: "" if value is None else repr(value) for name, value in figures.items()}}


def _shown(name: str, value) -> str:
    if value is None:
        return ""
    return one_decimal(value) if name in texts.PERFORMANCE_SECONDS else str(value)


def _chart(translate, rows: Sequence[tuple[PerformanceRow, dict[str, object]]]) -> dict[str, Any]:
    """The contacts each agent handled over the range, per channel, stacked."""
    agents: dict[str, int] = {}
    handled: dict[str, list[float]] = {name: [] for name in texts.HANDLED_CHART}
    for row, record in rows:
        if row.agent is None:
            continue
        if row.agent not in agents:
            agents[row.agent] = len(agents)
            for data in handled.values():
                data.append(0)
        for name, data in handled.items():
            data[agents[row.agent]] += record[name]  # type: ignore[operator]
    return {"labels": list(agents), "unit": translate("Contacts handled"),
            "states": [{"label": translate(texts.HANDLED_CHART[name]), "state": name, "data": data}
                       for name, data in handled.items()]}


async def performance_download(request: Request) -> Response:
    """/reports/performance.{csv,xlsx}: the report of the page's filters, the columns of
    `cicada report performance`."""
    return await filtered_download(request, "agent-performance", _records, title="performance", back=BACK)


def _records(session: Session, actor, ask: Ask) -> tuple[tuple[str, ...], Iterable[dict[str, object]]]:
    report = AgentPerformanceReport(session, actor, ask.period(report_zone()), ask.filters())
    codes = report.reasons, report.outcomes
    return performance_columns(*codes), (performance_record(row, *codes) for row in report.rows())


routes = [  # before the queue report's /reports/{what}.{format}
    Route("/reports/performance", performance_page, methods=["GET"]),
    Route("/reports/performance.{format:str}", performance_download, methods=["GET"]),
]
