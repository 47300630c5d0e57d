"""The Alerts page: the alerts of the supervisor's scope kept in the CRM, newest first."""

from __future__ import annotations

import time

import anyio
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from admin_console import i18n
from admin_console.alerts.store import scope_key
from admin_console.alerts.texts import alert_text, worst_text
from admin_console.web import render, sign_ins, signed_in


def _clock(at: float | None) -> str:
    return "" if at is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


async def alerts(request: Request) -> Response:
    signed = signed_in(request)
    if signed is None or not await anyio.to_thread.run_sync(sign_ins(request).still_open_in_crm, signed):
        return RedirectResponse("/signin", status_code=303)
    feed = request.app.state.feeds.join(signed.scope, signed.token)
    with feed.lock:
        names = {agent.agent: agent.name for agent in feed.model.agents.values()}
    kept = await anyio.to_thread.run_sync(request.app.state.alert_store.recent, scope_key(signed.scope))

    def translate(text: str) -> str:
        return i18n.translate(signed.language, text)

    rows = [{"kind": alert["kind"], "text": alert_text(translate, alert, names),
             "started": _clock(alert["started_at"]), "ended": _clock(alert["ended_at"]),
             "worst": worst_text(translate, alert)}
            for alert in kept]
    return render(request, "alerts.html", signed=signed, alerts=rows)


routes = [Route("/alerts", alerts, methods=["GET"])]
