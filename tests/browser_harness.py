"""Headless Debian Chromium driven by Playwright, for tests of web pages.

`chromium` (one browser per test session) and `browser_page` (a fresh context
per test: its own cookies and localStorage) skip, or fail under
CICADA_REQUIRE_EXTERNAL=1, when /usr/bin/chromium or Playwright is missing.
The browser gets its own HOME, TMPDIR and XDG_RUNTIME_DIR so nothing lands in
the real home or the system temp dir. Playwright's own browsers are never
installed: it drives the Debian package.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import missing_external

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WHAT = "Chromium (Debian package chromium) with Playwright"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def private_dirs(tmp_path_factory) -> dict[str, str]:
    """HOME, TMPDIR and XDG_RUNTIME_DIR for the browser and Playwright's driver."""
    names = {"HOME": "home", "TMPDIR": "tmp", "XDG_RUNTIME_DIR": "runtime"}
    root = tmp_path_factory.mktemp("chromium")
    dirs = {}
    for variable, name in names.items():
        path = root / name
        path.mkdir(mode=0o700)
        dirs[variable] = str(path)
    return dirs


@pytest.fixture(scope="session", name="chromium")
def chromium_browser(tmp_path_factory):
    """A headless Chromium (playwright.sync_api.Browser) for the whole session."""
    if not CHROMIUM.exists():
        missing_external(WHAT)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_external(WHAT)
    dirs = private_dirs(tmp_path_factory)
    # The driver makes the browser's profile under its own TMPDIR, so it starts with ours too.
    with pytest.MonkeyPatch.context() as env:
        for variable, path in dirs.items():
            env.setenv(variable, path)
        manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, env={**os.environ, **dirs}, timeout=20_000
        )
        yield browser
        browser.close()
    finally:
        manager.stop()


@pytest.fixture(name="browser_page")
def fresh_browser_page(chromium):
    """A page in a fresh browser context; short timeouts so a broken page fails fast."""
    context = chromium.new_context(viewport={"width": 420, "height": 640}, locale="en-US")
    context.set_default_timeout(5_000)
    page = context.new_page()
    yield page
    context.close()


@contextlib.contextmanager
def page_server(html: str) -> Iterator[str]:
    """Serve `html` at the URL yielded, as a page of another site would be.

    It runs on 127.0.0.1 because Chromium refuses requests from a page of the
    public address space (which a Playwright-routed page counts as) to loopback.
    """
    body = html.encode()

    class OnePage(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # quiet in test output
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OnePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
