"""The application service: the CRM over HTTP, for the desktops and for other programs.

Only services reach the CRM database. The agent's desktop signs in here once,
gets a session, and does all of its CRM work through this versioned JSON API
(`/v1/...`, documented in docs/api/openapi.json), with the signed-in user's
permissions checked by the `crm` services behind each route. The gateway and
the mail queue accept the same session instead of a password.

`app_service.app` builds the ASGI application (FastAPI), one module per
capability adds its routes, `app_service.server` runs it under uvicorn with
TLS, and `app_service.client` is the Python client desktops and integrations
use (it needs only httpx).
"""
