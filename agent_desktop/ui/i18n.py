"""The desktop's languages: Qt translators loaded from the compiled catalogues
in agent_desktop/translations (sources: cicada_*.ts, made with
pyside6-lupdate and compiled with pyside6-lrelease; see docs/desktop.md)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}

_installed: list[QTranslator] = []
_current = "en"


def normalize(code: str | None) -> str:
    code = (code or "en").replace("-", "_")
    if code.lower().startswith("zh"):
        return "zh_CN"
    return "en"


def current_language() -> str:
    return _current


def install(code: str | None) -> str:
    """Switch the whole application to `code` ("en" or "zh_CN"); widgets
    retranslate themselves on the LanguageChange event this causes."""
    global _current
    app = QCoreApplication.instance()
    code = normalize(code)
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    locale = QLocale(QLocale.Language.Chinese, QLocale.Country.China) if code == "zh_CN" \
        else QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    QLocale.setDefault(locale)
    if code != "en":
        ours = QTranslator(app)
        if ours.load(str(TRANSLATIONS / f"cicada_{code}.qm")):
            _installed.append(ours)
        else:
            log.warning("no translation catalogue for %s in %s", code, TRANSLATIONS)
        qt = QTranslator(app)  # Qt's own dialogs and buttons
        if qt.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            _installed.append(qt)
        for translator in _installed:
            app.installTranslator(translator)
        # Qt posts LanguageChange to the windows; deliver it now so that the
        # switch is complete when this returns.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)
    else:
        # Removing translators alone sends no LanguageChange; views must redraw in English.
        from PySide6.QtWidgets import QApplication

        for widget in QApplication.allWidgets():
            QCoreApplication.sendEvent(widget, QEvent(QEvent.Type.LanguageChange))
    _current = code
    return code
