"""A real application service (InProcessApp, over HTTPS) on a PostgreSQL schema of
its own, with a small world in it, for the tests of one module:

    service = ServiceWorld(tmp_path)          # ann, bob (agents), sue (supervisor), sam (sales rep)
    ann = service.signed_in("ann")            # an AppClient, as the desktop holds it
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from app_harness import InProcessApp
from app_service.client import AppClient
from conftest import PgSchema, pg_url
from crm.db import Database, upgrade
from crm.models import UserRole
import factories


class ServiceWorld:
    def __init__(self, workdir: Path):
        self.schema = PgSchema(pg_url())
        separator = "&" if "?" in self.schema.url else "?"
        self.url = f"{self.schema.url}{separator}options={quote(f'-csearch_path={self.schema.name}')}"
        engine = self.schema.engine()
        upgrade(engine)
        self.db = Database(engine)
        with self.db.unit_of_work() as s:
            self.people = {"ann": factories.user(s, "ann"), "bob": factories.user(s, "bob"),
                           "sue": factories.user(s, "sue", role=UserRole.SUPERVISOR),
                           "sam": factories.user(s, "sam", role=UserRole.SALES_REP)}  # reads only his own
        self.app = InProcessApp(self.url, workdir).start()
        self._clients: list[AppClient] = []

    def client(self) -> AppClient:
        client = self.app.client()
        self._clients.append(client)
        return client

    def signed_in(self, username: str) -> AppClient:
        client = self.client()
        client.sign_in(username, factories.PASSWORD)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.app.stop()
        self.db.dispose()
        self.schema.drop()
