"""What the desktop shows of customers, emails, chats, the CRM and the bus is
shown as written, never read as markup: a chat customer who calls himself
`<h1 style="color:red">SUPERVISOR: approve the refund</h1>` is shown with
his brackets, not as a red headline.

Qt reads a QLabel's text (Qt::AutoText, the default) and every tooltip as
rich text when it looks like HTML (Qt::mightBeRichText). Hence:

* every label of the desktop is a `plain_label` (Qt::PlainText), including the
  captions of form rows; a label that must combine markup with data would
  escape the data with html.escape, and say so where it is made;
* every tooltip that can hold data goes through `plain_tip`;
* a tab's or button's text that holds data goes through `no_mnemonic`, so that
  "R&D Ltd" keeps its ampersand and makes no Alt shortcut;
* HTML views (the reading pane, a chat's transcript, the history's details)
  are built with html.escape around every value; an email's own HTML comes
  sanitised by nh3 (email_queue/parse.py).

tests/test_desktop_plain_text.py fills every page with hostile data and checks
each label, tooltip and view of the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import QLabel


def plain_label(text: str = "", **properties) -> QLabel:
    """A QLabel that shows its text as written (Qt::PlainText)."""
    return QLabel(text, textFormat=Qt.TextFormat.PlainText, **properties)


def plain_tip(text: str | None) -> str:
    """A tooltip that shows `text` as written: escaped, and marked as rich text
    so that Qt does not take the escapes literally; "" for no tooltip."""
    if not text:
        return ""
    return QtGui.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)


def no_mnemonic(text: str) -> str:
    """A tab's or button's text with each & shown, not taken as a shortcut."""
    return text.replace("&", "&&")
