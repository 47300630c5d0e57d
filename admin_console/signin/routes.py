"""The sign-in page, signing out, and choosing the language.

Every POST carries a CSRF token: before signing in, the one in the form's own cookie
(HttpOnly, SameSite=Strict) must come back in the form; once signed in, the sign-in's.
"""

from __future__ import annotations

import logging

import anyio
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from admin_console import i18n
from admin_console.signin.sessions import NotASupervisor
from admin_console.web import (
    FORM_COOKIE,
    LANGUAGE_COOKIE,
    SIGN_IN_COOKIE,
    language,
    local_path,
    new_form_token,
    read_form,
    render,
    same_token,
    set_cookie,
    sign_ins,
    signed_in,
)
from crm.errors import AuthenticationFailed, CrmError
from crm.login_guard import LoginRefused

log = logging.getLogger("cicada.console")


async def home(request: Request) -> Response:
    return RedirectResponse("/wallboard" if signed_in(request) else "/signin", status_code=303)


async def sign_in_page(request: Request) -> Response:
    if signed_in(request):
        return RedirectResponse("/wallboard", status_code=303)
    return _sign_in_form(request)


def _sign_in_form(request: Request, *, error: str = "", status: int = 200, username: str = "") -> Response:
    token = request.cookies.get(FORM_COOKIE) or new_form_token()
    response = render(request, "signin.html", csrf=token, error=error, username=username, status=status)
    set_cookie(response, request, FORM_COOKIE, token)
    return response


async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    if form is None or not same_token(form.get("csrf"), request.cookies.get(FORM_COOKIE)):
        return refused_form(request)
    username, password = form.get("username", "")[:80], form.get("password", "")[:200]
    source = request.client.host if request.client else "local"
    try:
        signed = await sign_ins(request).sign_in(username, password, source)
    except LoginRefused:
        return _sign_in_form(request, error="Too many failed sign-ins: try again in a few minutes.",
                             status=429, username=username)
    except AuthenticationFailed:
        return _sign_in_form(request, error="Wrong user name or password.", status=401, username=username)
    except NotASupervisor:
        return render(request, "refused.html", status=403)
    except CrmError as exc:
        log.warning("a console sign-in failed: %s", exc)
        return _sign_in_form(request, error="The CRM database cannot be reached: try again in a moment.",
                             status=503, username=username)
    request.app.state.feeds.join(signed.scope, signed.token)
    response = RedirectResponse("/wallboard", status_code=303)
    set_cookie(response, request, SIGN_IN_COOKIE, sign_ins(request).cookie_value(signed))
    response.delete_cookie(FORM_COOKIE, path="/")
    return response


async def sign_out(request: Request) -> Response:
    signed = signed_in(request)
    form = await read_form(request)
    if signed is not None:
        if form is None or not same_token(form.get("csrf"), signed.csrf):
            return refused_form(request)
        await anyio.to_thread.run_sync(sign_ins(request).sign_out, signed)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


async def choose_language(request: Request) -> Response:
    signed = signed_in(request)
    form = await read_form(request)
    expected = signed.csrf if signed else request.cookies.get(FORM_COOKIE)
    if form is None or not same_token(form.get("csrf"), expected):
        return refused_form(request)
    chosen = form.get("language", "")
    if chosen not in i18n.LANGUAGES:
        chosen = language(request, signed)
    if signed is not None:
        signed.language = chosen
    response = RedirectResponse(local_path(form.get("next")), status_code=303)
    set_cookie(response, request, LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600)
    return response


def refused_form(request: Request) -> Response:
    """A POST without its CSRF token (or with another's): refused, nothing done."""
    log.warning("a form without its CSRF token refused: %s %s from %s", request.method, request.url.path,
                request.client.host if request.client else "?")
    return render(request, "form_refused.html", signed=signed_in(request, touch=False), status=403)


routes = [
    Route("/", home),
    Route("/signin", sign_in_page, methods=["GET"]),
    Route("/signin", sign_in, methods=["POST"]),
    Route("/signout", sign_out, methods=["POST"]),
    Route("/language", choose_language, methods=["POST"]),
]
