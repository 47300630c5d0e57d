"""Whether the CRM database answers, as the mail queue sees it.

Any thread may report that a piece of database work failed because the
database cannot be reached; only the service's probe says it is back (so
one lucky query does not hide an outage). Errors the database gives for
the work itself (a constraint, a conflict) are not outages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from crm.errors import DatabaseUnavailable

UNAVAILABLE_TEXT = "The CRM database is unavailable; try again in a moment."


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached, as opposed to refusing the work."""
    if isinstance(exc, DatabaseUnavailable | OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def describe(exc: BaseException) -> str:
    """One line on why, without the SQL statement and its values (customers' data)."""
    reason = getattr(exc, "orig", None) or exc
    text = str(reason).strip().splitlines()
    return (text[0] if text else type(reason).__name__)[:300]


class DatabaseHealth:
    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.available = True
        self.since = clock()  # of the present state
        self.error = ""  # the latest failure's reason while unavailable
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> bool:
        """The database could not be reached; True when that is news."""
        with self._lock:
            self.error = describe(exc)
            if not self.available:
                return False
            self.available, self.since = False, self.clock()
            return True

    def back(self) -> float | None:
        """The probe reached the database; how long it was away, when it was."""
        with self._lock:
            if self.available:
                return None
            now = self.clock()
            away, self.available, self.since, self.error = now - self.since, True, now, ""
            return away
