"""Every text the console shows has its Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

from admin_console import i18n
from admin_console.alerts.texts import WORST_TEXTS
from admin_console.actions import routes as actions_routes
from admin_console.reports import texts as report_texts
from admin_console.signin import routes as signin_routes
from admin_console.wallboard import routes as wallboard_routes

CONSOLE = Path(__file__).resolve().parent.parent / "admin_console"


def texts_of_templates() -> set[str]:
    found = set()
    for template in CONSOLE.rglob("*.html"):
        found |= set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', template.read_text(encoding="utf-8")))
    return found


def texts_of_code() -> set[str]:
    found = set(wallboard_routes.SCRIPT_TEXTS) | set(WORST_TEXTS.values()) | set(actions_routes.TEXTS)
    found |= set(report_texts.TEXTS)
    source = Path(signin_routes.__file__).read_text(encoding="utf-8")
    found |= set(re.findall(r'error="([^"]+)"', source))
    return found


def test_every_text_has_its_chinese():
    texts = texts_of_templates() | texts_of_code()
    assert len(texts) > 30
    missing = sorted(text for text in texts if text not in i18n.ZH)
    assert missing == []


def test_the_catalogue_holds_no_text_nobody_shows():
    assert sorted(set(i18n.ZH) - texts_of_templates() - texts_of_code()) == []


def test_languages_from_users_and_browsers():
    assert i18n.language_of("zh") == "zh" and i18n.language_of("zh-CN") == "zh" and i18n.language_of("en") == "en"
    assert i18n.language_of("fr") == "en" and i18n.language_of(None) == "en"
    assert i18n.from_accept_language("fr-FR,zh-CN;q=0.8,en;q=0.5") == "zh"
    assert i18n.from_accept_language("") == "en"
