"""What every page of the console shares: templates (jinja2, autoescaped), the language, the
sign-in cookie, CSRF tokens and reading a form."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from urllib.parse import parse_qsl

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from admin_console import i18n
from admin_console.signin.sessions import SignIn, SignIns

HERE = Path(__file__).resolve().parent
SIGN_IN_COOKIE = "cicada_console"
FORM_COOKIE = "cicada_console_form"  # the CSRF token of forms shown before signing in
LANGUAGE_COOKIE = "cicada_console_language"
MAX_FORM_BYTES = 8192

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader([HERE / "templates", HERE / "signin" / "templates",
                                    HERE / "wallboard" / "templates", HERE / "alerts" / "templates",
                                    HERE / "actions" / "templates", HERE / "reports" / "templates"]),
    autoescape=True, trim_blocks=True, lstrip_blocks=True)


def sign_ins(request: Request) -> SignIns:
    return request.app.state.sign_ins


def signed_in(request: Request, *, touch: bool = True, wall: bool = False) -> SignIn | None:
    return sign_ins(request).from_cookie(request.cookies.get(SIGN_IN_COOKIE), touch=touch, wall=wall)


def language(request: Request, signed: SignIn | None = None) -> str:
    if signed is not None:
        return signed.language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in i18n.LANGUAGES:
        return chosen
    return i18n.from_accept_language(request.headers.get("accept-language"))


def render(request: Request, name: str, *, signed: SignIn | None = None, status: int = 200,
           csrf: str | None = None, **context) -> HTMLResponse:
    lang = language(request, signed)
    html = templates.get_template(name).render(
        _=lambda text: i18n.translate(lang, text), lang=lang, languages=i18n.LANGUAGES, signed=signed,
        csrf=csrf or (signed.csrf if signed else request.cookies.get(FORM_COOKIE, "")), path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies)


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


async def read_form(request: Request) -> dict[str, str] | None:
    """A urlencoded form's fields (the last of each name), or None when it is not one or too big."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return None


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))


def local_path(value: str | None, default: str = "/") -> str:
    """Where to go back to: a path of this site only."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
