"""The console's wiring: settings, the Starlette application and its server (uvicorn).

    app = create_app(ConsoleSettings(database_url, gateway_commands=..., gateway_events=...,
                                     gateway_key=..., mailq_commands=..., mailq_events=..., mailq_key=...))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from admin_console.alerts import routes as alerts_routes
from admin_console.alerts.rules import AlertRules
from admin_console.alerts.store import AlertStore
from admin_console.actions import routes as actions_routes
from admin_console.reports import agents as agent_reports_routes
from admin_console.reports import mail as mail_report_routes
from admin_console.reports import performance as performance_routes
from admin_console.reports import routes as reports_routes
from admin_console.signin import routes as signin_routes
from admin_console.signin.sessions import IDLE_SECONDS, SignIns
from admin_console.wallboard import routes as wallboard_routes
from admin_console.wallboard.agents import AgentLimits
from admin_console.wallboard.feed import Feeds
from admin_console.web import HERE, SIGN_IN_COOKIE
from crm.db import Database
from crm.reports.queue_contacts import QueueVisits, read_visits
from crm.reports.mail_contacts import MailVisits, read_mail_visits
from crm.reports.mail_report import MailQueue
from crm.services.agent_day import agents_day
from crm.services.queue_steps import queue_steps
from cti_gateway.client import CtiClient
from email_queue.client import MailqClient

log = logging.getLogger("cicada.console")

SWEEP_SECONDS = 30.0
SECURITY_HEADERS = {
    # no inline script or style, nothing from elsewhere, never in a frame
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class ConsoleSettings:
    database_url: str
    gateway_commands: str
    gateway_events: str
    gateway_key: str  # the gateway's public key (z85), as desktops trust it
    idle_seconds: float = IDLE_SECONDS
    secure_cookies: bool = False  # True behind HTTPS (a reverse proxy): cookies only over TLS
    gateway_timeout: float = 2.0  # a command the gateway does not answer this soon: unreachable
    alert_rules: AlertRules = AlertRules()  # each queue's target and alert thresholds
    agent_limits: AgentLimits | None = None  # the agents table's warnings (None: not ready's from alert_rules)
    # the mail queue, as a desktop names it; None: the wallboard shows no email and chat queues
    mailq_commands: str | None = None
    mailq_events: str | None = None
    mailq_key: str = ""  # its public key (z85)
    # seals the sign-in cookies; the same after a restart, the sign-ins go on (None: they end with it)
    cookie_secret: bytes | None = None
    # the phone queues' org units as configured for the gateway (the reports' scope of a supervisor)
    queue_org_units: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    demo_queues: bool = False  # the gateway's embedded demo queues: their org units may be missing
    # the email and chat queues as configured for the mail queue ([[mailq.queues]]: org units, channels,
    # due time), for the email and chat report; their org units checked as the mail queue checks them
    mail_queues: Mapping[str, MailQueue] = field(default_factory=dict)
    demo_mail_queues: bool = False  # the mail queue's embedded demo queues: their org units may be missing


class _SecurityHeaders:
    """Plain ASGI (not BaseHTTPMiddleware), so that the event streams flow through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


class _TakeBackSignIn:
    """A cookie of a sign-in made before a restart: its sign-in taken back (if its CRM session is
    still open) before the page or stream that presents it is answered."""

    def __init__(self, app, sign_ins: SignIns):
        self.app, self.sign_ins = app, sign_ins

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            cookie = HTTPConnection(scope).cookies.get(SIGN_IN_COOKIE)
            if cookie:
                await self.sign_ins.take_back(cookie)
        await self.app(scope, receive, send)


def create_app(settings: ConsoleSettings, *, database: Database | None = None) -> Starlette:
    database = database or Database.open(settings.database_url)

    def connect() -> CtiClient:
        return CtiClient(settings.gateway_commands, settings.gateway_events, server_key=settings.gateway_key,
                         timeout=settings.gateway_timeout)

    def connect_mailq() -> MailqClient:
        assert settings.mailq_commands is not None
        return MailqClient(settings.mailq_commands, settings.mailq_events, server_public_key=settings.mailq_key.encode(),
                           timeout=settings.gateway_timeout)

    alert_store = AlertStore(database)

    def queue_history(since: float) -> list:
        with database.reading() as session:
            return queue_steps(session, since)

    def today_contacts(since: float) -> QueueVisits:
        start = datetime.fromtimestamp(since, UTC).replace(tzinfo=None)
        with database.reading() as session:
            return read_visits(session, start, datetime.now(UTC).replace(tzinfo=None))

    def mail_today_contacts(since: float) -> MailVisits:
        start = datetime.fromtimestamp(since, UTC).replace(tzinfo=None)
        with database.reading() as session:
            return read_mail_visits(session, start, datetime.now(UTC).replace(tzinfo=None))

    def roster(scope, since: float) -> dict:
        with database.reading() as session:
            return agents_day(session, scope, since)

    feeds = Feeds(connect, rules=settings.alert_rules, alert_store=alert_store, history=queue_history,
                  today=today_contacts,
                  on_refused=lambda token: sign_ins.forget_token(token),
                  mail_connect=connect_mailq if settings.mailq_commands else None,
                  mail_today=mail_today_contacts,
                  roster=roster, limits=settings.agent_limits)
    sign_ins = SignIns(database, secret=settings.cookie_secret, idle_seconds=settings.idle_seconds,
                       on_end=lambda signed: feeds.leave(signed.scope, signed.token))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        sweeper = asyncio.ensure_future(_sweep(sign_ins))
        try:
            yield
        finally:
            sweeper.cancel()
            feeds.stop()
            alert_store.stop()
            database.dispose()

    app = Starlette(routes=[
        *signin_routes.routes,
        *wallboard_routes.routes,
        *alerts_routes.routes,
        *actions_routes.routes,
        # before the queue report's downloads, /reports/{what}.{format}
        *agent_reports_routes.routes,
        *performance_routes.routes,
        *mail_report_routes.routes,
        *reports_routes.routes,
        Mount("/static/reports", StaticFiles(directory=HERE / "reports" / "static"), name="reports-static"),
        Mount("/static/actions", StaticFiles(directory=HERE / "actions" / "static"), name="actions-static"),
        Mount("/static/wallboard", StaticFiles(directory=HERE / "wallboard" / "static"), name="wallboard-static"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ], middleware=[Middleware(_SecurityHeaders), Middleware(_TakeBackSignIn, sign_ins=sign_ins)],
        lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.sign_ins = sign_ins
    app.state.feeds = feeds
    app.state.alert_store = alert_store
    app.state.connect_gateway = connect  # a client for one command (the supervisors' actions)
    app.state.connect_mailq = connect_mailq if settings.mailq_commands else None
    return app


async def _sweep(sign_ins: SignIns) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await anyio.to_thread.run_sync(sign_ins.sweep)
        except Exception:  # the next sweep tries again
            log.exception("ending idle sign-ins failed")


class ConsoleError(Exception):
    """The console cannot start; the message says why."""


def run_console(settings: ConsoleSettings, *, host: str, port: int, on_ready=None) -> None:
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning", access_log=False,
                            lifespan="on", timeout_graceful_shutdown=2)
    server = _Server(config, on_ready)
    server.run()
    if not server.started:
        raise ConsoleError(f"cannot listen on {host}:{port} (is another console running?)")


class _Server(uvicorn.Server):
    """uvicorn's server, telling the caller once it listens (the port it got, for port 0)."""

    def __init__(self, config: uvicorn.Config, on_ready):
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started and self.on_ready is not None:
            port = self.servers[0].sockets[0].getsockname()[1] if self.servers else self.config.port
            self.on_ready(port)
