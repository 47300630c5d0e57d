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
from admin_console.reports.ask import Ask
from admin_console.reports.common import (MOST_ROWS_SHOWN, filtered_download, filtered_report_page, first_rows,
                                          interval_label, one_decimal, percent, report_zone)
from admin_console.web import render
from crm.reports.mail_report import MAIL_COLUMNS, MailQueue, MailReport, MailRow, mail_record, resolve_mail
from crm.reports.queue_report import Filters
from crm.services.supervision import checked_queue_org_units

BACK = ("/reports/mail", "Back to the email and chat report")


def mail_queues(request: Request, session: Session) -> dict[str, MailQueue]:
    """The mail queues of the configuration, their org units checked as the mail queue checks them at start."""
    settings = request.app.state.settings
    configured: dict[str, MailQueue] = dict(settings.mail_queues)
    units = checked_queue_org_units(session, {name: queue.org_units for name, queue in configured.items()},
                                    demo=settings.demo_mail_queues)
    return {name: replace(queue, org_units=units.get(name, ())) for name, queue in configured.items()}


def _open_report(request: Request, session: Session, actor, ask: Ask) -> MailReport:
    thresholds = request.app.state.settings.alert_rules.thresholds
    filters = Filters(ask.queues, ask.team, ask.agents, ask.channel)
    return MailReport(session, actor, ask.period(report_zone()), filters, mail_queues(request, session),
                      lambda queue: thresholds(queue).short_abandon_seconds)


async def mail_page(request: Request) -> Response:
    def find(session: Session, actor, ask: Ask) -> dict[str, Any]:
        report = _open_report(request, session, actor, ask)
        queues = resolve_mail(session, actor, ask.period(report_zone()), Filters(channel=""), report.mail_queues).queues
        rows, total = first_rows(report.rows())
        return {"queues": queues, "rows": rows, "total": total}

    return await filtered_report_page(request, find, _view)


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
    def records(session: Session, actor, ask: Ask) -> tuple[tuple[str, ...], Iterable[dict[str, object]]]:
        return MAIL_COLUMNS, (mail_record(row) for row in _open_report(request, session, actor, ask).rows())

    return await filtered_download(request, "email-chat", records, title="mail", back=BACK)


routes = [  # before the queue report's /reports/{what}.{format}
    Route("/reports/mail", mail_page, methods=["GET"]),
    Route("/reports/mail.{format:str}", mail_download, methods=["GET"]),
]
