"""Signing in and out: `POST /v1/sessions`, `DELETE /v1/sessions/current`, `GET /v1/me`.

Signing in goes through the login guard (per account and per source, the
lockouts in the log) and checks the password on threads of its own, so a
flood of sign-ins never delays the requests of users already signed in.
"""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from crm.errors import AuthenticationFailed
from crm.services import profiles, sessions
from app_service.app import Token, reply, signed_in, source_of
from app_service.schemas import Me, SignedIn

router = APIRouter(prefix="/v1", tags=["sessions"])


class SignInRequest(BaseModel):
    username: str = Field(max_length=80)
    password: str = Field(max_length=200)
    client: str = Field(default="client", max_length=80, description='What signs in: "desktop", "console", ...')


@router.post("/sessions", response_model=SignedIn, status_code=201,
             summary="Sign in: a session for every service (the gateway and the mail queue accept it too)")
async def sign_in(body: SignInRequest, request: Request):
    guard = request.app.state.guard
    source = source_of(request)
    guard.admit(body.username, source)
    succeeded = None
    try:
        result = await anyio.to_thread.run_sync(_sign_in, request, body, source,
                                                limiter=request.app.state.password_threads)
        succeeded = True
        return reply(result, status_code=201)
    except AuthenticationFailed:
        succeeded = False
        raise
    finally:
        guard.finished(body.username, source, succeeded=succeeded)


def _sign_in(request: Request, body: SignInRequest, source: str) -> SignedIn:
    with request.app.state.database.unit_of_work() as session:  # a sign-in may upgrade the password hash
        signed = sessions.sign_in(session, body.username, body.password, client=body.client, source=source)
        profile = profiles.agent_profile(session, signed.actor)
    return SignedIn(signed.token, signed.expires_at, signed.actor, profile)


@router.delete("/sessions/current", status_code=204, summary="Sign out: the session ends for every service")
def sign_out(request: Request, token: str = Token):
    with signed_in(request, token, writing=True) as (session, _):
        sessions.end_session(session, token)
    return Response(status_code=204)


@router.get("/me", response_model=Me, summary="Who is signed in, and his desktop's settings")
def me(request: Request, token: str = Token):
    with signed_in(request, token) as (session, who):
        return reply(Me(who.actor, profiles.agent_profile(session, who.actor)))
