"""What travels between the application service and its clients, beside the
data itself: errors as codes, and JSON. Shared by the service and the client,
so neither imports the other's framework.

An error is `{"error": {"code": ..., "message": ..., "detail": {...}}}` with
an HTTP status; the client turns it back into the `crm` error the service
raised, so code written against the CRM services handles it unchanged.
"""

from __future__ import annotations

from typing import Any

import msgspec

from action_box.model import ActionFailed
from crm import errors
from crm.login_guard import LoginRefused
from crm.errors import SessionEnded

API_VERSION = "v1"


class ApiError(errors.CrmError):
    """An error the service reported that has no CRM class of its own (internal, bad request)."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class ServiceUnreachable(errors.DatabaseUnavailable):
    """The application service did not answer (network, TLS, timeout)."""


# code -> (HTTP status, the CRM error class a client raises); order matters for subclasses below
ERRORS: dict[str, tuple[int, type[Exception]]] = {
    "session_ended": (401, SessionEnded),
    "account_disabled": (401, errors.AccountDisabled),
    "auth_failed": (401, errors.AuthenticationFailed),
    "forbidden": (403, errors.PermissionDenied),
    "not_found": (404, errors.NotFound),
    "invalid": (422, errors.ValidationError),
    "too_large": (413, errors.ValidationError),  # a request body over the route's limit (sent as plain text)
    "possible_duplicates": (409, errors.PossibleDuplicates),
    "duplicate_customer_number": (409, errors.DuplicateCustomerNumber),
    "ownership_conflict": (409, errors.OwnershipConflict),
    "run_handed_over": (409, errors.RunHandedOver),
    "conflict": (409, errors.Conflict),
    "rate_limited": (429, LoginRefused),
    "busy": (429, LoginRefused),
    "locked": (429, LoginRefused),
    "crm_unavailable": (503, errors.DatabaseUnavailable),
    "action_failed": (500, ActionFailed),  # an Action Box action's own error: nothing was written
}


def error_code(exc: Exception) -> str:
    """The code of a CRM error (the most specific class wins)."""
    if isinstance(exc, LoginRefused):
        return exc.code
    for code, (_, kind) in ERRORS.items():
        if type(exc) is kind:
            return code
    for code, (_, kind) in ERRORS.items():
        if isinstance(exc, kind):
            return code
    return "internal"


def error_detail(exc: Exception) -> dict[str, Any]:
    """What a client needs to rebuild the error beyond its message."""
    if isinstance(exc, SessionEnded):
        return {"reason": exc.reason}
    if isinstance(exc, errors.AccountDisabled):
        return {"username": exc.username}
    if isinstance(exc, errors.PossibleDuplicates):
        return {"candidates": msgspec.to_builtins(list(exc.candidates)), "hidden": exc.hidden}
    if isinstance(exc, LoginRefused):
        return {"retry_after": exc.retry_after}
    return {}


def rebuild_error(code: str, message: str, detail: dict[str, Any], status: int) -> Exception:
    """The exception a client raises for an error the service sent."""
    status_and_kind = ERRORS.get(code)
    if status_and_kind is None:
        return ApiError(code, message, status)
    kind = status_and_kind[1]
    if kind is SessionEnded:
        return SessionEnded(str(detail.get("reason", "unknown")))
    if kind is errors.AccountDisabled:
        return errors.AccountDisabled(str(detail.get("username", "")))
    if kind is errors.PossibleDuplicates:
        from crm.partner_types import DuplicateCandidate

        candidates = msgspec.convert(detail.get("candidates", []), list[DuplicateCandidate])
        return errors.PossibleDuplicates(candidates, hidden=int(detail.get("hidden", 0)))
    if kind is LoginRefused:
        return LoginRefused(code, message, float(detail.get("retry_after", 1.0)))
    return kind(message)


encoder = msgspec.json.Encoder()


def encode(value: Any) -> bytes:
    """JSON of a result: dataclasses, msgspec structs, datetimes (ISO 8601), enums. A lone
    surrogate (no UTF-8 form) goes as its JSON escape, so that the service refuses it
    naming the field, as it refuses a NUL."""
    try:
        return encoder.encode(value)
    except UnicodeEncodeError:
        import json

        return json.dumps(msgspec.to_builtins(value), ensure_ascii=True).encode()
