"""Pages of the workspace redraw for the model only while the agent can see them.

A call changes the workbench about ten times (offered, identified, answered, ended, wrap-up...),
and every page used to redraw at each change, hidden or not. A hidden page now only notes that
it is out of date and redraws once, when it is shown.
"""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QWidget


class DrawnWhenSeen:
    """Mixed into a page of the workspace's stack; the page's `refresh()` draws the whole model."""

    _out_of_date = False

    def redraw(self) -> None:
        """Draw now if the page is the one shown (even in a window not yet on the screen), else later."""
        if self._seen():
            self._out_of_date = False
            self.refresh()
        else:
            self._out_of_date = True

    def redraw_if_out_of_date(self) -> None:
        if self._out_of_date:
            self._out_of_date = False
            self.refresh()

    def _seen(self) -> bool:
        page: QWidget = self  # type: ignore[assignment]
        stack = page.parentWidget()
        # a page of no stack (a test's lone page) is always seen
        return not isinstance(stack, QStackedWidget) or stack.currentWidget() is page


def draw_pages_when_shown(stack: QStackedWidget) -> None:
    """Bring a page up to date as the stack turns to it, before it is painted."""
    def turned(index: int) -> None:
        page = stack.widget(index)
        if isinstance(page, DrawnWhenSeen):
            page.redraw_if_out_of_date()
    stack.currentChanged.connect(turned)
