"""What the report pages share: the sign-in checked in the CRM, the console's time zone, a
refusal in the supervisor's words, a page of the filters' form and its download, the first rows
a page shows, how figures and intervals are written, and a download streamed from one worker
thread (stream.py) through the writers `cicada report` uses (crm/reports/exports.py)."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from admin_console import i18n
from admin_console.reports import texts
from admin_console.reports.ask import Ask, AskError, read_ask
from admin_console.reports.stream import ThreadStream
from admin_console.web import render, sign_ins, signed_in
from crm.errors import CrmError, PermissionDenied, SessionEnded, ValidationError
from crm.reports.exports import csv_chunks, write_xlsx
from crm.reports.queue_report import default_zone_name
from crm.services import sessions, supervisor_actions
from crm.services.supervision import UnknownOrgUnit

log = logging.getLogger("cicada.console")

MOST_ROWS_SHOWN = 1000  # a page shows this many rows; the downloads have them all
CHUNK_BYTES = 64 * 1024
UNAVAILABLE = texts.PAGE_TEXTS[-1]
REFUSED_ERRORS = (AskError, ValidationError, PermissionDenied, UnknownOrgUnit)
UNAVAILABLE_ERRORS = (CrmError, SQLAlchemyError)
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@cache
def report_zone() -> ZoneInfo:
    """The zone of the ranges and times: the console's ($TZ, else the machine's); the CRM keeps
    no time zone per supervisor, nor one for the contact center."""
    return ZoneInfo(default_zone_name())


def today() -> Any:
    return datetime.now(report_zone()).date()


@dataclass(frozen=True)
class Refused:
    """Why the report cannot be made for this ask, in the supervisor's words, and the status."""

    text: str
    status: int


def refusal(exc: Exception, language: str) -> Refused:
    translate = lambda text: i18n.translate(language, text)  # noqa: E731
    if isinstance(exc, AskError):
        return Refused(translate(exc.text).format(**exc.values), 400)
    if isinstance(exc, PermissionDenied):
        return Refused(texts.refusal(str(exc), translate), 403)
    if isinstance(exc, ValidationError):
        return Refused(texts.refusal(str(exc), translate), 400)
    log.warning("a report could not be made: %s", exc)
    return Refused(translate(UNAVAILABLE), 503)


async def signed_in_crm(request: Request):
    """The page's sign-in, if its CRM session is still open (None: back to the sign-in page)."""
    signed = signed_in(request)
    if signed is None or not await anyio.to_thread.run_sync(sign_ins(request).still_open_in_crm, signed):
        return None
    return signed


def to_signin() -> Response:
    return RedirectResponse("/signin", status_code=303)


async def made_in_thread(make: Callable[[], dict[str, Any]], language: str) -> dict[str, Any] | None:
    """What `make` reads from the CRM (on a worker thread: the session stays on it), with a CRM
    that cannot be read as its "error"; None when the sign-in's CRM session has ended."""
    try:
        return await anyio.to_thread.run_sync(make)
    except SessionEnded:
        return None
    except UNAVAILABLE_ERRORS as exc:
        return {"error": refusal(exc, language)}


# A report page's view of what was found: (request, signed, ask, found, status) -> the page.
View = Callable[[Request, Any, Ask, dict[str, Any], int], Response]
# What a report page reads for one ask with the supervisor's rights (its errors refuse the report).
Find = Callable[[Session, Any, Ask], dict[str, Any]]


async def filtered_report_page(request: Request, find: Find, view: View) -> Response:
    """A report page of the filters' form: the address read, `find` run on a worker thread with
    the sign-in's own rights (beside his teams, for the form), and `view` given what was found or
    the refusal in his words with its status."""
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    try:
        ask = read_ask(request.query_params, today())
    except AskError as exc:
        refused = refusal(exc, signed.language)
        return view(request, signed, Ask(today(), today()), {"error": refused.text}, refused.status)

    def make() -> dict[str, Any]:
        with request.app.state.database.reading() as session:
            actor = sessions.actor_of(session, signed.token).actor
            found: dict[str, Any] = {"teams": supervisor_actions.teams(session, actor)}
            try:
                return found | find(session, actor, ask)
            except REFUSED_ERRORS as exc:
                return found | {"error": refusal(exc, signed.language)}

    made = await made_in_thread(make, signed.language)
    if made is None:
        return to_signin()
    refused = made.pop("error", None)
    status = refused.status if refused else 200
    return view(request, signed, ask, made | ({"error": refused.text} if refused else {}), status)


def first_rows(rows: Iterable) -> tuple[list, int]:
    """The rows a page shows (MOST_ROWS_SHOWN at most) and how many there are."""
    shown, total = [], 0
    for row in rows:
        total += 1
        if total <= MOST_ROWS_SHOWN:
            shown.append(row)
    return shown, total


def one_decimal(value: float) -> str:
    """Rounded half up, as people round (141.25 s shows as 141.3, not the float's 141.2)."""
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def percent(value: float | None) -> str:
    return "" if value is None else f"{one_decimal(value * 100)} %"


def interval_label(interval: str, start: datetime, *, year: bool = True) -> str:
    """How an interval is named: its start, to the minute for minute intervals (in the table
    without the year, so that it fits a laptop's screen)."""
    if interval == "month":
        return start.strftime("%Y-%m")
    if interval in ("day", "week"):
        return start.strftime("%Y-%m-%d")
    return start.strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")


# --- downloads ------------------------------------------------------------------------------------

# What a download writes, made on its worker thread from the database session: the columns and
# their records (after its checks: what it raises there refuses the download with a page).
Opened = Callable[[Session], tuple[Sequence[str], Iterable[dict[str, object]]]]


QUEUE_REPORT = ("/reports", "Back to the queue report")


async def stream_download(request: Request, signed, kind: str, name: str, open_records: Opened,
                          title: str, back: tuple[str, str] = QUEUE_REPORT) -> Response:
    """The records as CSV or Excel ("csv" or "xlsx"), named `name`, made on one worker thread a
    few pieces ahead of the client; a refusal before the first row is a page that says why."""

    def produce(put: Callable[[bytes], None], ready: Callable[[], None]) -> None:
        with request.app.state.database.reading() as session:
            columns, records = open_records(session)
            ready()  # checked: from here on the rows go out
            if kind == "csv":
                put("\ufeff".encode())  # a byte-order mark, so that Excel reads UTF-8 CSV as UTF-8
                for text in csv_chunks(columns, records):
                    put(text.encode())
                return
            with tempfile.TemporaryFile() as book:  # a workbook is a zip: written whole, then sent
                write_xlsx(book, columns, records, title=title)
                book.seek(0)
                while chunk := book.read(CHUNK_BYTES):
                    put(chunk)

    stream = ThreadStream(produce)
    try:
        await stream.wait_ready()
    except SessionEnded:
        return to_signin()
    except (*REFUSED_ERRORS, *UNAVAILABLE_ERRORS) as exc:
        return refused_download(request, signed, refusal(exc, signed.language), back=back)
    media = "text/csv; charset=utf-8" if kind == "csv" else XLSX_MEDIA
    name = safe_file_name(f"{name}.{kind}")
    return StreamingResponse(stream.chunks(), media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"})


# What a filtered download writes for one ask, with the supervisor's actor: its columns and records.
Records = Callable[[Session, Any, Ask], tuple[Sequence[str], Iterable[dict[str, object]]]]


async def filtered_download(request: Request, head: str, records: Records, *, title: str,
                            back: tuple[str, str]) -> Response:
    """/reports/<head>.{csv,xlsx} of the page's filters, named by the head and the range."""
    kind = request.path_params["format"]
    if kind not in ("csv", "xlsx"):
        return not_found()
    signed = await signed_in_crm(request)
    if signed is None:
        return to_signin()
    try:
        ask = read_ask(request.query_params, today())
    except AskError as exc:
        return refused_download(request, signed, refusal(exc, signed.language), back=back)

    def opened(session: Session) -> tuple[Sequence[str], Iterable[dict[str, object]]]:
        return records(session, sessions.actor_of(session, signed.token).actor, ask)

    name = f"{head}_{ask.first.isoformat()}_{ask.last.isoformat()}"
    return await stream_download(request, signed, kind, name, opened, title=title, back=back)


def safe_file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def refused_download(request: Request, signed, refused: Refused, back: tuple[str, str] = QUEUE_REPORT) -> Response:
    """A download refused before its first row: a page that says why, with the way back."""
    return render(request, "report_refused.html", signed=signed, status=refused.status, error=refused.text,
                  back=back)


def not_found() -> Response:
    return Response("Not Found", status_code=404, media_type="text/plain")
