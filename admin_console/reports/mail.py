"""The email and chat report page: per email or chat queue, channel and interval the conversations
that entered, were taken, abandoned, replied to, resolved and reopened, the first response and
resolution times and the share replied within the queue's due time, each followed by its agents'
rows (each figure's formula on hover), and the report as CSV and Excel downloads.

Every figure comes from crm/reports/mail_report.py with the signed-in supervisor's own rights and
the mail queues as the mail queue has them ([[mailq.queues]], in the console's settings), through
the records `cicada report mail` writes; the page shares the other reports' filters, refusals and
downloads (common.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_console import i18n
from admin_console.reports import texts
from admin_console.reports.ask import Ask, AskError, read_ask
from admin_console.reports.common import (MOST_ROWS_SHOWN, REFUSED_ERRORS, first_rows, interval_label, made_in_thread,
                                          not_found, one_decimal, percent, refusal, refused_download, report_zone,
                                          signed_in_crm, stream_download, to_signin, today)
from admin_console.web import render
from crm.reports.mail_report import MAIL_COLUMNS, MailQueue, MailReport, MailRow, mail_record, resolve_mail
from crm.reports.queue_report import Filters
from crm.services import sessions, supervisor_actions
from crm.services.supervision import checked_queue_org_units

BACK = ("/reports/mail", "Back to the email and chat report")


def mail_queues(request: Request, session: Session) -> dict[str, MailQueue]:
    """The mail queues of the configuration, their org units checked as the mail queue checks them at start."""
    settings = request.app.state.settings
    configured: dict[str, MailQueue] = dict(settings.mail_queues)
    units = checked_queue_org_units(session, {name: queue.org_units for name, queue in configured.items()},
                                    demo=settings.demo_mail_queues)
    return {name: replace(queue, org_units=units.get(name, ())) for name, queue in configured.items()}


def _open_report(request: Request, session: Session, token: str, ask: Ask) -> MailReport:
    actor = sessions.actor_of(session, token).actor
    thresholds = request.app.state.settings.alert_rules.thresholds
    return MailReport(session, actor, ask.period(report_zone()), _filters(ask), mail_queues(request, session),
                      lambda queue: thresholds(queue).short_abandon_seconds)


def _filters(ask: Ask) -> Filters:
    return Filters(ask.queues, ask.team, ask.agents, ask.channel)


async def mail_page(request: Request) -> Response:
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    try:
        ask = read_ask(request.query_params, today())
    except AskError as exc:
        refused = refusal(exc, signed.language)
        return _view(request, signed, Ask(today(), today()), {"error": refused.text}, refused.status)

    def make() -> dict[str, Any]:
        with request.app.state.database.reading() as session:
            actor = sessions.actor_of(session, signed.token).actor
            found: dict[str, Any] = {"teams": supervisor_actions.teams(session, actor)}
            try:
                report = _open_report(request, session, signed.token, ask)
                found["queues"] = resolve_mail(session, actor, ask.period(report_zone()), Filters(channel=""),
                                               report.mail_queues).queues
            except REFUSED_ERRORS as exc:
                return found | {"error": refusal(exc, signed.language)}
            found["rows"], found["total"] = first_rows(report.rows())
            return found

    made = await made_in_thread(make, signed.language)
    if made is None:
        return to_signin()
    refused = made.pop("error", None)
    status = refused.status if refused else 200
    return _view(request, signed, ask, made | ({"error": refused.text} if refused else {}), status)


def _view(request: Request, signed, ask: Ask, made: dict[str, Any], status: int) -> Response:
    translate = lambda text: i18n.translate(signed.language, text)  # noqa: E731
    rows: list[MailRow] = made.get("rows", [])
    figures = [{"name": name, "header": translate(header), "formula": translate(texts.formula(definition))}
               for name, header, definition in texts.MAIL_FIGURES]
    return render(request, "mail_report.html", signed=signed, status=status, ask=ask, error=made.get("error"),
                  intervals=texts.INTERVALS, teams=made.get("teams", []), queues=made.get("queues", ()),
                  channels=texts.CHANNELS, figures=figures, rows=[_cells(translate, ask, row) for row in rows],
                  total=made.get("total", 0), most=MOST_ROWS_SHOWN, zone=report_zone().key, query=ask.query())


def _cells(translate, ask: Ask, row: MailRow) -> dict[str, Any]:
    record = mail_record(row)
    values = {name: record[name] for name, _, _ in texts.MAIL_FIGURES}
    due = row.thresholds.due_seconds
    return {"level": row.level, "queue": row.queue, "channel": row.channel, "agent": row.agent or "",
            "channel_name": translate(texts.CHANNELS.get(row.channel, row.channel)),
            "interval": interval_label(ask.interval, row.start, year=False), "start": row.start.isoformat(),
            "due": "" if due is None else one_decimal(due),
            "cells": {name: _shown(name, value) for name, value in values.items()},
            "exact": {name: "" if value is None else repr(value) for name, value in values.items()}}


def _shown(name: str, value) -> str:
    if value is None:
        return ""
    if name in texts.MAIL_RATIOS:
        return percent(value)
    return one_decimal(value) if name in texts.MAIL_SECONDS else str(value)


async def mail_download(request: Request) -> Response:
    """/reports/mail.{csv,xlsx}: the report of the page's filters, the columns of `cicada report mail`."""
    kind = request.path_params["format"]
    if kind not in ("csv", "xlsx"):
        return not_found()
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    try:
        ask = read_ask(request.query_params, today())
    except AskError as exc:
        return refused_download(request, signed, refusal(exc, signed.language), back=BACK)

    def records(session: Session) -> tuple[tuple[str, ...], Iterable[dict[str, object]]]:
        report = _open_report(request, session, signed.token, ask)
        return MAIL_COLUMNS, (mail_record(row) for row in report.rows())

    name = f"email-chat_{ask.first.isoformat()}_{ask.last.isoformat()}"
    return await stream_download(request, signed, kind, name, records, title="mail", back=BACK)


routes = [  # before the queue report's /reports/{what}.{format}
    Route("/reports/mail", mail_page, methods=["GET"]),
    Route("/reports/mail.{format:str}", mail_download, methods=["GET"]),
]
