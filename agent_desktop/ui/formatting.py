"""Durations, times and codes as the agent reads them, in the UI's locale."""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale, QTime, QTimeZone


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def clock_time(epoch: float) -> str:
    return QLocale().toString(QDateTime.fromSecsSinceEpoch(int(epoch)).time(), QLocale.FormatType.ShortFormat)


def date_time(value: datetime | None) -> str:
    """A time from the CRM, which keeps naive UTC (crm.clock), in the agent's
    time zone and locale."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    utc = QDateTime(QDate(value.year, value.month, value.day), QTime(value.hour, value.minute, value.second),
                    QTimeZone.utc())
    return QLocale().toString(utc.toLocalTime(), QLocale.FormatType.ShortFormat)


def code_label(code: str | None) -> str:
    """A reason or outcome code as shown: translated where known, else readable."""
    if not code:
        return ""
    translated = QCoreApplication.translate("codes", code)
    return translated if translated != code else code.replace("_", " ")


def number(value: int) -> str:
    return QLocale().toString(value)


def error_text(exc: BaseException) -> str:
    """Why a request failed, in the UI's language where the desktop knows the reason: the end
    of the CRM session says what the agent can do about it, not the service's English."""
    from agent_desktop.crm_session import SESSION_ENDED
    from crm.errors import SessionEnded

    if isinstance(exc, SessionEnded):
        return QCoreApplication.translate("Workbench", SESSION_ENDED.get(exc.reason, SESSION_ENDED["ended"]))
    return str(exc)
