"""docs/bus.md is written from the declarations in bus/ (`python3 dev.py docs`), never by hand."""

from __future__ import annotations

from bus import docs


def test_docs_bus_md_is_what_the_declarations_say():
    assert docs.DOCS_FILE.read_text(encoding="utf-8") == docs.render(), (
        "docs/bus.md is not current: run python3 dev.py docs")


def test_it_lists_every_message_with_its_topics_and_every_code():
    page = docs.render()
    assert "#### `call.offered` (CallOffered), topics `agent/<agent>/`, `call/`" in page
    assert "#### `mail.login` (MailLogin)" in page
    assert "* `not_logged_in`: this desktop's session is not logged in" in page
    assert "* `phone_failed`: " in page and "* `rate_limited`: " in page
    assert "* `client`: `str` = `\"\"`; a description of the desktop, shown to a second login" in page
