"""The wallboard page and its live stream (server-sent events).

The page is rendered on the server with the labels in the supervisor's language; the stream
sends the scope's picture (the gateway's and the mail queue's, each feed's snapshot made once
per change for every browser) whenever one of them changes, so an open browser costs the
database, the gateway and the mail queue nothing.
"""

from __future__ import annotations

import asyncio
import json
import time

import anyio
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from admin_console import i18n
from admin_console.alerts.texts import ALERT_TEXTS, MINUTES, SECONDS
from admin_console.web import render, sign_ins, signed_in

PUSH_SECONDS = 0.2  # how often a stream looks for a new picture
KEEP_ALIVE_SECONDS = 15.0

# The texts the page's script shows, in the page's language.
SCRIPT_TEXTS = ["Ready", "Busy", "Wrap-up", "Not ready", "Offered", "Logged out", "No queue.",
                "No agent logged in.", "Connecting to the CTI gateway…",
                "The CTI gateway cannot be reached: no figure here is live. The wallboard catches up as soon "
                "as it answers.", "The console's connection is lost; reconnecting…", "Live",
                # the agents table: its filters, and the cue of a time over its threshold (wallboard/agents.py)
                "No agent matches the filters.", "over {n} min", "over {n} s",
                # the queue figures, the staffing advice and the alerts (admin_console/alerts)
                "No active alert.", "Today", "Last {n} min", "Entered", "Answered", "Abandoned", "Service level",
                "ASA", "AHT", "Cicada alert", *ALERT_TEXTS.values(), "Abandonment rate", "{n} short",
                SECONDS, MINUTES,  # an email's or a chat's wait in its alert (alerts/texts.py)
                # the email and chat part (the mail queue)
                "Email", "Chat", "Phone", "Connecting to the mail queue…", "Mail queue: live", "Available", "Away",
                "Working", "No email or chat queue.", "No agent logged in to the mail queue.", "Due within {due}",
                "The mail queue cannot be reached: no email or chat figure here is live. It catches up as soon "
                "as the mail queue answers."]


async def wallboard(request: Request) -> Response:
    signed = signed_in(request)
    if signed is None or not await anyio.to_thread.run_sync(sign_ins(request).still_open_in_crm, signed):
        return RedirectResponse("/signin", status_code=303)
    feeds = request.app.state.feeds
    feeds.join(signed.scope, signed.token)  # again, should the feed have ended
    texts = {text: i18n.translate(signed.language, text) for text in SCRIPT_TEXTS}
    alert_texts = {kind: i18n.translate(signed.language, text) for kind, text in ALERT_TEXTS.items()}
    return render(request, "wallboard.html", signed=signed, texts=json.dumps(texts, ensure_ascii=False),
                  alert_texts=json.dumps(alert_texts, ensure_ascii=False),
                  full_screen=request.query_params.get("wall") == "1", mail=feeds.mail(signed.scope) is not None)


async def events(request: Request) -> Response:
    # a wall screen's stream (the full-screen page, no controls) keeps its sign-in alive for the wall only
    wall = request.query_params.get("wall") == "1"
    signed = signed_in(request, wall=wall)
    if signed is None:
        return Response("Your session has ended: please sign in again.", status_code=401,
                        media_type="text/plain")
    feeds = request.app.state.feeds
    feed = feeds.join(signed.scope, signed.token)
    mail = feeds.mail(signed.scope)
    sign_ins_ = sign_ins(request)

    async def stream():
        sent, quiet = (-1, -1), 0.0
        while not await request.is_disconnected():
            if sign_ins_.open.get(signed.id) is not signed or (not wall and sign_ins_.idle(signed)):
                yield "event: ended\ndata: {}\n\n"
                return
            if wall:
                signed.wall_seen = sign_ins_.clock()
            version, view = feed.snapshot()
            mail_version, mail_view = mail.snapshot() if mail is not None else (0, "null")
            if (version, mail_version) != sent:
                sent, quiet = (version, mail_version), 0.0
                # the console's time with each picture: the browser ticks the times on from it
                yield f'data: {{"now": {time.time():.3f}, "view": {view}, "mail": {mail_view}}}\n\n'
            elif quiet >= KEEP_ALIVE_SECONDS:
                quiet = 0.0
                yield ": still here\n\n"
            await asyncio.sleep(PUSH_SECONDS)
            quiet += PUSH_SECONDS

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


routes = [
    Route("/wallboard", wallboard, methods=["GET"]),
    Route("/wallboard/events", events, methods=["GET"]),
]
