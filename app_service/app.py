"""The application service's ASGI application: sessions, errors, and the routes
of each capability.

Every route but signing in needs a session (`Authorization: Bearer TOKEN`);
the session is checked in the same database transaction as the work, so a
signed-out, expired or disabled user's request does nothing. Routes are plain
functions that FastAPI runs on its thread pool; the database pool is sized to
match, so a few hundred desktops cost the database a small, fixed number of
connections. Results are dataclasses of the `crm` services, sent as JSON by
msgspec; errors are codes (app_service.wire).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import anyio
from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crm.db import DatabaseOnDemand
from crm.errors import CrmError, DatabaseNotMigrated
from crm.login_guard import GuardSettings, LoginGuard, LoginRefused
from crm.search_keys import load_readings
from crm.services import sessions
from crm.services.sessions import OpenSession, SessionEnded
from app_service import wire
from app_service.timing import ServerTiming

log = logging.getLogger("cicada.app")

POOL_SIZE = 16  # database connections: the most a busy hour of hundreds of desktops needs
PASSWORD_THREADS = 2  # password hashes are slow on purpose: they get threads of their own


@dataclass
class AppSettings:
    database_url: str
    pool_size: int = POOL_SIZE
    guard: GuardSettings = field(default_factory=GuardSettings)
    title: str = "Cicada application service"
    mail_sender: str = "service@cicada.example"  # the From of emails the Action Box queues ([mail] sender)


_bearer = HTTPBearer(auto_error=False, description="The token of a session opened with POST /v1/sessions.")


def session_token(credentials: HTTPAuthorizationCredentials | None = Security(_bearer)) -> str:
    """The caller's session token; SessionEnded("unknown") without one."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise SessionEnded("unknown")
    return credentials.credentials


Token = Depends(session_token)


def create_app(settings: AppSettings) -> FastAPI:
    database = DatabaseOnDemand(settings.database_url, **_pool_options(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.pool_size
        try:
            database.get()
        except DatabaseNotMigrated:
            raise
        except (CrmError, DBAPIError) as exc:
            log.warning("The CRM database cannot be reached now (%s); requests get crm_unavailable "
                        "until it is back.", exc)
        load_readings()  # the pinyin tables, before the first search or new customer
        gc.freeze()  # what start-up made lives as long as the service: no full collection need walk it
        yield
        database.dispose()

    app = FastAPI(title=settings.title, version=wire.API_VERSION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.database = database
    app.state.guard = LoginGuard(settings.guard, service="application service")
    app.state.password_threads = anyio.CapacityLimiter(PASSWORD_THREADS)
    app.state.mail_sender = settings.mail_sender
    app.add_middleware(ServerTiming)
    _install_error_handlers(app)
    from app_service import actions_api, customers_api, history_api, mail_api, partners_api, records_api
    from app_service import scripts_api, sessions_api

    for module in (sessions_api, partners_api, customers_api, history_api, records_api, scripts_api, actions_api,
                   mail_api):
        app.include_router(module.router)
    return app


def _pool_options(settings: AppSettings) -> dict:
    url = settings.database_url
    if url.startswith("sqlite"):
        if ":memory:" in url or url.rstrip("/").endswith(":"):
            return {}  # one in-process database: SQLAlchemy's own pool for it
        # As many kept connections as request threads: beyond SQLAlchemy's default five, each
        # request opened a connection of its own (and ran its pragmas) and closed it again.
        return {"pool_size": settings.pool_size, "max_overflow": 0, "pool_timeout": 10}
    return {"pool_size": settings.pool_size, "max_overflow": 0, "pool_timeout": 10,
            "connect_args": {"connect_timeout": 5}}


# --- the work of a request ---------------------------------------------------------------


@contextmanager
def signed_in(request: Request, token: str, *, writing: bool = False) -> Iterator[tuple[Session, OpenSession]]:
    """A database session for this request's work and the caller's open session, checked
    inside it; committed at the end if `writing`."""
    database: DatabaseOnDemand = request.app.state.database
    with (database.unit_of_work() if writing else database.reading()) as session:
        yield session, sessions.actor_of(session, token)


def reply(value, status_code: int = 200) -> Response:
    """A result as JSON (msgspec: dataclasses, datetimes, enums), bypassing re-validation."""
    return Response(content=wire.encode(value), status_code=status_code, media_type="application/json")


def source_of(request: Request) -> str:
    return request.client.host if request.client else "local"


# --- errors ----------------------------------------------------------------------------------


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CrmError)
    async def crm_error(request: Request, exc: CrmError):
        return _error_response(exc, request)

    @app.exception_handler(LoginRefused)
    async def refused(request: Request, exc: LoginRefused):
        response = _error_response(exc, request, message=exc.message)
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return JSONResponse({"error": {"code": "invalid", "message": _first_problem(exc), "detail": {}}},
                            status_code=422)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError):
        log.error("%s %s: the CRM database failed: %s", request.method, request.url.path,
                  str(exc.orig or exc).splitlines()[0] if str(exc.orig or exc) else type(exc).__name__)
        return JSONResponse({"error": {"code": "crm_unavailable",
                                       "message": "The CRM database cannot be reached; try again in a moment.",
                                       "detail": {}}}, status_code=503)


def _first_problem(exc: RequestValidationError) -> str:
    """The first thing wrong with a request, said in a line: "body.text: String should have at most ..."."""
    problems = exc.errors()
    if not problems:
        return "The request is not valid."
    where = ".".join(str(part) for part in problems[0].get("loc", ()))
    return f"{where}: {problems[0].get('msg', 'not valid')}" + (f" (and {len(problems) - 1} more)"
                                                                 if len(problems) > 1 else "")


def _error_response(exc: Exception, request: Request, message: str | None = None) -> JSONResponse:
    code = wire.error_code(exc)
    status = wire.ERRORS.get(code, (500, None))[0]
    if code == "internal":
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    return JSONResponse({"error": {"code": code, "message": message or str(exc), "detail": wire.error_detail(exc)}},
                        status_code=status)
