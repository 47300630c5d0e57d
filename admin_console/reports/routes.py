"""The report pages: the queue report (a chart above its table, each figure's formula on hover),
the contacts behind each of its counts, and both as CSV and Excel downloads.

Every figure and every row comes from crm/reports/queue_report.py, with the signed-in
supervisor's own rights (his org units' queues and agents; an administrator all); the downloads
use the export writers `cicada report` uses (crm/reports/exports.py), streamed a piece at a time
from one worker thread that holds the database session (stream.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_console import i18n
from admin_console.reports import texts
from admin_console.reports.ask import Ask, AskError, read_ask
from admin_console.reports.common import (MOST_ROWS_SHOWN, REFUSED_ERRORS, Refused, first_rows, interval_label,
                                          made_in_thread, not_found, one_decimal, percent, refusal,
                                          refused_download, report_zone, signed_in_crm, stream_download,
                                          to_signin, today)
from admin_console.web import render
from crm.reports.queue_report import (CONTACT_COLUMNS, QUEUE_COLUMNS, Filters, QueueReport, QueueRow,
                                      contact_record, queue_record, resolve)
from crm.services import sessions, supervisor_actions
from crm.services.supervision import checked_queue_org_units


def _open_report(request: Request, session, token: str, ask: Ask, thresholds) -> QueueReport:
    """The report with the rights of the sign-in's own CRM session (the module's errors raised)."""
    actor = sessions.actor_of(session, token).actor
    return QueueReport(session, actor, ask.period(report_zone()), ask.filters(), thresholds,
                       queue_org_units(request, session))


def queue_org_units(request: Request, session) -> dict[str, tuple[str, ...]]:
    """The queues' org units as the gateway and the mail queue check them at start (their configuration)."""
    settings = request.app.state.settings
    return checked_queue_org_units(session, settings.queue_org_units, demo=settings.demo_queues)


# --- the queue report ---------------------------------------------------------------------------


async def report_page(request: Request) -> Response:
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    try:
        ask = read_ask(request.query_params, today())
    except AskError as exc:
        ask, refused = Ask(today(), today()), refusal(exc, signed.language)
        return _report_view(request, signed, ask, {"error": refused.text}, refused.status)
    thresholds = request.app.state.settings.alert_rules.thresholds

    def make() -> dict[str, Any]:
        with request.app.state.database.reading() as session:
            actor = sessions.actor_of(session, signed.token).actor
            found: dict[str, Any] = {"teams": supervisor_actions.teams(session, actor)}
            try:
                units = queue_org_units(request, session)
                report = QueueReport(session, actor, ask.period(report_zone()), ask.filters(), thresholds, units)
                found["queues"] = resolve(session, actor, ask.period(report_zone()), Filters(), units).queues
            except REFUSED_ERRORS as exc:
                return found | {"error": refusal(exc, signed.language)}
            found["rows"], found["total"] = first_rows(report.queue_rows())
            return found

    made = await made_in_thread(make, signed.language)
    if made is None:
        return to_signin()
    refused = made.pop("error", None)
    status = refused.status if refused else 200
    return _report_view(request, signed, ask, made | ({"error": refused.text} if refused else {}), status)


def _report_view(request: Request, signed, ask: Ask, made: dict[str, Any], status: int) -> Response:
    translate = lambda text: i18n.translate(signed.language, text)  # noqa: E731
    rows: list[QueueRow] = made.get("rows", [])
    thresholds = request.app.state.settings.alert_rules.thresholds
    return render(request, "report.html", signed=signed, status=status, ask=ask, error=made.get("error"),
                  intervals=texts.INTERVALS, queues=made.get("queues", ()), teams=made.get("teams", []),
                  figures=_headers(translate, thresholds, {row.queue for row in rows}),
                  rows=[_cells(ask, row) for row in rows], total=made.get("total", 0), most=MOST_ROWS_SHOWN,
                  chart=_chart(translate, rows), zone=report_zone().key, query=ask.query(),
                  counts=texts.COUNTS_LINKED)


def _headers(translate, thresholds, queues: set[str]) -> list[dict[str, str]]:
    """Each column's name and formula (the service level's in the variant of the queues shown)."""
    variants = {thresholds(name).variant for name in queues} or {thresholds("").variant}
    found = []
    for name, header, definition in texts.FIGURES:
        if definition is texts.d.service_level:
            shown = [translate(texts.formula(texts.VARIANT_DEFINITIONS[v])) for v in sorted(variants)]
        else:
            shown = [translate(texts.formula(definition))]
        found.append({"name": name, "header": translate(header), "formula": "\n".join(shown)})
    return found


def _cells(ask: Ask, row: QueueRow) -> dict[str, Any]:
    cells = {name: _shown(name, getattr(row, name)) for name, _, _ in texts.FIGURES}
    links = {name: ask.drilled(row.queue, row.start, row.end, name) for name in texts.COUNTS_LINKED
             if getattr(row, name)}
    exact = {name: "" if getattr(row, name) is None else repr(getattr(row, name)) for name, _, _ in texts.FIGURES}
    t = row.thresholds
    return {"queue": row.queue, "interval": interval_label(ask.interval, row.start, year=False), "cells": cells,
            "links": links, "exact": exact, "start": row.start.isoformat(),
            "thresholds": f"T = {t.service_level_seconds:g} s, τ = {t.short_abandon_seconds:g} s"}


def _shown(name: str, value) -> str:
    if value is None:
        return ""
    if name in texts.RATIOS:
        return percent(value)
    if name in texts.SECONDS:
        return one_decimal(value)
    return str(value)


def _chart(translate, rows: list[QueueRow]) -> dict[str, Any]:
    """Per interval: the contacts answered, abandoned and left otherwise (the queues' counts side
    by side, stacked), and the service level when one queue is shown."""
    labels: list[str] = []
    seen: dict[str, int] = {}
    by_outcome: dict[str, list[int]] = {"answered": [], "abandoned": [], "left_otherwise": []}
    levels: list[float | None] = []
    for row in rows:
        key = row.start.isoformat()
        if key not in seen:
            seen[key] = len(labels)
            labels.append(row.start.strftime("%m-%d %H:%M") if row.start.hour or row.start.minute
                          else row.start.strftime("%Y-%m-%d"))
            for counts in by_outcome.values():
                counts.append(0)
            levels.append(row.service_level)
        for name, counts in by_outcome.items():
            counts[seen[key]] += getattr(row, name)
    one_queue = len({row.queue for row in rows}) == 1
    return {"labels": labels,
            "counts": [{"label": translate(texts.OUTCOMES_CHART[name]), "data": data}
                       for name, data in by_outcome.items()],
            "level": ({"label": translate("Service level"), "data": [None if v is None else round(v * 100, 1)
                                                                      for v in levels]} if one_queue else None)}


# --- the contacts behind a count ---------------------------------------------------------------


async def contacts_page(request: Request) -> Response:
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    thresholds = request.app.state.settings.alert_rules.thresholds
    try:
        ask = read_ask(request.query_params, today(), drilled=True)
    except AskError as exc:
        unread = refusal(exc, signed.language)
        return render(request, "report_contacts.html", signed=signed, status=unread.status, error=unread.text,
                      ask=read_ask_lenient(request), rows=[], columns=texts.CONTACT_COLUMNS)

    def make() -> dict[str, Any]:
        with request.app.state.database.reading() as session:
            try:
                report = _open_report(request, session, signed.token, ask, thresholds)
            except REFUSED_ERRORS as exc:
                return {"error": refusal(exc, signed.language)}
            assert ask.drill is not None
            rows, total = first_rows(report.contact_rows(counted_in=ask.drill.figure))
            return {"rows": [contact_record(row) for row in rows], "total": total}

    made = await made_in_thread(make, signed.language)
    if made is None:
        return to_signin()
    refused: Refused | None = made.get("error")
    translate = lambda text: i18n.translate(signed.language, text)  # noqa: E731
    drill = ask.drill
    assert drill is not None
    figure = next(header for name, header, _ in texts.FIGURES if name == drill.figure)
    definition = next(one for name, _, one in texts.FIGURES if name == drill.figure)
    return render(request, "report_contacts.html", signed=signed, status=refused.status if refused else 200,
                  error=refused.text if refused else None, ask=ask, query=ask.query(),
                  figure=translate(figure), formula=translate(texts.formula(definition)), drill=drill,
                  interval=interval_label(ask.interval, drill.start), zone=report_zone().key,
                  rows=[_contact_cells(translate, one) for one in made.get("rows", [])],
                  total=made.get("total", 0), most=MOST_ROWS_SHOWN, columns=texts.CONTACT_COLUMNS)


def read_ask_lenient(request: Request) -> Ask:
    try:
        return read_ask(request.query_params, today())
    except AskError:
        return Ask(today(), today())


def _contact_cells(translate, record: dict[str, object]) -> dict[str, str]:
    cells = {}
    for name, value in record.items():
        if value is None:
            shown = ""
        elif name == "outcome":
            shown = translate(texts.OUTCOMES.get(str(value), str(value)))
        elif name in texts.CODES:
            shown = translate(texts.CODES[name].get(str(value), str(value)))
        elif isinstance(value, bool):
            shown = translate("Yes") if value else ""
        elif isinstance(value, str) and name.endswith("_at"):
            shown = value[:19].replace("T", " ")
        elif isinstance(value, float):
            shown = one_decimal(value)
        else:
            shown = str(value)
        cells[name] = shown
    return cells


# --- downloads ------------------------------------------------------------------------------------


async def download(request: Request) -> Response:
    """/reports/{what}.{format}: the queue report or the contact detail (of the range, or behind
    one count) as CSV or Excel, streamed, named by the range."""
    what, kind = request.path_params["what"], request.path_params["format"]
    if what not in ("queue", "contacts") or kind not in ("csv", "xlsx"):
        return not_found()
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    thresholds = request.app.state.settings.alert_rules.thresholds
    drilled = what == "contacts" and "count" in request.query_params
    try:
        ask = read_ask(request.query_params, today(), drilled=drilled)
    except AskError as exc:
        return refused_download(request, signed, refusal(exc, signed.language))

    def records(session: Session) -> tuple[tuple[str, ...], Iterable[dict[str, object]]]:
        report = _open_report(request, session, signed.token, ask, thresholds)
        if what == "queue":
            return QUEUE_COLUMNS, (queue_record(row) for row in report.queue_rows())
        counted_in = ask.drill.figure if ask.drill else None
        return CONTACT_COLUMNS, (contact_record(row) for row in report.contact_rows(counted_in=counted_in))

    return await stream_download(request, signed, kind, _file_name(what, ask), records, title=what)


def _file_name(what: str, ask: Ask) -> str:
    span = f"{ask.first.isoformat()}_{ask.last.isoformat()}"
    if ask.drill is not None:
        span = f"{ask.drill.queue}_{ask.drill.figure}_{ask.drill.start.strftime('%Y-%m-%dT%H%M')}"
    head = "queue-report" if what == "queue" else "contacts"
    return f"{head}_{span}"


routes = [
    Route("/reports", report_page, methods=["GET"]),
    Route("/reports/contacts", contacts_page, methods=["GET"]),
    Route("/reports/{what:str}.{format:str}", download, methods=["GET"]),
]
